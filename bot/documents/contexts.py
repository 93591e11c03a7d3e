"""The context each document template is rendered with, built from the case, the partnership and
what the agencies returned. Keys match bot/documents/examples.py exactly (the test says so)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from bot.cases import RequestRecord
from bot.documents.collate import collate, long_date
from bot.documents.returns import ParsedReturn
from bot.domain.casework import case_deadlines
from bot.domain.model import Agency, Case, Partnership, RequestStatus
from bot.domain.rules import add_months

TO_COMPLETE = "[to be completed by the business team]"
CRITERIA = (
    "(a) the case highlights improvements needed to safeguard and promote the welfare of children",
    "(b) the case highlights recurrent themes in the safeguarding and promotion of the welfare of children",
    "(c) the case highlights concerns about two or more organisations or agencies working together",
    "(d) the Panel has considered the case and concluded a local review may be more appropriate",
)
REPORT_NAME = "Rapid Review Report - {ref} - draft v{n}.docx"
_DRAFT = re.compile(r"draft v(\d+)\.docx$", re.IGNORECASE)


def _d(value: date | None) -> str:
    return long_date(value) if value else TO_COMPLETE


def common(case: Case, p: Partnership, today: date) -> dict[str, Any]:
    return {"classification": p.classification, "partnership_name": p.name,
            "local_authority": ", ".join(p.local_authorities), "case_ref": case.ref, "child": case.child,
            "today": long_date(today), "contact": p.team_address}


def information_request(case: Case, agency: Agency, p: Partnership, *, requested: date, due: date,
                        mailbox: str) -> dict[str, Any]:
    scope_to = case.incident or case.la_aware or requested
    subjects = [{"name": case.child, "relationship": "the child", "date_of_birth": "", "address": ""}]
    subjects += [{"name": s, "relationship": "", "date_of_birth": "", "address": ""} for s in case.subjects]
    return {**common(case, p, requested), "agency_name": agency.name, "requested": long_date(requested),
            "due": long_date(due), "return_address": mailbox, "scoping_from": long_date(add_months(scope_to, -12)),
            "scoping_to": long_date(scope_to), "subjects": subjects}


def rapid_review_report(case: Case, p: Partnership, *, requests: list[RequestRecord], returns: list[ParsedReturn],
                        version: str, today: date) -> dict[str, Any]:
    names = {a.code: a.name for a in p.agencies}
    collated = collate(returns, names)
    due = {d.name: d.due for d in case_deadlines(case, p)}
    status_words = {RequestStatus.RETURNED: "returned", RequestStatus.NIL_RETURN: "nil return (no involvement)",
                    RequestStatus.UNDELIVERABLE: "request undeliverable", RequestStatus.SENT: "not received",
                    RequestStatus.QUEUED: "not yet sent"}
    agencies = []
    for r in sorted(requests, key=lambda x: names.get(x.request.agency, x.request.agency)):
        req = r.request
        late = req.returned and req.due and req.returned > req.due
        missing = req.status in (RequestStatus.SENT, RequestStatus.UNDELIVERABLE, RequestStatus.QUEUED)
        agencies.append({"name": names.get(req.agency, req.agency), "status": status_words[req.status],
                         "received": long_date(req.returned) if req.returned else "",
                         "explanation": TO_COMPLETE if missing or late else ""})
    return {
        **common(case, p, today), "version": version, "sin_reference": case.sin_reference or TO_COMPLETE,
        "la_aware": _d(case.la_aware), "sin_submitted": _d(case.sin_submitted),
        "rapid_review_due": _d(due.get("rapid_review_due")),
        "child_date_of_birth": TO_COMPLETE, "child_gender": TO_COMPLETE, "child_ethnicity": TO_COMPLETE,
        "child_disability": TO_COMPLETE, "family_structure": TO_COMPLETE, "safeguarding_arrangements": TO_COMPLETE,
        "incident_summary": TO_COMPLETE, "agencies": agencies, "chronology": collated.chronology,
        "good_practice": collated.good_practice, "learning": collated.learning, "unread": collated.unread,
        "criteria": [{"text": c, "met": TO_COMPLETE} for c in CRITERIA],
        "decision": "[for the safeguarding partners]", "key_lines_of_enquiry": [],
        "immediate_learning": TO_COMPLETE, "dissemination": TO_COMPLETE,
        "sign_off": [{"role": lead.role.replace("_", " "), "name": lead.name, "date": ""}
                     for lead in p.leads if lead.can_approve or lead.role == "independent_scrutineer"],
    }


def delay_notice(case: Case, p: Partnership, *, original_due: date, today: date) -> dict[str, Any]:
    return {**common(case, p, today), "sin_reference": case.sin_reference or "not recorded",
            "review_type": "Rapid review", "original_due": long_date(original_due),
            "revised_due": _d(case.revised_due), "reason": case.delay_reason,
            "mitigations": "Immediate safeguarding actions are in place; see the case record."}


METHODOLOGY = "a systems-based learning review"
REQUIREMENTS = ("Secure your records relating to the family.",
                "Nominate a review panel member who was not operationally involved.",
                "Name practitioners who can attend a learning event.")


def lcspr_commissioning_notice(case: Case, p: Partnership, *, recipients: list[str], today: date) -> dict[str, Any]:
    due = {d.name: d.due for d in case_deadlines(case, p)}
    return {**common(case, p, today), "sin_reference": case.sin_reference or "not recorded",
            "decision_date": _d(case.lcspr_decision), "lead_reviewer": case.reviewer or TO_COMPLETE,
            "methodology": METHODOLOGY, "publication_due": _d(due.get("lcspr_publication_due")),
            "recipients": recipients}


def lcspr_notification_letter(case: Case, p: Partnership, *, recipient: str, organisation: str,
                              today: date) -> dict[str, Any]:
    due = {d.name: d.due for d in case_deadlines(case, p)}
    return {**common(case, p, today), "recipient_name": recipient, "recipient_organisation": organisation,
            "decision_date": _d(case.lcspr_decision), "methodology": METHODOLOGY,
            "lead_reviewer": case.reviewer or TO_COMPLETE, "publication_due": _d(due.get("lcspr_publication_due")),
            "lines_of_enquiry": [], "requirements": list(REQUIREMENTS)}


def pre_publication_cover_letter(case: Case, p: Partnership, *, recipients: list[str], today: date) -> dict[str, Any]:
    due = {d.name: d.due for d in case_deadlines(case, p)}
    return {**common(case, p, today), "report_title": case.child, "lead_reviewer": case.reviewer or TO_COMPLETE,
            "publication_date": _d(case.publication), "submission_due": _d(due.get("pre_publication_submission_due")),
            "recipients": recipients}


def lcspr_delay_notice(case: Case, p: Partnership, *, original_due: date, today: date) -> dict[str, Any]:
    return {**delay_notice(case, p, original_due=original_due, today=today), "review_type":
            "Local child safeguarding practice review", "revised_due": _d(case.lcspr_revised_publication),
            "reason": case.lcspr_delay_reason}


def next_draft_name(case_ref: str, existing: list[str]) -> tuple[str, int]:
    """The next report draft's file name and version number (v1 when there is none)."""
    numbers = [int(m.group(1)) for name in existing if (m := _DRAFT.search(name))]
    n = max(numbers, default=0) + 1
    return REPORT_NAME.format(ref=case_ref, n=n), n
