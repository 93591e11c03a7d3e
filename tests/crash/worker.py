"""The bot as the crash harness runs it: a process of its own that builds the app as `cspr-bot run` does (local
workspace, or Microsoft 365 through the real SDK at the harness's Graph emulator) and runs the jobs it is told
to, one JSON line in (`{"job": ..., "now": ...}`), one JSON line out. `bot.crashpoints` may SIGKILL it at any
point; the harness then starts a new one on the same workspace and asks again.

    python -m tests.crash.worker local WORKSPACE
    python -m tests.crash.worker graph WORKSPACE BASE_URL   (token in CSPR_BOT_STATIC_TOKEN)

With CSPR_TEST_LEDGER_URL set, the ledger is on PostgreSQL and the worker is one of several instances: before each
job it asks for the leadership as `cspr-bot run` does, and a standby answers `{"standby": true}` without acting.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path

from bot import crashpoints
from bot.bootstrap import App, build_app, run_job
from bot.leadership import Leadership, SoleInstance, leadership_for
from bot.settings import Settings, load_settings
from tests.conftest import DEFAULT_CONFIG


def worker_settings(backend: str, base_url: str = "", ledger_url: str = "") -> Settings:
    if backend == "graph":
        from tests.integration.graph_rig import graph_settings

        settings = graph_settings(base_url)
    else:
        settings = load_settings(DEFAULT_CONFIG)
    if ledger_url:
        settings = settings.model_copy(update={
            "workspace": settings.workspace.model_copy(update={"ledger_url": ledger_url})})
    return settings


def serve(app: App, lines: object, out: object, leadership: Leadership | None = None) -> None:
    leadership = leadership or SoleInstance()
    for line in lines:  # type: ignore[attr-defined]
        ask = json.loads(line)
        reply: dict[str, object] = {"ok": True, "error": ""}
        try:
            if not leadership.ensure():
                reply["standby"] = True
            else:
                run_job(app, ask["job"], datetime.fromisoformat(ask["now"]))
        except Exception as exc:  # as `cspr-bot run` does: logged, and the next run of the job must recover
            reply = {"ok": False, "error": f"{ask['job']}: {type(exc).__name__}: {exc}"[:500]}
        reply["counts"] = crashpoints.counts()
        out.write(json.dumps(reply) + "\n")  # type: ignore[attr-defined]
        out.flush()  # type: ignore[attr-defined]


def main(argv: list[str]) -> int:
    backend, workspace = argv[0], Path(argv[1])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)  # stdout is the harness's channel
    ledger_url = os.environ.get("CSPR_TEST_LEDGER_URL", "")
    app = build_app(worker_settings(backend, argv[2] if len(argv) > 2 else "", ledger_url), workspace)
    try:
        sys.stdout.write(json.dumps({"ready": True}) + "\n")
        sys.stdout.flush()
        serve(app, sys.stdin, sys.stdout, leadership_for(ledger_url or None))
    finally:
        app.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
