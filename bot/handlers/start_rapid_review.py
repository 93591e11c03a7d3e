"""start_rapid_review: once a case's SIN is submitted (or it is marked started), one request per
involved agency with the form attached, the domestic abuse service added where flagged, the Home
Office NCCU notification held for approval, and a "rapid review started" notice to the leads.

Seed 001_561138213bff8628.txt §1.1.21-23 and §1.1.46; process.md T5, T19, T20. Every step is keyed, so
a re-run after a crash (or agencies added later) sends only what has not been sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.cases import CaseRecord, add_request, all_cases, requests_of, save_case
from bot.crashpoints import crash_point
from bot.documents import contexts
from bot.documents.render import DOCX_TYPE
from bot.domain.correlation import token_for
from bot.domain.deadlines import deadlines_for
from bot.domain.model import AgencyRequest, Case, Partnership, RequestStatus, Stage
from bot.domain.rules import agency_return_due
from bot.handlers.common import BOT_ACTOR, Deps, queue
from bot.ports import Attachment, AuditEvent, StaleItem

ACTIVE = (Stage.SIN_SUBMITTED, Stage.RAPID_REVIEW_IN_PROGRESS, Stage.REPORT_DRAFTED)


@dataclass
class StartReport:
    started: list[str] = field(default_factory=list)
    requests: int = 0


def request_key(case_ref: str, agency: str) -> str:
    return f"request:{case_ref}:{agency}"


def involved_agencies(record: CaseRecord, p: Partnership) -> tuple[str, ...]:
    """The case's agencies, plus the specialist domestic abuse service when domestic abuse is flagged."""
    codes = list(record.case.agencies)
    if record.case.domestic_abuse and p.domestic_abuse_service and p.domestic_abuse_service not in codes:
        codes.append(p.domestic_abuse_service)
    return tuple(codes)


def start_rapid_review(now: datetime, *, deps: Deps) -> StartReport:
    report = StartReport()
    for record in all_cases(deps.register):
        p = deps.partnerships.get(record.case.partnership)
        case = record.case
        wanted = case.stage in ACTIVE or (case.stage is Stage.REFERRED and case.rapid_review_started)
        if p is None or not wanted:
            continue
        if not_for_rapid_review(case):
            _say_why_not(now, record, deps)
            continue
        report.requests += _send_requests(now, record, p, deps)
        if case.stage is not Stage.RAPID_REVIEW_IN_PROGRESS and case.stage is not Stage.REPORT_DRAFTED:
            _announce(now, record, p, deps)
            crash_point("start.announced")
            marker = f"rapid-review-started:{case.ref}"
            if deps.ledger.cursor(marker) is None:  # recorded once, before the write that might lose its answer
                with deps.ledger.atomic():
                    deps.ledger.audit(AuditEvent(now, "rapid_review_started", case_ref=case.ref))
                    deps.ledger.set_cursor(marker, now.isoformat())
                report.started.append(case.ref)
            try:
                save_case(deps.register, record, by=BOT_ACTOR, at=now, stage=Stage.RAPID_REVIEW_IN_PROGRESS,
                          rapid_review_started=True, agencies=involved_agencies(record, p))
            except StaleItem:
                continue  # a person edited the case meanwhile; the next tick sees their edit and carries on
    return report


def not_for_rapid_review(case: Case) -> str:
    """Why a case has no rapid review although its SIN date is entered ("" when it should have one)."""
    if case.care_leaver and case.age is not None and case.age >= 18:
        return (f"a care leaver aged {case.age}: the Secretary of State and Ofsted are notified, but there is no "
                "rapid review or local review unless the person was under 18 (Working Together 2023; process.md T4)")
    return ""


def _say_why_not(now: datetime, record: CaseRecord, deps: Deps) -> None:
    reason = not_for_rapid_review(record.case)
    if record.case.attention == reason:
        return
    try:
        save_case(deps.register, record, by=BOT_ACTOR, at=now, attention=reason)
    except StaleItem:
        return
    deps.ledger.audit(AuditEvent(now, "rapid_review_not_started", case_ref=record.case.ref, detail="care leaver 18+"))


def _send_requests(now: datetime, record: CaseRecord, p: Partnership, deps: Deps) -> int:
    case, today = record.case, deps.hours.today(now)
    asked = {r.request.agency for r in requests_of(deps.register, case.ref)}
    sent = 0
    for code in involved_agencies(record, p):
        agency = p.agency(code)
        if agency is None or code in asked:
            continue
        due = agency_return_due(today, p.policy.agency_return_working_days, p.policy.calendar)
        token = token_for(case.ref, code)
        form = deps.documents[p.id].render("information_request", contexts.information_request(
            case, agency, p, requested=today, due=due, mailbox=deps.addresses.mailbox))
        if form.stripped:
            deps.ledger.audit(AuditEvent(now, "characters_stripped", case_ref=case.ref, agency=code,
                                         detail=f"{form.stripped} character(s) Word cannot hold, in the form"))
        key = request_key(case.ref, code)
        message = deps.composer.compose(
            "information_request", key=key, to=[agency.lead_address], classification=p.classification,
            token=token, case=case, agency=agency, partnership=p, due=due, mailbox=deps.addresses.mailbox,
            attachments=[Attachment(f"Information request - {case.ref} - {code}.docx", DOCX_TYPE, form.data)],
        )
        queue(deps.ledger, key, message, now=now, case_ref=case.ref, purpose="information_request", agency=code,
              due_by=due)
        crash_point("start.request_queued")
        add_request(deps.register, AgencyRequest(case.ref, code, token.value, RequestStatus.SENT, today, due),
                    by=BOT_ACTOR, at=now)
        crash_point("start.request_registered")
        sent += 1
    return sent


def _announce(now: datetime, record: CaseRecord, p: Partnership, deps: Deps) -> None:
    case = record.case
    dues = {d.name: d.due for d in deadlines_for(case.key_dates(), p.policy)}
    key = f"rr-started:{case.ref}"
    notice = deps.composer.compose(
        "rapid_review_started", key=key, to=[lead.address for lead in p.leads], classification=p.classification,
        case=case, partnership=p, agencies=[p.agency(c) for c in involved_agencies(record, p) if p.agency(c)],
        rapid_review_due=dues.get("rapid_review_due"), sin_due=dues.get("sin_notification_due"),
        return_due=agency_return_due(deps.hours.today(now), p.policy.agency_return_working_days, p.policy.calendar),
    )
    queue(deps.ledger, key, notice, now=now, case_ref=case.ref, purpose="rapid_review_started")
    if case.home_office_input:
        key = f"nccu:{case.ref}"
        nccu = deps.composer.compose("nccu_notification", key=key, to=[deps.addresses.nccu],
                                     classification=p.classification, case=case, partnership=p)
        queue(deps.ledger, key, nccu, now=now, case_ref=case.ref, purpose="nccu_notification", held=True)
