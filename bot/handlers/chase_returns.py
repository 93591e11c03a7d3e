"""chase_returns: in office hours on working days, for every request not yet returned, the step the
cadence (bot.domain.cadence) says is due today: reminder, chaser, escalation, or a daily overdue
chaser, folded into one digest per agency when it has several overdue requests. After an
out-of-office reply the chasing goes to the agency's escalation contact, copying the lead (who may be
back). Reminder, chaser and escalation are keyed once per request, so a step missed while the bot was
down is caught up; overdue chasers are keyed per agency and day, so a tick run twice chases once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from bot.cases import RequestRecord, all_cases, requests_of, update_request
from bot.crashpoints import crash_point
from bot.domain.cadence import ONCE, ChaseStep, chase_step, returns_wanted
from bot.domain.correlation import Token
from bot.domain.model import Agency, Partnership
from bot.handlers.common import BOT_ACTOR, Deps, queue
from bot.ports import AuditEvent, StaleItem


@dataclass
class ChaseReport:
    sent: dict[str, int] = field(default_factory=dict)


def chase_returns(now: datetime, *, deps: Deps) -> ChaseReport:
    report = ChaseReport()
    cases = {r.case.ref: r.case for r in all_cases(deps.register)}
    overdue: dict[tuple[str, str], list[RequestRecord]] = defaultdict(list)
    considered: list[RequestRecord] = []
    for record in requests_of(deps.register):
        case = cases.get(record.request.case_ref)
        p = deps.partnerships.get(case.partnership) if case else None
        if case is None or p is None or not returns_wanted(case) or not deps.hours.is_open(now, p.policy.calendar):
            continue
        considered.append(record)
        today = deps.hours.today(now)
        done = frozenset(s for s in ONCE if deps.ledger.queued(once_key(s, record)))
        escalated = deps.ledger.queued_at(once_key(ChaseStep.ESCALATION, record))
        step = chase_step(record.request, today, p.policy.calendar, done=done,
                          escalated_today=escalated is not None and deps.hours.today(escalated) == today)
        agency = p.agency(record.request.agency)
        if step is None or agency is None:
            continue
        if step is ChaseStep.OVERDUE:
            overdue[(p.id, agency.code)].append(record)
            continue
        if _chase(now, step, [record], p, agency, deps):
            report.sent[step.value] = report.sent.get(step.value, 0) + 1
    for (pid, code), records in overdue.items():
        p = deps.partnerships[pid]
        agency = p.agency(code)
        if agency is not None and _chase(now, ChaseStep.OVERDUE, records, p, agency, deps):
            report.sent["overdue"] = report.sent.get("overdue", 0) + 1
    _count_chases(now, considered, deps)
    return report


def once_key(step: ChaseStep, record: RequestRecord) -> str:
    return f"chase:{step.value}:{record.request.case_ref}:{record.request.agency}"


def _recipients(step: ChaseStep, records: list[RequestRecord], p: Partnership,
                agency: Agency) -> tuple[list[str], list[str]]:
    away = any(r.request.note.startswith("out of office") for r in records)
    if step is ChaseStep.ESCALATION:
        crg = [lead.address for lead in p.leads if lead.role == "case_review_group_lead"]
        return crg or [p.team_address], [agency.escalation_address]
    if away:  # the note never clears by itself, so the lead stays copied in case they are back
        return [agency.escalation_address], [agency.lead_address]
    return [agency.lead_address], [] if step is ChaseStep.REMINDER else [agency.escalation_address]


def _chase(now: datetime, step: ChaseStep, records: list[RequestRecord], p: Partnership, agency: Agency,
           deps: Deps) -> bool:
    today = deps.hours.today(now)
    reqs = [r.request for r in records]
    digest = len(reqs) > 1
    # overdue chasers are keyed per agency and day, digest or not: once a digest went out, a request in
    # it is not chased again that day when the other requests are returned and it is left on its own
    key = f"chase:overdue:{p.id}:{agency.code}:{today}" if step is ChaseStep.OVERDUE else once_key(step, records[0])
    to, cc = _recipients(step, records, p, agency)
    message = deps.composer.compose(
        f"chase_{step.value}", key=key, to=to, cc=cc, classification=p.classification,
        token=None if digest else Token.parse(reqs[0].token), partnership=p, agency=agency, requests=reqs,
        today=today, escalated_from=agency.name if step is ChaseStep.ESCALATION else "",
        copied=agency.escalation_address in cc,
    )
    # each request's "chased" row (digests too, under each case) commits with the chaser itself: the count
    # shown in the register is derived from these rows, so a crash cannot make the two disagree
    chased = [AuditEvent(now, "chased", case_ref=r.case_ref, agency=agency.code, detail=step.value, outbox_key=key)
              for r in reqs]
    queued = queue(deps.ledger, key, message, now=now, case_ref="" if digest else reqs[0].case_ref,
                   purpose=f"chase_{step.value}", agency=agency.code, due_by=min(r.due or today for r in reqs),
                   audits=chased)
    if queued:
        crash_point("chase.queued")
    return queued


def _count_chases(now: datetime, records: list[RequestRecord], deps: Deps) -> None:
    """Each request's chase count as the ledger has it (written after the chasers, or put right after a crash)."""
    for record in records:
        chased = deps.ledger.audit_count("chased", case_ref=record.request.case_ref, agency=record.request.agency)
        if chased != record.request.chases:
            try:
                update_request(deps.register, record, by=BOT_ACTOR, at=now, chases=chased)
            except StaleItem:
                pass  # a person edited the request; the next pass writes the count
