"""When to chase an agency's return (process.md §2.4; the cadence is the partnership's, no source
prescribes it): a reminder the working day before it is due, a chaser copied to the agency's
escalation contact on the due day, an escalation to the case review group lead the working day after,
then at most one overdue chaser per working day until a return or nil return is recorded."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from bot.domain.calendar import WorkingCalendar
from bot.domain.model import AgencyRequest, RequestStatus


class ChaseStep(StrEnum):
    REMINDER = "reminder"
    CHASER = "chaser"
    ESCALATION = "escalation"
    OVERDUE = "overdue"


def chase_step(request: AgencyRequest, today: date, calendar: WorkingCalendar) -> ChaseStep | None:
    """What to send about `request` today, if anything. Nothing on non-working days, nothing once
    the request is returned, nil-returned or undeliverable, nothing before it was sent."""
    if request.status is not RequestStatus.SENT or request.due is None:
        return None
    if not calendar.is_working_day(today):
        return None
    due = request.due
    if today == calendar.subtract_working_days(due, 1):
        return ChaseStep.REMINDER
    if today == due:
        return ChaseStep.CHASER
    if today == calendar.add_working_days(due, 1):
        return ChaseStep.ESCALATION
    if today > due:
        return ChaseStep.OVERDUE
    return None


def reminder_offset(today: date, due: date, calendar: WorkingCalendar) -> int | None:
    """3, 1 or 0 when `today` is that many working days before `due` (the single reminders), else None."""
    if today > due or not calendar.is_working_day(today):
        return None
    left = calendar.working_days_between(today, due)
    return left if left in (3, 1, 0) else None
