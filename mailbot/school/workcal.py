"""The school's working calendar: which days and hours count as working time.

Response times in the regulation are promises about *working* time: a mail that arrives on
Friday evening before the May holidays is not late on Saturday. So every deadline and every
"how long did we take" goes through this module, and so does routing's «who is at work
now» (`presence`, with each person's own hours).

Where the days come from, in order (later wins):

1. Monday–Friday work, Saturday and Sunday rest.
2. Russian public holidays and the Government's yearly transfers of days off
   (переносы выходных) from the `holidays` package (0.108 or later): it carries each year's
   decree as data, including the Monday a holiday on a weekend moves to (ст. 112 ТК РФ).
   2025 and 2026 agree with decrees № 1335 and № 1466; 2027 is the package's reading of
   the 2027 decree. For a year the package has no decree for, those Mondays are missing
   too: put the year's days into config/calendar.toml once the decree is out.
3. The school's own corrections from `config/calendar.toml`, one table per year: extra days
   off, extra working days, extra short days. A decree the installed `holidays` does not
   know yet goes there too.

A working day directly before a public holiday (предпраздничный день) is one hour shorter
(ст. 95 ТК РФ). Only the holidays named in ст. 112 count, not transferred days off: 30
December 2026 is a full day although 31 December is a day off.

School holidays (каникулы) are not days off for staff; they only tell the consultation
schedule to pause (`is_school_holiday`).

Reading config/calendar.toml is `calendar_file`'s job; `load_calendar` builds the calendar
from it, `default_calendar` is the one without the file.

Speed: each year is compiled once into per-day arrays and running sums, so whole spans cost
O(1) and a digest over 100,000 cases stays well under a second. Arithmetic is in wall-clock
time of the school's zone, which is exact as long as clock changes happen outside office
hours (Asia/Yekaterinburg has none).
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

from mailbot.school.calendar_file import (
    DEFAULT_ZONE,
    CalendarSettings,
    SchoolHoliday,
    YearOverrides,
    load_settings,
    settings_from_dict,
)

# Non-working public holidays of ст. 112 ТК РФ: (month, day).
PUBLIC_HOLIDAYS: frozenset[tuple[int, int]] = frozenset(
    [(1, day) for day in range(1, 9)] + [(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)]
)

_DEFAULT_SPAN = (time(8), time(17))
_MAX_SCAN_DAYS = 3_700  # ten years without a working day is a configuration mistake


# --------------------------------------------------------------------------- compiled years


@dataclass(frozen=True)
class _Year:
    """One year compiled for O(1) questions; index i is the i-th day of the year."""

    first: int  # ordinal of 1 January
    opens: tuple[int, ...]  # seconds after midnight; -1 on a day off
    closes: tuple[int, ...]
    seconds: tuple[int, ...]  # working seconds before day i (len = days + 1)
    days: tuple[int, ...]  # working days before day i (len = days + 1)


@functools.lru_cache(maxsize=64)
def _public_days(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, working weekend days) of the Russian calendar for one year."""
    ru = holidays.country_holidays("RU", years=year)
    return frozenset(ru), frozenset(getattr(ru, "weekend_workdays", ()))


class WorkCalendar:
    """Working days and hours of one school. Build it with `load_calendar`."""

    def __init__(
        self,
        *,
        zone: ZoneInfo,
        hours: Mapping[int, tuple[time, time]],
        short_pre_holiday: bool = True,
        years: Mapping[int, YearOverrides] | None = None,
        school_holidays: Iterable[SchoolHoliday] = (),
        source: str = "",
    ) -> None:
        self.zone = zone
        self.hours = {wd: hours.get(wd, _DEFAULT_SPAN) for wd in range(7)}  # weekday → span
        self.short_pre_holiday = short_pre_holiday
        self.years = dict(years or {})
        self.school_holidays = tuple(sorted(school_holidays, key=lambda h: h.first))
        self.source = source
        self._compiled: dict[int, _Year] = {}

    def __repr__(self) -> str:
        return f"WorkCalendar(zone={self.zone.key!r}, source={self.source!r})"

    # ----------------------------------------------------------------- days

    def is_working_day(self, d: date) -> bool:
        year, i = self._index(d)
        return year.opens[i] >= 0

    def is_holiday(self, d: date) -> bool:
        """A day off beyond the ordinary weekend: a public holiday, a day off transferred by
        decree, or one of the school's own days off (not каникулы, see is_school_holiday).

        Staff who also work on Saturdays do not work on such a day either.
        """
        d = self._as_date(d)
        if self.is_working_day(d):
            return False
        public_off, _ = _public_days(d.year)
        return d in public_off or d in self.years.get(d.year, YearOverrides()).days_off

    def is_school_holiday(self, d: date) -> bool:
        d = self._as_date(d)
        return any(h.first <= d <= h.last for h in self.school_holidays)

    def school_holiday(self, d: date) -> SchoolHoliday | None:
        """The каникулы a date falls in, for a note such as «осенние каникулы»."""
        d = self._as_date(d)
        return next((h for h in self.school_holidays if h.first <= d <= h.last), None)

    def is_short_day(self, d: date) -> bool:
        """A working day shortened by an hour (предпраздничный день or the school's list)."""
        d = self._as_date(d)
        return self.is_working_day(d) and self._short(d)

    def working_hours(self, d: date) -> tuple[time, time] | None:
        year, i = self._index(d)
        if year.opens[i] < 0:
            return None
        return _clock(year.opens[i]), _clock(year.closes[i])

    # ----------------------------------------------------------------- arithmetic

    def working_seconds_between(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end); negative when end is before start."""
        if end < start:
            return -self.working_seconds_between(end, start)
        (y1, s1), (y2, s2) = self._position(start), self._position(end)
        return s2 - s1 + sum(self._year(y).seconds[-1] for y in range(y1, y2))

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        """The earliest moment by which `hours` of working time have passed since `start`.

        Zero hours is `start` itself; an answer that lands exactly at closing time stays at
        closing time rather than jumping to the next morning.
        """
        if hours < 0:
            raise ValueError(f"hours must be 0 or more, got {hours}")
        if hours == 0:
            return _utc(start)
        year_no, target = self._position(start)
        target += hours * 3600
        for _ in range(_MAX_SCAN_DAYS // 365 + 1):
            year = self._year(year_no)
            if target <= year.seconds[-1]:
                j = bisect_left(year.seconds, target) - 1
                day = date.fromordinal(year.first + j)
                offset = year.opens[j] + (target - year.seconds[j])
                return self._moment(day, offset)
            target -= year.seconds[-1]
            year_no += 1
        raise ValueError(f"{self.source}: no working time for ten years after {start}")

    def next_working_moment(self, at: datetime) -> datetime:
        """`at` itself during working hours, else the next opening time."""
        local = self._local(at)
        day, second = local.date(), _seconds(local)
        for step in range(_MAX_SCAN_DAYS):
            year, i = self._index(day)
            if year.opens[i] >= 0 and (step or second < year.closes[i]):
                return self._moment(day, max(year.opens[i], second if not step else 0))
            day += timedelta(days=1)
        raise ValueError(f"{self.source}: no working day for ten years after {at}")

    def working_days_between(self, start: datetime | date, end: datetime | date) -> int:
        """Working days after start's date up to and including end's date (school's zone).

        So `working_days_between(s, add_working_days(s, n)) == n`; Friday → Tuesday is 2.
        """
        a, b = self._as_date(start), self._as_date(end)
        if b < a:
            return -self.working_days_between(b, a)
        (ya, ia), (yb, ib) = self._index(a), self._index(b)
        total = yb.days[ib + 1] - ya.days[ia + 1]
        return total + sum(self._year(y).days[-1] for y in range(a.year, b.year))

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The same local clock time on the n-th working day after start's date (UTC)."""
        if n < 0:
            raise ValueError(f"n must be 0 or more, got {n}")
        local = self._local(start)
        day, left, steps = local.date(), n, 0
        while left:
            day, steps = day + timedelta(days=1), steps + 1
            left -= self.is_working_day(day)
            if steps > _MAX_SCAN_DAYS:
                raise ValueError(f"{self.source}: no working day for ten years after {start}")
        return self._moment(day, _seconds(local))

    # ----------------------------------------------------------------- internals

    def _as_date(self, d: date | datetime) -> date:
        return self._local(d).date() if isinstance(d, datetime) else d

    def _local(self, moment: datetime) -> datetime:
        """Aware → school's zone; a naive moment is taken as UTC, as databases return it."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone)

    def _moment(self, day: date, seconds: float) -> datetime:
        naive = datetime.combine(day, time()) + timedelta(seconds=seconds)
        return naive.replace(tzinfo=self.zone).astimezone(UTC)

    def _index(self, d: date | datetime) -> tuple[_Year, int]:
        d = self._as_date(d)
        year = self._year(d.year)
        return year, d.toordinal() - year.first

    def _position(self, moment: datetime) -> tuple[int, float]:
        """(year, working seconds from 1 January to the moment)."""
        local = self._local(moment)
        year, i = self._index(local.date())
        within = 0.0
        if year.opens[i] >= 0:
            within = min(max(_seconds(local), year.opens[i]), year.closes[i]) - year.opens[i]
        return local.year, year.seconds[i] + within

    def _year(self, number: int) -> _Year:
        if (cached := self._compiled.get(number)) is None:
            cached = self._compiled[number] = self._compile(number)
        return cached

    def _working(self, d: date) -> bool:
        public_off, public_work = _public_days(d.year)
        extra = self.years.get(d.year, YearOverrides())
        if d in extra.working_days:
            return True
        if d in extra.days_off:
            return False
        if d in public_work:
            return True
        return d.weekday() < 5 and d not in public_off

    def _short(self, d: date) -> bool:
        extra = self.years.get(d.year, YearOverrides())
        if d in extra.short_days:
            return True
        following = d + timedelta(days=1)
        return self.short_pre_holiday and (following.month, following.day) in PUBLIC_HOLIDAYS

    def _compile(self, number: int) -> _Year:
        first = date(number, 1, 1)
        opens: list[int] = []
        closes: list[int] = []
        seconds, days = [0], [0]
        for i in range((date(number + 1, 1, 1) - first).days):
            d = first + timedelta(days=i)
            if self._working(d):
                start, end = self.hours[d.weekday()]
                o, c = _secs(start), _secs(end) - (3600 if self._short(d) else 0)
                c = max(c, o)
            else:
                o = c = -1
            opens.append(o)
            closes.append(c)
            seconds.append(seconds[-1] + (c - o if o >= 0 else 0))
            days.append(days[-1] + (o >= 0))
        return _Year(first.toordinal(), tuple(opens), tuple(closes), tuple(seconds), tuple(days))


def _secs(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _seconds(local: datetime) -> float:
    return local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6


def _clock(seconds: int) -> time:
    return time(seconds // 3600, seconds % 3600 // 60, seconds % 60)


def _utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


# --------------------------------------------------------------------------- loading


def load_calendar(path: Path, *, default_zone: str = DEFAULT_ZONE) -> WorkCalendar:
    """Read config/calendar.toml; any mistake is a CalendarError of one line."""
    return _built(load_settings(path, default_zone=default_zone))


def calendar_from_dict(
    data: Mapping[str, object], source: str = "calendar", *, default_zone: str = DEFAULT_ZONE
) -> WorkCalendar:
    return _built(settings_from_dict(data, source, default_zone=default_zone))


@functools.lru_cache(maxsize=8)
def default_calendar(zone: str = DEFAULT_ZONE) -> WorkCalendar:
    """The calendar without a calendar.toml: weekdays 08:00-17:00, Russian holidays."""
    return calendar_from_dict({}, "the built-in calendar", default_zone=zone)


def _built(settings: CalendarSettings) -> WorkCalendar:
    return WorkCalendar(zone=settings.zone, hours=settings.hours,
                        short_pre_holiday=settings.short_pre_holiday, years=settings.years,
                        school_holidays=settings.school_holidays, source=settings.source)
