"""The request classifier: structure on small hand-made rules, behaviour on the shipped ones,
and an accuracy floor on the labelled set in tests/fixtures/requests/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailbot.text.classify import (
    CATEGORY_IDS,
    OTHER,
    CategoryRules,
    Classification,
    classify,
    load_rules,
)
from mailbot.text.role_hints import guess_role_hint

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "categories.toml"
FIXTURES = ROOT / "tests" / "fixtures" / "requests"


@pytest.fixture(scope="module")
def rules() -> CategoryRules:
    return load_rules(SHIPPED)


def write_rules(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "categories.toml"
    path.write_text(text, encoding="utf-8")
    return path


SMALL = """
[settings]
threshold = 1.0
subject_weight = 2.0

[abbreviations]
"ДЗ" = "any"
"ЭД" = "upper"

[categories.homework.words]
"ДЗ" = 3.0
"задание" = 2.0

[categories.marks.words]
"оценка" = 2.0

[categories.final_marks.phrases]
"годовая оценка" = 3.0
"""


# ------------------------------------------------------------------ abbreviations


def test_abbreviation_is_matched_as_a_whole_token_in_any_case(rules: CategoryRules) -> None:
    for text in ("Не видно ДЗ на завтра", "не видно дз на завтра", "Дз по алгебре не видно"):
        result = classify("", text, rules)
        assert result.category == "homework", text
        assert any("abbreviation ДЗ" in r for r in result.reasons)


def test_abbreviation_does_not_match_inside_a_word(tmp_path: Path) -> None:
    small = load_rules(write_rules(tmp_path, SMALL))
    result = classify("", "сын ходит на дзюдо и на дзот", small)
    assert "homework" not in result.scores
    assert result.category == OTHER


def test_ktp_abbreviation_routes_to_planning(rules: CategoryRules) -> None:
    result = classify("КТП", "не загружается по физике", rules)
    assert result.category == "planning"
    assert any("abbreviation КТП" in r for r in result.reasons)


def test_upper_only_abbreviation_ignores_lower_case(tmp_path: Path) -> None:
    text = SMALL + '\n[categories.login.words]\n"ЭД" = 3.0\n'
    small = load_rules(write_rules(tmp_path, text))
    assert classify("", "не открывается ЭД", small).category == "login"
    assert "login" not in classify("", "не открывается эд", small).scores


# ------------------------------------------------------------------ weighting and phrases


def test_subject_counts_more_than_body(tmp_path: Path) -> None:
    small = load_rules(write_rules(tmp_path, SMALL))
    in_subject = classify("задание", "", small)
    in_body = classify("", "задание", small)
    assert in_subject.scores["homework"] == pytest.approx(2 * in_body.scores["homework"])
    # Equal weights, one word each side: the subject's topic wins.
    assert classify("оценка", "задание", small).category == "marks"
    assert classify("задание", "оценка", small).category == "homework"


def test_phrase_claims_its_words(tmp_path: Path) -> None:
    small = load_rules(write_rules(tmp_path, SMALL))
    result = classify("", "Почему годовая оценка три?", small)
    assert result.category == "final_marks"
    assert "marks" not in result.scores
    alone = classify("", "Почему оценка три?", small)
    assert alone.category == "marks"


def test_morphology_matches_other_forms(tmp_path: Path) -> None:
    small = load_rules(write_rules(tmp_path, SMALL))
    result = classify("", "нет оценок, пропали все ОЦЕНКИ", small)
    assert result.category == "marks"
    assert any("lemma оценка" in r for r in result.reasons)


def test_repeated_word_counts_once_per_region(tmp_path: Path) -> None:
    small = load_rules(write_rules(tmp_path, SMALL))
    once = classify("", "оценка", small).scores["marks"]
    assert classify("", "оценка оценка оценки оценок", small).scores["marks"] == once


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("", "Почему годовая оценка 3, если в четвертях 4?", "final_marks"),
        ("", "у ребенка неправильная оценка по русскому", "marks"),
        ("", "не могу войти в дневник", "login"),
        ("", "не могу найти как выставить оценку за ответ у доски", "howto_training"),
        ("Жалоба", "учитель нагрубил сыну, когда он спросил про оценку", "complaint"),
        ("", "Писала про пароль три раза, никто не отвечает неделю!", "complaint"),
        ("Спасибо", "Спасибо большое, всё заработало!", OTHER),
        ("", "ок", OTHER),
        ("", "", OTHER),
    ],
)
def test_contextual_decisions(rules: CategoryRules, subject: str, body: str, expected: str) -> None:
    assert classify(subject, body, rules).category == expected


def test_thanks_at_the_end_does_not_hide_the_question(rules: CategoryRules) -> None:
    body = "Не приходит смс с кодом при входе в дневник. Заранее спасибо!"
    assert classify("", body, rules).category == "login"


def test_typo_is_forgiven_only_for_unknown_words(rules: CategoryRules) -> None:
    result = classify("пороль", "не помню пороль от дневника", rules)
    assert result.category == "login"
    assert any("typo for пароль" in r for r in result.reasons)
    # «пароль» one letter off a real word («король») must not be read as a typo.
    assert "login" not in classify("", "король и королева", rules).scores


def test_latin_lookalike_letters_are_read_as_cyrillic(rules: CategoryRules) -> None:
    # «зaбыл пapоль» typed with Latin a and p.
    assert classify("", "зaбыл пapоль", rules).category == "login"


def test_decision_keeps_its_reasons_and_serialises(rules: CategoryRules) -> None:
    result = classify("Пароль", "не могу войти в ЭПОС", rules)
    assert isinstance(result, Classification)
    assert result.category == "login"
    assert result.score == result.scores["login"] > 0
    assert all(score != 0 for score in result.scores.values())
    assert any(r.startswith("subject:") and "login" in r for r in result.reasons)
    assert result.reasons[-1].startswith("decision: login")
    data = json.loads(json.dumps(result.to_json(), ensure_ascii=False))
    assert data["category"] == "login"
    assert data["reasons"] == list(result.reasons)


def test_below_threshold_is_other_with_a_reason(rules: CategoryRules) -> None:
    result = classify("", "оценки", rules)  # one weak word
    assert result.category == OTHER
    assert "below" in result.reasons[-1]


# ------------------------------------------------------------------ the rules file


def test_shipped_rules_cover_every_category(rules: CategoryRules) -> None:
    assert set(rules.order) == {*CATEGORY_IDS, OTHER}


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (
            '[categories.login.words]\n"пароль" = "много"\n',
            "categories.login.words.пароль: must be a number",
        ),
        ('[categories.logn.words]\n"пароль" = 3\n', "categories.logn: unknown category id"),
        ("[categories.login]\nwords = 3\n", "categories.login.words: must be a table"),
        ('[categories.login.wrods]\n"пароль" = 3\n', "categories.login.wrods: unknown key"),
        ('[categories.login.words]\n"не могу" = 3\n', "categories.login.words.не могу:"),
        (
            '[categories.login.words]\n"пароль" = 3\n"пароля" = 2\n',
            "categories.login.words.пароля: the same word as 'пароль'",
        ),
        (
            "[categories.login.patterns]\n'(ошибка' = 3\n",
            "categories.login.patterns.(ошибка: bad regular expression",
        ),
        (
            '[settings]\nthreshold = 0\n[categories.login.words]\n"пароль" = 3\n',
            "settings.threshold: must be greater than 0",
        ),
        (
            '[abbreviations]\n"ЭЖ" = "lower"\n[categories.login.words]\n"пароль" = 3\n',
            "abbreviations.ЭЖ: must be one of",
        ),
        ("[settings]\nthreshold = 1\n", "categories: missing"),
        ('[categories.login.words\n"пароль" = 3\n', "not valid TOML"),
        # The structure is checked by the file's model before anything is compiled.
        ('settings = 1\n[categories.login.words]\n"пароль" = 3\n', "settings: must be a table"),
        ('[settings]\nthreshold = true\n[categories.login.words]\n"пароль" = 3\n',
         "settings.threshold: must be a number, got True"),
        ('[settings]\nphrase_gap = -1\n[categories.login.words]\n"пароль" = 3\n',
         "settings.phrase_gap: must be 0 or more"),
        ("[categories]\nlogin = 3\n", "categories.login: must be a table"),
        ("[categories.login]\ntitle = 3\n", "categories.login.title: must be text"),
        ("[categories.login]\npriority_at = 0\n", "categories.login.priority_at: must be greater"),
        ("colour = 1\n[categories.login]\n", "colour: unknown key"),
        ("categories = {}\n", "categories: at least one category is needed"),
    ],
)
def test_bad_rules_give_one_line_naming_file_and_key(
    tmp_path: Path, text: str, needle: str
) -> None:
    path = write_rules(tmp_path, text)
    with pytest.raises(ValueError) as info:
        load_rules(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    assert needle in message
    assert "\n" not in message


def test_missing_rules_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="nowhere.toml: file not found"):
        load_rules(tmp_path / "nowhere.toml")


def test_a_pattern_is_kept_as_written(tmp_path: Path) -> None:
    # Spaces may matter in a regular expression: the loader strips only plain values.
    rules = load_rules(write_rules(tmp_path, "[categories.marks.patterns]\n' н ' = 3\n"))
    assert [p.text for p in rules.patterns] == [" н "]
    assert classify("", "стоит н по истории", rules).category == "marks"


# ------------------------------------------------------------------ role hints


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Здравствуйте, мой сын не видит оценки в дневнике", "parent"),
        ("Я мама ученицы 3А, не могу войти", "parent"),
        ("Добрый день! Не вижу ребёнка.\nМама Иванова Кирилла, 5б", "parent"),
        ("Здравствуйте, я ученица 9 класса, у меня не отображаются оценки", "student"),
        ("мне поставили прогул а я был на соревнованиях", "student"),
        ("Не загружается КТП.\n\nПетрова Н.В., учитель математики", "teacher"),
        ("Коллеги, у меня в журнале не сохраняются темы", "teacher"),
        ("Учитель математики нагрубила моему сыну", "parent"),
        ("Родитель ученика 5Б пишет мне оскорбления по ночам", None),
        ("почему нет оценок? учитель говорит что выставила", None),
        ("Не открывается сайт", None),
    ],
)
def test_role_hint(text: str, expected: str | None) -> None:
    role, reasons = guess_role_hint(text)
    assert role == expected
    if expected is not None:
        assert any(r.startswith(expected) for r in reasons)


# ------------------------------------------------------------------ accuracy on the labelled set


def _labelled() -> list[dict[str, str]]:
    rows = []
    for name in ("requests.jsonl", "requests_holdout.jsonl"):
        with (FIXTURES / name).open(encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle if line.strip()]
    return rows


def test_labelled_set_is_large_and_covers_every_category() -> None:
    rows = _labelled()
    assert len(rows) >= 150
    assert {row["category"] for row in rows} == {*CATEGORY_IDS, OTHER}
    assert {row["role"] for row in rows} == {"parent", "student", "teacher", "admin"}


def test_accuracy_floor(rules: CategoryRules) -> None:
    # Measured 98.8% on the whole set (97.7% on the held-out part); the floor leaves a margin
    # for vocabulary edits but catches a broken rule or matcher.
    rows = _labelled()
    right = sum(classify(r["subject"], r["body"], rules).category == r["category"] for r in rows)
    assert right / len(rows) >= 0.95, f"accuracy {right}/{len(rows)}"
