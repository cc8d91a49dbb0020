"""The one rule-file loader: dates in both formats, one-line errors counted from 1."""

from datetime import date
from pathlib import Path

import pytest

from mailbot.school.tomlfile import RuleModel, SchoolDate, format_date, load, parse_date


class _Entry(RuleModel):
    name: str
    day: SchoolDate


class _File(RuleModel):
    entries: tuple[_Entry, ...] = ()


class _Bad(ValueError):
    pass


@pytest.mark.parametrize("value", ["2026-12-31", "31.12.2026", " 31.12.2026 ", date(2026, 12, 31)])
def test_a_date_is_read_in_both_formats(value: object) -> None:
    assert parse_date(value) == date(2026, 12, 31)


@pytest.mark.parametrize("value", ["31/12/2026", "2026-02-30", "30.02.2026", 20261231, "", None])
def test_anything_else_is_refused_with_the_key(value: object) -> None:
    with pytest.raises(ValueError, match="^when: "):
        parse_date(value, "when")


def test_dates_are_shown_the_russian_way() -> None:
    assert format_date(date(2026, 1, 9)) == "09.01.2026"


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_good_file_loads_into_the_model(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[entries]]\nname = "a"\nday = "01.09.2026"\n'
                            '[[entries]]\nname = "b"\nday = 2026-09-02\n')
    loaded = load(path, _File, _Bad)
    assert [e.day for e in loaded.entries] == [date(2026, 9, 1), date(2026, 9, 2)]


def test_the_second_entry_is_called_the_second(tmp_path: Path) -> None:
    path = _write(tmp_path, '[[entries]]\nname = "a"\nday = "01.09.2026"\n'
                            '[[entries]]\nname = "b"\nday = "32.09.2026"\n')
    with pytest.raises(_Bad) as caught:
        load(path, _File, _Bad)
    message = str(caught.value)
    assert message.startswith(f"{path}: entries[2].day: ")
    assert "\n" not in message


def test_unknown_and_missing_keys_are_named(tmp_path: Path) -> None:
    with pytest.raises(_Bad, match=r"entries\[1\]\.colour: unknown key"):
        load(_write(tmp_path, '[[entries]]\nname = "a"\nday = 2026-09-01\ncolour = 1\n'), _File, _Bad)
    with pytest.raises(_Bad, match=r"entries\[1\]\.day: missing"):
        load(_write(tmp_path, '[[entries]]\nname = "a"\n'), _File, _Bad)


def test_broken_toml_and_a_missing_file_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(_Bad, match="not valid TOML"):
        load(_write(tmp_path, "entries = [\n"), _File, _Bad)
    with pytest.raises(_Bad, match="file not found"):
        load(tmp_path / "absent.toml", _File, _Bad)
