"""A case's statutory timeline as marks on a line: what has happened, the deadlines met and ahead, today.
Drawn by `bot.documents.timeline_picture`; used by `cspr-bot timeline` and the Monday digest."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from bot.domain.casework import case_deadlines
from bot.domain.model import Case, LcsprOutcome, Partnership

if TYPE_CHECKING:  # the renderer (Pillow) loads only when a picture is drawn
    from bot.documents.timeline_layout import Mark

# deadline name -> the short label on the picture (the rule's summary is in the table below it)
LABELS = {
    "sin_notification_due": "SIN to the Panel",
    "rapid_review_due": "Rapid review to the Panel",
    "dfe_notification_due": "DfE notification",
    "lcspr_publication_due": "LCSPR published (6 months)",
    "pre_publication_submission_due": "Final report to Panel, SoS, Ofsted",
    "published_until": "Kept published until",
    "learning_event_due": "Learning event (2 years)",
}
TIMELINE_HORIZON = 10  # working days: the Monday digest attaches pictures of cases with a deadline this close


def marks(case: Case, partnership: Partnership, today: date) -> list[Mark]:
    """Events that happened (not already shown as a met deadline) and every deadline with its state."""
    from bot.documents.timeline_layout import Mark

    found: list[Mark] = []
    for label, when in (("LA aware", case.la_aware), ("Panel responded", case.panel_responded),
                        (_decision_label(case), case.lcspr_decision),
                        ("Action plan signed off", case.action_plan_signed_off)):
        if when is not None:
            found.append(Mark(label, when, when, "done", kind="milestone"))
    for d in case_deadlines(case, partnership):
        found.append(Mark(LABELS.get(d.name, d.rule.summary), d.due, d.met_on, d.rag(today, partnership.policy).value,
                          strength=d.rule.strength.value))
    return sorted(found, key=lambda m: m.due)


def _decision_label(case: Case) -> str:
    return {LcsprOutcome.COMMISSIONED: "LCSPR commissioned",
            LcsprOutcome.NOT_COMMISSIONED: "No LCSPR: decision"}.get(case.lcspr_outcome, "LCSPR decision")


def due_soon(case: Case, partnership: Partnership, today: date, horizon: int = TIMELINE_HORIZON) -> bool:
    """Whether an open deadline falls between today and `horizon` working days ahead."""
    cal = partnership.policy.calendar
    return any(d.met_on is None and d.rule.actionable and today <= d.due
               and cal.working_days_between(today, d.due) <= horizon for d in case_deadlines(case, partnership))


def pictures(case: Case, partnership: Partnership, today: date) -> tuple[bytes, str]:
    """The timeline as a PNG and as a self-contained HTML page."""
    from bot.documents.timeline_picture import render_html, render_png

    title = f"{case.ref} ({case.child}): statutory timeline, {partnership.name}"
    found = marks(case, partnership, today)
    return render_png(title, found, today), render_html(title, found, today)


def file_names(ref: str) -> tuple[str, str]:
    return f"Timeline - {ref}.png", f"Timeline - {ref}.html"
