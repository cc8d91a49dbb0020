"""Who is at work when: a person's own days and hours from people.toml, on the school's
working calendar (`workcal.WorkCalendar`), the same one response times are counted in.

A day counts for somebody when
- it is none of the calendar's holidays (a public holiday, a day off transferred by decree
  or one of the school's own days off): nobody is at work then, whatever their weekdays;
- and it is one of their working weekdays, or a weekend day the calendar makes a working
  day (a Saturday worked by decree stands for a weekday, so whoever works on weekdays
  works then too).
On a short day (предпраздничный день, or one the school lists) they leave an hour earlier.

The times are the school's wall-clock times: callers pass `now` in the school's zone.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from mailbot.school.workcal import WorkCalendar

_SEARCH_DAYS = 400


def hours_on(days: frozenset[int], hours: tuple[time, time], calendar: WorkCalendar,
             day: date) -> tuple[time, time] | None:
    """When somebody with these weekdays and hours works on `day`; None on a day off."""
    if calendar.is_holiday(day):
        return None
    weekend_worked = (day.weekday() >= 5 and calendar.is_working_day(day)
                      and not days.isdisjoint(range(5)))
    if day.weekday() not in days and not weekend_worked:
        return None
    start, end = hours
    if calendar.is_short_day(day):
        end = max(start, (datetime.combine(day, end) - timedelta(hours=1)).time())
    return (start, end) if start < end else None


def at_work(days: frozenset[int], hours: tuple[time, time], calendar: WorkCalendar,
            local: datetime) -> bool:
    """Within somebody's hours on a day they work, by the wall clock of `local`."""
    span = hours_on(days, hours, calendar, local.date())
    return span is not None and span[0] <= local.time() < span[1]


def until_back(days: frozenset[int], hours: tuple[time, time], calendar: WorkCalendar,
               local: datetime, away: Callable[[date], bool] = lambda _day: False
               ) -> timedelta:
    """How long until somebody is next at work (zero when they are now); `away` are days
    of leave. timedelta.max when they do not work within a year."""
    clock = local.replace(tzinfo=None)
    for offset in range(_SEARCH_DAYS):
        day = clock.date() + timedelta(days=offset)
        span = None if away(day) else hours_on(days, hours, calendar, day)
        if span is None or (offset == 0 and clock.time() >= span[1]):
            continue
        return max(datetime.combine(day, span[0]) - clock, timedelta(0))
    return timedelta.max
