"""chase_returns: in office hours on working days, for every request not yet returned, the step the
cadence (bot.domain.cadence) says is due today: reminder, chaser, escalation, or a daily overdue
chaser, folded into one digest per agency when it has several overdue requests. An out-of-office
reply sends the chasing to the agency's escalation contact. Each step is keyed by day, so a tick run
twice chases once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from bot.cases import RequestRecord, all_cases, requests_of, update_request
from bot.domain.cadence import ChaseStep, chase_step
from bot.domain.correlation import Token
from bot.domain.model import Agency, Partnership
from bot.handlers.common import BOT_ACTOR, Deps, queue
from bot.ports import StaleItem


@dataclass
class ChaseReport:
    sent: dict[str, int] = field(default_factory=dict)


def chase_returns(now: datetime, *, deps: Deps) -> ChaseReport:
    report = ChaseReport()
    cases = {r.case.ref: r.case for r in all_cases(deps.register)}
    overdue: dict[tuple[str, str], list[RequestRecord]] = defaultdict(list)
    for record in requests_of(deps.register):
        case = cases.get(record.request.case_ref)
        p = deps.partnerships.get(case.partnership) if case else None
        if case is None or p is None or not deps.hours.is_open(now, p.policy.calendar):
            continue
        step = chase_step(record.request, deps.hours.today(now), p.policy.calendar)
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
    return report


def _recipients(step: ChaseStep, records: list[RequestRecord], p: Partnership,
                agency: Agency) -> tuple[list[str], list[str]]:
    away = any(r.request.note.startswith("out of office") for r in records)
    first = agency.escalation_address if away else agency.lead_address
    if step is ChaseStep.REMINDER:
        return [first], []
    if step is ChaseStep.ESCALATION:
        crg = [lead.address for lead in p.leads if lead.role == "case_review_group_lead"]
        return crg or [p.team_address], [agency.escalation_address]
    return [first], [agency.escalation_address] if not away else []


def _chase(now: datetime, step: ChaseStep, records: list[RequestRecord], p: Partnership, agency: Agency,
           deps: Deps) -> bool:
    today = deps.hours.today(now)
    reqs = [r.request for r in records]
    digest = len(reqs) > 1
    # overdue chasers are keyed per agency and day, digest or not: once a digest went out, a request in
    # it is not chased again that day when the other requests are returned and it is left on its own
    key = (f"chase:overdue:{p.id}:{agency.code}:{today}" if step is ChaseStep.OVERDUE
           else f"chase:{step.value}:{reqs[0].case_ref}:{agency.code}:{today}")
    to, cc = _recipients(step, records, p, agency)
    message = deps.composer.compose(
        f"chase_{step.value}", key=key, to=to, cc=cc, classification=p.classification,
        token=None if digest else Token.parse(reqs[0].token), partnership=p, agency=agency, requests=reqs,
        today=today, escalated_from=agency.name if step is ChaseStep.ESCALATION else "",
    )
    if not queue(deps.ledger, key, message, now=now, case_ref="" if digest else reqs[0].case_ref,
                 purpose=f"chase_{step.value}", agency=agency.code):
        return False
    for record in records:
        try:
            update_request(deps.register, record, by=BOT_ACTOR, at=now, chases=record.request.chases + 1)
        except StaleItem:
            pass  # the count is informative; the outbox key is what prevents a second chaser
    return True
