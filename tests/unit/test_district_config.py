"""A district file with several schools: loaded into one Config per school on one database,
and every mistake one line naming the file, the key and why."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.config import ConfigError, load
from mailbot.district import deployment

SCHOOL = '[helpdesk]\naddress = "{addr}"\nschool = "{title}"\n'


def district(tmp_path: Path, extra: str = "", schools: str = "", *,
             a: str = "", b: str = "") -> Path:
    for name, addr, more in (("a", "help@a.example", a), ("b", "help@b.example", b)):
        folder = tmp_path / name
        folder.mkdir(exist_ok=True)
        text = SCHOOL.format(addr=addr, title=f"Школа {name.upper()}") + more
        (folder / "mailbot.toml").write_text(text, encoding="utf-8")
    path = tmp_path / "district.toml"
    path.write_text(
        'state_dir = "state"\n[database]\nurl = "sqlite:///district.sqlite3"\n'
        '[smtp]\nkind = "maildir"\npath = "outgoing"\n'
        '[district]\nname = "Отдел образования"\nadmins = ["boss@district.example"]\n'
        + extra
        + (schools or '[[school]]\nname = "a"\nconfig = "a/mailbot.toml"\n'
                      '[[school]]\nname = "b"\nconfig = "b/mailbot.toml"\n'),
        encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _no_state_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILBOT_STATE_DIR", raising=False)


def test_two_schools_share_database_secret_and_defaults(tmp_path: Path) -> None:
    found = deployment.load(district(tmp_path, b='[smtp]\nkind = "maildir"\npath = "own"\n'))
    assert found.names == ("a", "b")
    a, b = (s.config for s in found.schools)
    assert a.helpdesk.address == "help@a.example" and b.helpdesk.address == "help@b.example"
    url = f"sqlite:///{tmp_path / 'district.sqlite3'}"
    assert a.database_url == url and b.database_url == url
    assert a.secret_path == b.secret_path == tmp_path / "state" / "mailbot.secret"
    # Each school's state is a folder of its own; an inherited [smtp] keeps the district's
    # meaning of its relative path, a school's own [smtp] wins.
    assert a.mailbox_path == tmp_path / "state" / "a" / "mailbox"
    assert b.mailbox_path == tmp_path / "state" / "b" / "mailbox"
    assert a.sent_path == tmp_path / "outgoing"
    assert b.sent_path == tmp_path / "b" / "own"
    assert found.district is not None and found.district.admins == ("boss@district.example",)
    assert found.pick("B").title == "Школа B"


def test_a_single_school_file_is_one_school(tmp_path: Path) -> None:
    path = tmp_path / "mailbot.toml"
    path.write_text('[helpdesk]\naddress = "help@a.example"\n', encoding="utf-8")
    found = deployment.load(path)
    assert found.district is None and found.names == ("default",)
    assert found.pick(None).config == load(path)


def test_a_command_about_one_school_needs_its_name(tmp_path: Path) -> None:
    found = deployment.load(district(tmp_path))
    with pytest.raises(ConfigError, match=r"2 schools here: `mailbot --school NAME cases`, "
                                          r"NAME one of a, b$"):
        found.pick(None, "cases")
    with pytest.raises(ConfigError, match=r"no school 'c'; known: a, b$"):
        found.pick("c")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"extra": "[district]\n"}, r"district.toml: not valid TOML"),
    ({"schools": '[[school]]\nname = "a"\nconfig = "a/mailbot.toml"\ncolour = "red"\n'},
     r"district.toml: school.0.colour: unknown key$"),
    ({"schools": '[[school]]\nname = "a"\nconfig = "a/mailbot.toml"\n'
                 '[[school]]\nname = "a"\nconfig = "b/mailbot.toml"\n'},
     r"district.toml: school: two schools with the name 'a'$"),
    ({"schools": '[[school]]\nname = "Школа 1"\nconfig = "a/mailbot.toml"\n'},
     r"district.toml: school.0.name: 'Школа 1': a short name"),
    ({"schools": '[[school]]\nname = "a"\nconfig = "a/mailbot.toml"\n'
                 '[[school]]\nname = "c"\nconfig = "a/mailbot.toml"\n'},
     r"district.toml: school: two schools with the address 'help@a.example'$"),
    ({"schools": '[[school]]\nname = "c"\nconfig = "c/mailbot.toml"\n'},
     r"district.toml: school c: config: no such file: .*c/mailbot.toml$"),
    ({"b": '[database]\nurl = "postgresql+psycopg2://x@127.0.0.1/other"\n'},
     r"b/mailbot.toml: database.url: differs from the district file's; one deployment has"),
    ({"a": '[security]\nsecret_file = "own.secret"\n'},
     r"a/mailbot.toml: security.secret_file: differs from the district file's"),
    ({"a": '[district]\nname = "Другой отдел"\n'},
     r"a/mailbot.toml: district: belongs in the district file"),
    ({"b": '[helpdesk.extra]\n'}, r"b/mailbot.toml: helpdesk.extra: unknown key$"),
])
def test_mistakes_are_one_line(tmp_path: Path, kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        deployment.load(district(tmp_path, **kwargs))
    assert "\n" not in str(err.value)


def test_a_school_file_may_repeat_the_shared_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'district.sqlite3'}"
    found = deployment.load(district(tmp_path, a=f'[database]\nurl = "{url}"\n'))
    assert found.schools[0].config.database_url == url


def test_district_settings_are_checked(tmp_path: Path) -> None:
    path = district(tmp_path, schools='[[school]]\nname = "a"\nconfig = "a/mailbot.toml"\n')
    path.write_text(path.read_text(encoding="utf-8").replace(
        'admins = ["boss@district.example"]', 'admins = ["boss"]\nday = "someday"'),
        encoding="utf-8")
    with pytest.raises(ConfigError, match=r"district.admins: not an e-mail address: 'boss'$"):
        deployment.load(path)


def test_config_load_refuses_a_district_file_plainly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"district.toml: a district file"):
        load(district(tmp_path))


def test_the_example_district_file_is_valid() -> None:
    import tomllib

    example = Path(__file__).resolve().parents[2] / "config" / "district.example.toml"
    shared = deployment.DistrictFile.model_validate(tomllib.loads(
        example.read_text(encoding="utf-8")))
    assert [s.name for s in shared.school] == ["sosnovka", "gymnasium2"]
