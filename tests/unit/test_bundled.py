"""The files mailbot ships with, `mailbot init`, and the templates' sample rendering."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from mailbot.config import ConfigError, load
from mailbot.district.deployment import load as load_deployment
from mailbot.service import bundled, init, template_check
from mailbot.service.check import _offline_app
from tests.unit.flowkit import school

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_folders_hold_the_templates_and_rule_files() -> None:
    names = {p.name for p in Path(str(bundled.templates())).iterdir()}
    assert {"ack.txt.j2", "notice.txt.j2", "_signature.txt.j2"} <= names
    rules = Path(str(bundled.rules()))
    assert all((rules / f"{name}.toml").is_file() for name in bundled.RULE_FILES)


def test_every_bundled_template_renders_with_sample_data() -> None:
    config, rules = school()
    count, failures = template_check.problems(_offline_app(config, rules))
    assert failures == [] and count >= 20


def _with_templates(tmp_path: Path, files: dict[str, str]):  # type: ignore[no-untyped-def]
    own = tmp_path / "own"
    own.mkdir()
    for name, text in files.items():
        (own / name).write_text(text, encoding="utf-8")
    config, rules = school()
    config = config.model_copy(update={"worker": config.worker.model_copy(
        update={"templates_path": str(own)})})
    return _offline_app(config, rules)


def test_a_schools_template_replaces_only_its_own(tmp_path: Path) -> None:
    app = _with_templates(tmp_path, {"ack.txt.j2": "{% block subject %}Принято{% endblock %}\n"
                                                   "Обращение {{ case_number }} принято.\n"})
    assert template_check.problems(app)[1] == []
    from mailbot.service.sample_mail import contexts

    sample = contexts(app)
    assert app.templates.render("ack", **sample["ack"]).text == "Обращение 42 принято.\n"
    assert "Здравствуйте" in app.templates.render("closing", **sample["closing"]).text


def test_a_schools_broken_template_is_one_line_each(tmp_path: Path) -> None:
    app = _with_templates(tmp_path, {
        "ack.txt.j2": "{{ case_numbr }}\n",
        "notice.txt.j2": "{% if %}\n",
        "closing.txt.j2": '{% include "_нет_такого.txt.j2" %}\n',
    })
    _, failures = template_check.problems(app)
    assert [line.split(":")[0] for line in failures] == ["ack.txt.j2", "closing.txt.j2",
                                                         "notice.txt.j2 (line 1)"]
    assert "case_numbr" in failures[0] and "TemplateNotFound" in failures[1]
    assert "TemplateSyntaxError" in failures[2]


def test_a_missing_template_folder_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "mailbot.toml"
    path.write_text('[helpdesk]\naddress = "h@s.example"\n[worker]\n'
                    'templates_path = "nowhere"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"worker\.templates_path: no such folder"):
        _offline_app(load(path), school()[1])


def test_init_writes_a_working_starter_and_never_overwrites(tmp_path: Path) -> None:
    folder = tmp_path / "etc"
    said = init.init(folder)
    assert "1." in said and "2." in said and "3." in said and "check" in said
    written = sorted(p.name for p in folder.iterdir())
    assert written == sorted(["mailbot.toml", *(f"{n}.toml" for n in bundled.RULE_FILES)])
    starter = tomllib.loads((folder / "mailbot.toml").read_text(encoding="utf-8"))
    assert starter["mailbox"]["kind"] == "imap" and "password" not in starter["mailbox"]
    assert (folder / "people.toml").read_text(encoding="utf-8") == (
        ROOT / "config" / "people.toml").read_text(encoding="utf-8")
    (folder / "people.toml").write_text("# edited\n", encoding="utf-8")
    with pytest.raises(init.InitError, match="уже есть mailbot.toml"):
        init.init(folder)
    assert (folder / "people.toml").read_text(encoding="utf-8") == "# edited\n"


def test_init_writes_a_district_that_loads_with_a_folder_per_school(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for server in ("IMAP", "SMTP"):  # the starters name these; the passwords are never written
        monkeypatch.setenv(f"MAILBOT_{server}_PASSWORD", "secret")
    folder = tmp_path / "etc"
    said = init.init(folder, ["sosnovka", "gym_2"])
    assert "sosnovka, gym_2" in said and "check" in said
    assert sorted(p.name for p in (folder / "schools").iterdir()) == ["gym_2", "sosnovka"]
    for name in ("sosnovka", "gym_2"):
        written = sorted(p.name for p in (folder / "schools" / name).iterdir())
        assert written == sorted(["mailbot.toml", *(f"{n}.toml" for n in bundled.RULE_FILES)])
    deployment = load_deployment(folder / "mailbot.toml")
    assert deployment.names == ("sosnovka", "gym_2") and deployment.district is not None
    addresses = [s.config.helpdesk.address for s in deployment.schools]
    assert addresses == ["help@sosnovka.school.example", "help@gym-2.school.example"]
    assert deployment.schools[0].config.database.url == deployment.schools[1].config.database.url
    # A second run writes nothing, and bad names are refused before anything is written.
    with pytest.raises(init.InitError, match="уже есть mailbot.toml"):
        init.init(folder, ["sosnovka", "gym_2"])
    for bad in (["Sosnovka"], ["a", "a"], ["школа"], ["north\n"]):
        with pytest.raises(init.InitError, match="--schools"):
            init.init(tmp_path / "other", bad)
    assert not (tmp_path / "other").exists()
