"""config/calendar.toml: the school's zone, office hours, corrections by year and каникулы.

The file only holds what the school adds to the Russian production calendar that
`workcal.WorkCalendar` already knows (weekends, public holidays and the decrees' transfers);
see workcal's docstring. This module reads and checks the file and gives the pieces a
WorkCalendar is built from; `workcal.load_calendar` does both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, time
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from mailbot.school import tomlfile
from mailbot.school.fields import Flag, Listed, Mistake, TimeRange, naming, parse_time_range
from mailbot.school.tomlfile import AnyText, RuleModel, SchoolDate, Table, Text, list_of_tables

DEFAULT_ZONE = "Asia/Yekaterinburg"
DEFAULT_HOURS = "08:00-17:00"
WEEKDAY_KEYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CalendarError(ValueError):
    """A mistake in the calendar file, as one line: `file: key: why`."""


@dataclass(frozen=True)
class YearOverrides:
    """A school's corrections for one year (config/calendar.toml, [years.YYYY])."""

    days_off: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()
    short_days: frozenset[date] = frozenset()


@dataclass(frozen=True)
class SchoolHoliday:
    name: str
    first: date
    last: date


@dataclass(frozen=True)
class CalendarSettings:
    """Everything calendar.toml says, checked: the arguments of a WorkCalendar."""

    zone: ZoneInfo
    hours: Mapping[int, tuple[time, time]]  # weekday (0 = Monday) → opening and closing
    short_pre_holiday: bool
    years: Mapping[int, YearOverrides]
    school_holidays: tuple[SchoolHoliday, ...]
    source: str


# --------------------------------------------------------------------------- the file


def _zone(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be a time zone name like {DEFAULT_ZONE!r}")  # noqa: TRY004
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


def _one_range_for_all(value: Any) -> Any:
    """`office_hours = "08:00-17:00"` is the table with only `default`."""
    if isinstance(value, str):
        parse_time_range(value)  # a mistake is named as office_hours, as written
        return {"default": value}
    if not isinstance(value, dict):
        raise ValueError('must be "08:00-17:00" or a table of such ranges')  # noqa: TRY004
    return value


class OfficeHours(RuleModel):
    """One range for every working day, or `default` plus any weekday by name."""

    default: TimeRange = parse_time_range(DEFAULT_HOURS)
    mon: TimeRange | None = None
    tue: TimeRange | None = None
    wed: TimeRange | None = None
    thu: TimeRange | None = None
    fri: TimeRange | None = None
    sat: TimeRange | None = None
    sun: TimeRange | None = None

    def by_weekday(self) -> dict[int, tuple[time, time]]:
        return {number: getattr(self, key) or self.default
                for number, key in enumerate(WEEKDAY_KEYS)}


Dates = Annotated[tuple[SchoolDate, ...], Listed]


class YearTable(RuleModel):
    days_off: Dates = ()
    working_days: Dates = ()
    short_days: Dates = ()
    note: AnyText = ""


class SchoolHolidayEntry(RuleModel):
    name: Text
    first: SchoolDate = Field(alias="from")
    last: SchoolDate = Field(alias="to")

    @field_validator("last")
    @classmethod
    def _not_before_first(cls, last: date, info: ValidationInfo) -> date:
        first = info.data.get("first")
        if first is not None and last < first:
            raise ValueError(f"{last.isoformat()} is before from = {first.isoformat()}")
        return last


class CalendarFile(RuleModel):
    timezone: Annotated[str, BeforeValidator(_zone)] | None = None
    office_hours: Annotated[OfficeHours, BeforeValidator(_one_range_for_all)] = OfficeHours()
    short_pre_holiday: Flag = True
    years: dict[str, Annotated[YearTable, Table]] = Field(default_factory=dict)
    school_holidays: Annotated[tuple[SchoolHolidayEntry, ...],
                               list_of_tables("school_holidays")] = ()

    @model_validator(mode="after")
    def _long_enough_to_shorten(self) -> CalendarFile:
        spans = self.office_hours.by_weekday().values()
        if self.short_pre_holiday and any(_minutes(e) - _minutes(s) <= 60 for s, e in spans):
            raise ValueError("office_hours: a day must be longer than one hour to be shortened "
                             "by one")
        return self


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


# --------------------------------------------------------------------------- loading


def load_settings(path: Path, *, default_zone: str = DEFAULT_ZONE) -> CalendarSettings:
    """Read config/calendar.toml; any mistake is a CalendarError of one line."""
    checked = tomlfile.load(path, CalendarFile, CalendarError)
    return _settings(checked, str(path), default_zone)


def settings_from_dict(data: Mapping[str, Any], source: str = "calendar", *,
                       default_zone: str = DEFAULT_ZONE) -> CalendarSettings:
    checked = tomlfile.validate(data, CalendarFile, CalendarError, source)
    return _settings(checked, source, default_zone)


def _settings(checked: CalendarFile, source: str, default_zone: str) -> CalendarSettings:
    with naming(source, CalendarError):
        years = {_year(key): _overrides(key, table) for key, table in checked.years.items()}
    holidays = tuple(SchoolHoliday(h.name, h.first, h.last) for h in checked.school_holidays)
    return CalendarSettings(
        zone=ZoneInfo(checked.timezone or default_zone),
        hours=checked.office_hours.by_weekday(),
        short_pre_holiday=checked.short_pre_holiday,
        years=years,
        school_holidays=holidays,
        source=source,
    )


def _year(key: str) -> int:
    if not key.isdigit() or not 1990 < int(key) < 2200:
        raise Mistake(f"years.{key}: the table name must be a year such as 2026")
    return int(key)


def _overrides(key: str, table: YearTable) -> YearOverrides:
    lists = {"days_off": table.days_off, "working_days": table.working_days,
             "short_days": table.short_days}
    for name, days in lists.items():
        for n, day in enumerate(days, 1):
            if day.year != int(key):
                raise Mistake(f"years.{key}.{name}[{n}]: {day.isoformat()} is not in {key}")
    sets = {name: frozenset(days) for name, days in lists.items()}
    if both := sets["days_off"] & sets["working_days"]:
        raise Mistake(f"years.{key}: {min(both).isoformat()} is both a day off and a working day")
    return YearOverrides(**sets)
