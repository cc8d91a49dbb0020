"""Start-up work put off until it is needed, or shared between schools, gives the same answers."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from pytest import MonkeyPatch

from mailbot import app as app_module
from mailbot import config as config_module
from mailbot.config import Config
from mailbot.service import sample_mail, template_check
from mailbot.text import typos
from mailbot.text.category_rules import load_rules
from mailbot.text.knowledge import load_knowledge
from mailbot.text.typos import DeletionIndex, deletion_index, typo_of
from mailbot.text.words import forms

CONFIG = Path(__file__).resolve().parents[2] / "config"
VOCABULARY = ("пароль", "оценка", "опека", "дневник", "журнал", "учитель", "восстановить")


def _slips(word: str, rng: random.Random) -> set[str]:
    """Words one slip of the keyboard away from `word`, and a few further away."""
    letters = "абвгдежзиклмнопрстуфхцчшщыьэюя"
    out = {word, word + word[-1], word[::-1]}
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1:])
        out.add(word[:i] + rng.choice(letters) + word[i:])
        out.add(word[:i] + rng.choice(letters) + word[i + 1:])
        if i + 1 < len(word):
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2:])
            out.add(word[:i] + rng.choice(letters) + rng.choice(letters) + word[i + 2:])
    return out


def test_the_index_is_built_on_the_first_lookup_only(monkeypatch: MonkeyPatch) -> None:
    built: list[int] = []
    real = typos.deletion_index
    monkeypatch.setattr(typos, "deletion_index",
                        lambda words, n: built.append(n) or real(words, n))
    index = DeletionIndex(VOCABULARY, 5)
    assert built == []
    assert typo_of("пороль", index) == "пароль"
    assert typo_of("дневнк", index) == "дневник"
    assert built == [5]


def test_a_lazy_index_is_the_index_and_finds_the_same() -> None:
    lazy = DeletionIndex(VOCABULARY, 5)
    plain = deletion_index(VOCABULARY, 5)
    assert dict(lazy) == plain and len(lazy) == len(plain)
    assert lazy["пароль"] == plain["пароль"] and "пароль" in lazy and "xyz" not in lazy
    rng = random.Random(7)
    words = {slip for lemma in VOCABULARY for form in forms(lemma) for slip in _slips(form, rng)}
    for word in sorted(words):
        assert typo_of(word, lazy) == typo_of(word, plain), word


@pytest.mark.parametrize("min_length", [1, 4, 5, 7])
def test_the_index_holds_every_deletion_of_every_form(min_length: int) -> None:
    """What the index was before the entries of one form shared their tuple."""
    expected: dict[str, list[str]] = {}
    for lemma in dict.fromkeys(VOCABULARY):
        for form in forms(lemma):
            if len(form) >= min_length:
                deleted = {form[:i] + form[i + 1:] for i in range(len(form))} | {form}
                for key in deleted:
                    expected.setdefault(key, []).append(f"{form}:{lemma}")
    index = deletion_index(VOCABULARY, min_length)
    assert {key: sorted(entries) for key, entries in index.items()} == {
        key: sorted(entries) for key, entries in expected.items()}


def test_the_shipped_rule_files_build_their_indexes_when_a_typo_is_looked_up(
        monkeypatch: MonkeyPatch) -> None:
    built: list[int] = []
    real = typos.deletion_index
    monkeypatch.setattr(typos, "deletion_index",
                        lambda words, n: built.append(n) or real(words, n))
    rules = load_rules(CONFIG / "categories.toml")
    knowledge = load_knowledge(CONFIG / "knowledge.toml")
    assert built == []
    assert typo_of("пороль", rules.fuzzy_index) == "пароль"
    assert typo_of("пороль", knowledge.reader.fuzzy_index) == "пароль"
    assert len(built) == 2


def _school(folder: Path, name: str, templates: Path | None) -> Config:
    folder.mkdir()
    lines = ["[helpdesk]", f'address = "help@{name}.example"',
             "[database]", f'url = "sqlite:///{folder.parent / "district.sqlite3"}"',
             "[security]", f'secret_file = "{folder.parent / "secret"}"']
    if templates is not None:
        lines += ["[worker]", f'templates_path = "{templates}"']
    (folder / "mailbot.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config_module.load(folder / "mailbot.toml")


def test_schools_with_the_same_templates_share_them(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / "stopped.txt.j2").write_text("{% block subject %}Своя тема{% endblock %}\nСвой текст\n",
                                        encoding="utf-8")
    configs = [_school(tmp_path / "a", "a", None), _school(tmp_path / "b", "b", None),
               _school(tmp_path / "c", "c", own), _school(tmp_path / "d", "d", own)]
    apps = app_module.build_all(configs)
    assert apps[0].templates is apps[1].templates
    assert apps[2].templates is apps[3].templates
    assert apps[2].templates is not apps[0].templates
    for app, config in zip(apps, configs, strict=True):
        assert app.config is config
        alone = app_module.build(config, engine=apps[0].engine)  # its templates of its own
        assert alone.templates is not app.templates
        assert template_check.problems(app) == template_check.problems(alone)
        for name in ("stopped", "guide"):
            context = sample_mail.contexts(app)[name]
            assert app.templates.render(name, **context) == alone.templates.render(name,
                                                                                    **context)
    assert apps[2].templates.render("stopped", **sample_mail.contexts(apps[2])["stopped"]
                                    ).subject == "Своя тема"


def test_a_word_longer_than_any_form_but_one_is_no_typo_and_costs_nothing() -> None:
    """One edit from a form is at most one letter longer than it; a pasted run of letters
    200,000 long is not split into 200,000 deletions of its length (a stuck worker)."""
    index = DeletionIndex(VOCABULARY, 5)
    longest = index.longest()
    assert longest == max(len(form) for lemma in VOCABULARY for form in forms(lemma))
    word = next(form for lemma in VOCABULARY for form in forms(lemma) if len(form) == longest)
    assert typo_of(word + "ь", index) is not None  # one letter too many: still a slip
    assert typo_of(word + "ьь", index) is None
    assert typo_of("ж" * 200_000, index) is None
    assert typo_of("ж" * 200_000, dict(index)) is None  # a plain index is read alike
