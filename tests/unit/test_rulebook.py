"""rulebook.load_all: the rule files checked against each other and against mailbot.toml,
each mistake one line naming the file and key; the people get the working calendar."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from mailbot.config import ConfigError, load
from mailbot.school.rulebook import Rulebook, load_all
from mailbot.school.workcal import default_calendar

CONFIG = Path(__file__).resolve().parents[2] / "config"
FILES = ("people", "routes", "calendar", "schedule")


def school(tmp_path: Path, *, address: str = "help@school.example",
           timezone: str = "Asia/Yekaterinburg", files: tuple[str, ...] = FILES,
           **changes: tuple[str, str]) -> Rulebook:
    """The shipped rule files in tmp_path, one text replaced in those named by `changes`."""
    for name in files:
        text = (CONFIG / f"{name}.toml").read_text(encoding="utf-8")
        if name in changes:
            old, new = changes[name]
            assert old in text, old
            text = text.replace(old, new)
        (tmp_path / f"{name}.toml").write_text(text, encoding="utf-8")
    listed = "".join(f'{name} = "{name}.toml"\n' for name in files)
    config = tmp_path / "mailbot.toml"
    config.write_text(f'[helpdesk]\naddress = "{address}"\ntimezone = "{timezone}"\n'
                      f"[files]\n{listed}", encoding="utf-8")
    return load_all(load(config))


def mistake(tmp_path: Path, **kwargs: object) -> str:
    with pytest.raises(ConfigError) as err:
        school(tmp_path, **kwargs)  # type: ignore[arg-type]
    text = str(err.value)
    assert "\n" not in text
    return text


def test_the_shipped_files_load_together(tmp_path: Path) -> None:
    rules = school(tmp_path)
    assert rules.calendar is not None and rules.people is not None
    assert rules.people.calendar is rules.calendar  # routing asks the same calendar
    assert rules.routes is not None and rules.schedule is not None


def test_without_calendar_file_people_get_the_built_in_calendar(tmp_path: Path) -> None:
    rules = school(tmp_path, files=("people", "routes"))
    assert rules.calendar is None
    assert rules.people is not None
    assert rules.people.calendar is default_calendar("Asia/Yekaterinburg")


def test_calendar_zone_must_be_the_help_desks(tmp_path: Path) -> None:
    text = mistake(tmp_path, timezone="Europe/Moscow")
    assert text.startswith(f"{tmp_path / 'calendar.toml'}: timezone: Asia/Yekaterinburg "
                           "differs from helpdesk.timezone Europe/Moscow")


def test_a_route_naming_nobody(tmp_path: Path) -> None:
    text = mistake(tmp_path, routes=('to = "person:ivanova"', 'to = "person:ivanov"'))
    assert text == (f"{tmp_path / 'routes.toml'}: route[3].to: no person with id 'ivanov' in "
                    f"{tmp_path / 'people.toml'}")


def test_a_schedule_naming_nobody(tmp_path: Path) -> None:
    text = mistake(tmp_path, schedule=('helper = "smirnova"', 'helper = "smirnov"'))
    assert text == (f"{tmp_path / 'schedule.toml'}: consultation[4].helper: no person with "
                    "id 'smirnov'")


def test_a_supervisor_who_does_not_exist(tmp_path: Path) -> None:
    text = mistake(tmp_path, people=('supervisor = "sidorov"\nhours = "08:00-16:00"',
                                     'supervisor = "sidorova"\nhours = "08:00-16:00"'))
    assert text == (f"{tmp_path / 'people.toml'}: person[2].supervisor: no person with id "
                    "'sidorova'")


def test_nobody_may_have_the_help_desks_own_address(tmp_path: Path) -> None:
    text = mistake(tmp_path, address="ezh@school.example")
    assert text.startswith(f"{tmp_path / 'people.toml'}: person[3].emails[2]: "
                           "'ezh@school.example' is the help desk's own address")
    text = mistake(tmp_path, address="support@epos.example")
    assert text.startswith(f"{tmp_path / 'people.toml'}: vendor.emails[1]: "
                           "'support@epos.example' is the help desk's own address")


def test_dates_in_either_format_in_every_file(tmp_path: Path) -> None:
    rules = school(
        tmp_path,
        people=("from = 2026-12-07\nto = 2026-12-09", 'from = "07.12.2026"\nto = "2026-12-09"'),
        calendar=("from = 2026-10-26\nto = 2026-11-03", 'from = "26.10.2026"\nto = "03.11.2026"'),
        schedule=("date = 2026-12-08\naction", 'date = "08.12.2026"\naction'),
    )
    assert rules.people is not None and rules.calendar is not None
    assert rules.people.get("ivanova").is_absent(date(2026, 12, 7))
    assert rules.calendar.school_holiday(date(2026, 10, 26)) is not None
