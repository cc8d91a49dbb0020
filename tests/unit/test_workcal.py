"""The working calendar: Russian holidays and transfers by the decrees, short pre-holiday
days, school holidays, working-time arithmetic, and one-line errors in calendar.toml."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailbot.school.calendar_file import CalendarError
from mailbot.school.workcal import WorkCalendar, calendar_from_dict, load_calendar

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "calendar.toml"
EKB = ZoneInfo("Asia/Yekaterinburg")
MSK = ZoneInfo("Europe/Moscow")


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar(SHIPPED)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=EKB)


def days_off(cal: WorkCalendar, year: int) -> list[str]:
    """Weekdays off and working weekend days of a year, as "MM-DD" strings."""
    d, found = date(year, 1, 1), []
    while d.year == year:
        if cal.is_working_day(d) == (d.weekday() >= 5):
            found.append(f"{d:%m-%d}")
        d += timedelta(days=1)
    return found


# ------------------------------------------------------------------ days by the decrees


def test_2026_days_off_follow_decree_1466(cal: WorkCalendar) -> None:
    # 3 and 4 January moved to Friday 9 January and Thursday 31 December; 8 March and
    # 9 May fall on a weekend and move to the following Monday (ст. 112 ТК РФ).
    assert days_off(cal, 2026) == [
        "01-01", "01-02", "01-05", "01-06", "01-07", "01-08", "01-09",
        "02-23", "03-09", "05-01", "05-11", "06-12", "11-04", "12-31",
    ]
    assert cal.is_working_day(date(2026, 1, 12))
    assert cal.is_working_day(date(2026, 12, 30))
    assert not cal.is_working_day(date(2026, 12, 31))


def test_2026_has_247_working_days_like_the_production_calendar(cal: WorkCalendar) -> None:
    assert cal.working_days_between(date(2025, 12, 31), date(2026, 12, 31)) == 247


def test_2025_transfers_of_decree_1335(cal: WorkCalendar) -> None:
    # 23 February (Sunday) → 8 May, 8 March (Saturday) → 13 June, Saturday 1 November worked.
    assert not cal.is_working_day(date(2025, 5, 8))
    assert not cal.is_working_day(date(2025, 6, 13))
    assert cal.is_working_day(date(2025, 2, 24))
    assert cal.is_working_day(date(2025, 3, 10))
    assert cal.is_working_day(date(2025, 11, 1))  # a Saturday
    assert not cal.is_working_day(date(2025, 11, 3))
    assert not cal.is_working_day(date(2025, 12, 31))


def test_2027_transferred_working_saturday(cal: WorkCalendar) -> None:
    assert "02-20" in days_off(cal, 2027)  # Saturday 20 February is worked...
    assert cal.is_working_day(date(2027, 2, 20))
    assert cal.working_hours(date(2027, 2, 20)) == (time(8), time(17))
    assert not cal.is_working_day(date(2027, 2, 22))  # ...for Monday 22 February off
    for day in (date(2027, 5, 3), date(2027, 5, 10), date(2027, 6, 14), date(2027, 11, 5),
                date(2027, 12, 31)):
        assert not cal.is_working_day(day), day
    assert cal.is_working_day(date(2027, 1, 11))


# ------------------------------------------------------------------ hours and short days


def test_pre_holiday_days_are_one_hour_shorter(cal: WorkCalendar) -> None:
    for day in (date(2026, 4, 30), date(2026, 5, 8), date(2026, 6, 11), date(2026, 11, 3)):
        assert cal.working_hours(day) == (time(8), time(16)), day
    # Not before a weekend that precedes a holiday, nor before a transferred day off.
    for day in (date(2026, 2, 20), date(2026, 3, 6), date(2026, 12, 30)):
        assert cal.working_hours(day) == (time(8), time(17)), day
    assert cal.working_hours(date(2026, 11, 4)) is None
    assert cal.working_hours(date(2026, 11, 28)) is None  # Saturday


def test_school_holidays_pause_nothing_but_are_known(cal: WorkCalendar) -> None:
    assert cal.is_school_holiday(date(2026, 10, 28))
    assert cal.is_working_day(date(2026, 10, 28))  # staff work in каникулы
    assert cal.school_holiday(date(2027, 1, 5)).name == "Зимние каникулы"
    assert not cal.is_school_holiday(date(2026, 11, 5))
    assert cal.is_school_holiday(local(2026, 12, 30, 9))  # a datetime means its local date


def test_zone_has_no_clock_changes(cal: WorkCalendar) -> None:
    assert cal.zone.key == "Asia/Yekaterinburg"
    offsets = {local(2026, month, 15, 12).utcoffset() for month in range(1, 13)}
    assert offsets == {timedelta(hours=5)}


# ------------------------------------------------------------------ working time


def test_working_seconds_across_a_weekend(cal: WorkCalendar) -> None:
    friday, monday = local(2026, 11, 27, 16), local(2026, 11, 30, 9)
    assert cal.working_seconds_between(friday, monday) == 2 * 3600
    assert cal.working_seconds_between(monday, friday) == -2 * 3600


def test_working_seconds_across_a_holiday_and_a_short_day(cal: WorkCalendar) -> None:
    # Tuesday 3 November closes at 16:00, 4 November is a holiday.
    start, end = local(2026, 11, 3, 15), local(2026, 11, 5, 9)
    assert cal.working_seconds_between(start, end) == 2 * 3600
    # Any zone in, the same answer: 13:00 Moscow is 15:00 in Yekaterinburg.
    msk = datetime(2026, 11, 3, 13, tzinfo=MSK)
    assert cal.working_seconds_between(msk, end.astimezone(UTC)) == 2 * 3600


def test_working_seconds_outside_hours_and_across_new_year(cal: WorkCalendar) -> None:
    assert cal.working_seconds_between(local(2026, 12, 1, 18), local(2026, 12, 2, 7)) == 0
    # 30 Dec 16:00 → 11 Jan 2027 10:00: one hour in 2026, two in 2027.
    assert cal.working_seconds_between(local(2026, 12, 30, 16), local(2027, 1, 11, 10)) == 3 * 3600


def test_add_working_hours_across_a_night(cal: WorkCalendar) -> None:
    due = cal.add_working_hours(local(2026, 12, 2, 16, 30), 2)
    assert due.tzinfo == UTC
    assert due == local(2026, 12, 3, 9, 30)


def test_add_working_hours_across_the_new_year_holidays(cal: WorkCalendar) -> None:
    due = cal.add_working_hours(local(2026, 12, 30, 16), 3)
    assert due.astimezone(EKB) == local(2027, 1, 11, 10)


def test_add_working_hours_ends_at_closing_not_next_morning(cal: WorkCalendar) -> None:
    assert cal.add_working_hours(local(2026, 11, 27, 8), 9) == local(2026, 11, 27, 17)
    assert cal.add_working_hours(local(2026, 11, 28, 12), 1) == local(2026, 11, 30, 9)
    assert cal.add_working_hours(local(2026, 11, 28, 12), 0) == local(2026, 11, 28, 12)
    with pytest.raises(ValueError):
        cal.add_working_hours(local(2026, 11, 28, 12), -1)


def test_add_and_between_agree(cal: WorkCalendar) -> None:
    start = local(2026, 12, 20, 7, 13)
    for step in range(60):
        moment = start + timedelta(hours=step * 7, minutes=step * 11)
        hours = (step % 13) * 1.75 + 0.25
        due = cal.add_working_hours(moment, hours)
        assert cal.working_seconds_between(moment, due) == pytest.approx(hours * 3600)
        assert due >= moment


def test_next_working_moment(cal: WorkCalendar) -> None:
    assert cal.next_working_moment(local(2026, 12, 1, 10, 5)) == local(2026, 12, 1, 10, 5)
    assert cal.next_working_moment(local(2026, 12, 1, 6)) == local(2026, 12, 1, 8)
    # 17:30 local on 30 December, written in UTC: the next opening is 11 January.
    evening = datetime(2026, 12, 30, 12, 30, tzinfo=UTC)
    assert cal.next_working_moment(evening) == local(2027, 1, 11, 8)
    # A naive moment is UTC, as SQLite returns it.
    assert cal.next_working_moment(datetime(2026, 12, 1, 5, 5)) == local(2026, 12, 1, 10, 5)


def test_working_days(cal: WorkCalendar) -> None:
    friday = local(2026, 11, 27, 15)
    assert cal.working_days_between(friday, local(2026, 12, 1, 9)) == 2
    assert cal.add_working_days(friday, 2) == local(2026, 12, 1, 15)
    # Monday 28 December: the 29th, the 30th, then 11 January.
    assert cal.add_working_days(local(2026, 12, 28, 10), 3) == local(2027, 1, 11, 10)
    assert cal.working_days_between(local(2026, 12, 28, 10), local(2027, 1, 11, 10)) == 3
    assert cal.add_working_days(friday, 0) == friday
    assert cal.working_days_between(local(2026, 12, 1), friday) == -2


# ------------------------------------------------------------------ the school's settings


def test_school_overrides_and_office_hours_table() -> None:
    cal = calendar_from_dict({
        "office_hours": {"default": "8:30-17:30", "fri": "08:30–16:15"},
        "years": {"2026": {"days_off": [date(2026, 12, 30)],
                           "working_days": ["05.12.2026"],
                           "short_days": ["2026-12-29"]}},
    })
    assert not cal.is_working_day(date(2026, 12, 30))
    assert cal.is_working_day(date(2026, 12, 5))  # a Saturday the school works
    assert cal.working_hours(date(2026, 12, 29)) == (time(8, 30), time(16, 30))
    assert cal.working_hours(date(2026, 12, 4)) == (time(8, 30), time(16, 15))
    assert cal.working_hours(date(2026, 4, 30)) == (time(8, 30), time(16, 30))


def test_school_holidays_in_either_date_format() -> None:
    cal = calendar_from_dict({"school_holidays": [
        {"name": "Осенние каникулы", "from": "26.10.2026", "to": "2026-11-03"}]})
    assert cal.school_holiday(date(2026, 11, 3)).name == "Осенние каникулы"
    assert not cal.is_school_holiday(date(2026, 11, 4))


def test_holidays_are_days_off_beyond_the_weekend(cal: WorkCalendar) -> None:
    assert cal.is_holiday(date(2027, 1, 4))  # Monday, a public holiday
    assert cal.is_holiday(date(2026, 12, 31))  # moved by decree
    assert cal.is_holiday(date(2026, 1, 3))  # a Saturday that is a public holiday
    assert not cal.is_holiday(date(2026, 11, 14))  # an ordinary Saturday
    assert not cal.is_holiday(date(2027, 2, 20))  # a Saturday worked by decree
    assert not cal.is_holiday(date(2026, 10, 28))  # каникулы are not days off for staff
    own = calendar_from_dict({"years": {"2026": {"days_off": ["11.12.2026"]}}})
    assert own.is_holiday(date(2026, 12, 11))


def test_short_days_can_be_switched_off() -> None:
    cal = calendar_from_dict({"short_pre_holiday": False, "timezone": "Europe/Moscow"})
    assert cal.working_hours(date(2026, 4, 30)) == (time(8), time(17))
    assert cal.zone.key == "Europe/Moscow"


@pytest.mark.parametrize(("data", "message"), [
    ({"ofice_hours": "08:00-17:00"},
     "cal.toml: ofice_hours: unknown key"),
    ({"office_hours": "17:00-08:00"},
     "cal.toml: office_hours: the end 08:00 is not after the start 17:00"),
    ({"office_hours": "с 8 до 17"},
     'cal.toml: office_hours: must be a time range like "08:00-17:00", got \'с 8 до 17\''),
    ({"office_hours": {"friday": "08:00-16:00"}},
     "cal.toml: office_hours.friday: unknown key"),
    ({"timezone": "Asia/Perm"}, "cal.toml: timezone: unknown time zone 'Asia/Perm'"),
    ({"years": {"2026": {"days_off": [date(2027, 1, 4)]}}},
     "cal.toml: years.2026.days_off[1]: 2027-01-04 is not in 2026"),
    ({"years": {"2026": {"days_off": ["2026-12-30"], "working_days": ["30.12.2026"]}}},
     "cal.toml: years.2026: 2026-12-30 is both a day off and a working day"),
    ({"years": {"2026": {"days_off": ["31.02.2026"]}}},
     "cal.toml: years.2026.days_off[1]: no such date '31.02.2026'"),
    ({"years": {"двадцать шестой": {}}},
     "cal.toml: years.двадцать шестой: the table name must be a year such as 2026"),
    ({"school_holidays": [{"name": "Осенние", "from": date(2026, 11, 3),
                           "to": date(2026, 10, 26)}]},
     "cal.toml: school_holidays[1].to: 2026-10-26 is before from = 2026-11-03"),
    ({"school_holidays": [{"name": "Осенние", "from": date(2026, 10, 26)}]},
     "cal.toml: school_holidays[1].to: missing"),
    ({"short_pre_holiday": "да"}, "cal.toml: short_pre_holiday: must be true or false, got 'да'"),
    ({"office_hours": 8}, 'cal.toml: office_hours: must be "08:00-17:00" or a table of such ranges'),
    ({"office_hours": {"default": "08:00-08:30"}},
     "cal.toml: office_hours: a day must be longer than one hour to be shortened by one"),
    ({"years": {"2026": {"days_off": [datetime(2026, 12, 30, 9)]}}},
     ("cal.toml: years.2026.days_off[1]: must be a date like 2026-12-31 or 31.12.2026, got "
      "'2026-12-30T09:00:00'")),
    ({"years": {"2026": {"days_off": "2026-12-30"}}},
     "cal.toml: years.2026.days_off: must be a list, got '2026-12-30'"),
    ({"school_holidays": {"name": "Осенние", "from": "26.10.2026", "to": "03.11.2026"}},
     "cal.toml: school_holidays: must be a list of [[school_holidays]] tables"),
])
def test_mistakes_are_one_line(data: dict, message: str) -> None:
    with pytest.raises(CalendarError) as err:
        calendar_from_dict(data, "cal.toml")
    assert str(err.value) == message


def test_file_errors_are_one_line(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text('timezone = "Asia/Yekaterinburg"\n[years.2026]\ndays_off = [2026-02-30]\n',
                    encoding="utf-8")
    with pytest.raises(CalendarError) as err:
        load_calendar(path)
    text = str(err.value)
    assert text.startswith(f"{path}: not valid TOML: ") and "line 3" in text
    assert "\n" not in text
    with pytest.raises(CalendarError, match="file not found"):
        load_calendar(tmp_path / "absent.toml")
