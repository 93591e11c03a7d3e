"""Working-day arithmetic (bot/domain/calendar.py).

Every statutory timescale the bot reports is counted in working days, so an off-by-one here
silently moves a Panel deadline. These tests pin the counting rule (the start day is day 0,
whatever kind of day it is) against real England and Wales bank holidays: Christmas and New
Year falling on weekends, Easter, the one-off holidays of 2022-23, and local closure days.
Expected dates are worked out by hand from the GOV.UK bank-holiday list, never by the code.
"""

from datetime import date

import pytest

from bot.domain.calendar import (
    ENGLAND,
    WorkingCalendar,
    add_working_days,
    is_working_day,
    subtract_working_days,
)


class TestIsWorkingDay:
    @pytest.mark.parametrize(("day", "expected"), [
        pytest.param(date(2026, 12, 24), True, id="Thu 24 Dec 2026 is an ordinary weekday"),
        pytest.param(date(2026, 12, 25), False, id="Christmas Day 2026"),
        pytest.param(date(2026, 12, 28), False, id="Mon 28 Dec 2026 substitute Boxing Day"),
        pytest.param(date(2026, 3, 7), False, id="Saturday"),
        pytest.param(date(2026, 3, 8), False, id="Sunday"),
        pytest.param(date(2021, 12, 27), False, id="Mon 27 Dec 2021 substitute Christmas Day"),
        pytest.param(date(2021, 12, 28), False, id="Tue 28 Dec 2021 substitute Boxing Day"),
        pytest.param(date(2022, 12, 27), False, id="Tue 27 Dec 2022 substitute Christmas Day"),
        pytest.param(date(2027, 12, 27), False, id="Mon 27 Dec 2027 substitute Christmas Day"),
        pytest.param(date(2027, 12, 28), False, id="Tue 28 Dec 2027 substitute Boxing Day"),
        pytest.param(date(2022, 1, 3), False, id="Mon 3 Jan 2022 substitute New Year"),
        pytest.param(date(2023, 1, 2), False, id="Mon 2 Jan 2023 substitute New Year"),
        pytest.param(date(2026, 4, 3), False, id="Good Friday 2026"),
        pytest.param(date(2026, 4, 6), False, id="Easter Monday 2026"),
        pytest.param(date(2027, 3, 26), False, id="Good Friday 2027"),
        pytest.param(date(2027, 3, 29), False, id="Easter Monday 2027"),
        pytest.param(date(2022, 9, 19), False, id="state funeral 2022"),
        pytest.param(date(2023, 5, 8), False, id="coronation 2023"),
        pytest.param(date(2022, 6, 2), False, id="spring bank holiday moved to Thu 2 Jun 2022"),
        pytest.param(date(2022, 6, 3), False, id="platinum jubilee 2022"),
        pytest.param(date(2026, 1, 2), True, id="2 Jan is a holiday in Scotland only"),
        pytest.param(date(2026, 3, 17), True, id="St Patrick's Day is a holiday in Northern Ireland only"),
        pytest.param(date(2027, 7, 12), True, id="Battle of the Boyne is a holiday in Northern Ireland only"),
    ])
    def test_counts_only_england_and_wales_weekdays(self, day, expected):
        assert is_working_day(day) is expected
        assert ENGLAND.is_working_day(day) is expected


class TestAddWorkingDays:
    @pytest.mark.parametrize(("start", "n", "expected"), [
        pytest.param(date(2026, 12, 22), 5, date(2026, 12, 31), id="worked example: 22 Dec 2026 + 5"),
        pytest.param(date(2026, 12, 24), 1, date(2026, 12, 29), id="2026: Christmas, weekend, sub Boxing Day"),
        pytest.param(date(2021, 12, 24), 1, date(2021, 12, 29), id="2021: Sat/Sun Christmas, subs 27-28"),
        pytest.param(date(2021, 12, 31), 1, date(2022, 1, 4), id="2022: New Year sub on Mon 3 Jan"),
        pytest.param(date(2022, 12, 23), 1, date(2022, 12, 28), id="2022: Boxing Day Mon, Christmas sub Tue"),
        pytest.param(date(2022, 12, 30), 1, date(2023, 1, 3), id="2023: New Year sub on Mon 2 Jan"),
        pytest.param(date(2023, 12, 22), 1, date(2023, 12, 27), id="2023: Christmas Mon, Boxing Day Tue"),
        pytest.param(date(2027, 12, 24), 1, date(2027, 12, 29), id="2027: subs 27-28 Dec"),
        pytest.param(date(2027, 12, 24), 4, date(2028, 1, 4), id="2027-28: through to New Year sub 3 Jan"),
        pytest.param(date(2026, 4, 2), 1, date(2026, 4, 7), id="Easter 2026"),
        pytest.param(date(2026, 4, 1), 5, date(2026, 4, 10), id="Easter 2026 inside a 5-day window"),
        pytest.param(date(2027, 3, 25), 1, date(2027, 3, 30), id="Easter 2027"),
        pytest.param(date(2022, 9, 16), 1, date(2022, 9, 20), id="state funeral 19 Sep 2022"),
        pytest.param(date(2023, 5, 5), 1, date(2023, 5, 9), id="coronation 8 May 2023"),
        pytest.param(date(2023, 4, 28), 6, date(2023, 5, 10), id="May Day and coronation in one window"),
        pytest.param(date(2022, 6, 1), 1, date(2022, 6, 6), id="spring bank holiday and jubilee 2-3 Jun 2022"),
        pytest.param(date(2026, 3, 9), 5, date(2026, 3, 16), id="no holidays: a plain week"),
    ])
    def test_skips_weekends_and_bank_holidays(self, start, n, expected):
        assert add_working_days(start, n) == expected
        assert ENGLAND.add_working_days(start, n) == expected

    @pytest.mark.parametrize(("start", "n", "expected"), [
        pytest.param(date(2026, 3, 7), 1, date(2026, 3, 9), id="Saturday + 1 is Monday"),
        pytest.param(date(2026, 3, 8), 1, date(2026, 3, 9), id="Sunday + 1 is Monday"),
        pytest.param(date(2026, 5, 2), 1, date(2026, 5, 5), id="Saturday + 1 is Tuesday after May Day"),
        pytest.param(date(2026, 4, 6), 1, date(2026, 4, 7), id="Easter Monday + 1 is Tuesday"),
        pytest.param(date(2026, 12, 25), 1, date(2026, 12, 29), id="Christmas Day + 1 is Tuesday 29th"),
        pytest.param(date(2026, 3, 7), 5, date(2026, 3, 13), id="Saturday + 5 is Friday"),
    ])
    def test_counts_from_a_non_working_start_day_as_day_zero(self, start, n, expected):
        assert add_working_days(start, n) == expected

    @pytest.mark.parametrize("start", [
        pytest.param(date(2026, 3, 7), id="Saturday"),
        pytest.param(date(2026, 3, 8), id="Sunday"),
        pytest.param(date(2026, 12, 25), id="Christmas Day"),
        pytest.param(date(2026, 3, 9), id="Monday"),
    ])
    def test_zero_days_returns_the_start_day_unchanged_even_when_not_a_working_day(self, start):
        assert add_working_days(start, 0) == start
        assert subtract_working_days(start, 0) == start

    @pytest.mark.parametrize("step", [add_working_days, subtract_working_days, ENGLAND.add_working_days,
                                      ENGLAND.subtract_working_days])
    def test_a_negative_number_of_days_is_refused(self, step):
        with pytest.raises(ValueError, match="negative"):
            step(date(2026, 3, 9), -1)


class TestSubtractWorkingDays:
    @pytest.mark.parametrize(("start", "n", "expected"), [
        pytest.param(date(2026, 3, 9), 1, date(2026, 3, 6), id="Monday - 1 is Friday"),
        pytest.param(date(2026, 3, 7), 1, date(2026, 3, 6), id="Saturday - 1 is Friday"),
        pytest.param(date(2026, 4, 7), 1, date(2026, 4, 2), id="back over Easter 2026"),
        pytest.param(date(2026, 4, 6), 1, date(2026, 4, 2), id="from Easter Monday as day 0"),
        pytest.param(date(2027, 3, 30), 1, date(2027, 3, 25), id="back over Easter 2027"),
        pytest.param(date(2026, 12, 29), 1, date(2026, 12, 24), id="back over Christmas 2026"),
        pytest.param(date(2021, 12, 29), 1, date(2021, 12, 24), id="back over Christmas 2021 subs"),
        pytest.param(date(2022, 1, 4), 2, date(2021, 12, 30), id="back over New Year 2022 sub"),
    ])
    def test_counts_back_over_weekends_and_bank_holidays(self, start, n, expected):
        assert subtract_working_days(start, n) == expected


class TestWorkingDaysBetween:
    @pytest.mark.parametrize(("start", "end", "expected"), [
        pytest.param(date(2026, 12, 22), date(2026, 12, 31), 5, id="worked example window"),
        pytest.param(date(2026, 12, 31), date(2026, 12, 31), 0, id="same day"),
        pytest.param(date(2026, 12, 31), date(2026, 12, 22), -5, id="reversed is negative"),
        pytest.param(date(2021, 12, 24), date(2021, 12, 29), 1, id="over Christmas 2021"),
        pytest.param(date(2026, 3, 7), date(2026, 3, 9), 1, id="Saturday to Monday"),
        pytest.param(date(2026, 3, 6), date(2026, 3, 8), 0, id="Friday to Sunday"),
    ])
    def test_counts_working_days_after_start_up_to_and_including_end(self, start, end, expected):
        assert ENGLAND.working_days_between(start, end) == expected


class TestNextWorkingDay:
    @pytest.mark.parametrize(("day", "expected"), [
        pytest.param(date(2026, 12, 31), date(2026, 12, 31), id="a working day is itself"),
        pytest.param(date(2026, 12, 25), date(2026, 12, 29), id="Christmas Day 2026"),
        pytest.param(date(2026, 3, 7), date(2026, 3, 9), id="Saturday"),
        pytest.param(date(2022, 12, 31), date(2023, 1, 3), id="Sat 31 Dec 2022 over New Year sub"),
    ])
    def test_returns_the_day_or_the_first_working_day_after_it(self, day, expected):
        assert ENGLAND.next_working_day(day) == expected


class TestLocalClosureDays:
    CLOSED = WorkingCalendar(closures=[date(2026, 12, 29), date(2026, 12, 30), date(2026, 12, 31)])

    def test_closure_days_are_not_working_days(self):
        assert not self.CLOSED.is_working_day(date(2026, 12, 30))
        assert not is_working_day(date(2026, 12, 30), self.CLOSED)
        assert self.CLOSED.is_working_day(date(2027, 1, 4))

    def test_closure_days_push_a_deadline_later(self):
        # 23, 24 Dec; 29-31 closed; Fri 1 Jan holiday; weekend; Mon 4, Tue 5, Wed 6 Jan
        assert add_working_days(date(2026, 12, 22), 5, self.CLOSED) == date(2027, 1, 6)

    def test_closure_days_pull_a_count_back_earlier(self):
        assert subtract_working_days(date(2027, 1, 4), 1, self.CLOSED) == date(2026, 12, 24)

    def test_the_default_calendar_is_unaffected_by_a_partnership_calendar(self):
        WorkingCalendar(closures=[date(2026, 12, 23)])
        assert ENGLAND.closures == frozenset()
        assert add_working_days(date(2026, 12, 22), 5) == date(2026, 12, 31)

    def test_a_closure_on_a_weekend_or_bank_holiday_changes_nothing(self):
        cal = WorkingCalendar(closures=[date(2026, 12, 26), date(2026, 12, 28)])
        assert cal.add_working_days(date(2026, 12, 22), 5) == date(2026, 12, 31)

    def test_closures_may_be_given_as_any_iterable(self):
        cal = WorkingCalendar(closures=(date(2026, 3, 10 + i) for i in range(2)))
        assert cal.add_working_days(date(2026, 3, 9), 1) == date(2026, 3, 12)
