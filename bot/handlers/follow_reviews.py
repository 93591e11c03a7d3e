"""follow_reviews: what follows the partners' decision on a local child safeguarding practice review.

Commissioned (process.md T9-T18): a commissioning notice to the Panel, Ofsted and the Department for
Education naming the reviewer, and a notification letter to each statutory safeguarding lead and each
involved organisation — drafted into the case library and *held* until an approving lead ticks
NoticesApproved, then sent; a monthly progress check to the case review group until publication (the
partners must monitor time and quality, SI 2018/789 reg 14); a delay notice to the Panel once per new
revised date; reminders 5, 2 and 0 working days before the pre-publication submission is due, and an alert
at once if the planned publication date leaves it late; on LCSPRReportApproved, the final report with a
cover letter to the Panel, the Secretary of State and Ofsted, exactly once each; after publication, the
reminders to send it to the national case review repository and that it must stay available for a year.

Not commissioned: the decision is audited (never its reasons: free text) and the learning briefing
reminder is set for 20 working days later (local practice; the partners choose what to publish).

Every message is keyed, so a tick run twice, or after a crash, sends nothing new.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.cases import CaseRecord, all_cases, save_case
from bot.documents import contexts
from bot.documents.render import DOCX_TYPE
from bot.domain.casework import case_deadlines
from bot.domain.model import LcsprOutcome, Partnership, Stage
from bot.domain.rules import add_months, published_until
from bot.handlers.action_plans import remind_action_owners
from bot.handlers.common import BOT_ACTOR, Deps, alert, queue
from bot.handlers.start_rapid_review import involved_agencies
from bot.handlers.submit_to_panel import REPORT_TYPES, final_report
from bot.ports import Attachment, AuditEvent, OutboxStatus, StaleItem

BRIEFING_WORKING_DAYS = 20  # local practice: a learning briefing after a decision not to commission a review
PRE_PUBLICATION_REMINDERS = (5, 2, 0)  # working days before the pre-publication submission is due
AVAILABLE_REMINDER_WORKING_DAYS = 10  # before the end of the year the report must stay published
BEFORE_COMMISSIONING = (Stage.SUBMITTED_TO_PANEL, Stage.PANEL_RESPONDED, Stage.APPROVED, Stage.REPORT_DRAFTED,
                        Stage.RAPID_REVIEW_IN_PROGRESS, Stage.SIN_SUBMITTED)
NOTICE_PREFIXES = ("lcspr-notice:", "lcspr-letter:")


@dataclass
class FollowReport:
    queued: dict[str, int] = field(default_factory=dict)
    released: int = 0

    def add(self, purpose: str, n: int = 1) -> None:
        if n:
            self.queued[purpose] = self.queued.get(purpose, 0) + n


def follow_reviews(now: datetime, *, deps: Deps) -> FollowReport:
    report = FollowReport()
    for record in all_cases(deps.register):
        case = record.case
        p = deps.partnerships.get(case.partnership)
        if p is None or case.stage is Stage.CLOSED or case.lcspr_decision is None:
            continue
        if case.lcspr_outcome is LcsprOutcome.COMMISSIONED:
            _commissioned(now, record, p, deps, report)
        elif case.lcspr_outcome is LcsprOutcome.NOT_COMMISSIONED:
            _not_commissioned(now, record, p, deps, report)
    cases = {r.case.ref: r for r in all_cases(deps.register)}
    for record in cases.values():
        p = deps.partnerships.get(record.case.partnership)
        if p is not None and record.case.action_plan_signed_off and record.case.stage in (
                Stage.PUBLISHED, Stage.LCSPR_NOT_COMMISSIONED, Stage.PANEL_RESPONDED, Stage.SUBMITTED_TO_PANEL):
            _stage(now, record, deps, Stage.ACTION_PLAN_MONITORING)
    for purpose, n in remind_action_owners(now, cases, deps).items():
        report.add(purpose, n)
    return report


# ---- commissioned


def _commissioned(now: datetime, record: CaseRecord, p: Partnership, deps: Deps, report: FollowReport) -> None:
    case = record.case
    if not case.reviewer:
        report.add("team_alert", alert(now, p, deps, key=f"reviewer-missing:{case.ref}", case_ref=case.ref,
                                       what="a local review is commissioned but no reviewer is recorded",
                                       action="enter the commissioned reviewer in the Reviewer column; the notice "
                                              "to the Panel, Ofsted and DfE must name them"))
        return
    if case.stage in BEFORE_COMMISSIONING:
        record = _stage(now, record, deps, Stage.LCSPR_COMMISSIONED)
    if case.published is None and case.pre_publication_sent is None:  # a case entered late needs no notices
        _draft_notices(now, record, p, deps, report)
    _release_notices(now, record, p, deps, report)
    if case.published is None:
        _monthly_check(now, record, p, deps, report)
        _delay(now, record, p, deps, report)
        _pre_publication(now, record, p, deps, report)
    else:
        _published(now, record, p, deps, report)


def _draft_notices(now: datetime, record: CaseRecord, p: Partnership, deps: Deps, report: FollowReport) -> None:
    """The notice and the letters, each drafted into `lcspr/` and queued held, once."""
    case, today, docs = record.case, deps.hours.today(now), deps.documents[p.id]
    national = _addressed(now, p, deps, report, case_ref=case.ref, key=f"national-missing:{case.ref}",
                          what="the commissioning notice", wanted={
                              "Child Safeguarding Practice Review Panel": (deps.addresses.panel, "panel.address"),
                              "Ofsted": (deps.addresses.ofsted, "panel.ofsted_address"),
                              "Department for Education": (deps.addresses.dfe, "panel.dfe_address")})
    key = f"lcspr-notice:{case.ref}"
    if not deps.ledger.queued(key):
        names = list(national)
        notice = docs.render("lcspr_commissioning_notice",
                             contexts.lcspr_commissioning_notice(case, p, recipients=names, today=today))
        name = f"Commissioning notice - {case.ref}.docx"
        deps.library.save(case.ref, f"lcspr/{name}", notice.data)
        message = deps.composer.compose(
            "lcspr_commissioning_notice", key=key, to=list(national.values()), cc=[p.team_address],
            classification=p.classification, case=case, partnership=p, recipients=names,
            local_authority=", ".join(p.local_authorities), publication_due=_due(record, p, "lcspr_publication_due"),
            attachments=[Attachment(name, DOCX_TYPE, notice.data)])
        report.add("lcspr_commissioning_notice", int(queue(deps.ledger, key, message, now=now, case_ref=case.ref,
                                                           purpose="lcspr_commissioning_notice", held=True)))
    for code, recipient, organisation, address in _letter_recipients(record, p):
        key = f"lcspr-letter:{case.ref}:{code}"
        if deps.ledger.queued(key):
            continue
        letter = docs.render("lcspr_notification_letter", contexts.lcspr_notification_letter(
            case, p, recipient=recipient, organisation=organisation, today=today))
        name = f"Notification letter - {case.ref} - {code}.docx"
        deps.library.save(case.ref, f"lcspr/{name}", letter.data)
        message = deps.composer.compose(
            "lcspr_notification_letter", key=key, to=[address], cc=[p.team_address], classification=p.classification,
            case=case, partnership=p, recipient=recipient, organisation=organisation,
            attachments=[Attachment(name, DOCX_TYPE, letter.data)])
        report.add("lcspr_notification_letter", int(queue(deps.ledger, key, message, now=now, case_ref=case.ref,
                                                          purpose="lcspr_notification_letter", agency=code,
                                                          held=True)))
    if not case.notices_approved:
        report.add("team_alert", alert(
            now, p, deps, key=f"lcspr-drafted:{case.ref}", case_ref=case.ref, to=[lead.address for lead in p.leads],
            what="the local review's commissioning notice and notification letters are drafted (case library, "
                 "lcspr folder) and held",
            action="an approving lead reads them and ticks NoticesApproved; they go with the next tick"))


def _letter_recipients(record: CaseRecord, p: Partnership) -> list[tuple[str, str, str, str]]:
    """(key code, addressee, organisation, address): each statutory safeguarding lead, then each involved
    organisation's safeguarding lead."""
    partners = [lead for lead in p.leads if lead.role.endswith("_partner")] or [x for x in p.leads if x.can_approve]
    out = [(f"lead-{hashlib.sha256(lead.address.encode()).hexdigest()[:10]}", lead.name or lead.role, p.name,
            lead.address) for lead in partners]
    for code in involved_agencies(record, p):
        agency = p.agency(code)
        if agency is not None:
            out.append((code, "Safeguarding lead", agency.name, agency.lead_address))
    return out


def _release_notices(now: datetime, record: CaseRecord, p: Partnership, deps: Deps, report: FollowReport) -> None:
    case = record.case
    if not case.notices_approved:
        return
    if not p.can_approve(case.notices_approved_by):
        reason = (f"approval of the local review's notices by {case.notices_approved_by or 'an unknown person'} "
                  "refused: not a lead allowed to approve")
        try:
            save_case(deps.register, record, by=BOT_ACTOR, at=now, notices_approved=False, attention=reason)
        except StaleItem:
            return
        deps.ledger.audit(AuditEvent(now, "approval_refused", case_ref=case.ref, detail="lcspr_notices"))
        report.add("team_alert", alert(now, p, deps, key=f"notices-refused:{case.ref}:{record.item.etag}",
                                       case_ref=case.ref, what=reason, action="ask an approving lead to approve"))
        return
    for item in deps.ledger.outbox(OutboxStatus.HELD):
        if item.case_ref == case.ref and item.key.startswith(NOTICE_PREFIXES):
            with deps.ledger.atomic():
                deps.ledger.release(item.key, at=now)
                deps.ledger.audit(AuditEvent(now, "released", case_ref=case.ref, detail=item.purpose,
                                             outbox_key=item.key, actor=case.notices_approved_by))
            report.released += 1


def _monthly_check(now: datetime, record: CaseRecord, p: Partnership, deps: Deps, report: FollowReport) -> None:
    """On each monthly anniversary of the decision (the latest one only, if the bot was down), once."""
    case, today, cal = record.case, deps.hours.today(now), p.policy.calendar
    if case.lcspr_decision is None or not deps.hours.is_open(now, cal):
        return
    month = (today.year - case.lcspr_decision.year) * 12 + today.month - case.lcspr_decision.month
    if add_months(case.lcspr_decision, month) > today:
        month -= 1
    if month < 1:
        return
    due = _due(record, p, "lcspr_publication_due")
    key = f"lcspr-progress:{case.ref}:{month}"
    crg = [lead.address for lead in p.leads if lead.role == "case_review_group_lead"] or [p.team_address]
    message = deps.composer.compose(
        "lcspr_progress", key=key, to=crg, cc=[p.team_address], classification=p.classification, case=case,
        partnership=p, month=month, publication_due=due,
        days_left=cal.working_days_between(today, due) if due and due >= today else None)
    report.add("lcspr_progress", int(queue(deps.ledger, key, message, now=now, case_ref=case.ref,
                                           purpose="lcspr_progress")))


def _delay(now: datetime, record: CaseRecord, p: Partnership, deps: Deps, report: FollowReport) -> None:
    """A delay the team records goes to the Panel once per new revised date (process.md T13)."""
    case, today = record.case, deps.hours.today(now)
    if not case.lcspr_delay_reason or case.lcspr_revised_publication is None:
        return
    key = f"lcspr-delay:{case.ref}:{case.lcspr_revised_publication.isoformat()}"
    if deps.ledger.queued(key) or not deps.hours.is_open(now, p.policy.calendar):
        return
    due = _due(record, p, "lcspr_publication_due") or today
    notice = deps.documents[p.id].render("delay_notice", contexts.lcspr_delay_notice(case, p, original_due=due,
                                                                                     today=today))
    message = deps.composer.compose(
        "lcspr_delay_notice", key=key, to=[deps.addresses.panel], cc=[p.team_address],
        classification=p.classification, case=case, partnership=p, due=due,
        local_authority=", ".join(p.local_authorities),
        attachments=[Attachment(f"Delay notice - {case.ref} - local review.docx", DOCX_TYPE, notice.data)])
    report.add("lcspr_delay_notice", int(queue(deps.ledger, key, message, now=now, case_ref=case.ref,
                                               purpose="lcspr_delay_notice", due_by=today)))


def _pre_publication(now: datetime, record: CaseRecord, p: Partnership, deps: Deps, report: FollowReport) -> None:
    case, today, cal = record.case, deps.hours.today(now), p.policy.calendar
    if case.publication is None or case.pre_publication_sent is not None:
        return
    due = _due(record, p, "pre_publication_submission_due")
    assert due is not None
    sent = [f"prepub:{case.ref}:{who}" for who in ("panel", "sos", "ofsted")]
    if all(deps.ledger.queued(key) for key in sent):  # a crash after queueing: record what went
        _record_pre_publication(now, record, deps)
        return
    if not deps.hours.is_open(now, cal):
        return
    leads = [lead.address for lead in p.leads]
    if today > due:  # the planned date (perhaps just moved) leaves the submission late: say so at once
        report.add("team_alert", alert(
            now, p, deps, key=f"prepub-late:{case.ref}:{case.publication.isoformat()}", case_ref=case.ref, to=leads,
            what=f"the final report had to reach the Panel, the Secretary of State and Ofsted by {due:%d %b %Y}, "
                 f"7 working days before publication on {case.publication:%d %b %Y}",
            action="move the publication date so that 7 working days remain, or send today and tell the Panel"))
    else:
        days_left = cal.working_days_between(today, due)
        if days_left in PRE_PUBLICATION_REMINDERS:
            deadline = next(d for d in case_deadlines(case, p) if d.name == "pre_publication_submission_due")
            key = f"prepub-reminder:{case.ref}:{case.publication.isoformat()}:{days_left}"
            message = deps.composer.compose("deadline_reminder", key=key, to=leads, classification=p.classification,
                                            partnership=p, case=case, deadline=deadline, days_left=days_left)
            report.add("deadline_reminder", int(queue(deps.ledger, key, message, now=now, case_ref=case.ref,
                                                      purpose="deadline_reminder")))
    if case.lcspr_report_approved:
        _submit_pre_publication(now, record, p, deps, report, due)


def _submit_pre_publication(now: datetime, record: CaseRecord, p: Partnership, deps: Deps, report: FollowReport,
                            due: date) -> None:
    case = record.case
    if not p.can_approve(case.lcspr_report_approved_by):
        who = case.lcspr_report_approved_by or "an unknown person"
        report.add("team_alert", alert(
            now, p, deps, key=f"lcspr-report-refused:{case.ref}:{record.item.etag}", case_ref=case.ref,
            what=f"approval of the local review's final report by {who} refused: not a lead allowed to approve",
            action="ask an approving lead to approve the final report"))
        return
    final = final_report(deps, case.ref, "lcspr")
    if final is None:
        report.add("team_alert", alert(
            now, p, deps, key=f"no-lcspr-final:{case.ref}", case_ref=case.ref,
            what="the local review's final report is approved but there is none in the library",
            action=f"save it as lcspr/... final.docx (or .pdf) in the {case.ref} folder"))
        return
    wanted = {"Child Safeguarding Practice Review Panel": (deps.addresses.panel, "panel.address"),
              "Secretary of State for Education": (deps.addresses.secretary_of_state,
                                                   "panel.secretary_of_state_address"),
              "Ofsted": (deps.addresses.ofsted, "panel.ofsted_address")}
    addressed = _addressed(now, p, deps, report, case_ref=case.ref, key=f"prepub-missing:{case.ref}",
                           what="the final report", wanted=wanted)
    if len(addressed) < len(wanted):  # all three or none: the law names each of them
        return
    recipients = {who: (name, addressed[name]) for who, name in zip(("panel", "sos", "ofsted"), wanted, strict=True)}
    data = deps.library.read(case.ref, final.path)
    name = final.path.rpartition("/")[2]
    kind = REPORT_TYPES[name.rpartition(".")[2].lower()]
    cover = deps.documents[p.id].render("pre_publication_cover_letter", contexts.pre_publication_cover_letter(
        case, p, recipients=[n for n, _ in recipients.values()], today=deps.hours.today(now)))
    for who, (recipient_name, address) in recipients.items():
        key = f"prepub:{case.ref}:{who}"
        message = deps.composer.compose(
            "pre_publication_submission", key=key, to=[address], cc=[p.team_address], classification=p.classification,
            case=case, partnership=p, recipient_name=recipient_name, local_authority=", ".join(p.local_authorities),
            attachments=[Attachment(f"Cover letter - {case.ref}.docx", DOCX_TYPE, cover.data),
                         Attachment(name, kind, data)])
        if queue(deps.ledger, key, message, now=now, case_ref=case.ref, purpose="pre_publication_submission",
                 due_by=due):
            report.add("pre_publication_submission")
    _record_pre_publication(now, record, deps)


def _record_pre_publication(now: datetime, record: CaseRecord, deps: Deps) -> None:
    try:
        save_case(deps.register, record, by=BOT_ACTOR, at=now, pre_publication_sent=deps.hours.today(now),
                  stage=Stage.LCSPR_REPORT_SENT_PRE_PUBLICATION)
    except StaleItem:
        return  # the keys guarantee one submission each; the next tick records it
    deps.ledger.audit(AuditEvent(now, "lcspr_report_sent_pre_publication", case_ref=record.case.ref))


def _published(now: datetime, record: CaseRecord, p: Partnership, deps: Deps, report: FollowReport) -> None:
    case, today, cal = record.case, deps.hours.today(now), p.policy.calendar
    assert case.published is not None
    if case.stage in (*BEFORE_COMMISSIONING, Stage.LCSPR_COMMISSIONED, Stage.LCSPR_REPORT_SENT_PRE_PUBLICATION):
        record = _stage(now, record, deps, Stage.PUBLISHED)
    if not deps.hours.is_open(now, cal):
        return
    if case.repository_sent is None:
        where = deps.addresses.repository or "the national case review repository"
        report.add("team_alert", alert(
            now, p, deps, key=f"repository:{case.ref}", case_ref=case.ref,
            what="the local review is published; it should go to the national case review repository",
            action=f"send the published report to {where} and record the date in RepositorySentDate"))
    until = published_until(case.published)
    if cal.subtract_working_days(until, AVAILABLE_REMINDER_WORKING_DAYS) <= today <= until:
        report.add("team_alert", alert(
            now, p, deps, key=f"published-until:{case.ref}", case_ref=case.ref,
            what=f"the published report must stay publicly available until at least {until:%d %b %Y}",
            action="keep it on the website until then; after that the repository keeps it"))


# ---- not commissioned


def _not_commissioned(now: datetime, record: CaseRecord, p: Partnership, deps: Deps, report: FollowReport) -> None:
    case, cal = record.case, p.policy.calendar
    assert case.lcspr_decision is not None
    marker = f"lcspr-not-commissioned:{case.ref}"
    if deps.ledger.cursor(marker) is None:
        with deps.ledger.atomic():
            deps.ledger.audit(AuditEvent(now, "lcspr_not_commissioned", case_ref=case.ref,
                                         detail="reasons recorded" if case.no_lcspr_reasons else "no reasons recorded"))
            deps.ledger.set_cursor(marker, now.isoformat())
    if case.stage in BEFORE_COMMISSIONING:
        record = _stage(now, record, deps, Stage.LCSPR_NOT_COMMISSIONED)
    if not case.no_lcspr_reasons:
        report.add("team_alert", alert(
            now, p, deps, key=f"no-lcspr-reasons:{case.ref}", case_ref=case.ref,
            what="the partners decided not to commission a local review, with no reasons recorded",
            action="record the reasons in NoLCSPRReasons: the Panel expects them"))
    briefing = cal.add_working_days(case.lcspr_decision, BRIEFING_WORKING_DAYS)
    if deps.hours.today(now) >= briefing and deps.hours.is_open(now, cal):
        report.add("team_alert", alert(
            now, p, deps, key=f"briefing:{case.ref}", case_ref=case.ref,
            to=[lead.address for lead in p.leads] + [p.team_address],
            what=f"a learning briefing for {case.ref} is due: no local review was commissioned on "
                 f"{case.lcspr_decision:%d %b %Y}",
            action="publish a learning briefing from the rapid review's findings"))


# ---- shared


def _addressed(now: datetime, p: Partnership, deps: Deps, report: FollowReport, *, case_ref: str, key: str,
               what: str, wanted: dict[str, tuple[str, str]]) -> dict[str, str]:
    """The bodies in `wanted` (name -> (address, setting)) that have an address; the team is told once, naming
    the settings to fill, about any that have none."""
    missing = {name: setting for name, (address, setting) in wanted.items() if not address}
    if missing:
        report.add("team_alert", alert(
            now, p, deps, key=key, case_ref=case_ref,
            what=f"{what} cannot go to {', '.join(missing)}: no address is configured",
            action=f"set {' and '.join(missing.values())} in the configuration"))
    return {name: address for name, (address, _setting) in wanted.items() if address}


def _due(record: CaseRecord, p: Partnership, name: str) -> date | None:
    return next((d.due for d in case_deadlines(record.case, p) if d.name == name), None)


def _stage(now: datetime, record: CaseRecord, deps: Deps, stage: Stage) -> CaseRecord:
    try:
        return save_case(deps.register, record, by=BOT_ACTOR, at=now, stage=stage)
    except StaleItem:
        return record  # a person edited the case; the next tick moves the stage
