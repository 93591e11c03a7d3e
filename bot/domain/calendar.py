"""Working days for statutory timescales: Monday to Friday, minus England and Wales bank holidays
and a partnership's own closure days.

No statute defines "working day" for these processes (process.md §1.4); this follows the common
reading used by partnerships and the GOV.UK bank-holiday feed (england-and-wales division, with
substitute and one-off days), which the `holidays` package carries offline.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=1)
def _england_and_wales() -> holidays.HolidayBase:
    return holidays.country_holidays("GB", subdiv="ENG")


def bank_holiday_name(d: date) -> str | None:
    """The England and Wales bank holiday on `d` (substitute days included), or None."""
    return _england_and_wales().get(d)


class WorkingCalendar:
    """Working days for one partnership: weekdays that are neither bank holidays nor closure days."""

    def __init__(self, closures: Iterable[date] = ()) -> None:
        self.closures = frozenset(closures)

    def __repr__(self) -> str:
        return f"WorkingCalendar(closures={sorted(self.closures)!r})"

    def is_working_day(self, d: date) -> bool:
        """True on Monday to Friday unless `d` is a bank holiday or a local closure day."""
        return d.weekday() < 5 and d not in self.closures and bank_holiday_name(d) is None

    def add_working_days(self, d: date, n: int) -> date:
        """The n-th working day after `d`. `d` itself is day 0, whatever kind of day it is."""
        return self._step(d, n, +1)

    def subtract_working_days(self, d: date, n: int) -> date:
        """The n-th working day before `d`, counted back the same way (`d` is day 0)."""
        return self._step(d, n, -1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (negative when `end` is earlier)."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(1 for i in range(1, (end - start).days + 1) if self.is_working_day(start + timedelta(i)))

    def next_working_day(self, d: date) -> date:
        """`d` itself if it is a working day, otherwise the first working day after it."""
        return d if self.is_working_day(d) else self.add_working_days(d, 1)

    def _step(self, d: date, n: int, direction: int) -> date:
        if n < 0:
            raise ValueError(f"a number of working days cannot be negative (got {n})")
        counted = 0
        while counted < n:
            d += timedelta(days=direction)
            if self.is_working_day(d):
                counted += 1
        return d


ENGLAND = WorkingCalendar()


def is_working_day(d: date, calendar: WorkingCalendar = ENGLAND) -> bool:
    """Whether `d` is a working day (England and Wales, no local closures unless a calendar is given)."""
    return calendar.is_working_day(d)


def add_working_days(d: date, n: int, calendar: WorkingCalendar = ENGLAND) -> date:
    """The n-th working day after `d`, where `d` is day 0."""
    return calendar.add_working_days(d, n)


def subtract_working_days(d: date, n: int, calendar: WorkingCalendar = ENGLAND) -> date:
    """The n-th working day before `d`, where `d` is day 0."""
    return calendar.subtract_working_days(d, n)
