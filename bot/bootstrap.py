"""The one place that wires things: settings -> adapters -> handlers.

`build_local_app` puts the ports on the local workspace; `build_memory_app` on in-memory fakes (for
tests). `HANDLERS` says how each job in `schedule.JOBS` is called with its dependencies.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.documents.render import DocumentTemplates, TemplateError
from bot.domain.model import Partnership
from bot.domain.office import OfficeHours
from bot.domain.records import LISTS
from bot.handlers.chase_returns import chase_returns
from bot.handlers.collate_returns import collate_returns
from bot.handlers.common import Addresses, Deps
from bot.handlers.follow_reviews import follow_reviews
from bot.handlers.ingest_mail import ingest_mail
from bot.handlers.remind_leads import remind_leads
from bot.handlers.send_outbox import AllowList, send_outbox
from bot.handlers.start_rapid_review import start_rapid_review
from bot.handlers.submit_to_panel import submit_to_panel
from bot.handlers.sync_cases import sync_cases
from bot.mail.compose import DEFAULT_TEMPLATES, Composer
from bot.ports import CaseRegister, Ledger, Library, Mailbox
from bot.schedule import JOBS, Cadence
from bot.settings import ConfigError, Settings

log = logging.getLogger("cspr_bot")


@dataclass(frozen=True)
class Workspace:
    """The local workspace layout (documented in the README)."""

    root: Path

    @property
    def mail(self) -> Path:
        return self.root / "mail"

    @property
    def register(self) -> Path:
        return self.root / "register.sqlite"

    @property
    def ledger(self) -> Path:
        return self.root / "ledger.sqlite"

    @property
    def library(self) -> Path:
        return self.root / "library"

    @property
    def lock(self) -> Path:
        return self.root / "cspr-bot.lock"


@dataclass
class App:
    settings: Settings
    partnerships: dict[str, Partnership]
    register: CaseRegister
    mailbox: Mailbox
    library: Library
    ledger: Ledger
    workspace: Workspace | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)
    _deps: Deps | None = field(default=None, repr=False)

    def partnership(self, id_: str | None = None) -> Partnership:
        return self.partnerships[self.settings.partnership(id_).id]

    def today(self, now: datetime) -> date:
        """The date in the partnership's time zone (Europe/London): deadlines are UK working days."""
        return self.hours.today(now)

    @property
    def hours(self) -> OfficeHours:
        b = self.settings.bot
        return OfficeHours(ZoneInfo(b.timezone), b.office_opens, b.office_closes)

    @property
    def cadence(self) -> Cadence:
        return Cadence(timedelta(minutes=self.settings.bot.tick_minutes),
                       timedelta(seconds=self.settings.bot.ingest_seconds))

    def deps(self) -> Deps:
        """What the deciding handlers need, built once per app."""
        if self._deps is None:
            s = self.settings
            self._deps = Deps(
                register=self.register, ledger=self.ledger, library=self.library, composer=composer_for(s),
                partnerships=self.partnerships, hours=self.hours,
                addresses=Addresses(panel=s.panel.address, nccu=s.panel.nccu_address, mailbox=s.bot.mailbox_address,
                                    authserv_id=s.bot.authserv_id,
                                    trust_unauthenticated=s.bot.trust_unauthenticated_mail,
                                    ofsted=s.panel.ofsted_address or "", dfe=s.panel.dfe_address or "",
                                    secretary_of_state=s.panel.secretary_of_state_address or "",
                                    repository=s.panel.repository_address or ""),
                documents=documents_for(s),
            )
        return self._deps

    def close(self) -> None:
        for close in self.closers:
            close()


def composer_for(settings: Settings) -> Composer:
    """Email templates: the configured folder first (a partnership's edits), then the shipped ones."""
    folders = [f for f in (settings.bot.templates_dir, *(p.email_templates for p in settings.partnerships)) if f]
    for folder in folders:
        if not Path(folder).is_dir():
            raise ConfigError(f"templates folder {folder} does not exist. Fix: create it or remove the setting")
    return Composer([*map(Path, folders), DEFAULT_TEMPLATES], domain=settings.bot.mailbox_address.rpartition("@")[2])


def documents_for(settings: Settings) -> dict[str, DocumentTemplates]:
    """Each partnership's Word templates (its own folder first, then the shipped ones), checked now:
    a missing template or an unknown key fails at start, naming the template and the key."""
    found = {}
    for p in settings.partnerships:
        if p.document_templates and not Path(p.document_templates).is_dir():
            raise ConfigError(f"partnerships[{p.id}].document_templates: {p.document_templates} does not exist. "
                              "Fix: create it or remove the setting")
        templates = DocumentTemplates([p.document_templates] if p.document_templates else [])
        try:
            templates.check()
        except TemplateError as exc:
            raise ConfigError(f"partnerships[{p.id}].document_templates: {exc}") from None
        found[p.id] = templates
    return found


def local_workspace(settings: Settings, workspace: Path | None, *, sqlite_inside: bool) -> Workspace:
    """The workspace folder, made if missing; refused on a network share when SQLite files live in it."""
    from bot.ledger import network_filesystem

    ws = Workspace(Path(workspace or settings.workspace.path))
    try:
        ws.root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"workspace.path: cannot create {ws.root} ({exc.strerror}). "
                          "Fix: point it at a folder you can write to") from None
    if sqlite_inside and (fstype := network_filesystem(ws.root)):
        raise ConfigError(
            f"workspace.path: {ws.root} is on a network share ({fstype}), and the ledger is SQLite. SQLite is not "
            "safe there: its file locks and flushes are not reliable over SMB/Azure Files or NFS, so two writers "
            "can corrupt it and a message recorded as sent can be lost after a failure, and sent again. Fix: put "
            "the workspace on a local disk, or set workspace.ledger_url to a PostgreSQL database")
    return ws


def build_ledger(settings: Settings, ws: Workspace) -> Ledger:
    """SQLite in the workspace (the embedded default), or PostgreSQL when workspace.ledger_url is set."""
    url = settings.workspace.ledger_url
    if url is None:
        from bot.ledger import SqliteLedger

        return SqliteLedger(ws.ledger)
    from bot.ledger_pg import PostgresLedger, redact

    try:
        return PostgresLedger(url)
    except Exception as exc:
        import psycopg

        if isinstance(exc, psycopg.OperationalError):
            raise ConfigError(f"workspace.ledger_url: cannot reach the ledger at {redact(url)} "
                              f"({str(exc).strip().splitlines()[0][:160]}). Fix: check the server is up, the host "
                              "and database names, and PGPASSWORD in the service's environment") from None
        raise


def _partnerships(settings: Settings) -> dict[str, Partnership]:
    return {p.id: p.to_domain() for p in settings.partnerships}


def build_local_app(settings: Settings, workspace: Path | None = None) -> App:
    from bot.adapters.local.library import FolderLibrary
    from bot.adapters.local.maildir import MaildirMailbox
    from bot.adapters.local.register import SqliteCaseRegister

    ws = local_workspace(settings, workspace, sqlite_inside=True)  # the register is SQLite whatever the ledger
    register = SqliteCaseRegister(ws.register, LISTS)
    ledger = build_ledger(settings, ws)
    return App(
        settings=settings, partnerships=_partnerships(settings), register=register,
        mailbox=MaildirMailbox(ws.mail, address=settings.bot.mailbox_address),
        library=FolderLibrary(ws.library), ledger=ledger, workspace=ws,
        closers=[register.close, ledger.close],
    )


def build_app(settings: Settings, workspace: Path | None = None, **graph_overrides: Any) -> App:
    """The app for the configured backend: the local workspace, or Microsoft 365."""
    if settings.bot.backend == "graph":
        return build_graph_app(settings, workspace, **graph_overrides)
    return build_local_app(settings, workspace)


def graph_credential(settings: Settings) -> Any:
    """The app-only credential the settings ask for; secrets only from the environment."""
    import os

    g = settings.graph
    assert g is not None
    if g.auth == "static_token":
        from bot.adapters.graph.client import StaticTokenCredential

        return StaticTokenCredential(os.environ.get("CSPR_BOT_STATIC_TOKEN", ""), g.base_url)
    if g.auth == "managed_identity":
        from azure.identity.aio import ManagedIdentityCredential

        return ManagedIdentityCredential(client_id=g.client_id or None)
    if g.auth == "secret":
        from azure.identity.aio import ClientSecretCredential

        secret = os.environ.get("CSPR_BOT_CLIENT_SECRET", "")
        if not secret:
            raise ConfigError("graph.auth = 'secret' but CSPR_BOT_CLIENT_SECRET is not set. Fix: set it in the "
                              "service's environment (never in the TOML file)")
        return ClientSecretCredential(g.tenant_id, g.client_id, secret)
    from azure.identity.aio import CertificateCredential

    return CertificateCredential(g.tenant_id, g.client_id, certificate_path=str(g.certificate_path))


def graph_client(settings: Settings, credential: Any = None) -> tuple[Any, Any]:
    """The credential and the Graph client the settings describe, the token kept to the Graph host;
    raises ConfigError for anything unsafe or missing."""
    from urllib.parse import urlparse

    from bot.adapters.graph.client import GraphConfigError, check_base_url, make_client

    if settings.graph is None:
        raise ConfigError("this needs a [graph] table. Fix: see config/m365.example.toml")
    try:
        credential = credential or graph_credential(settings)
        base_url = check_base_url(settings.graph.base_url)
    except GraphConfigError as exc:
        raise ConfigError(str(exc)) from None
    return credential, make_client(credential, base_url=base_url, allowed_hosts=[urlparse(base_url).hostname or ""])


def build_graph_app(settings: Settings, workspace: Path | None = None, *, credential: Any = None) -> App:
    """The ports on Microsoft 365. The bot's own ledger is SQLite in the workspace, or PostgreSQL."""
    from bot.adapters.graph.client import LoopThread, warm_up
    from bot.adapters.graph.library import SharePointLibrary
    from bot.adapters.graph.mailbox import GraphMailbox
    from bot.adapters.graph.mirror import MirroredRegister
    from bot.adapters.graph.register import SharePointCaseRegister
    from bot.adapters.graph.uploads import Uploader

    g = settings.graph
    assert g is not None
    _, graph = graph_client(settings, credential)
    ws = local_workspace(settings, workspace, sqlite_inside=settings.workspace.ledger_url is None)
    log.info("Graph SDK warmed up in %.2f s", warm_up())
    loop, uploads, ledger = LoopThread(), Uploader(), build_ledger(settings, ws)
    return App(
        settings=settings, partnerships=_partnerships(settings),
        register=MirroredRegister(SharePointCaseRegister(graph, loop, site=g.site)),
        mailbox=GraphMailbox(graph, loop, address=settings.bot.mailbox_address, uploads=uploads),
        library=SharePointLibrary(graph, loop, site=g.site, uploads=uploads), ledger=ledger, workspace=ws,
        closers=[ledger.close, loop.close],
    )


def build_memory_app(settings: Settings, **overrides: Any) -> App:
    """The same app on in-memory fakes; pass e.g. `mailbox=...` to swap one port."""
    from bot.adapters.memory import MemoryCaseRegister, MemoryLibrary, MemoryMailbox
    from bot.ledger import SqliteLedger

    ports: dict[str, Any] = {
        "register": MemoryCaseRegister(LISTS),
        "mailbox": MemoryMailbox(address=settings.bot.mailbox_address),
        "library": MemoryLibrary(),
        "ledger": SqliteLedger(":memory:"),
    }
    ports.update(overrides)
    return App(settings=settings, partnerships=_partnerships(settings), **ports)


# job id -> how to call its handler with this app's ports and settings
HANDLERS: dict[str, Callable[[App, datetime], object]] = {
    "sync_cases": lambda app, now: sync_cases(
        now, today=app.today(now), register=app.register, ledger=app.ledger, partnerships=app.partnerships),
    "ingest_mail": lambda app, now: ingest_mail(now, deps=app.deps(), mailbox=app.mailbox),
    "start_rapid_review": lambda app, now: start_rapid_review(now, deps=app.deps()),
    "collate_returns": lambda app, now: collate_returns(now, deps=app.deps()),
    "chase_returns": lambda app, now: chase_returns(now, deps=app.deps()),
    "remind_leads": lambda app, now: remind_leads(now, deps=app.deps()),
    "submit_to_panel": lambda app, now: submit_to_panel(now, deps=app.deps()),
    "follow_reviews": lambda app, now: follow_reviews(now, deps=app.deps()),
    "send_outbox": lambda app, now: send_outbox(
        now, ledger=app.ledger, mailbox=app.mailbox, allow=AllowList(app.settings.addresses()),
        redirect_to=app.settings.bot.redirect_all_to),
}


def run_job(app: App, job_id: str, now: datetime) -> object:
    """One job, logged under its own logger (`cspr_bot.<job>`, so [ops] log_levels can single it out) with the
    tick's correlation id."""
    from bot.logs import tick_context

    with tick_context():
        report = HANDLERS[job_id](app, now)
        logging.getLogger(f"cspr_bot.{job_id}").info("job %s done: %s", job_id, report)
    return report


def tick(app: App, now: datetime) -> dict[str, object]:
    """One pass of every job in timetable order, at `now`, under one correlation id."""
    from bot.logs import tick_context

    with tick_context():
        return {job.id: run_job(app, job.id, now) for job in JOBS}
