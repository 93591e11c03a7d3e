"""`cspr-bot tick | run | status | demo`: running the jobs once, on a timetable, or on a demo case."""

from __future__ import annotations

import fcntl
import os
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import click

from bot import __version__
from bot.cli_cases import _views
from bot.cli_common import NOW, Failure, emit_json, load, now_utc, open_app, rag_label

if TYPE_CHECKING:
    from bot.bootstrap import App
    from bot.leadership import Leadership
    from bot.ports import Ledger


def _plain(report: object) -> Any:
    return asdict(report) if is_dataclass(report) and not isinstance(report, type) else repr(report)


@click.command()
@click.option("--now", "now", type=NOW, help="Run as if it were this time (ISO, UK local if no offset).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def tick(ctx: click.Context, now: datetime | None, as_json: bool) -> None:
    """Run every job once, at --now (default: the current time)."""
    from bot.bootstrap import tick as run_tick

    app = open_app(ctx)
    with sole_or_leader(ctx, app):
        leadership, ops_ledger, name = service_parts(ctx, app)
        try:
            if not leadership.ensure():
                leader = next((i.name for i in ops_ledger.instances() if i.role == "leader"), "another instance")
                raise AlreadyRunning(f"{leader} is the leader on this ledger, so this tick would act twice. "
                                     "Fix: let the running service tick, or stop it first")
            reports = run_tick(app, now_utc(now))
        finally:
            leadership.release()
            ops_ledger.close()
    if as_json:
        emit_json({job: _plain(r) for job, r in reports.items()})
        return
    for job, report in reports.items():
        click.echo(f"{job}: {_plain(report)}")


class AlreadyRunning(Failure):
    pass


class workspace_lock:  # noqa: N801 (used as a context manager, reads like a statement)
    """An exclusive OS lock on the workspace: one cspr-bot process at a time acts on it."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.fh: IO[str] | None = None

    def __enter__(self) -> workspace_lock:
        if self.path is None:
            return self
        self.fh = open(self.path, "a+")  # noqa: SIM115 (held for the life of the process)
        try:
            fcntl.flock(self.fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.close()
            raise AlreadyRunning(f"another cspr-bot is already running on {self.path.parent} "
                                 f"(it holds {self.path.name}). Fix: stop that one first") from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(f"{os.getpid()}\n")
        self.fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fh is not None:
            fcntl.flock(self.fh.fileno(), fcntl.LOCK_UN)
            self.fh.close()


def service_parts(ctx: click.Context, app: App) -> tuple[Leadership, Ledger, str]:
    """The leadership, a ledger connection of its own for heartbeats and scrapes, and this instance's name."""
    from bot.bootstrap import Workspace, build_ledger
    from bot.leadership import leadership_for
    from bot.ops import instance_name

    s = app.settings
    ws = app.workspace or Workspace(ctx.obj["workspace"] or s.workspace.path)
    return leadership_for(s.workspace.ledger_url), build_ledger(s, ws), instance_name(s.ops.instance)


@contextmanager
def sole_or_leader(ctx: click.Context, app: App) -> Iterator[None]:
    """SQLite: the workspace lock (one process). PostgreSQL: any number may run; the leadership decides who acts."""
    if app.settings.workspace.ledger_url is None:
        with workspace_lock(app.workspace.lock if app.workspace else None):
            yield
    else:
        yield


@click.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the jobs on their timetable until stopped (Ctrl-C or SIGTERM); with the ledger on PostgreSQL, as
    leader or standby."""
    from bot.logs import configure, set_instance
    from bot.schedule import JOBS
    from bot.service import Service

    app = open_app(ctx)
    s = app.settings
    configure(verbose=True, fmt=ctx.obj.get("log_format") or s.ops.log_format, level=s.ops.log_level,
              levels=s.ops.log_levels)
    with sole_or_leader(ctx, app):
        leadership, ops_ledger, name = service_parts(ctx, app)
        set_instance(name)
        ctx.call_on_close(ops_ledger.close)
        service = Service(app, leadership=leadership, ops_ledger=ops_ledger, instance=name)
        click.echo(f"cspr-bot {__version__} running as {name} on "
                   f"{app.workspace.root if app.settings.bot.backend == 'local' and app.workspace else 'Microsoft 365'}"
                   f" ({leadership.kind}): {', '.join(j.id for j in JOBS)} every {s.bot.tick_minutes} min; "
                   "Ctrl-C stops", err=True)
        service.serve(host=s.ops.http_host, port=s.ops.http_port, timezone=s.bot.timezone)
    click.echo("cspr-bot stopped", err=True)


@click.command()
@click.pass_context
def health(ctx: click.Context) -> None:
    """One line on this instance (alive, and if leader, getting jobs done); exit 0 if healthy, 1 if not."""
    from bot.bootstrap import build_ledger, local_workspace
    from bot.ops import health as verdict_for
    from bot.ops import instance_name, poll_seconds
    from bot.settings import ConfigError

    settings = load(ctx)
    assert settings is not None
    try:
        ws = local_workspace(settings, ctx.obj["workspace"], sqlite_inside=settings.workspace.ledger_url is None)
        ledger = build_ledger(settings, ws)
    except ConfigError as exc:
        click.echo(f"unhealthy: {str(exc).splitlines()[0]}")
        ctx.exit(1)
    try:
        b = settings.bot
        tick_every, ingest_every = timedelta(minutes=b.tick_minutes), timedelta(seconds=b.ingest_seconds)
        verdict = verdict_for(ledger, instance_name(settings.ops.instance), now=datetime.now(UTC), tick=tick_every,
                              poll=poll_seconds(tick_every, ingest_every))
    finally:
        ledger.close()
    click.echo(verdict.line)
    ctx.exit(0 if verdict.ok else 1)


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """For operators: which instance leads and when each last worked, the outbox and quarantine, and every open
    case across the partnerships (stage, next deadline, RAG)."""
    from bot.ops import ago

    app = open_app(ctx)
    views = _views(ctx, None)
    stats = app.ledger.stats()
    names = {p.id: p.name for p in app.partnerships.values()}
    now = datetime.now(UTC)
    data: dict[str, Any] = {
        "workspace": str(app.workspace.root) if app.workspace else None,
        "ledger": _ledger_label(app),
        "instances": [
            {"name": i.name, "role": i.role, "host": i.host, "version": i.version,
             "seen": i.seen_at.isoformat(), "seen_seconds_ago": int((now - i.seen_at).total_seconds()),
             "last_tick": i.last_tick_at.isoformat() if i.last_tick_at else None}
            for i in app.ledger.instances()],
        "partnerships": list(names.values()),
        "cases": len(views),
        "rag": dict(Counter(v["rag"] for v in views)),
        "outbox": dict(stats.outbox),
        "oldest_unsent": stats.oldest_unsent.isoformat() if stats.oldest_unsent else None,
        "quarantined": stats.quarantined,
        "open_cases": [
            {"ref": v["ref"], "partnership": v["partnership"], "stage": v["stage"], "rag": v["rag"],
             "next": next(({"name": d["name"], "due": d["due"]} for d in v["deadlines"]
                           if d["met_on"] is None and d["rag"] != "none"), None),
             "dfe_notification": v["dfe_notification"], "attention": v["attention"]}
            for v in views if v["stage"] != "closed"
        ],
    }
    if as_json:
        emit_json(data)
        return
    click.echo(f"workspace  {data['workspace'] or 'Microsoft 365'}")
    click.echo(f"ledger     {data['ledger']}")
    if not data["instances"]:
        click.echo("instances  none has run yet")
    for i in data["instances"]:
        last = i["last_tick"][:19].replace("T", " ") + " UTC" if i["last_tick"] else "never"
        click.echo(f"instance   {i['name']:<20} {i['role']:<8} seen {ago(i['seen_seconds_ago'])} ago, "
                   f"last job {last}, version {i['version']}")
    by_rag = "  ".join(f"{rag_label(k)} {n}" for k, n in sorted(data["rag"].items()))
    click.echo(f"cases      {data['cases']}  {by_rag}")
    oldest = f"  (oldest unsent queued {data['oldest_unsent'][:16].replace('T', ' ')})" if data["oldest_unsent"] else ""
    click.echo("outbox     " + "  ".join(f"{k} {n}" for k, n in data["outbox"].items()) + oldest)
    click.echo(f"quarantine {data['quarantined']} message{'' if data['quarantined'] == 1 else 's'}")
    for pid, name in names.items():
        mine = [c for c in data["open_cases"] if c["partnership"] == pid]
        click.echo(f"\n{name}: {len(mine)} open case{'' if len(mine) == 1 else 's'}")
        for c in mine:
            nxt = f"{c['next']['name']} {c['next']['due']}" if c["next"] else "no open deadline"
            click.echo(f"  {c['ref']:<14} {c['stage']:<34} {nxt:<42} {rag_label(c['rag'])}")
            if c["dfe_notification"] and not c["dfe_notification"].startswith("made"):
                click.echo(f"  {'':<14} DfE notification: {c['dfe_notification']}")
            if c["attention"]:
                click.echo(f"  {'':<14} needs attention: {c['attention']}")


def _ledger_label(app: App) -> str:
    url = app.settings.workspace.ledger_url
    if url:
        from bot.ledger_pg import redact

        return f"PostgreSQL {redact(url)}"
    return f"SQLite {app.workspace.ledger if app.workspace else ''}"


@click.command()
@click.option("--workspace", "demo_root", type=click.Path(file_okay=False), default="var/demo",
              help="Where the demo builds its own workspace (emptied first).")
@click.option("--full", is_flag=True, help="The whole life of the case: referral, rapid review, local review, "
              "publication, action plan, to the learning event two years on.")
@click.pass_context
def demo(ctx: click.Context, demo_root: str, full: bool) -> None:
    """Run the main job on a fictional case in its own workspace, on a simulated clock."""
    from bot.demo import run_demo

    settings = load(ctx)
    assert settings is not None
    try:
        run_demo(settings, Path(demo_root), echo=click.echo, full=full)
    except Exception as exc:  # pragma: no cover - shown to the user as one line
        raise Failure(f"demo failed: {exc}") from exc
