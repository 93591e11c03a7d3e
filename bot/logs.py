"""Logging: JSON lines for a service (one object per line, for the journal or the container platform), readable
text in a terminal. Every line written while a tick runs carries that tick's correlation id (`tick`), so one
pass of the jobs can be followed across modules; levels can be set per module from the settings ([ops]).
What the bot logs is case references, agency codes, counts and outbox keys: never names, addresses or free
text (the canary test in tests/integration/test_no_personal_data.py checks)."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

_TICK: ContextVar[str] = ContextVar("cspr_tick", default="")
_INSTANCE: list[str] = [""]


def current_tick() -> str:
    return _TICK.get()


@contextmanager
def tick_context() -> Iterator[str]:
    """A correlation id for everything logged inside (a tick already under way keeps its own)."""
    if _TICK.get():
        yield _TICK.get()
        return
    token = _TICK.set(uuid.uuid4().hex[:12])
    try:
        yield _TICK.get()
    finally:
        _TICK.reset(token)


def set_instance(name: str) -> None:
    _INSTANCE[0] = name


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "msg": record.getMessage()}
        if tick := getattr(record, "tick", ""):
            entry["tick"] = tick
        if _INSTANCE[0]:
            entry["instance"] = _INSTANCE[0]
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class _TickFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        tick = _TICK.get()
        record.tick = tick
        record.tick_text = f" [{tick}]" if tick else ""
        return True


def configure(*, verbose: bool, fmt: str = "auto", level: str = "", levels: Mapping[str, str] | None = None) -> None:
    """`fmt` is "json", "text", or "auto" (JSON unless stderr is a terminal). The root level is `level` if given,
    else info with `verbose` and warning without; `levels` sets named loggers (e.g. "cspr_bot.ingest")."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_TickFilter())
    handler.setFormatter(JsonLines() if use_json else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s%(tick_text)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper() if level else (logging.INFO if verbose else logging.WARNING))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # "Running job ..." twice a second otherwise
    for name, module_level in (levels or {}).items():
        logging.getLogger(name).setLevel(module_level.upper())
