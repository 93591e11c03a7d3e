"""The register as a person edits it: add, update, find and describe cases. Used by `cspr-bot case`;
on Microsoft 365 people do the same in the SharePoint list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from bot.domain.casework import case_deadlines, case_problems, computed_fields, derived_stage, next_reference
from bot.domain.deadlines import Deadline
from bot.domain.model import AgencyRequest, Case, Partnership
from bot.domain.records import (
    CASES,
    REQUESTS,
    FieldError,
    case_changes_to_fields,
    case_from_fields,
    case_to_fields,
    request_from_fields,
    request_to_fields,
)
from bot.ports import CaseRegister, Item


class CaseError(ValueError):
    """A case operation that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class CaseRecord:
    item: Item
    case: Case


@dataclass(frozen=True)
class RequestRecord:
    item: Item
    request: AgencyRequest


def all_cases(register: CaseRegister) -> list[CaseRecord]:
    """Every readable case (an unreadable item is skipped here; sync_cases audits it by column)."""
    records = []
    for item in register.items(CASES):
        try:
            records.append(CaseRecord(item, case_from_fields(item.fields)))
        except FieldError:
            continue
    return records


def requests_of(register: CaseRegister, case_ref: str | None = None) -> list[RequestRecord]:
    """Agency requests, of one case or of all cases."""
    items = register.find(REQUESTS, CaseRef=case_ref) if case_ref else register.items(REQUESTS)
    records = []
    for item in items:
        try:
            records.append(RequestRecord(item, request_from_fields(item.fields)))
        except (FieldError, TypeError):
            continue
    return records


def add_request(register: CaseRegister, request: AgencyRequest, *, by: str, at: datetime) -> RequestRecord:
    return RequestRecord(register.add(REQUESTS, request_to_fields(request), by=by, at=at), request)


def update_request(register: CaseRegister, record: RequestRecord, *, by: str, at: datetime,
                   **changes: Any) -> RequestRecord:
    """Change a request, conditional on nobody having changed it since it was read."""
    updated = replace(record.request, **changes)
    item = register.update(REQUESTS, record.item.id, request_to_fields(updated), by=by, at=at,
                           if_match=record.item.etag)
    return RequestRecord(item, updated)


def save_case(register: CaseRegister, record: CaseRecord, *, by: str, at: datetime, **changes: Any) -> CaseRecord:
    """The bot's own change to a case, conditional on the etag it read (a person's newer edit wins)."""
    updated = record.case.with_changes(**changes)
    item = register.update(CASES, record.item.id, case_changes_to_fields(**changes), by=by, at=at,
                           if_match=record.item.etag)
    return CaseRecord(item, updated)


def find_case(register: CaseRegister, ref: str) -> CaseRecord:
    items = register.find(CASES, Title=ref)
    if not items:
        raise CaseError(f"no case {ref!r} in the register. Fix: `cspr-bot case list` shows the references")
    return CaseRecord(items[0], case_from_fields(items[0].fields))


def add_case(register: CaseRegister, partnership: Partnership, case: Case, *, by: str, at: datetime) -> CaseRecord:
    if not case.ref:
        existing = [str(i.fields.get("Title", "")) for i in register.items(CASES)]
        year = (case.la_aware or at.date()).year
        case = case.with_changes(ref=next_reference(partnership.case_prefix, year, existing))
    case = case.with_changes(stage=derived_stage(case))
    problems = case_problems(case, partnership)
    if problems:
        raise CaseError("; ".join(problems))
    if register.find(CASES, Title=case.ref):
        raise CaseError(f"case {case.ref} already exists. Fix: use `cspr-bot case update {case.ref}`")
    fields = {**case_to_fields(case), **computed_fields(case, partnership, at.date())}
    item = register.add(CASES, fields, by=by, at=at)
    return CaseRecord(item, case)


def update_case(register: CaseRegister, partnership: Partnership, ref: str, changes: dict[str, Any], *,
                by: str, at: datetime) -> CaseRecord:
    record = find_case(register, ref)
    updated = record.case.with_changes(**changes)
    if derived_stage(updated) is not updated.stage:
        changes = {**changes, "stage": derived_stage(updated)}
        updated = updated.with_changes(stage=changes["stage"])
    problems = case_problems(updated, partnership)
    if problems:
        raise CaseError("; ".join(problems))
    fields = {**case_changes_to_fields(**changes), **computed_fields(updated, partnership, at.date())}
    item = register.update(CASES, record.item.id, fields, by=by, at=at, if_match=record.item.etag)
    return CaseRecord(item, updated)


def describe(record: CaseRecord, partnership: Partnership, today: date) -> dict[str, Any]:
    """A case as plain data for `case show --json`, `case list --json` and `status --json`."""
    case, policy = record.case, partnership.policy
    found = case_deadlines(case, partnership)
    return {
        "ref": case.ref, "partnership": case.partnership, "child": case.child, "stage": case.stage.value,
        "la_aware": _iso(case.la_aware), "sin_submitted": _iso(case.sin_submitted),
        "agencies": list(case.agencies),
        "flags": [f for f in ("looked_after", "care_leaver", "domestic_abuse", "home_office_input")
                  if getattr(case, f)],
        "approved": case.approved, "approved_by": case.approved_by, "delay_reason": case.delay_reason,
        "age": case.age, "incident_la": case.incident_la, "residence_la": case.residence_la,
        "responsible_la": case.responsible_la, "joint_review_with": case.joint_review_with,
        "dardr_contact": case.dardr_contact, "dfe_notification": dfe_notification(case, found),
        "lcspr_outcome": case.lcspr_outcome.value, "reviewer": case.reviewer,
        "notices_approved_by": case.notices_approved_by, "lcspr_report_approved_by": case.lcspr_report_approved_by,
        "attention": case.attention,
        "rag": computed_fields(case, partnership, today)["RAG"],
        "deadlines": [
            {"name": d.name, "due": d.due.isoformat(), "met_on": _iso(d.met_on),
             "rag": d.rag(today, policy).value, "strength": d.rule.strength.value, "source": d.rule.source}
            for d in found
        ],
        "modified_by": record.item.modified_by, "modified_at": record.item.modified_at.isoformat(),
    }


def dfe_notification(case: Case, found: list[Deadline]) -> str:
    """What a looked-after child's or care leaver's case must show (process.md T3, T4): the DfE online
    notification to the Secretary of State and Ofsted, whether or not abuse or neglect is suspected."""
    due = next((d for d in found if d.name == "dfe_notification_due"), None)
    if due is None:
        return ""
    who = "looked-after child" if case.looked_after else "care leaver"
    if due.met_on:
        return f"made {due.met_on.isoformat()} ({who})"
    return (f"the Secretary of State and Ofsted must be notified through the DfE online system by "
            f"{due.due.isoformat()} ({who}; whether or not abuse or neglect is suspected); the bot cannot "
            f"submit it: record the date with --dfe-notified")


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None
