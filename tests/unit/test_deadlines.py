"""Deadlines a case's dates determine, and their red/amber/green state (bot/domain/deadlines.py).

The RAG state is what a business support officer sees first, so these tests pin its boundaries
in working days (not calendar days, so Christmas counts for nothing), check that "keep until"
dates never turn red, and that a case only shows deadlines its known dates can actually fix.
"""

from datetime import date

import pytest

from bot.domain.calendar import WorkingCalendar
from bot.domain.deadlines import Deadline, KeyDates, Policy, Rag, deadlines_for, next_deadline, overall_rag
from bot.domain.rules import RULES, ClockStart

DEFAULT = Policy()

FULL_CASE = KeyDates(
    la_aware=date(2026, 12, 22),
    sin_submitted=date(2026, 12, 30),
    decision=date(2027, 8, 31),
    publication=date(2028, 1, 26),
    action_plan_signed_off=date(2028, 3, 1),
    submitted_to_panel=date(2027, 1, 20),
    pre_publication_sent=date(2028, 1, 14),
    published=date(2028, 1, 26),
)


def deadline(name: str, due: date, met_on: date | None = None) -> Deadline:
    return Deadline(RULES[name], due, met_on)


def summary(found: list[Deadline]) -> list[tuple[str, date, date | None]]:
    return [(d.name, d.due, d.met_on) for d in found]


class TestDeadlinesFor:
    def test_a_full_case_gives_every_deadline_in_the_order_a_case_meets_them(self):
        assert summary(deadlines_for(FULL_CASE)) == [
            ("sin_notification_due", date(2026, 12, 31), date(2026, 12, 30)),
            ("rapid_review_due", date(2027, 1, 21), date(2027, 1, 20)),
            ("lcspr_publication_due", date(2028, 2, 29), date(2028, 1, 26)),
            ("pre_publication_submission_due", date(2028, 1, 17), date(2028, 1, 14)),
            ("published_until", date(2029, 1, 26), None),
            ("learning_event_due", date(2030, 3, 1), None),
        ]

    @pytest.mark.parametrize(("dates", "policy", "expected"), [
        pytest.param(KeyDates(), DEFAULT, [], id="nothing known"),
        pytest.param(KeyDates(la_aware=date(2026, 12, 22)), DEFAULT,
                     [("sin_notification_due", date(2026, 12, 31), None)],
                     id="LA aware only: rapid review waits for the SIN"),
        pytest.param(KeyDates(la_aware=date(2026, 12, 22)), Policy(clock=ClockStart.LA_AWARE),
                     [("sin_notification_due", date(2026, 12, 31), None),
                      ("rapid_review_due", date(2027, 1, 15), None)],
                     id="LA aware only under the LA-aware clock"),
        pytest.param(KeyDates(sin_submitted=date(2026, 12, 30)), DEFAULT,
                     [("rapid_review_due", date(2027, 1, 21), None)],
                     id="SIN only"),
        pytest.param(KeyDates(publication=date(2028, 1, 26)), DEFAULT,
                     [("pre_publication_submission_due", date(2028, 1, 17), None),
                      ("published_until", date(2029, 1, 26), None)],
                     id="publication date only"),
        pytest.param(KeyDates(decision=date(2026, 8, 31), action_plan_signed_off=date(2028, 2, 29)), DEFAULT,
                     [("lcspr_publication_due", date(2027, 2, 28), None),
                      ("learning_event_due", date(2030, 2, 28), None)],
                     id="decision and action plan only"),
    ])
    def test_gives_only_the_deadlines_the_known_dates_determine(self, dates, policy, expected):
        assert summary(deadlines_for(dates, policy)) == expected

    def test_the_partnerships_closure_days_move_working_day_deadlines(self):
        policy = Policy(calendar=WorkingCalendar([date(2026, 12, 30)]))
        (sin,) = deadlines_for(KeyDates(la_aware=date(2026, 12, 22)), policy)
        assert sin.due == date(2027, 1, 4)


class TestRag:
    DUE = deadline("sin_notification_due", date(2026, 12, 31))

    @pytest.mark.parametrize(("today", "expected"), [
        pytest.param(date(2026, 12, 22), Rag.GREEN, id="5 working days to go"),
        pytest.param(date(2026, 12, 23), Rag.GREEN, id="4 working days to go"),
        pytest.param(date(2026, 12, 24), Rag.AMBER, id="exactly 3 working days (7 calendar days) to go"),
        pytest.param(date(2026, 12, 26), Rag.AMBER, id="Saturday, 3 working days to go"),
        pytest.param(date(2026, 12, 29), Rag.AMBER, id="2 working days to go"),
        pytest.param(date(2026, 12, 31), Rag.AMBER, id="due today"),
        pytest.param(date(2027, 1, 1), Rag.RED, id="one day past due, on a bank holiday"),
        pytest.param(date(2027, 6, 1), Rag.RED, id="long past due"),
    ])
    def test_amber_within_three_working_days_and_red_once_past_due(self, today, expected):
        assert self.DUE.rag(today, DEFAULT) is expected

    @pytest.mark.parametrize(("today", "expected"), [
        pytest.param(date(2026, 12, 31), Rag.AMBER, id="due today"),
        pytest.param(date(2026, 12, 30), Rag.GREEN, id="one working day to go"),
        pytest.param(date(2027, 1, 1), Rag.RED, id="one day past due"),
    ])
    def test_with_a_zero_threshold_only_the_due_day_is_amber(self, today, expected):
        assert self.DUE.rag(today, Policy(amber_within_working_days=0)) is expected

    def test_a_weekend_day_after_the_due_date_is_already_red(self):
        assert deadline("agency_return_due", date(2026, 3, 13)).rag(date(2026, 3, 14), DEFAULT) is Rag.RED

    def test_closure_days_bring_amber_forward(self):
        policy = Policy(calendar=WorkingCalendar([date(2026, 12, 24)]))
        assert self.DUE.rag(date(2026, 12, 23), policy) is Rag.AMBER

    @pytest.mark.parametrize("met_on", [date(2026, 12, 30), date(2027, 1, 8)], ids=["on time", "late"])
    def test_a_met_deadline_is_done_whenever_it_was_met(self, met_on):
        met = deadline("sin_notification_due", date(2026, 12, 31), met_on)
        assert met.rag(date(2027, 6, 1), DEFAULT) is Rag.DONE

    @pytest.mark.parametrize("today", [date(2028, 1, 26), date(2029, 1, 26), date(2030, 1, 1)],
                             ids=["long before", "on the day", "long after"])
    def test_the_keep_until_date_never_turns_red(self, today):
        keep = deadline("published_until", date(2029, 1, 26))
        assert keep.rag(today, DEFAULT) is Rag.NONE


class TestOverallRag:
    TODAY = date(2026, 12, 29)
    RED = deadline("sin_notification_due", date(2026, 12, 24))
    AMBER = deadline("rapid_review_due", date(2026, 12, 31))
    GREEN = deadline("lcspr_publication_due", date(2027, 6, 30))
    DONE = deadline("agency_return_due", date(2026, 12, 1), date(2026, 11, 30))
    NONE = deadline("published_until", date(2026, 1, 1))

    @pytest.mark.parametrize(("names", "expected"), [
        pytest.param(["GREEN", "AMBER", "RED", "DONE", "NONE"], Rag.RED, id="red beats everything"),
        pytest.param(["DONE", "GREEN", "AMBER", "NONE"], Rag.AMBER, id="amber beats green"),
        pytest.param(["NONE", "DONE", "GREEN"], Rag.GREEN, id="green beats done"),
        pytest.param(["NONE", "DONE"], Rag.DONE, id="done beats none"),
        pytest.param(["NONE"], Rag.NONE, id="only a keep-until date"),
        pytest.param([], Rag.NONE, id="no deadlines"),
    ])
    def test_is_the_worst_state_among_the_deadlines(self, names, expected):
        found = [getattr(self, n) for n in names]
        assert [d.rag(self.TODAY, DEFAULT) for d in found] == [Rag[n] for n in names]
        assert overall_rag(found, self.TODAY, DEFAULT) is expected


class TestNextDeadline:
    def test_is_the_earliest_open_deadline_whatever_the_list_order(self):
        later = deadline("lcspr_publication_due", date(2027, 6, 30))
        sooner = deadline("rapid_review_due", date(2027, 1, 21))
        assert next_deadline([later, sooner]) is sooner

    def test_ignores_met_deadlines(self):
        met = deadline("sin_notification_due", date(2026, 12, 31), date(2026, 12, 30))
        open_ = deadline("rapid_review_due", date(2027, 1, 21))
        assert next_deadline([met, open_]) is open_

    def test_ignores_keep_until_dates_even_when_earliest(self):
        keep = deadline("published_until", date(2026, 1, 1))
        open_ = deadline("learning_event_due", date(2030, 3, 1))
        assert next_deadline([keep, open_]) is open_

    @pytest.mark.parametrize("found", [
        pytest.param([], id="no deadlines"),
        pytest.param([deadline("sin_notification_due", date(2026, 12, 31), date(2026, 12, 30)),
                      deadline("published_until", date(2029, 1, 26))], id="all met or keep-until"),
    ])
    def test_is_none_when_nothing_is_open(self, found):
        assert next_deadline(found) is None

    def test_for_a_full_case_is_the_learning_event(self):
        found = next_deadline(deadlines_for(FULL_CASE))
        assert found is not None and found.name == "learning_event_due"
