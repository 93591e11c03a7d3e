"""`cspr-bot demo`: the bot's jobs on a fictional case, in a workspace of its own, on a simulated
clock, through the same bootstrap, handlers and timetable as the real service."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.bootstrap import App, build_local_app, tick
from bot.cases import add_case, describe, find_case, update_case
from bot.domain.model import Case
from bot.settings import Settings

MARKER = ".cspr-demo"
LONDON = ZoneInfo("Europe/London")
LA_AWARE = date(2026, 12, 22)  # Tuesday before Christmas: the worked example in the README


def at(d: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def fresh_workspace(root: Path) -> None:
    """Empty the demo folder, refusing to touch one the demo did not make."""
    if root.exists() and any(root.iterdir()) and not (root / MARKER).exists():
        raise RuntimeError(f"{root} exists and is not a demo workspace; choose another --workspace")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / MARKER).write_text("made by cspr-bot demo; emptied on every run\n")


def run_demo(settings: Settings, root: Path, *, echo: Callable[[str], None] = print) -> App:
    fresh_workspace(root)
    app = build_local_app(settings, root)
    p = app.partnership()
    team = p.team_address
    echo(f"cspr-bot demo: {p.name}, workspace {root}")
    echo("")
    case = Case(ref="", partnership=p.id, child="Child A", incident=LA_AWARE - timedelta(days=1),
                la_aware=LA_AWARE, agencies=tuple(a.code for a in p.agencies[:6]), domestic_abuse=True)
    record = add_case(app.register, p, case, by=team, at=at(LA_AWARE))
    ref = record.case.ref
    echo(f"{LA_AWARE:%a %d %b}  day 0   {ref} added: LA aware of a serious incident (Child A)")
    sin_day = p.policy.calendar.add_working_days(LA_AWARE, 1)
    update_case(app.register, p, ref, {"sin_submitted": sin_day}, by=team, at=at(sin_day, 11))
    echo(f"{sin_day:%a %d %b}  RR WD 0  SIN submitted to the Panel; rapid review clock starts")
    last_rag = None
    view = describe(find_case(app.register, ref), p, sin_day)
    due = date.fromisoformat(next(d["due"] for d in view["deadlines"] if d["name"] == "rapid_review_due"))
    day = sin_day
    while day <= due + timedelta(days=1):
        tick(app, at(day, 8, 30))
        view = describe(find_case(app.register, ref), p, day)
        if view["rag"] != last_rag:
            wd = p.policy.calendar.working_days_between(sin_day, day)
            echo(f"{day:%a %d %b}  RR WD {wd:<3} tick: {ref} is {view['rag'].upper()}")
            last_rag = view["rag"]
        day += timedelta(days=1)
    echo("")
    echo(f"Deadlines for {ref}:")
    for d in view["deadlines"]:
        echo(f"  {d['name']:<32} {d['due']}  [{d['strength']}] {d['source']}")
    echo("")
    echo("Not built yet: agency requests, chasers, reminders and the Panel submission (issue 3).")
    echo(f"Register: {app.workspace.register if app.workspace else '-'}")
    app.close()
    return app
