"""The shortcuts that make role hints and the rudeness screen cheaper find what the plain
searches find: each role cue is searched only where what it needs and its gate occur, and glued
runs («пи.з.д.е.ц», «19.09.2026») are found from their glue. Checked on phrases that match
the cues and on random texts made of the letters, words and signs that matter."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from mailbot.text import role_hints, rude_tokens
from mailbot.text.rudeness import Lexicon, detect, load_lexicon
from mailbot.text.words import fold

ROOT = Path(__file__).resolve().parents[2]

# One phrase or more for every text cue, in the order of `_TEXT_CUES`.
CUE_PHRASES = [
    "я мама ученицы", "мы - родители", "моя дочка болеет", "наши дети не видят",
    "сыну поставили два", "как родитель прошу", "роль — родителя", "в роли родитель",
    "у нас трое детей", "ребенку выставили", "дочке вывели четверку", "я, ученица",
    "я учусь в 9б", "я в 10 а классе", "мне 14 лет", "мне не поставили оценку",
    "поставили мне два", "ставят мне", "одноклассники смеются", "у меня не видно оценки",
    "я новый учитель", "я кл. руководитель", "коллеги, добрый день", ",коллеги",
    "в моем классе", "у меня в классе", "моих учеников", "я вчера поставила",
    "я выставил", "я веду", "я тоже веду", "веду физику в 7", "у меня в журнале",
    "в журнале у меня",
]
# Words and signs the cues are made of, and others, for random texts.
PIECES = [
    "я", "мы", "мама", "мать", "родитель", "родители", "как", "роль", "в", "роли", "у",
    "меня", "нас", "двое", "3", "детей", "дети", "сын", "сыну", "дочери", "дочке",
    "ребенку", "поставили", "вывели", "выставили", "поставил", "ставят", "ставит", "мне",
    "не", "14", "лет", "ученица", "ученик", "учусь", "9", "классе", "учитель", "коллеги",
    "моем", "моих", "мои", "учеников", "веду", "физику", "с", "журнале", "наш", "мой",
    "внучка", "одноклассники", "оценки", "новый", "кл.", "рук", "—", "-", ",", " ", "  ",
    "\n", ".", "!", "а", "б", "роль:", "вродитель", "яродитель",
]


def _random_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(PIECES) for _ in range(rng.randint(1, 14)))
            for _ in range(count)]


def test_what_a_cue_needs_is_read_from_it() -> None:
    needs = dict(zip([label for *_, label, _rx in role_hints._TEXT_RES],
                     role_hints._TEXT_NEEDS, strict=True))
    assert needs["«коллеги»"] == "коллеги"
    assert needs["«как родитель / роль — родитель»"][0] == "all"
    assert sum(need is not None for need in needs.values()) >= 15


def test_cue_hit_is_the_plain_search() -> None:
    cues = list(zip(role_hints._TEXT_RES, role_hints._TEXT_GATES, role_hints._TEXT_NEEDS,
                    strict=True))
    for text in CUE_PHRASES + _random_texts(3000):
        folded = fold(text)
        for (_role, _points, label, regex), gate, needs in cues:
            plain = regex.search(folded)
            quick = role_hints._cue_hit(folded, regex, gate, needs)
            assert (quick and quick.span()) == (plain and plain.span()), (label, text)


def test_every_cue_has_a_phrase() -> None:
    for _role, _points, label, regex in role_hints._TEXT_RES:
        assert any(regex.search(fold(p)) for p in CUE_PHRASES), label


GLUE_TEXTS = [
    "пи.з.д.е.ц", "19.09.2026", "что-то", "из-за", "..а.б", "_а.б", "а..б.в", "а._б",
    "ab.-cd.e", "x_y.z", "1.2.3.", "а-б-в г.д", "-а.б", ".а", "а.", "", "ф.и.о.",
]
GLUE_PIECES = list("абвxy19 .-_*@$,\n") + ["ху", "ёж", "20"]


def test_glued_runs_are_the_regex_runs() -> None:
    rng = random.Random(11)
    texts = GLUE_TEXTS + ["".join(rng.choice(GLUE_PIECES) for _ in range(rng.randint(1, 30)))
                          for _ in range(20_000)]
    for text in texts:
        quick = [(m.span(), m.group()) for m in rude_tokens._glued_runs(text)]
        plain = [(m.span(), m.group()) for m in rude_tokens._GLUED_RUN.finditer(text)]
        assert quick == plain, text


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon(ROOT / "config" / "etiquette.toml")


def test_a_word_seen_clean_does_not_hide_a_bad_one(lexicon: Lexicon) -> None:
    assert detect("Добрый день, не вижу оценки 19.09.2026", lexicon) == []
    assert detect("Добрый день, не вижу оценки 19.09.2026", lexicon) == []
    found = detect("Добрый день, не вижу оценки, пи.з.д.е.ц 19.09.2026", lexicon)
    assert [(f.kind, f.word) for f in found] == [("obscene", "пи.з.д.е.ц")]
    found = detect("Добрый день, не вижу оценки 19.09.2026, бля", lexicon)
    assert [(f.kind, f.word) for f in found] == [("obscene", "бля")]


def test_plain_words_skip_numbers_only(lexicon: Lexicon) -> None:
    words = rude_tokens.plain_words("оценка 5, 2026 год, 5а, х**, *важно*", lexicon)
    assert words == {"оценка", "год", "5а", "х**", "важно"}


_OLD_ADDRESS = re.compile(r"\S+@\S+\.\w+|(?:https?://|www\.)\S+", re.IGNORECASE)
ADDRESS_PIECES = ["anna@mail.ru", "<p@x.org>", "a@b@c.d", "@", "@@", ".", "..", "a", "ж",
                  "_", "-", ",", ";", ">", "(", ")", " ", "  ", "\n", "\t", "www.", "WWW.",
                  "http://", "https://x.ru/a?b=c", "ftp://", "x.y", "@.", ".@", "1", "«", "»"]


def test_address_spans_are_the_old_pattern_in_one_pass() -> None:
    """What blanking addresses and links found with the regex that tried every split of
    every start, found in one pass: on random texts made of the pieces that matter, runs of
    several "@" and dots included."""
    rng = random.Random(11)
    texts = ["", "@", "a@b.c", "x@" * 50, "@" * 50 + ".ru", "a@.b", "a@b.", "@a.b", "a@b.c.d"]
    texts += ["".join(rng.choice(ADDRESS_PIECES) for _ in range(rng.randint(1, 25)))
              for _ in range(20_000)]
    for text in texts:
        assert list(rude_tokens._address_spans(text)) == [
            m.span() for m in _OLD_ADDRESS.finditer(text)], text
    assert rude_tokens.blank("@" * 100_000 + " мат") == "@" * 100_000 + " мат"  # no address
