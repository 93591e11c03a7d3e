"""The bot on Microsoft 365 for benchmarks: the real SDK over HTTP to the Graph emulator on loopback, with the
example configuration and cases added through the bot's own `add_case`."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.measure import ROOT

SITE_HOST, SITE_PATH = "northshire.sharepoint.example", "sites/cspr"
SITE_REF = f"{SITE_HOST}:/{SITE_PATH}"
AGENCIES = ("POL", "CSC", "HLT", "GP", "EDU")
DAY = date(2026, 12, 24)  # a Thursday; the cases below were notified on the 22nd


@dataclass
class Rig:
    g: Any  # GraphEmulator
    app: Any  # bot.bootstrap.App
    settings: Any

    @property
    def mailbox(self) -> str:
        return str(self.settings.bot.mailbox_address)

    def mark(self) -> int:
        return len(self.g.requests)

    def since(self, mark: int) -> list[Any]:
        return self.g.requests[mark:]


def settings_for(base_url: str, config: Path | None = None) -> Any:
    from bot.settings import GraphSettings, load_settings

    settings = load_settings(config or ROOT / "config" / "cspr-bot.toml")
    graph = GraphSettings(auth="static_token", base_url=base_url, site=SITE_REF)
    return settings.model_copy(update={"bot": settings.bot.model_copy(update={"backend": "graph"}), "graph": graph})


@contextmanager
def rig(tmp: Path, config: Path | None = None) -> Iterator[Rig]:
    from bot.adapters.graph.client import StaticTokenCredential
    from bot.bootstrap import build_graph_app
    from tests.graph_emulator import GraphEmulator

    with GraphEmulator() as g:
        settings, _ = provision(g, config)
        app = build_graph_app(settings, tmp, credential=StaticTokenCredential(g.token, g.base_url))
        try:
            yield Rig(g, app, settings)
        finally:
            app.close()


def provision(g: Any, config: Path | None = None) -> tuple[Any, str]:
    """The bot's mailbox and site with its lists on an emulator; (settings pointing at it, the site's id)."""
    from bot.adapters.graph.client import LoopThread
    from tests.graph_sdk import provisioned

    settings = settings_for(g.base_url, config)
    g.add_mailbox(settings.bot.mailbox_address)
    site = str(g.add_site(SITE_HOST, SITE_PATH))
    loop = LoopThread()
    provisioned(g, loop)
    loop.close()
    return settings, site


def at(d: date, hour: int, minute: int = 0) -> datetime:
    from bot.demo.scenario import at as local_at

    return local_at(d, hour, minute)


def add_cases(r: Rig, n: int, *, agencies: tuple[str, ...] = AGENCIES) -> list[str]:
    from bot.cases import add_case
    from bot.domain.model import Case

    p = r.app.partnership()
    refs = []
    for i in range(n):
        ref = f"RR-2026-{100 + i:03d}"
        add_case(r.app.register, p, Case(ref=ref, partnership=p.id, child=f"Child {_letters(i)}",
                                         la_aware=date(2026, 12, 22), sin_submitted=date(2026, 12, 23),
                                         agencies=agencies), by=p.team_address, at=at(DAY, 9))
        refs.append(ref)
    return refs


def _letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, rest = divmod(i - 1, 26)
        out = chr(65 + rest) + out
    return out


def settle(r: Rig, when: datetime, ticks: int = 3) -> None:
    """Ticks until the work the cases started is done (requests sent, drafts made)."""
    from bot.bootstrap import tick

    for k in range(ticks):
        tick(r.app, when + timedelta(minutes=5 * k))


_ID = re.compile(r"/(AAMk[^/]+|[0-9a-f]{8}-[0-9a-f-]{27}|\d+)(?=/|$)")


def shape(request: Any) -> str:
    """A request as METHOD and path with ids folded, for a breakdown."""
    path = re.sub(r"^/v1\.0", "", request.path)
    path = re.sub(r"/users/[^/]+", "/users/{mailbox}", path)
    path = re.sub(r"/sites/[^/]+", "/sites/{site}", path)
    path = re.sub(r"/lists/[^/]+", "/lists/{list}", path)
    path = re.sub(r"/drives/[^/]+", "/drives/{drive}", path)
    path = re.sub(r"/root:[^:]*:", "/root:{path}:", path)
    path = re.sub(r"/(messages|items|attachments|mailFolders|childFolders)/(?!delta\b)[^/{]+", r"/\1/{id}", path)
    return f"{request.method} {path}"


def breakdown(requests: list[Any]) -> str:
    counts = Counter(shape(r) for r in requests)
    return "; ".join(f"{n} x {s}" for s, n in counts.most_common())
