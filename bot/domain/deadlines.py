"""Every deadline a case's known dates determine, and its red/amber/green state at a given day."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.domain import rules
from bot.domain.calendar import ENGLAND, WorkingCalendar
from bot.domain.rules import ClockStart, Rule


class Rag(StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    DONE = "done"
    NONE = "none"


_RAG_ORDER = [Rag.RED, Rag.AMBER, Rag.GREEN, Rag.DONE, Rag.NONE]


@dataclass(frozen=True)
class Policy:
    """The partnership choices that change deadlines."""

    clock: ClockStart = ClockStart.SIN_SUBMITTED
    agency_return_working_days: int = 7
    amber_within_working_days: int = 3
    calendar: WorkingCalendar = field(default=ENGLAND)


@dataclass(frozen=True)
class KeyDates:
    """The dates that determine deadlines, and the dates on which each deadline was met."""

    la_aware: date | None = None
    sin_submitted: date | None = None
    decision: date | None = None
    publication: date | None = None
    action_plan_signed_off: date | None = None
    submitted_to_panel: date | None = None
    pre_publication_sent: date | None = None
    published: date | None = None
    lcspr_commissioned: bool = True  # a decision date with no review commissioned sets no publication clock
    dfe_notification_needed: bool = False  # a looked-after child's or care leaver's death (process.md T3, T4)
    dfe_notified: date | None = None


@dataclass(frozen=True)
class Deadline:
    rule: Rule
    due: date
    met_on: date | None = None

    @property
    def name(self) -> str:
        return self.rule.name

    def rag(self, today: date, policy: Policy) -> Rag:
        """Done once met; red when past due; amber within the policy's working days; else green."""
        if not self.rule.actionable:
            return Rag.NONE
        if self.met_on is not None:
            return Rag.DONE
        if today > self.due:
            return Rag.RED
        if policy.calendar.working_days_between(today, self.due) <= policy.amber_within_working_days:
            return Rag.AMBER
        return Rag.GREEN


def deadlines_for(dates: KeyDates, policy: Policy = Policy()) -> list[Deadline]:
    """The deadlines the known dates determine, in the order a case meets them."""
    cal = policy.calendar
    found: list[Deadline] = []

    def add(name: str, due: date | None, met_on: date | None = None) -> None:
        if due is not None:
            found.append(Deadline(rules.RULES[name], due, met_on))

    if dates.la_aware:
        add("sin_notification_due", rules.sin_notification_due(dates.la_aware, cal), dates.sin_submitted)
    add("rapid_review_due",
        rules.rapid_review_due(sin_submitted=dates.sin_submitted, la_aware=dates.la_aware,
                               clock=policy.clock, calendar=cal),
        dates.submitted_to_panel)
    if dates.la_aware and dates.dfe_notification_needed:
        add("dfe_notification_due", rules.dfe_notification_due(dates.la_aware, cal), dates.dfe_notified)
    if dates.decision and dates.lcspr_commissioned:
        add("lcspr_publication_due", rules.lcspr_publication_due(dates.decision), dates.published)
    if dates.publication:
        add("pre_publication_submission_due", rules.pre_publication_submission_due(dates.publication, cal),
            dates.pre_publication_sent)
        add("published_until", rules.published_until(dates.publication))
    if dates.action_plan_signed_off:
        add("learning_event_due", rules.learning_event_due(dates.action_plan_signed_off))
    return found


def overall_rag(deadlines: list[Deadline], today: date, policy: Policy) -> Rag:
    """The worst state among a case's deadlines (red before amber before green)."""
    states = {d.rag(today, policy) for d in deadlines}
    return next((r for r in _RAG_ORDER if r in states), Rag.NONE)


def next_deadline(deadlines: list[Deadline]) -> Deadline | None:
    """The earliest deadline not yet met (ignoring "keep until" dates)."""
    open_ = [d for d in deadlines if d.met_on is None and d.rule.actionable]
    return min(open_, key=lambda d: d.due, default=None)
