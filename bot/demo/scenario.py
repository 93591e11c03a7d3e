"""The demo's script: LA aware on day 0, SIN submitted on day 2, requests to six agencies; four
return on different days (one after an out-of-office and chasing via its escalation contact), one
never answers and is chased and escalated, one address bounces; the team saves the report, a lead
approves on working day 13 and the bot submits to the Panel on working day 14.

The clock is simulated, but each job runs when its trigger in `bot.schedule.JOBS` says (at a demo
cadence), through `bootstrap.run_job`: the same code path as `cspr-bot run`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.adapters.local.files import write_atomic
from bot.bootstrap import App, build_local_app, run_job
from bot.cases import add_case, update_case
from bot.demo import agencies as sim
from bot.demo.timeline import Timeline
from bot.domain.model import Case
from bot.ports import OutboundMessage, OutboxStatus
from bot.schedule import JOBS, Cadence
from bot.settings import Settings

MARKER = ".cspr-demo"
LONDON = ZoneInfo("Europe/London")
LA_AWARE = date(2026, 12, 22)  # Tuesday before Christmas: the working-day calendar shows itself
DEMO_CADENCE = Cadence(tick=timedelta(hours=1), ingest=timedelta(minutes=30))
AGENCIES = ("POL", "CSC", "HLT", "GP", "EDU")  # and DAS, added because domestic abuse is flagged


def at(d: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(d, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


def fresh_workspace(root: Path) -> None:
    """Empty the demo folder, refusing to touch one the demo did not make."""
    if root.exists() and any(root.iterdir()) and not (root / MARKER).exists():
        raise RuntimeError(f"{root} exists and is not a demo workspace; choose another --workspace")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    (root / MARKER).write_text("made by cspr-bot demo; emptied on every run\n")


@dataclass(frozen=True)
class Event:
    when: datetime
    who: str
    what: str
    act: Callable[[App], None]
    after: str = ""  # an outbox key that must have been sent first (a reply needs its request)


Deliver = Callable[[bytes, str], None]  # raw message, a name for it
Runner = Callable[[str, datetime], object]  # job id, simulated time: runs the job (perhaps in another process)
PersonEdit = Callable[[str, dict[str, object], str, datetime], None]  # case ref, changes, who, when


def maildir_delivery(app: App) -> Deliver:
    """Inbound mail the local way: written whole into mail/inbox/new/."""
    def deliver(raw: bytes, name: str) -> None:
        assert app.workspace is not None
        write_atomic(app.workspace.mail / "inbox" / "new" / f"{name}.eml", raw)

    return deliver


def register_edit(app: App) -> PersonEdit:
    """A person's change the local way: `cspr-bot case update REF --by ADDRESS`."""
    def edit(ref: str, changes: dict[str, object], by: str, when: datetime) -> None:
        update_case(app.register, app.partnership(), ref, changes, by=by, at=when)

    return edit


class Scenario:
    def __init__(self, app: App, deliver: Deliver | None = None, person_edit: PersonEdit | None = None,
                 case: dict[str, object] | None = None) -> None:
        self.app = app
        self.case = {"child": "Child A", **(case or {})}
        self.deliver = deliver or maildir_delivery(app)
        self.person_edit = person_edit or register_edit(app)
        self.p = app.partnership()
        self.cal = self.p.policy.calendar
        self.sin_day = self.cal.add_working_days(LA_AWARE, 2)
        self.ref = ""

    def wd(self, n: int, hour: int, minute: int = 0) -> datetime:
        """Working day n of the rapid review (the SIN day is 0), at a UK local time."""
        return at(self.cal.add_working_days(self.sin_day, n), hour, minute)

    def opening(self) -> list[Event]:
        """The case starts: the team adds it (the full-life demo starts from a referral email instead)."""
        p = self.p

        def add(app: App) -> None:
            case = Case(ref="", partnership=p.id, incident=LA_AWARE - timedelta(days=1),
                        la_aware=LA_AWARE, agencies=AGENCIES, domestic_abuse=True, **self.case)  # type: ignore[arg-type]
            self.ref = add_case(app.register, p, case, by=p.team_address, at=at(LA_AWARE, 9, 15)).case.ref

        return [Event(at(LA_AWARE, 9, 15), "team", "case added: the LA is aware of a serious incident (Child A)", add)]

    def events(self) -> list[Event]:
        p, mailbox = self.p, self.app.settings.bot.mailbox_address
        team, chair = p.team_address, next(lead.address for lead in p.leads if lead.can_approve)

        def agency(code: str) -> str:
            a = p.agency(code)
            assert a is not None
            return a.name

        deliver = self.deliver

        def request(code: str) -> OutboundMessage:
            return next(i.message for i in self.app.ledger.outbox() if i.key == f"request:{self.ref}:{code}")

        def returns(code: str, sender: str, when: datetime) -> Event:
            return Event(when, code, f"{agency(code)} returns its completed form", lambda app: deliver(
                sim.return_email(request(code), sender=sender, mailbox=mailbox, at=when, agency=code),
                f"return-{code.lower()}"), after=f"request:{{ref}}:{code}")

        def sin(app: App) -> None:
            update_case(app.register, p, self.ref, {"sin_submitted": self.sin_day, "sin_reference": "SIN-2026-0427"},
                        by=team, at=at(self.sin_day, 10, 30))

        def report(app: App) -> None:
            drafts = [d.path for d in app.library.list(self.ref, "reports") if "draft" in d.path]
            latest = max(drafts, key=lambda path: int(path.rpartition(" v")[2].split(".")[0]))
            app.library.save(self.ref, f"reports/Rapid Review Report - {self.ref} - final.docx",
                             app.library.read(self.ref, latest))

        def approve(app: App) -> None:
            self.person_edit(self.ref, {"approved": True, "approved_by": chair}, chair, self.wd(13, 17, 45))

        pol, csc, hlt, gp = (p.agency(code) for code in ("POL", "CSC", "HLT", "GP"))
        assert pol and csc and hlt and gp
        return [
            *self.opening(),
            Event(at(self.sin_day, 10, 30), "team", "SIN submitted to the Panel (SIN-2026-0427)", sin),
            Event(at(self.sin_day, 11, 40), "DAS", "mail server: the request to the domestic abuse service bounces",
                  lambda app: deliver(sim.bounce(request("DAS"), postmaster=f"postmaster@{mailbox.rpartition('@')[2]}",
                                                 mailbox=mailbox, at=at(self.sin_day, 11, 40)), "ndr-das"),
                  after="request:{ref}:DAS"),
            Event(at(self.sin_day, 11, 50), "GP", "GP lead's out-of-office reply", lambda app: deliver(
                sim.out_of_office(request("GP"), sender=gp.lead_address, mailbox=mailbox,
                                  at=at(self.sin_day, 11, 50)), "ooo-gp"), after="request:{ref}:GP"),
            returns("POL", pol.lead_address, self.wd(3, 14)),
            returns("CSC", csc.lead_address, self.wd(5, 11, 20)),
            returns("HLT", hlt.escalation_address, self.wd(6, 15, 40)),
            returns("GP", gp.escalation_address, self.wd(7, 14, 5)),
            Event(self.wd(12, 15), "team", "reviews the bot's latest draft in Word and saves it as the final report",
                  report),
            Event(self.wd(13, 17, 45), "lead", "the case review group chair approves the report", approve),
        ]


def run_demo(settings: Settings, root: Path, *, echo: Callable[[str], None] = print, full: bool = False) -> App:
    """The demo in a fresh workspace at `root`: the rapid review, or with `full` the case's whole life."""
    from bot.demo.full_life import run_full_life

    fresh_workspace(root)
    app = build_local_app(settings, root)
    try:
        (run_full_life if full else run_scenario)(app, echo=echo)
    finally:
        app.close()
    return app


def run_scenario(app: App, *, deliver: Deliver | None = None, person_edit: PersonEdit | None = None,
                 cadence: Cadence = DEMO_CADENCE, echo: Callable[[str], None] = print,
                 case: dict[str, object] | None = None, runner: Runner | None = None) -> str:
    """The rapid review script on any app (local workspace or Microsoft 365); returns the case reference.
    `case` overrides fields of the demo case (the canary test puts marker strings in them). The people and
    mail servers act through `app`; the jobs run through `runner`, by default in this process on `app`."""
    run = runner or (lambda job_id, now: run_job(app, job_id, now))
    scenario = Scenario(app, deliver, person_edit, case)
    timeline = Timeline(app, scenario.sin_day, echo)
    where = app.workspace.root if app.workspace else "?"
    echo(f"cspr-bot demo: {scenario.p.name}; workspace {where}")
    echo(f"simulated clock: LA aware {LA_AWARE:%a %d %b %Y}; jobs every {cadence.tick} (mail every "
         f"{cadence.ingest}), as in bot/schedule.py")
    drive(app, scenario, scenario.events(), end=scenario.wd(14, 12), cadence=cadence, run=run, timeline=timeline)
    timeline.summary(scenario.ref)
    return scenario.ref


def drive(app: App, scenario: Scenario, events: list[Event], *, end: datetime, cadence: Cadence, run: Runner,
          timeline: Timeline, start: datetime | None = None) -> None:
    """The simulated clock: each job when its trigger fires, the people's and mail servers' events between."""
    events = sorted(events, key=lambda e: e.when)
    triggers = {job.id: job.trigger(cadence) for job in JOBS}
    first = start or events[0].when
    next_fire = {job.id: first for job in JOBS}
    while (now := min(next_fire.values())) <= end:
        while events and events[0].when <= now:
            event = events.pop(0)
            needs = event.after.format(ref=scenario.ref)
            if needs and not any(i.key == needs for i in app.ledger.outbox(OutboxStatus.SENT)):
                events.append(replace(event, when=now + cadence.ingest))  # not sent yet: reply later
                events.sort(key=lambda e: e.when)
                continue
            event.act(app)
            timeline.event(event.when, event.who, event.what)
        for job in JOBS:
            if next_fire[job.id] == now:
                run(job.id, now)
                next_fire[job.id] = triggers[job.id].get_next_fire_time(now, now)
        timeline.bot(now)
