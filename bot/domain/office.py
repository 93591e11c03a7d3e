"""The partnership's clock: its time zone, and the office hours in which chasers, reminders, digests
and Panel submissions go out (requests and acknowledgements go at once)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.calendar import WorkingCalendar


@dataclass(frozen=True)
class OfficeHours:
    tz: ZoneInfo = ZoneInfo("Europe/London")
    opens: time = time(8, 30)
    closes: time = time(17, 30)

    def local(self, now: datetime) -> datetime:
        return now.astimezone(self.tz)

    def today(self, now: datetime) -> date:
        return self.local(now).date()

    def is_open(self, now: datetime, calendar: WorkingCalendar) -> bool:
        """A working day, between opening and closing time, in the partnership's time zone."""
        local = self.local(now)
        return calendar.is_working_day(local.date()) and self.opens <= local.time() < self.closes
