"""When to chase an agency's return (process.md §2.4; the cadence is the partnership's, no source
prescribes it): a reminder the working day before it is due, a chaser copied to the agency's
escalation contact on the due day, an escalation to the case review group lead the working day after,
then at most one overdue chaser per working day until a return or nil return is recorded, or the
rapid review the returns were for has gone to the Panel."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from bot.domain.calendar import WorkingCalendar
from bot.domain.model import AgencyRequest, Case, RequestStatus, Stage


class ChaseStep(StrEnum):
    REMINDER = "reminder"
    CHASER = "chaser"
    ESCALATION = "escalation"
    OVERDUE = "overdue"


# the stages in which a rapid review is still being put together from the agencies' returns
REVIEW_STAGES = frozenset({Stage.REFERRED, Stage.SIN_SUBMITTED, Stage.RAPID_REVIEW_IN_PROGRESS,
                           Stage.REPORT_DRAFTED, Stage.APPROVED})


def returns_wanted(case: Case) -> bool:
    """Whether the case still waits for agency returns: not once its rapid review went to the Panel, was
    closed or moved on, so an agency that never answered is not chased (nor listed overdue) forever."""
    return case.stage in REVIEW_STAGES and case.submitted_to_panel is None


ONCE = (ChaseStep.REMINDER, ChaseStep.CHASER, ChaseStep.ESCALATION)


def chase_step(request: AgencyRequest, today: date, calendar: WorkingCalendar, *,
               done: frozenset[ChaseStep] = frozenset(), escalated_today: bool = False) -> ChaseStep | None:
    """What to send about `request` today, if anything, given the once-only steps already `done`.

    Nothing on non-working days, nothing once the request is returned, nil-returned or undeliverable.
    A step missed because the bot was down is caught up on the next working day it runs, unless a
    later step has become due (no reminder after the due day). A due date typed on a non-working day
    counts as the working day before it. No overdue chaser on the day of the escalation.
    """
    if request.status is not RequestStatus.SENT or request.due is None or not calendar.is_working_day(today):
        return None
    due = request.due if calendar.is_working_day(request.due) else calendar.subtract_working_days(request.due, 1)
    if today > due:
        if ChaseStep.ESCALATION not in done:
            return ChaseStep.ESCALATION
        return None if escalated_today else ChaseStep.OVERDUE
    if today == due:
        return None if ChaseStep.CHASER in done else ChaseStep.CHASER
    if today >= calendar.subtract_working_days(due, 1) and ChaseStep.REMINDER not in done:
        return ChaseStep.REMINDER
    return None


def reminder_offset(today: date, due: date, calendar: WorkingCalendar) -> int | None:
    """Which single reminder is due: 3 (two or three working days left, so a missed day is caught
    up), 1 (one left) or 0 (due today); None otherwise and on non-working days."""
    if today > due or not calendar.is_working_day(today):
        return None
    left = calendar.working_days_between(today, due)
    return {0: 0, 1: 1, 2: 3, 3: 3}.get(left)
