"""`cspr-bot demo --full`: the whole life of the demo case, from the referral email to the reflective
learning event two years after the action plan is signed off (process.md T1-T23).

The rapid review runs as in the short demo (jobs hourly), except that the case starts from a police
referral form emailed to the shared mailbox. Then the clock runs a tick a day (09:00 UK winter time, so
every working day's digest and reminders still go) through: the Panel's reply; the partners commission a
local review; the commissioning notice and letters held, approved, sent; monthly progress checks; a delay
for criminal proceedings (revised twice: one notice per new date); the planned publication date and the
pre-publication reminders; the final report approved and sent to the Panel, the Secretary of State and
Ofsted; publication; the repository and one-year reminders; an action plan with owners reminded and one
action overdue; sign-off; and the learning event reminders two years later.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

from bot.bootstrap import App, run_job
from bot.cases import all_cases, find_case
from bot.demo import agencies as sim
from bot.demo.scenario import (
    DEMO_CADENCE,
    LA_AWARE,
    Event,
    Runner,
    Scenario,
    at,
    drive,
)
from bot.demo.timeline import Timeline
from bot.domain.casework import case_deadlines
from bot.domain.model import Action, LcsprOutcome, Stage
from bot.domain.records import ACTIONS, action_to_fields, request_from_fields
from bot.ports import OutboxStatus
from bot.schedule import Cadence

DAILY = Cadence(tick=timedelta(days=1), ingest=timedelta(days=1))
DECISION = date(2027, 2, 3)
REVISED = (date(2027, 11, 10), date(2027, 11, 24))  # criminal proceedings: the trial, then sentencing
PUBLICATION = date(2027, 11, 24)
SIGNED_OFF = date(2027, 12, 14)
ACTIONS_DUE = {"POL": date(2028, 3, 31), "HLT": date(2028, 6, 30), "CSC": date(2028, 2, 28)}
END = date(2029, 12, 17)  # the working day after the learning event falls due (Fri 14 Dec 2029)
REVIEWER = "Dr R. Reviewer (independent reviewer)"


class FullLife(Scenario):
    """The demo case from its referral to the learning event."""

    def opening(self) -> list[Event]:
        p, mailbox = self.p, self.app.settings.bot.mailbox_address
        pol = p.agency("POL")
        assert pol is not None

        def refer(app: App) -> None:
            self.deliver(sim.referral_email(sender=pol.lead_address, mailbox=mailbox, at=at(LA_AWARE, 9, 5),
                                            child=str(self.case["child"]), la_aware=LA_AWARE,
                                            incident=LA_AWARE - timedelta(days=1)), "referral-pol")

        def opened(app: App) -> None:
            self.ref = next(r.case.ref for r in all_cases(app.register) if r.case.child == self.case["child"])

        return [Event(at(LA_AWARE, 9, 5), "POL", "police safeguarding lead emails a serious incident referral form",
                      refer),
                Event(at(LA_AWARE, 9, 50), "team", "reads the bot's alert: a case was opened from the referral",
                      opened)]

    def later(self) -> list[Event]:
        """After the rapid review went to the Panel: people's actions at 08:45, before the day's tick."""
        p, team, mailbox = self.p, self.p.team_address, self.app.settings.bot.mailbox_address
        chair = next(lead.address for lead in p.leads if lead.can_approve)
        panel = self.app.settings.panel.address

        def edit(changes: dict[str, object], who: str = "") -> Callable[[App], None]:
            return lambda app: self.person_edit(self.ref, changes, who or team, self.clock)

        def panel_reply(app: App) -> None:
            submission = next(i.message for i in app.ledger.outbox(OutboxStatus.SENT)
                              if i.purpose == "panel_submission")
            self.deliver(sim.panel_reply(submission, sender=panel, mailbox=mailbox, at=self.clock), "panel-reply")

        def final_report(app: App) -> None:
            app.library.save(self.ref, f"lcspr/LCSPR Report - {self.ref} - final.docx", _report_docx(self.ref))

        def add_actions(app: App) -> None:
            for code, due in ACTIONS_DUE.items():
                agency = p.agency(code)
                assert agency is not None
                action = Action(self.ref, f"{agency.name}: embed the review's learning (recommendation {code})",
                                owner=agency.lead_address, due=due)
                app.register.add(ACTIONS, action_to_fields(action), by=team, at=self.clock)

        def action_done(code: str) -> Callable[[App], None]:
            def done(app: App) -> None:
                for item in app.register.items(ACTIONS):
                    if item.fields.get("Owner") == p.agency(code).lead_address:  # type: ignore[union-attr]
                        app.register.update(ACTIONS, item.id, {"Status": "done"}, by=team, at=self.clock,
                                            if_match=item.etag)
            return done

        def day(d: date, who: str, what: str, act: Callable[[App], None]) -> Event:
            return Event(at(d, 8, 45), who, what, act)

        return [
            day(date(2027, 1, 28), "Panel", "the Panel replies to the rapid review", panel_reply),
            day(DECISION, "team", "records the partners' decision: a local review, reviewer appointed",
                edit({"lcspr_outcome": LcsprOutcome.COMMISSIONED, "lcspr_decision": DECISION, "reviewer": REVIEWER,
                      "panel_response": "The Panel agrees a local review is appropriate"})),
            day(date(2027, 2, 4), "lead", "the chair reads the held notice and letters and approves them",
                edit({"notices_approved": True, "notices_approved_by": chair}, chair)),
            day(date(2027, 6, 14), "team", "records a delay: criminal proceedings (trial in the autumn)",
                edit({"lcspr_delay_reason": "Criminal proceedings: the trial is listed for September 2027",
                      "lcspr_revised_publication": REVISED[0]})),
            day(date(2027, 7, 1), "team", "re-saves the delay with the same revised date (no new notice)",
                edit({"lcspr_delay_reason": "Criminal proceedings: trial listed for September 2027 (confirmed)",
                      "lcspr_revised_publication": REVISED[0]})),
            day(date(2027, 9, 20), "team", "the sentencing hearing moves: a new revised date",
                edit({"lcspr_revised_publication": REVISED[1]})),
            day(date(2027, 10, 1), "team", f"records the planned publication date, {PUBLICATION:%d %b %Y}",
                edit({"publication": PUBLICATION})),
            day(date(2027, 11, 10), "team", "saves the reviewer's final report in the case library (lcspr folder)",
                final_report),
            day(date(2027, 11, 12), "lead", "the chair approves the final report for pre-publication submission",
                edit({"lcspr_report_approved": True, "lcspr_report_approved_by": chair}, chair)),
            day(PUBLICATION, "team", "publishes the report on the partnership website and records it",
                edit({"published": PUBLICATION})),
            day(date(2027, 12, 1), "team", "sends the report to the national case review repository",
                edit({"repository_sent": date(2027, 12, 1)})),
            day(SIGNED_OFF, "team", "the partners sign off the action plan: three actions in the Actions list",
                add_actions),
            day(SIGNED_OFF, "team", "records the action plan's sign-off", edit({"action_plan_signed_off": SIGNED_OFF})),
            day(date(2028, 2, 24), "CSC", "children's social care reports its action done", action_done("CSC")),
            day(date(2028, 4, 5), "POL", "police report their action done (late)", action_done("POL")),
            day(date(2028, 6, 30), "HLT", "health reports its action done on the due day", action_done("HLT")),
            day(END, "team", "the learning event is held; the case is closed", edit({"stage": Stage.CLOSED})),
        ]

    @property
    def clock(self) -> datetime:
        return self._clock

    @clock.setter
    def clock(self, value: datetime) -> None:
        self._clock = value


def _report_docx(ref: str) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading(f"Local child safeguarding practice review: Child A ({ref})", level=1)
    doc.add_paragraph("The reviewer's final report, as agreed by the safeguarding partners (fictional).")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def run_full_life(app: App, *, echo: Callable[[str], None] = print, runner: Runner | None = None) -> str:
    """The full life on any local app; returns the case reference. Prints the timeline and the figures."""
    run = runner or (lambda job_id, now: run_job(app, job_id, now))
    life = FullLife(app)
    timeline = Timeline(app, life.sin_day, echo)
    echo(f"cspr-bot demo --full: {life.p.name}; workspace {app.workspace.root if app.workspace else '?'}")
    echo(f"simulated clock: referral {LA_AWARE:%a %d %b %Y}; rapid review with jobs every {DEMO_CADENCE.tick}, "
         f"then a tick a day to {END:%a %d %b %Y}")

    def timed(job_id: str, now: datetime) -> object:
        life.clock = now
        return run(job_id, now)

    def acting(events: list[Event]) -> list[Event]:  # people act at the event's time
        return [Event(e.when, e.who, e.what, _at_time(life, e), e.after) for e in events]

    drive(app, life, acting(life.events()), end=life.wd(14, 12), cadence=DEMO_CADENCE, run=timed,
          timeline=timeline)
    timeline.later(quiet={"lead_digest"})
    drive(app, life, acting(life.later()), end=at(END, 12), cadence=DAILY, run=timed, timeline=timeline,
          start=at(life.wd(15, 0).date(), 9))
    timeline.summary(life.ref, brief=True)
    for line in figures(app, life.ref):
        echo(line)
    return life.ref


def _at_time(life: FullLife, e: Event) -> Callable[[App], None]:
    def act(app: App) -> None:
        life.clock = e.when
        e.act(app)
    return act


def figures(app: App, ref: str) -> list[str]:
    """Messages per case life, by purpose, and the distinct deadlines the bot tracked for the case."""
    p = app.partnership()
    sent = [i for i in app.ledger.outbox(OutboxStatus.SENT) if i.case_ref in (ref, "")]
    case = find_case(app.register, ref).case
    deadlines = [d.name for d in case_deadlines(case, p)]
    returns = [request_from_fields(i.fields) for i in app.register.items("requests")
               if i.fields.get("CaseRef") == ref]
    actions = [i for i in app.register.items(ACTIONS) if i.fields.get("CaseRef") == ref]
    by_purpose = Counter(i.purpose for i in sent)
    own = [i for i in sent if i.case_ref == ref]
    digest_days = len({i.created_at.date() for i in sent if i.purpose == "lead_digest"})
    lines = ["", f"Figures for {ref}'s whole life ({LA_AWARE:%d %b %Y} to {END:%d %b %Y}):",
             f"  messages sent for the case: {len(own)} (to {sum(len(i.message.recipients) for i in own)} "
             f"recipients), plus {by_purpose['lead_digest']} lead digests ({len(p.leads)} leads on "
             f"{digest_days} days; a digest covers every open case of the partnership)",
             f"  distinct deadlines tracked: {len(deadlines) + len(returns) + len(actions)} = {len(deadlines)} "
             f"statutory/local on the case ({', '.join(deadlines)}) + {len(returns)} agency return due dates + "
             f"{len(actions)} action due dates"]
    lines += [f"  {n:>5}  {purpose}" for purpose, n in sorted(by_purpose.items())]
    return lines
