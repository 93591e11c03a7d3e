"""remind_leads: every working day from opening time, one digest per lead of the cases with
deadlines in the next 5 working days and anything overdue (HTML table for Outlook, plain text too), with
every open case's stage, next deadline and RAG state below; on the first working day of the week the
digest goes even when nothing is close, and carries the timeline picture (PNG and HTML) of each case with
a deadline in the next 10 working days. And single reminders 3 working days, 1 working day and on the day
the SIN notification, the DfE notification, the rapid review and the learning event fall due."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from bot.case_timeline import due_soon, file_names, pictures
from bot.cases import all_cases, requests_of
from bot.crashpoints import crash_point
from bot.domain.cadence import reminder_offset, returns_wanted
from bot.domain.calendar import WorkingCalendar
from bot.domain.casework import case_deadlines
from bot.domain.deadlines import next_deadline, overall_rag
from bot.domain.model import Case, Partnership, Stage
from bot.domain.records import ACTIONS, FieldError, action_from_fields
from bot.handlers.common import Deps, queue
from bot.ports import Attachment

DIGEST_HORIZON = 5  # working days ahead
SINGLE_REMINDERS = ("sin_notification_due", "dfe_notification_due", "rapid_review_due", "learning_event_due")
# the pre-publication submission has its own 5/2/0 reminders in follow_reviews
RAG_COLOURS = {"red": "#f4c7c3", "amber": "#fce8b2", "green": "#b7e1cd"}


@dataclass
class RemindReport:
    digests: int = 0
    reminders: int = 0
    rows: list[str] = field(default_factory=list)


def remind_leads(now: datetime, *, deps: Deps) -> RemindReport:
    report = RemindReport()
    cases = [r.case for r in all_cases(deps.register) if r.case.stage is not Stage.CLOSED]
    overdue_returns = _overdue_returns(deps, deps.hours.today(now), {c.ref for c in cases if returns_wanted(c)})
    for p in deps.partnerships.values():
        if not deps.hours.is_open(now, p.policy.calendar):
            continue
        today = deps.hours.today(now)
        mine = [c for c in cases if c.partnership == p.id]
        rows = _digest_rows(mine, p, today, overdue_returns) + _overdue_actions(deps, today, {c.ref for c in mine})
        # the report is logged: an action's own words (free text) stay in the email
        report.rows.extend(f"{r['ref']} {'Action overdue' if r.get('free_text') else r['what']} {r['rag']}"
                           for r in rows)
        weekly = _first_working_day_of_week(today, p.policy.calendar)
        keys = {lead.address: _digest_key(p, lead.address, today) for lead in p.leads}
        if (rows or (weekly and mine)) and not all(deps.ledger.queued(k) for k in keys.values()):
            overview = _open_cases(mine, p, today)
            attachments = _timelines(mine, p, today) if weekly else []  # drawn once a day, not every tick
            for address, key in keys.items():
                if _digest(now, p, key, address, rows, overview, attachments, today, deps):
                    crash_point("remind.digest_queued")
                    report.digests += 1
        for case in mine:
            report.reminders += _single_reminders(now, p, case, today, deps)
    return report


def _overdue_returns(deps: Deps, today: date, wanted: set[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for r in requests_of(deps.register):
        if r.request.case_ref not in wanted:
            continue
        if r.request.due and r.request.due < today and not r.request.status.is_closed:
            out.setdefault(r.request.case_ref, []).append(r.request.agency)
    return out


def _overdue_actions(deps: Deps, today: date, refs: set[str]) -> list[dict[str, Any]]:
    """Open actions of these cases' action plans past their due date (process.md T23)."""
    rows = []
    for item in deps.register.items(ACTIONS):
        try:
            action = action_from_fields(item.fields)
        except FieldError:
            continue
        if action.case_ref in refs and not action.done and action.due and action.due < today:
            rows.append({"ref": action.case_ref, "child": "", "what": f"Action overdue ({action.owner}): "
                         f"{action.title[:80]}", "due": action.due, "rag": "red", "colour": RAG_COLOURS["red"],
                         "strength": "local practice", "free_text": True})
    return sorted(rows, key=lambda r: (r["ref"], r["due"]))


def _digest_rows(cases: list[Case], p: Partnership, today: date,
                 overdue_returns: dict[str, list[str]]) -> list[dict[str, Any]]:
    rows = []
    for case in sorted(cases, key=lambda c: c.ref):
        for d in case_deadlines(case, p):
            if d.met_on or not d.rule.actionable:
                continue
            if d.due < today or p.policy.calendar.working_days_between(today, d.due) <= DIGEST_HORIZON:
                rag = d.rag(today, p.policy).value
                rows.append({"ref": case.ref, "child": case.child, "what": d.rule.summary, "due": d.due,
                             "rag": rag, "colour": RAG_COLOURS.get(rag, "#ffffff"), "strength": d.rule.strength.value})
        for code in overdue_returns.get(case.ref, []):
            rows.append({"ref": case.ref, "child": case.child, "what": f"Agency return overdue: {code}",
                         "due": None, "rag": "red", "colour": RAG_COLOURS["red"], "strength": "local practice"})
    return rows


def _first_working_day_of_week(today: date, cal: WorkingCalendar) -> bool:
    monday = today.toordinal() - today.weekday()
    return cal.is_working_day(today) and not any(
        cal.is_working_day(date.fromordinal(d)) for d in range(monday, today.toordinal()))


def _open_cases(cases: list[Case], p: Partnership, today: date) -> list[dict[str, Any]]:
    """Every open case: stage, next deadline and RAG state."""
    out = []
    for case in sorted(cases, key=lambda c: c.ref):
        found = case_deadlines(case, p)
        nxt, rag = next_deadline(found), overall_rag(found, today, p.policy).value
        out.append({"ref": case.ref, "child": case.child, "stage": case.stage.value.replace("_", " "),
                    "next": nxt.rule.summary if nxt else "no open deadline", "due": nxt.due if nxt else None,
                    "rag": rag, "colour": RAG_COLOURS.get(rag, "#ffffff")})
    return out


def _timelines(cases: list[Case], p: Partnership, today: date) -> list[Attachment]:
    """The timeline pictures of the cases with a deadline in the next 10 working days."""
    attachments = []
    for case in sorted(cases, key=lambda c: c.ref):
        if due_soon(case, p, today):
            png, html = pictures(case, p, today)
            png_name, html_name = file_names(case.ref)
            attachments += [Attachment(png_name, "image/png", png),
                            Attachment(html_name, "text/html", html.encode())]
    return attachments


def _digest_key(p: Partnership, address: str, today: date) -> str:
    return f"digest:{p.id}:{hashlib.sha256(address.encode()).hexdigest()[:10]}:{today}"  # no address in keys


def _digest(now: datetime, p: Partnership, key: str, address: str, rows: list[dict[str, Any]],
            overview: list[dict[str, Any]], attachments: list[Attachment], today: date, deps: Deps) -> bool:
    message = deps.composer.compose("lead_digest", key=key, to=[address], classification=p.classification,
                                    partnership=p, rows=rows, cases=overview, today=today,
                                    attachments=attachments)
    return queue(deps.ledger, key, message, now=now, case_ref="", purpose="lead_digest")


def _single_reminders(now: datetime, p: Partnership, case: Case, today: date, deps: Deps) -> int:
    sent = 0
    for d in case_deadlines(case, p):
        if d.name not in SINGLE_REMINDERS or d.met_on:
            continue
        offset = reminder_offset(today, d.due, p.policy.calendar)
        if offset is None:
            continue
        key = f"deadline:{case.ref}:{d.name}:{offset}"
        message = deps.composer.compose(
            "deadline_reminder", key=key, to=[lead.address for lead in p.leads], classification=p.classification,
            partnership=p, case=case, deadline=d, days_left=p.policy.calendar.working_days_between(today, d.due))
        sent += queue(deps.ledger, key, message, now=now, case_ref=case.ref, purpose="deadline_reminder")
    return sent
