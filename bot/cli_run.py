"""`cspr-bot tick | run | status | demo`: running the jobs once, on a timetable, or on a demo case."""

from __future__ import annotations

import fcntl
import logging
import os
import signal
from collections import Counter
from dataclasses import asdict, is_dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import click

from bot.cli_cases import _views
from bot.cli_common import NOW, Failure, emit_json, load, now_utc, open_app, rag_label

log = logging.getLogger("cspr_bot")


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
    with workspace_lock(app.workspace.lock if app.workspace else None):
        reports = run_tick(app, now_utc(now))
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


@click.command()
@click.pass_context
def run(ctx: click.Context) -> None:
    """Run the jobs on their timetable until stopped (Ctrl-C or SIGTERM)."""
    from bot.bootstrap import run_job
    from bot.schedule import JOBS, build_scheduler

    app = open_app(ctx)
    settings = app.settings
    with workspace_lock(app.workspace.lock if app.workspace else None):
        def guarded(job_id: str, now: datetime) -> None:
            try:
                run_job(app, job_id, now)
            except Exception:  # one failed job must not stop the service; the next tick tries again
                log.exception("job %s failed", job_id)

        scheduler = build_scheduler(guarded, cadence=app.cadence, timezone=settings.bot.timezone)
        signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
        click.echo(f"cspr-bot running on {app.workspace.root if app.workspace else 'Microsoft 365'}: "
                   f"{', '.join(j.id for j in JOBS)} every {settings.bot.tick_minutes} min; Ctrl-C stops",
                   err=True)
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
    click.echo("cspr-bot stopped", err=True)


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Every open case across the partnerships (stage, next deadline, RAG), and the outbox."""
    from bot.ports import OutboxStatus

    app = open_app(ctx)
    views = _views(ctx, None)
    outbox = Counter(item.status.value for item in app.ledger.outbox())
    names = {p.id: p.name for p in app.partnerships.values()}
    data: dict[str, Any] = {
        "workspace": str(app.workspace.root) if app.workspace else None,
        "partnerships": list(names.values()),
        "cases": len(views),
        "rag": dict(Counter(v["rag"] for v in views)),
        "outbox": {s.value: outbox.get(s.value, 0) for s in OutboxStatus},
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
    by_rag = "  ".join(f"{rag_label(k)} {n}" for k, n in sorted(data["rag"].items()))
    click.echo(f"cases      {data['cases']}  {by_rag}")
    click.echo("outbox     " + "  ".join(f"{k} {n}" for k, n in data["outbox"].items()))
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
