"""How cases, agency requests and agencies are stored as list items (SharePoint-style column names).

One explicit table per list; values are plain JSON (ISO dates, booleans, lists of codes). Reading is
strict about types and names the column at fault, because people edit these lists by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from bot.domain.model import Action, Agency, AgencyRequest, Case, LcsprOutcome, RequestStatus, Stage
from bot.ports import FieldValue

CASES, AGENCIES, REQUESTS, ACTIONS = "cases", "agencies", "requests", "actions"
LISTS = (CASES, AGENCIES, REQUESTS, ACTIONS)


class FieldError(ValueError):
    """A list item's column holds a value the bot cannot use; the message names the column."""


# attribute -> (column, kind)
CASE_COLUMNS: dict[str, tuple[str, str]] = {
    "ref": ("Title", "str"),
    "partnership": ("Partnership", "str"),
    "child": ("ChildPseudonym", "str"),
    "incident": ("IncidentDate", "date"),
    "la_aware": ("LAAwareDate", "date"),
    "sin_submitted": ("SINSubmittedDate", "date"),
    "sin_reference": ("SINReference", "str"),
    "looked_after": ("LookedAfter", "bool"),
    "care_leaver": ("CareLeaver", "bool"),
    "domestic_abuse": ("DomesticAbuse", "bool"),
    "home_office_input": ("HomeOfficeInput", "bool"),
    "agencies": ("Agencies", "list"),
    "stage": ("Stage", "stage"),
    "rapid_review_started": ("RapidReviewStarted", "bool"),
    "approved": ("ApprovedForSubmission", "bool"),
    "approved_by": ("ApprovedBy", "str"),
    "delay_reason": ("DelayReason", "str"),
    "revised_due": ("RevisedDueDate", "date"),
    "submitted_to_panel": ("SubmittedToPanel", "datetime"),
    "lcspr_decision": ("LCSPRDecisionDate", "date"),
    "publication": ("PublicationDate", "date"),
    "pre_publication_sent": ("PrePublicationSentDate", "date"),
    "published": ("PublishedDate", "date"),
    "action_plan_signed_off": ("ActionPlanSignedOffDate", "date"),
    "attention": ("NeedsAttention", "str"),
    "subjects": ("Subjects", "list"),
    "panel_responded": ("PanelRespondedDate", "date"),
    "panel_response": ("PanelResponse", "str"),
    "lcspr_outcome": ("LCSPROutcome", "outcome"),
    "reviewer": ("Reviewer", "str"),
    "no_lcspr_reasons": ("NoLCSPRReasons", "str"),
    "notices_approved": ("NoticesApproved", "bool"),
    "notices_approved_by": ("NoticesApprovedBy", "str"),
    "lcspr_delay_reason": ("LCSPRDelayReason", "str"),
    "lcspr_revised_publication": ("LCSPRRevisedPublicationDate", "date"),
    "lcspr_report_approved": ("LCSPRReportApproved", "bool"),
    "lcspr_report_approved_by": ("LCSPRReportApprovedBy", "str"),
    "repository_sent": ("RepositorySentDate", "date"),
    "dfe_notified": ("DfENotifiedDate", "date"),
    "age": ("AgeAtIncident", "optint"),
    "incident_la": ("IncidentLA", "str"),
    "residence_la": ("ResidenceLA", "str"),
    "responsible_la": ("ResponsibleLA", "str"),
    "joint_review_with": ("JointReviewWith", "str"),
    "dardr_contact": ("DARDRContact", "str"),
}
# approval column -> the column holding who ticked it (on SharePoint, read from the version history)
APPROVALS = {"ApprovedForSubmission": "ApprovedBy", "NoticesApproved": "NoticesApprovedBy",
             "LCSPRReportApproved": "LCSPRReportApprovedBy"}

# columns the bot computes and writes back so the team sees them in the list
COMPUTED_COLUMNS = ("SINDue", "RapidReviewDue", "NextDeadline", "NextDeadlineDate", "RAG")

REQUEST_COLUMNS: dict[str, tuple[str, str]] = {
    "case_ref": ("CaseRef", "str"),
    "agency": ("Agency", "str"),
    "token": ("Token", "str"),
    "status": ("Status", "status"),
    "sent": ("SentDate", "date"),
    "due": ("DueDate", "date"),
    "chases": ("Chases", "int"),
    "returned": ("ReturnedDate", "date"),
    "note": ("Note", "str"),
}


ACTION_COLUMNS: dict[str, tuple[str, str]] = {
    "case_ref": ("CaseRef", "str"),
    "title": ("Title", "str"),
    "owner": ("Owner", "str"),
    "due": ("Due", "date"),
    "done": ("Status", "done"),
}


def same_value(current: Any, wanted: FieldValue) -> bool:
    """Whether a stored field already says what the bot would write. SharePoint returns a date column as a
    date-time at midnight (and the Graph SDK parses it into a datetime) where the bot writes `2026-12-31`; without
    this, every tick would rewrite every case's dates, and each rewrite is a new version in the list's history."""
    if current == wanted:
        return True
    if isinstance(wanted, str) and len(wanted) == 10 and current is not None:
        text = current.isoformat() if isinstance(current, date) else str(current)  # datetime is a date too
        return text[:10] == wanted and text[10:] in ("", "T00:00:00", "T00:00:00Z", "T00:00:00+00:00")
    return False


def _dump(kind: str, value: Any) -> FieldValue:
    if value is None:
        return None
    if kind in ("date", "datetime"):
        return value.isoformat()
    if kind == "list":
        return list(value)
    if kind in ("stage", "status", "outcome"):
        return str(value.value)
    if kind == "done":
        return "done" if value else "open"
    return value


def _load(kind: str, column: str, value: FieldValue) -> Any:
    try:
        if kind == "str":
            return "" if value is None else str(value)
        if kind == "done":
            return str(value or "open").strip().lower() == "done"
        if value is None or value == "":
            return {"bool": False, "list": (), "int": 0, "outcome": LcsprOutcome.UNDECIDED}.get(kind)
        if kind == "date":
            return date.fromisoformat(str(value)[:10])  # SharePoint sends 2026-12-22T00:00:00Z
        if kind == "datetime":
            return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if kind == "bool":
            if isinstance(value, bool):
                return value
            raise ValueError("expected yes/no")
        if kind == "list":
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list):
                raise ValueError("expected a list")
            return tuple(str(i).strip() for i in items if str(i).strip())
        if kind in ("int", "optint"):
            return int(value)  # type: ignore[arg-type]
        if kind == "outcome":
            return LcsprOutcome(str(value))
        if kind == "stage":
            return Stage(str(value))
        if kind == "status":
            return RequestStatus(str(value))
    except (TypeError, ValueError) as exc:
        raise FieldError(f"column {column}: cannot use {value!r} ({exc})") from None
    raise AssertionError(kind)


def _to_fields(obj: Any, columns: dict[str, tuple[str, str]]) -> dict[str, FieldValue]:
    return {col: _dump(kind, getattr(obj, attr)) for attr, (col, kind) in columns.items()}


def _from_fields(fields: Mapping[str, FieldValue], columns: dict[str, tuple[str, str]]) -> dict[str, Any]:
    out = {}
    for attr, (col, kind) in columns.items():
        if col in fields:
            out[attr] = _load(kind, col, fields[col])
    return out


def case_to_fields(case: Case) -> dict[str, FieldValue]:
    return _to_fields(case, CASE_COLUMNS)


def case_from_fields(fields: Mapping[str, FieldValue]) -> Case:
    values = _from_fields(fields, CASE_COLUMNS)
    for attr in ("ref", "partnership", "child"):
        if not values.get(attr):
            raise FieldError(f"column {CASE_COLUMNS[attr][0]} is empty")
    return Case(**values)


def case_changes_to_fields(**changes: Any) -> dict[str, FieldValue]:
    """Columns for a partial update given as Case attribute names."""
    unknown = set(changes) - set(CASE_COLUMNS)
    if unknown:
        raise KeyError(f"not case fields: {', '.join(sorted(unknown))}")
    return {CASE_COLUMNS[a][0]: _dump(CASE_COLUMNS[a][1], v) for a, v in changes.items()}


def action_to_fields(action: Action) -> dict[str, FieldValue]:
    return _to_fields(action, ACTION_COLUMNS)


def action_from_fields(fields: Mapping[str, FieldValue]) -> Action:
    values = _from_fields(fields, ACTION_COLUMNS)
    if not values.get("case_ref") or not values.get("owner"):
        raise FieldError("column CaseRef or Owner is empty")
    return Action(**values)


def request_to_fields(request: AgencyRequest) -> dict[str, FieldValue]:
    return {"Title": f"{request.case_ref}/{request.agency}", **_to_fields(request, REQUEST_COLUMNS)}


def request_from_fields(fields: Mapping[str, FieldValue]) -> AgencyRequest:
    return AgencyRequest(**_from_fields(fields, REQUEST_COLUMNS))


def agency_to_fields(agency: Agency) -> dict[str, FieldValue]:
    return {
        "Title": agency.code, "AgencyName": agency.name, "Kind": agency.kind.value,
        "LeadAddress": agency.lead_address, "EscalationAddress": agency.escalation_address,
        "AllowedDomains": list(agency.allowed_domains),
    }
