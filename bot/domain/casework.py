"""What the register shows for a case at a given day: deadlines, RAG, derived stage, and checks on
the values people type in."""

from __future__ import annotations

import re
from datetime import date

from bot.domain.deadlines import Deadline, Rag, deadlines_for, next_deadline, overall_rag
from bot.domain.model import Case, Partnership, Stage
from bot.ports import FieldValue

REF_PATTERN = re.compile(r"^[A-Z]{2,6}-\d{4}-\d{3,}$")


def case_deadlines(case: Case, partnership: Partnership) -> list[Deadline]:
    return deadlines_for(case.key_dates(), partnership.policy)


def computed_fields(case: Case, partnership: Partnership, today: date) -> dict[str, FieldValue]:
    """The columns the bot writes back so the team sees deadlines and RAG in the list itself."""
    found = case_deadlines(case, partnership)
    by_name = {d.name: d for d in found}
    nxt = next_deadline(found)
    closed = case.stage is Stage.CLOSED
    return {
        "SINDue": by_name["sin_notification_due"].due.isoformat() if "sin_notification_due" in by_name else None,
        "RapidReviewDue": by_name["rapid_review_due"].due.isoformat() if "rapid_review_due" in by_name else None,
        "NextDeadline": nxt.name if nxt and not closed else None,
        "NextDeadlineDate": nxt.due.isoformat() if nxt and not closed else None,
        "RAG": (Rag.DONE if closed else overall_rag(found, today, partnership.policy)).value,
    }


def derived_stage(case: Case) -> Stage:
    """A referred case whose SIN date has been entered has, by definition, had its SIN submitted."""
    if case.stage is Stage.REFERRED and case.sin_submitted is not None:
        return Stage.SIN_SUBMITTED
    return case.stage


def case_problems(case: Case, partnership: Partnership) -> list[str]:
    """What is wrong with a case as entered, in words a business team member can act on."""
    problems = []
    if not REF_PATTERN.match(case.ref):
        problems.append(f"reference {case.ref!r} should look like {partnership.case_prefix}-2026-014")
    unknown = [a for a in case.agencies if partnership.agency(a) is None]
    if unknown:
        known = ", ".join(a.code for a in partnership.agencies)
        problems.append(f"unknown agency code(s) {', '.join(unknown)}; this partnership has {known}")
    if case.la_aware and case.sin_submitted and case.sin_submitted < case.la_aware:
        problems.append("the SIN submitted date is before the LA-aware date")
    if case.incident and case.la_aware and case.la_aware < case.incident:
        problems.append("the LA-aware date is before the incident date")
    return problems


def next_reference(prefix: str, year: int, existing: list[str]) -> str:
    """The next free reference for a year, e.g. RR-2026-015 after RR-2026-014."""
    pattern = re.compile(rf"^{re.escape(prefix)}-{year}-(\d+)$")
    numbers = [int(m.group(1)) for r in existing if (m := pattern.match(r))]
    return f"{prefix}-{year}-{max(numbers, default=0) + 1:03d}"
