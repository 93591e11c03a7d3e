"""Statutory and local timescales, one small function per rule, each citing its source.

Most of these deadlines are guidance ("should"), not law; the bot treats them as hard internal
targets but reports their status honestly (process.md §0.1). Seeds are in ../shared/seeds/.
"""

from __future__ import annotations

import calendar as _months
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.domain.calendar import ENGLAND, WorkingCalendar


class Strength(StrEnum):
    MUST = "must"
    SHOULD = "should"
    LOCAL = "local practice"


class ClockStart(StrEnum):
    """When the 15-working-day rapid review clock starts; partnerships differ (process.md §1.4)."""

    SIN_SUBMITTED = "sin_submitted"
    LA_AWARE = "la_aware"


@dataclass(frozen=True)
class Rule:
    name: str
    summary: str
    strength: Strength
    source: str
    actionable: bool = True  # False for "keep until" dates, which never turn red


def add_months(d: date, months: int) -> date:
    """Same day `months` calendar months later, clamped to the month's last day (31 Aug + 6 -> 28/29 Feb)."""
    month_index = d.month - 1 + months
    year, month = d.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(d.day, _months.monthrange(year, month)[1]))


def sin_notification_due(la_aware: date, calendar: WorkingCalendar = ENGLAND) -> date:
    """Serious incident notification to the Panel: 5 working days after the LA becomes aware.

    The duty to notify is law (Children Act 2004 s16C: *must*); the 5-working-day window is
    Working Together 2023 guidance (*should*; GOV.UK says "must"). Day 0 is the awareness day.
    Sources: process.md T1; seed 001_561138213bff8628.txt §1.1.16.
    """
    return calendar.add_working_days(la_aware, 5)


def dfe_notification_due(la_aware: date, calendar: WorkingCalendar = ENGLAND) -> date:
    """The Secretary of State and Ofsted told, through the DfE online notification system, of the death of a
    looked-after child (whether or not abuse or neglect is suspected) or of a care leaver up to and including
    age 24: within 5 working days of the LA becoming aware (*should*; the looked-after duty is in Children Act
    1989 Sch 2 para 20(1)(a)). The bot cannot submit the form: it tracks and reminds until the team records it.
    Sources: process.md T3, T4; seed 001_561138213bff8628.txt §1.1.16.
    """
    return calendar.add_working_days(la_aware, 5)


def rapid_review_due(
    *,
    sin_submitted: date | None,
    la_aware: date | None,
    clock: ClockStart = ClockStart.SIN_SUBMITTED,
    calendar: WorkingCalendar = ENGLAND,
) -> date | None:
    """Rapid review complete and sent to the Panel: 15 working days (*should*, WT23 / Panel guidance).

    The start of the clock is a per-partnership setting: `sin_submitted` (default; "within 15
    working days of the SIN being submitted", seed 001_561138213bff8628.txt §1.1.21) or `la_aware`
    (Derby & Derbyshire). Returns None when the chosen start date is not known yet.
    """
    clock = ClockStart(clock)  # a plain "sin_submitted" string must not silently fall through to la_aware
    start = sin_submitted if clock is ClockStart.SIN_SUBMITTED else la_aware
    return None if start is None else calendar.add_working_days(start, 15)


def agency_return_due(requests_sent: date, working_days: int = 7, calendar: WorkingCalendar = ENGLAND) -> date:
    """An agency's information return: N working days after the request (*local practice*, default 7).

    No national deadline exists; Devon's window is working days 2-10 and the default leaves time for
    quality assurance before the rapid review meeting (process.md §2.4).
    """
    return calendar.add_working_days(requests_sent, working_days)


def lcspr_publication_due(decision: date) -> date:
    """A local child safeguarding practice review published within 6 calendar months of the decision.

    *should*: Working Together 2023 ("no later than six months after the date of the decision",
    seed 000_067b4bcff8c5e82f.txt; seed 001_561138213bff8628.txt §1.1.29). Clamped to month end.
    """
    return add_months(decision, 6)


def pre_publication_submission_due(publication: date, calendar: WorkingCalendar = ENGLAND) -> date:
    """Full report to the Panel, the Secretary of State and Ofsted at least 7 working days before publication.

    *must* for the Panel and the Secretary of State (SI 2018/789, reg 16 [paragraph unverified]);
    Ofsted in the same timescale is WT23 *should*. Seed 001_561138213bff8628.txt §1.1.55.
    """
    return calendar.subtract_working_days(publication, 7)


def published_until(publication: date) -> date:
    """A published local review stays publicly available for at least one year (*must*).

    SI 2018/789; seed 000_067b4bcff8c5e82f.txt; seed 001_561138213bff8628.txt §1.1.53.
    """
    return add_months(publication, 12)


def learning_event_due(action_plan_signed_off: date) -> date:
    """Review the action plan and consider a reflective learning event two years after sign-off.

    *local practice*: seed 001_561138213bff8628.txt §1.1.52.
    """
    return add_months(action_plan_signed_off, 24)


def retention_ends(closed_on: date, years: int) -> date:
    """The last day a closed case's records are kept: the closure date `years` on (29 Feb -> 28 Feb).

    *local practice*: no national retention period was found (process.md §4.3 asks for it to be
    configurable); each partnership sets `retention_years` from its own schedule.
    """
    return add_months(closed_on, 12 * years)


RULES: dict[str, Rule] = {
    "sin_notification_due": Rule(
        "sin_notification_due", "Serious incident notification to the Panel (5 working days after LA aware)",
        Strength.SHOULD, "Children Act 2004 s16C (duty: must); Working Together 2023 (5 WD: should)"),
    "rapid_review_due": Rule(
        "rapid_review_due", "Rapid review sent to the Panel (15 working days)",
        Strength.SHOULD, "Working Together 2023 / Panel guidance; seed 001_561138213bff8628.txt §1.1.21"),
    "dfe_notification_due": Rule(
        "dfe_notification_due",
        "Secretary of State and Ofsted told of a looked-after child's or care leaver's death (DfE online system, "
        "5 working days)", Strength.SHOULD,
        "Children Act 1989 Sch 2 para 20(1)(a); Working Together 2023; process.md T3, T4"),
    "agency_return_due": Rule(
        "agency_return_due", "Agency information return (partnership's working days)",
        Strength.LOCAL, "Partnership procedure; process.md §2.4"),
    "lcspr_publication_due": Rule(
        "lcspr_publication_due", "LCSPR published (6 calendar months after the decision)",
        Strength.SHOULD, "Working Together 2023; seed 000_067b4bcff8c5e82f.txt"),
    "pre_publication_submission_due": Rule(
        "pre_publication_submission_due",
        "Final report to the Panel, Secretary of State and Ofsted (7 working days before publication)",
        Strength.MUST, "SI 2018/789 reg 16; seed 001_561138213bff8628.txt §1.1.55"),
    "published_until": Rule(
        "published_until", "Report kept publicly available until at least",
        Strength.MUST, "SI 2018/789; seed 000_067b4bcff8c5e82f.txt", actionable=False),
    "learning_event_due": Rule(
        "learning_event_due", "Action plan review and learning event (2 years after sign-off)",
        Strength.LOCAL, "seed 001_561138213bff8628.txt §1.1.52"),
    "retention_ends": Rule(
        "retention_ends", "Records of a closed case kept until (partnership's retention_years)",
        Strength.LOCAL, "Partnership retention schedule; process.md §4.3", actionable=False),
}
