"""The shortcuts of the classifier and the knowledge base give what the plain way gives: a
pattern searched only where it can match (`category_rules.pattern_hits`, `pattern_needs`)
finds what `regex.search` finds; a prefix word found through the text's index (`tokens.prefix_key`)
is the first free word that starts with it, never an abbreviation."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from mailbot.text.category_rules import CategoryRules, load_rules, pattern_hits
from mailbot.text.knowledge import Knowledge, Suggestion, knowledge_from_dict, suggest
from mailbot.text.words import fold

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "categories.toml"

# Patterns a school could write, several of which the shortcut must leave to the regex.
TRICKY = [
    r"(?:стоит|стоят|поставили)\s+н\b",
    r"\b(?:ошибк\w*|error|код)\W{0,3}[45]0\d\b",
    r"\b(?:500|502|403)\b",
    r"bad gateway|forbidden",
    r"КОД\s*\d+",  # upper case: matches the folded «код» case-insensitively
    r"(?-i:код)\s*7",  # case-sensitive group
    r"(?x) код \s* 8",  # verbose: spaces are not literal
    r"(?<=код)\s*9",  # look behind: sees text before where the search starts
    r"(?:код)+\s*1|(?:пароль){2}",
    r"\bн-?ки\b|\bэнк[аи]\b",
    r"(код)\s*\1",
    r"(?>код|кот)ик",
    r"стоит|",
    r"(?=стоит)с",
    r"k\w+|ss|straße",
]

TEXTS = [
    "",
    "у сына стоит н по физике, код 504",
    "стоит  н, стоят н, поставили н",
    "ошибка 503 при входе; error: 404; код-500",
    "bad gateway и forbidden",
    "ᲃтоит н",  # a Cyrillic letter form that the case-insensitive search takes for «с»
    "Стоит н",  # not folded: upper case
    "\ufeffстоит н",  # outside the characters whose case forms are worked out
    "кодкод 1 пароль пароль паролькод 7 код8 код 9",
    "КОД 7 кодкод котик кодик",
    "нки н-ки энка энки",
    "kelvin \u212a ſs straſse strasse",
    "стоитстоит н стоит\nн",
]


def _rules(tmp_path: Path, patterns: list[str]) -> CategoryRules:
    lines = "".join(f"'{p}' = 1.0\n" for p in patterns)
    path = tmp_path / "categories.toml"
    path.write_text(f"[categories.marks.patterns]\n{lines}", encoding="utf-8")
    return load_rules(path)


def _plain(rules: CategoryRules, text: str) -> list[tuple[str, tuple[int, int], str]]:
    found = ((p, p.regex.search(text)) for p in rules.patterns)
    return [(p.text, hit.span(), hit.group()) for p, hit in found if hit]


def _fast(rules: CategoryRules, text: str) -> list[tuple[str, tuple[int, int], str]]:
    return [(p.text, hit.span(), hit.group()) for p, hit in pattern_hits(rules, text)]


@pytest.mark.parametrize("text", TEXTS)
def test_pattern_hits_are_the_searches(tmp_path: Path, text: str) -> None:
    rules = _rules(tmp_path, TRICKY)
    for variant in (text, fold(text)):
        assert _fast(rules, variant) == _plain(rules, variant)


def test_shipped_patterns_on_texts(tmp_path: Path) -> None:
    rules = load_rules(SHIPPED)
    assert any(p.needs is not None for p in rules.patterns)
    assert rules.pattern_guard is not None
    for text in TEXTS:
        assert _fast(rules, fold(text)) == _plain(rules, fold(text))


def test_what_a_pattern_needs(tmp_path: Path) -> None:
    rules = _rules(tmp_path, TRICKY)
    by_text = {p.text: p for p in rules.patterns}
    assert by_text[TRICKY[0]].starts == ("стоит", "стоят", "поставили")
    assert by_text[TRICKY[2]].needs == ("any", ("500", "502", "403"))
    # Upper case, inline flags and an empty alternative prove nothing.
    for text in (r"(?x) код \s* 8", r"стоит|", r"КОД\s*\d+"):
        assert by_text[text].needs is None
        assert by_text[text].starts == ()
    assert by_text[r"(?-i:код)\s*7"].needs == "7"  # the group's own flags: only what follows
    assert by_text[r"(?-i:код)\s*7"].starts == ()


def test_random_patterns_on_random_texts(tmp_path: Path) -> None:
    parts = ["код", "КОД", "стоит", "н", "ки", "50", "4", r"\b", r"\s*", r"\s+", r"\d", r"\w*",
             "[аи]", "[45]", "-?", "(?:", "(", ")", "|", "+", "?", "{2}", ".", "ᲃ", "k", "ss",
             "(?-i:", "(?=", "(?<=к)", r"\.", " "]
    rng = random.Random(11)
    patterns: set[str] = set()
    while len(patterns) < 150:
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 7)))
        try:
            re.compile(text, re.IGNORECASE)
        except re.error:
            continue
        patterns.add(text)
    rules = _rules(tmp_path, sorted(patterns))
    assert sum(p.needs is not None for p in rules.patterns) > 50
    assert sum(bool(p.starts) for p in rules.patterns) > 10
    letters = ["код", "стоит", "н", "ки", "5", "0", "4", " ", "-", "а", "и", "ᲃ", "С", "К",
               ".", "k", "\u212a", "ſ", "s", "\n", "кк"]
    for _ in range(400):
        text = "".join(rng.choice(letters) for _ in range(rng.randint(0, 14)))
        assert _fast(rules, text) == _plain(rules, text), text


def test_random_texts(tmp_path: Path) -> None:
    rules = _rules(tmp_path, TRICKY)
    pieces = ["стоит", "н", " ", "код", "5", "0", "3", "4", "-", "ки", "энк", "а", "и",
              "ᲃ", "С", "error", "bad", " gateway", "пароль", "\n", "k", "\u212a", "ſ", "s"]
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert _fast(rules, text) == _plain(rules, text), text


# ------------------------------------------------------------------ knowledge: prefix words


def _knowledge(*articles: list[str]) -> Knowledge:
    return knowledge_from_dict({
        "settings": {"base_url": "https://help.example/", "min_score": 1.0, "min_share": 0.0,
                     "category_bonus": 0.0},
        "article": [{"id": f"a{n}", "title": f"A{n}", "link": f"a{n}.html",
                     "categories": ["homework"], "words": words}
                    for n, words in enumerate(articles, start=1)],
    }, "small.toml")


def test_a_prefix_word_is_not_an_abbreviation() -> None:
    knowledge = _knowledge(["ЭПОС"], ["эпо*", "журнал"])
    by_id = {s.article.id: s.reasons for s in
             suggest(knowledge, category="homework", text="ЭПОС, журнал")}
    assert by_id["a2"] == ('word "журнал" (журнал) +1.0',)
    by_id = {s.article.id: s.reasons for s in
             suggest(knowledge, category="homework", text="эпопея с журналом")}
    assert by_id["a2"] == ('word "эпопея" (эпо*) +1.0', 'word "журналом" (журнал) +1.0')


def test_a_prefix_word_takes_the_first_word_a_phrase_left() -> None:
    knowledge = _knowledge(["домашнее задание", "домашн*"])
    (found,) = suggest(knowledge, category="homework",
                       text="домашнее задание, домашняя работа, домашний")
    assert found.reasons == ('phrase "домашнее задание" (домашнее задание) +2.0',
                             'word "домашняя" (домашн*) +1.0')


def test_an_article_of_prefix_words_only_needs_such_a_word() -> None:
    knowledge = _knowledge(["домашк*"], ["задание"])
    assert ids(suggest(knowledge, category="homework", text="где домашка?")) == ["a1"]
    assert ids(suggest(knowledge, category="homework", text="где задание?")) == ["a2"]
    assert suggest(knowledge, category="homework", text="где ДОМ?") == []


def ids(found: list[Suggestion]) -> list[str]:
    return [s.article.id for s in found]
