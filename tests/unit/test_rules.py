"""Statutory and local timescales (bot/domain/rules.py).

Each rule is one function the bot uses to tell a partnership when something is due, so each is
checked against hand-worked dates: working-day rules across bank holidays, calendar-month rules
at month ends and leap years. The registry tests keep every rule honest about where it comes
from and how binding it is (must, should or local practice), which the bot reports to users.
"""

import inspect
from datetime import date

import pytest

from bot.domain import rules
from bot.domain.calendar import WorkingCalendar
from bot.domain.rules import (
    RULES,
    ClockStart,
    Strength,
    add_months,
    agency_return_due,
    lcspr_publication_due,
    learning_event_due,
    pre_publication_submission_due,
    published_until,
    rapid_review_due,
    sin_notification_due,
)


class TestSinNotificationDue:
    @pytest.mark.parametrize(("la_aware", "expected"), [
        pytest.param(date(2026, 12, 22), date(2026, 12, 31), id="worked example over Christmas 2026"),
        pytest.param(date(2026, 3, 9), date(2026, 3, 16), id="a plain week"),
        pytest.param(date(2026, 3, 7), date(2026, 3, 13), id="aware on a Saturday"),
        pytest.param(date(2026, 4, 2), date(2026, 4, 13), id="over Easter 2026"),
        pytest.param(date(2022, 9, 16), date(2022, 9, 26), id="over the state funeral"),
        pytest.param(date(2022, 12, 19), date(2022, 12, 28), id="over Christmas 2022 sub"),
    ])
    def test_is_five_working_days_after_the_la_becomes_aware(self, la_aware, expected):
        assert sin_notification_due(la_aware) == expected

    def test_a_local_closure_day_pushes_it_later(self):
        cal = WorkingCalendar(closures=[date(2026, 12, 30)])
        assert sin_notification_due(date(2026, 12, 22), cal) == date(2027, 1, 4)


class TestRapidReviewDue:
    @pytest.mark.parametrize(("sin_submitted", "expected"), [
        pytest.param(date(2026, 3, 9), date(2026, 3, 30), id="three plain weeks"),
        pytest.param(date(2026, 12, 17), date(2027, 1, 12), id="over Christmas and New Year 2026-27"),
        pytest.param(date(2027, 3, 22), date(2027, 4, 14), id="over Easter 2027"),
    ])
    def test_is_fifteen_working_days_after_the_sin_by_default(self, sin_submitted, expected):
        assert rapid_review_due(sin_submitted=sin_submitted, la_aware=date(2026, 1, 5)) == expected

    def test_counts_from_la_awareness_when_the_partnership_says_so(self):
        due = rapid_review_due(sin_submitted=date(2026, 3, 9), la_aware=date(2026, 3, 2),
                               clock=ClockStart.LA_AWARE)
        assert due == date(2026, 3, 23)

    @pytest.mark.parametrize(("clock", "sin_submitted", "la_aware"), [
        pytest.param(ClockStart.SIN_SUBMITTED, None, date(2026, 3, 2), id="SIN clock, no SIN yet"),
        pytest.param(ClockStart.LA_AWARE, date(2026, 3, 9), None, id="LA clock, no awareness date"),
        pytest.param(ClockStart.SIN_SUBMITTED, None, None, id="nothing known"),
    ])
    def test_is_unknown_until_the_chosen_start_date_is_known(self, clock, sin_submitted, la_aware):
        assert rapid_review_due(sin_submitted=sin_submitted, la_aware=la_aware, clock=clock) is None

    def test_a_local_closure_day_pushes_it_later(self):
        cal = WorkingCalendar(closures=[date(2026, 3, 20)])
        assert rapid_review_due(sin_submitted=date(2026, 3, 9), la_aware=None, calendar=cal) == date(2026, 3, 31)


class TestAgencyReturnDue:
    @pytest.mark.parametrize(("sent", "kwargs", "expected"), [
        pytest.param(date(2026, 3, 9), {}, date(2026, 3, 18), id="default 7 working days"),
        pytest.param(date(2023, 5, 2), {}, date(2023, 5, 12), id="default over the coronation"),
        pytest.param(date(2026, 3, 9), {"working_days": 10}, date(2026, 3, 23), id="custom 10"),
        pytest.param(date(2026, 3, 9), {"working_days": 2}, date(2026, 3, 11), id="custom 2"),
    ])
    def test_is_the_partnerships_working_days_after_the_request(self, sent, kwargs, expected):
        assert agency_return_due(sent, **kwargs) == expected


class TestPrePublicationSubmissionDue:
    @pytest.mark.parametrize(("publication", "expected"), [
        pytest.param(date(2026, 4, 20), date(2026, 4, 9), id="plain weeks"),
        pytest.param(date(2026, 4, 18), date(2026, 4, 9), id="publication on a Saturday"),
        pytest.param(date(2026, 4, 15), date(2026, 4, 2), id="back over Easter 2026"),
        pytest.param(date(2027, 1, 6), date(2026, 12, 23), id="back over Christmas 2026"),
        pytest.param(date(2023, 1, 10), date(2022, 12, 29), id="back over New Year 2023 sub"),
    ])
    def test_is_seven_working_days_before_publication(self, publication, expected):
        assert pre_publication_submission_due(publication) == expected

    def test_a_local_closure_day_pulls_it_earlier(self):
        cal = WorkingCalendar(closures=[date(2026, 4, 9)])
        assert pre_publication_submission_due(date(2026, 4, 20), cal) == date(2026, 4, 8)


class TestCalendarMonthRules:
    @pytest.mark.parametrize(("decision", "expected"), [
        pytest.param(date(2026, 8, 31), date(2027, 2, 28), id="31 Aug -> 28 Feb"),
        pytest.param(date(2027, 8, 31), date(2028, 2, 29), id="31 Aug -> 29 Feb in a leap year"),
        pytest.param(date(2026, 8, 30), date(2027, 2, 28), id="30 Aug -> 28 Feb"),
        pytest.param(date(2027, 8, 29), date(2028, 2, 29), id="29 Aug -> 29 Feb in a leap year"),
        pytest.param(date(2026, 9, 30), date(2027, 3, 30), id="30 Sep -> 30 Mar, the corresponding date"),
        pytest.param(date(2026, 3, 31), date(2026, 9, 30), id="31 Mar -> 30 Sep"),
        pytest.param(date(2026, 12, 31), date(2027, 6, 30), id="31 Dec -> 30 Jun"),
        pytest.param(date(2026, 7, 15), date(2027, 1, 15), id="mid-month across the year end"),
    ])
    def test_lcspr_publication_is_six_calendar_months_after_the_decision(self, decision, expected):
        assert lcspr_publication_due(decision) == expected

    def test_lcspr_publication_is_not_moved_off_a_weekend(self):
        assert lcspr_publication_due(date(2026, 8, 31)).weekday() == 6  # Sun 28 Feb 2027

    @pytest.mark.parametrize(("publication", "expected"), [
        pytest.param(date(2028, 2, 29), date(2029, 2, 28), id="29 Feb -> 28 Feb"),
        pytest.param(date(2027, 2, 28), date(2028, 2, 28), id="28 Feb stays 28 Feb in a leap year"),
        pytest.param(date(2026, 3, 15), date(2027, 3, 15), id="an ordinary day"),
        pytest.param(date(2026, 12, 31), date(2027, 12, 31), id="31 Dec"),
    ])
    def test_a_report_stays_published_for_one_year(self, publication, expected):
        assert published_until(publication) == expected

    @pytest.mark.parametrize(("signed_off", "expected"), [
        pytest.param(date(2026, 6, 10), date(2028, 6, 10), id="an ordinary day"),
        pytest.param(date(2028, 2, 29), date(2030, 2, 28), id="29 Feb -> 28 Feb"),
        pytest.param(date(2026, 1, 31), date(2028, 1, 31), id="31 Jan"),
    ])
    def test_the_learning_event_is_two_years_after_sign_off(self, signed_off, expected):
        assert learning_event_due(signed_off) == expected

    @pytest.mark.parametrize(("start", "months", "expected"), [
        pytest.param(date(2026, 1, 31), 1, date(2026, 2, 28), id="31 Jan + 1 -> 28 Feb"),
        pytest.param(date(2028, 1, 31), 1, date(2028, 2, 29), id="31 Jan + 1 -> 29 Feb in a leap year"),
        pytest.param(date(2026, 11, 15), 2, date(2027, 1, 15), id="across the year end"),
        pytest.param(date(2026, 12, 31), 12, date(2027, 12, 31), id="December + 12"),
        pytest.param(date(2026, 5, 31), 0, date(2026, 5, 31), id="zero months"),
        pytest.param(date(2026, 5, 31), 36, date(2029, 5, 31), id="several years"),
    ])
    def test_add_months_clamps_to_the_last_day_of_the_month(self, start, months, expected):
        assert add_months(start, months) == expected


RULE_FUNCTIONS = {
    name: fn for name, fn in inspect.getmembers(rules, inspect.isfunction)
    if fn.__module__ == rules.__name__ and name != "add_months"
}


class TestRuleRegistry:
    def test_every_rule_function_has_exactly_one_registry_entry(self):
        assert set(RULE_FUNCTIONS) == set(RULES)

    @pytest.mark.parametrize("name", sorted(RULES))
    def test_every_rule_has_a_source_and_a_strength(self, name):
        rule = RULES[name]
        assert rule.name == name
        assert rule.summary.strip()
        assert rule.source.strip()
        assert isinstance(rule.strength, Strength)

    @pytest.mark.parametrize("name", sorted(RULES))
    def test_every_rule_docstring_says_how_binding_it_is_and_cites_a_source(self, name):
        doc = inspect.getdoc(RULE_FUNCTIONS[name]) or ""
        assert any(word in doc for word in ("must", "should", "local practice"))
        assert RULES[name].strength.value in doc
        assert any(cite in doc for cite in ("seed ", "process.md", "SI 2018/789", "Working Together"))

    def test_only_the_keep_until_dates_are_not_actionable(self):
        assert {name for name, rule in RULES.items() if not rule.actionable} == {"published_until", "retention_ends"}

    def test_records_are_kept_the_configured_years_after_closure_with_29_february_clamped(self):
        from datetime import date

        from bot.domain.rules import retention_ends

        assert retention_ends(date(2026, 3, 31), 25) == date(2051, 3, 31)
        assert retention_ends(date(2028, 2, 29), 1) == date(2029, 2, 28)


class TestClockGivenAsText:
    def test_a_clock_given_as_plain_text_counts_from_the_same_date_as_the_enum(self):
        from datetime import date

        from bot.domain.rules import rapid_review_due

        assert rapid_review_due(sin_submitted=date(2026, 12, 23), la_aware=date(2026, 12, 22),
                                clock="sin_submitted") == date(2027, 1, 18)  # type: ignore[arg-type]

    def test_an_unknown_clock_is_refused(self):
        from datetime import date

        import pytest

        from bot.domain.rules import rapid_review_due

        with pytest.raises(ValueError):
            rapid_review_due(sin_submitted=date(2026, 12, 23), la_aware=None, clock="whenever")  # type: ignore[arg-type]
