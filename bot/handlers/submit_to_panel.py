"""submit_to_panel: a case approved by an allowed lead, with its final rapid review report in the
library, goes to the Panel mailbox exactly once, ever, in office hours. Without approval: an urgent
alert one working day before the deadline. Past it, approved or not, while nothing has gone: a delay
notice to the Panel once a delay reason is recorded, and a daily alert to the leads until one is.

Seed 001_561138213bff8628.txt §1.1.21-22 (send "as soon as it is complete"; tell the Panel of delays).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.cases import CaseRecord, all_cases, save_case
from bot.crashpoints import crash_point
from bot.documents import contexts
from bot.documents.render import DOCX_TYPE
from bot.domain.casework import case_deadlines
from bot.domain.model import Partnership, Stage
from bot.handlers.common import BOT_ACTOR, Deps, alert, queue
from bot.ports import Attachment, AuditEvent, Document, StaleItem

WAITING = (Stage.SIN_SUBMITTED, Stage.RAPID_REVIEW_IN_PROGRESS, Stage.REPORT_DRAFTED, Stage.APPROVED)
REPORT_TYPES = {"docx": DOCX_TYPE,
                "pdf": "application/pdf"}


@dataclass
class SubmitReport:
    submitted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    alerts: int = 0


def final_report(deps: Deps, case_ref: str, folder: str = "reports") -> Document | None:
    """The report the team marked final: a Word or PDF document in `folder` (reports/ for the rapid review,
    lcspr/ for the local review) named '... final ...'."""
    finals = [d for d in deps.library.list(case_ref, folder) if "final" in d.path.rpartition("/")[2].lower()
              and d.path.rpartition(".")[2].lower() in REPORT_TYPES]
    return max(finals, key=lambda d: _natural(d.path.rpartition(".")[0]), default=None)


def _natural(name: str) -> list[tuple[int, int | str]]:
    """Sort key in which 'final v10' comes after 'final v2', and both after 'final'."""
    return [(1, int(part)) if part.isdigit() else (0, part.lower()) for part in re.split(r"(\d+)", name) if part]


def submit_to_panel(now: datetime, *, deps: Deps) -> SubmitReport:
    report = SubmitReport()
    for record in all_cases(deps.register):
        p = deps.partnerships.get(record.case.partnership)
        if p is None or record.case.stage not in WAITING or record.case.submitted_to_panel is not None:
            continue
        due = next((d.due for d in case_deadlines(record.case, p) if d.name == "rapid_review_due"), None)
        earlier = _earlier_submission(deps, record.case.ref)
        if earlier is not None:  # an earlier tick's write met a person's edit: record that submission now
            _record_submission(now, earlier, record, deps)
            continue
        if record.case.approved and _approved(now, record, p, deps, report):
            continue
        # not approved, or approved with no final report to send: the deadline still runs
        if due is not None and deps.hours.is_open(now, p.policy.calendar):
            report.alerts += _not_sent(now, record, p, due, deps)
    return report


def _approved(now: datetime, record: CaseRecord, p: Partnership, deps: Deps, report: SubmitReport) -> bool:
    """Act on an approval; False when the case cannot go (no final report) and its deadline still matters."""
    case = record.case
    if not p.can_approve(case.approved_by):
        reason = f"approval by {case.approved_by or 'an unknown person'} refused: not a lead allowed to approve"
        try:
            save_case(deps.register, record, by=BOT_ACTOR, at=now, approved=False, attention=reason)
        except StaleItem:
            return True  # someone changed the case meanwhile; decide again on the next tick
        deps.ledger.audit(AuditEvent(now, "approval_refused", case_ref=case.ref))
        alert(now, p, deps, key=f"refused:{case.ref}:{record.item.etag}", case_ref=case.ref,
               template="team_alert", what=reason, action="ask an approving lead to approve the report")
        report.refused.append(case.ref)
        return True
    document = final_report(deps, case.ref)
    if document is None:
        report.alerts += alert(now, p, deps, key=f"no-final:{case.ref}", case_ref=case.ref, template="team_alert",
                                what="the rapid review is approved but there is no final report in the library",
                                action=f"save the report as reports/... final.docx in the {case.ref} folder")
        return False
    if not deps.hours.is_open(now, p.policy.calendar):
        return True
    key = f"panel:{case.ref}"
    message = deps.composer.compose(
        "panel_submission", key=key, to=[deps.addresses.panel], cc=[p.team_address],
        classification=p.classification, case=case, partnership=p,
        local_authority=", ".join(p.local_authorities),
        attachments=[_report_attachment(now, deps, p, case.ref, document)])
    due = next((d.due for d in case_deadlines(case, p) if d.name == "rapid_review_due"), None)
    queue(deps.ledger, key, message, now=now, case_ref=case.ref, purpose="panel_submission", due_by=due)
    crash_point("submit.queued")
    _record_submission(now, now, record, deps)
    crash_point("submit.recorded")
    deps.ledger.audit(AuditEvent(now, "submitted_to_panel", case_ref=case.ref, outbox_key=key))
    report.submitted.append(case.ref)
    return True


def _report_attachment(now: datetime, deps: Deps, p: Partnership, case_ref: str, document: Document) -> Attachment:
    """The final report as the partnership sends it: a PDF when asked for and the library can convert,
    otherwise the document as saved. The audit trail says which went."""
    name, kind = document.path.rpartition("/")[2], document.path.rpartition(".")[2].lower()
    if p.panel_format == "pdf" and kind == "docx":
        pdf = deps.library.pdf(case_ref, document.path)
        deps.ledger.audit(AuditEvent(now, "panel_report_format", case_ref=case_ref,
                                     detail="pdf (converted)" if pdf else "docx (no PDF converter available)"))
        if pdf:
            return Attachment(name.rpartition(".")[0] + ".pdf", REPORT_TYPES["pdf"], pdf)
    return Attachment(name, REPORT_TYPES[kind], deps.library.read(case_ref, document.path))


def _earlier_submission(deps: Deps, case_ref: str) -> datetime | None:
    """When the Panel email for the case was sent (or queued), if it ever was."""
    key = f"panel:{case_ref}"
    if not deps.ledger.queued(key):
        return None
    row = next(o for o in deps.ledger.outbox() if o.key == key)
    return row.sent_at or row.created_at


def _record_submission(now: datetime, submitted: datetime, record: CaseRecord, deps: Deps) -> None:
    """The stage and the submission time on the case; `submitted` is when the Panel email was queued or sent."""
    try:
        save_case(deps.register, record, by=BOT_ACTOR, at=now, stage=Stage.SUBMITTED_TO_PANEL,
                  submitted_to_panel=submitted, attention="")
    except StaleItem:
        pass  # the outbox key guarantees one submission; the next tick records the stage


def _not_sent(now: datetime, record: CaseRecord, p: Partnership, due: date, deps: Deps) -> int:
    case, today, cal = record.case, deps.hours.today(now), p.policy.calendar
    if not case.approved and cal.subtract_working_days(due, 1) <= today <= due:  # keyed once; caught up if missed
        return alert(now, p, deps, key=f"urgent:{case.ref}", case_ref=case.ref, template="urgent_approval",
                      to=[lead.address for lead in p.leads], due=due, case=case)
    if today <= due:
        return 0
    if case.delay_reason:
        key = f"delay:{case.ref}"
        if deps.ledger.queued(key):
            return 0
        notice = deps.documents[p.id].render("delay_notice", contexts.delay_notice(case, p, original_due=due,
                                                                                   today=today))
        message = deps.composer.compose(
            "delay_notice", key=key, to=[deps.addresses.panel], cc=[p.team_address],
            classification=p.classification, case=case, partnership=p, due=due, revised=case.revised_due,
            local_authority=", ".join(p.local_authorities),
            attachments=[Attachment(f"Delay notice - {case.ref}.docx", DOCX_TYPE, notice.data)])
        return int(queue(deps.ledger, key, message, now=now, case_ref=case.ref, purpose="delay_notice",
                         due_by=today))
    return alert(now, p, deps, key=f"no-delay-reason:{case.ref}:{today}", case_ref=case.ref,
                  template="delay_reason_missing", to=[lead.address for lead in p.leads], due=due, case=case)

