"""Who is at work when, on the working calendar: public holidays, weekends, a decree's
working Saturday, short pre-holiday days and the school's own days off, for a person and
for routing; without calendar.toml the built-in Russian calendar applies."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mailbot.school import presence
from mailbot.school.people import People
from mailbot.school.people_file import load_people, people_from_dict
from mailbot.school.routes_file import load_routes, routes_from_dict
from mailbot.school.routing import route
from mailbot.school.workcal import calendar_from_dict, default_calendar, load_calendar

ROOT = Path(__file__).resolve().parents[2]
ZONE = ZoneInfo("Asia/Yekaterinburg")
WEEKDAYS = frozenset(range(5))
SIX_DAYS = frozenset(range(6))
DAY = (dt.time(8), dt.time(17))
CAL = default_calendar()


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZONE)


def small() -> dict[str, Any]:
    """Two helpers: Mon–Fri and Mon–Sat, both 08:00-17:00."""
    return {
        "settings": {"triage": "admin"},
        "person": [
            {"id": "admin", "name": "Иванова Мария Петровна", "emails": ["a@s.example"],
             "position": "администратор", "kind": "specialist", "categories": ["login"]},
            {"id": "teacher", "name": "Кузнецов Игорь Ильич", "emails": ["t@s.example"],
             "position": "учитель", "kind": "teacher", "categories": ["login"],
             "supervisor": "admin", "working_days": ["пн", "вт", "ср", "чт", "пт", "сб"]},
        ],
    }


# --------------------------------------------------------------------------- plain data


@pytest.mark.parametrize(("moment", "days", "expected"), [
    (at(2026, 12, 29, 10), WEEKDAYS, True),  # an ordinary Tuesday
    (at(2027, 1, 4, 10), WEEKDAYS, False),  # Monday 4 January: a public holiday
    (at(2027, 1, 4, 10), SIX_DAYS, False),  # not even for those who work six days
    (at(2026, 12, 31, 10), WEEKDAYS, False),  # Thursday, a day off moved here by decree
    (at(2026, 11, 14, 10), WEEKDAYS, False),  # Saturday
    (at(2026, 11, 14, 10), SIX_DAYS, True),  # ... worked by a six-day week
    (at(2026, 1, 3, 10), SIX_DAYS, False),  # a Saturday that is a holiday
    (at(2027, 2, 20, 10), WEEKDAYS, True),  # Saturday worked by decree (for Monday 22nd)
    (at(2027, 2, 22, 10), WEEKDAYS, False),  # ... and that Monday is off
    (at(2027, 2, 21, 10), WEEKDAYS, False),  # the Sunday between stays off
    (at(2026, 11, 3, 15, 59), WEEKDAYS, True),  # before 4 November: closes an hour early
    (at(2026, 11, 3, 16, 0), WEEKDAYS, False),
    (at(2026, 11, 2, 16, 30), WEEKDAYS, True),  # the Monday before is a full day
])
def test_at_work_on_the_calendar(moment: dt.datetime, days: frozenset[int],
                                 expected: bool) -> None:
    assert presence.at_work(days, DAY, CAL, moment) is expected


def test_short_day_for_own_hours_and_a_day_too_short_to_shorten() -> None:
    assert presence.hours_on(WEEKDAYS, (dt.time(8), dt.time(15)), CAL, dt.date(2026, 11, 3)) \
        == (dt.time(8), dt.time(14))
    assert presence.hours_on(WEEKDAYS, (dt.time(8), dt.time(8, 30)), CAL,
                             dt.date(2026, 11, 3)) is None


def test_the_schools_own_days_in_calendar_toml() -> None:
    cal = calendar_from_dict({"short_pre_holiday": False, "years": {"2026": {
        "days_off": ["11.12.2026"], "working_days": ["12.12.2026"], "short_days": ["2026-12-10"],
    }}})
    assert not presence.at_work(WEEKDAYS, DAY, cal, at(2026, 12, 11, 10))  # Friday off
    assert not presence.at_work(SIX_DAYS, DAY, cal, at(2026, 12, 11, 10))
    assert presence.at_work(WEEKDAYS, DAY, cal, at(2026, 12, 12, 10))  # a working Saturday
    assert not presence.at_work(WEEKDAYS, DAY, cal, at(2026, 12, 10, 16, 30))  # short
    assert presence.at_work(WEEKDAYS, DAY, cal, at(2026, 11, 3, 16, 30))  # no pre-holiday rule


def test_back_first_counts_holidays() -> None:
    # Evening of 30 December 2026: the New Year holidays run to 10 January 2027.
    evening = at(2026, 12, 30, 18)
    assert presence.until_back(WEEKDAYS, DAY, CAL, evening) == \
        at(2027, 1, 11, 8) - evening
    assert presence.until_back(SIX_DAYS, DAY, CAL, evening) == \
        at(2027, 1, 9, 8) - evening  # Saturday 9 January is not a holiday
    assert presence.until_back(WEEKDAYS, DAY, CAL, at(2026, 12, 29, 10)) == dt.timedelta(0)
    leave = lambda day: day <= dt.date(2027, 1, 12)
    assert presence.until_back(WEEKDAYS, DAY, CAL, evening, leave) == \
        at(2027, 1, 13, 8) - evening


# --------------------------------------------------------------------------- people and routing


def test_people_get_the_built_in_calendar_without_a_file() -> None:
    people = people_from_dict(small(), "people.toml")
    admin = people.get("admin")
    assert people.calendar is default_calendar()
    assert not people.is_available(admin, at(2027, 1, 4, 10))
    assert people.is_available(admin, at(2027, 2, 20, 10))
    assert not people.in_school_hours(at(2027, 1, 4, 10))
    assert people.in_school_hours(at(2027, 1, 11, 10))


def test_people_use_the_calendar_they_are_given() -> None:
    cal = calendar_from_dict({"years": {"2026": {"days_off": ["2026-12-29"]}}})
    people = people_from_dict(small(), "people.toml", cal)
    assert people.calendar is cal
    assert not people.is_available(people.get("admin"), at(2026, 12, 29, 10))
    assert not people.in_school_hours(at(2026, 12, 29, 10))


def test_on_a_holiday_nobody_is_at_work_and_the_one_back_first_takes_it() -> None:
    people = people_from_dict(small(), "people.toml")
    table = routes_from_dict({"route": [{"category": "login", "to": "helpers"}]}, "r", people)
    holiday = route(table, people, category="login", role="parent", text="",
                    now_local=at(2027, 1, 4, 10), open_counts={"admin": 0, "teacher": 5})
    assert holiday.person_id == "teacher"  # back on Saturday 9 January
    assert any("nobody is at work now" in r for r in holiday.reasons)
    saturday = route(table, people, category="login", role="parent", text="",
                     now_local=at(2027, 2, 20, 10), open_counts={"admin": 0, "teacher": 5})
    assert saturday.person_id == "admin"  # both at work: the lighter load wins
    assert any("at work now" in r for r in saturday.reasons)


def test_in_hours_rules_follow_the_calendar() -> None:
    people = people_from_dict(small(), "people.toml")
    table = routes_from_dict({"route": [
        {"category": "login", "when": "in_hours", "to": "person:teacher"},
        {"category": "login", "to": "person:admin"},
    ]}, "r", people)
    workday = route(table, people, category="login", role="parent", text="",
                    now_local=at(2027, 1, 11, 10), open_counts={})
    assert (workday.rule, workday.person_id) == (0, "teacher")
    holiday = route(table, people, category="login", role="parent", text="",
                    now_local=at(2027, 1, 4, 10), open_counts={})
    assert (holiday.rule, holiday.person_id) == (1, "admin")
    assert any("in_hours does not hold" in r for r in holiday.reasons)


def test_shipped_files_on_a_holiday() -> None:
    cal = load_calendar(ROOT / "config" / "calendar.toml")
    people: People = load_people(ROOT / "config" / "people.toml", cal)
    table = load_routes(ROOT / "config" / "routes.toml", people)
    assert not any(people.is_available(p, at(2027, 1, 4, 10)) for p in people.persons.values())
    chosen = route(table, people, category="homework", role="parent", text="",
                   now_local=at(2027, 1, 4, 10), open_counts={"kuznetsov": 7, "smirnova": 0})
    assert chosen.person_id == "kuznetsov"  # works Saturdays: back on 9 January
