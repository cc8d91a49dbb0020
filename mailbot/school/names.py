"""Telling who is meant by an inflected name or position: «Петровой», «Иванову М.П.»,
«администратору журнала».

Russian inflects both names and positions, so they are compared by lemma (pymorphy3,
through mailbot.text.words' cached analyser), and the gender of the person narrows the
readings of a name: «Петровой» is Петрова, never Петров. Used by `People.find` («#передать
Петровой») and by routing's `named_person` (whom a complaint is about).
"""

from __future__ import annotations

import functools
import re
from typing import TYPE_CHECKING, Any, NamedTuple

from mailbot.text.morph import analyzer
from mailbot.text.words import analyse, fold

if TYPE_CHECKING:
    from mailbot.school.people import Person

WORD_RE = re.compile(r"([0-9A-Za-zА-Яа-яЁё]+)(\.?)")  # a word and the dot of an initial
STOP_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ"})


class MatchKeys(NamedTuple):
    """A person's name and position, prepared for comparing inflected words."""

    surname: frozenset[str]
    first: frozenset[str]
    patronymic: frozenset[str]
    initials: str
    gender: str | None
    positions: tuple[tuple[frozenset[str], ...], ...]  # per position text: lemmas per word


@functools.lru_cache(maxsize=50_000)
def _name_lemmas(word: str, grammeme: str) -> frozenset[tuple[str, str | None]]:
    """(lemma, gender) of every reading of a word as a surname, first name or patronymic."""
    result = set()
    for parse in analyzer().parse(word):
        if grammeme in parse.tag:
            result.add((fold(parse.normal_form), tag_gender(parse.tag)))
    return frozenset(result)


def tag_gender(tag: Any) -> str | None:
    """masc, femn, ms-f (either: «Шевченко») or None, as plain text."""
    if "ms-f" in tag.grammemes:
        return "ms-f"
    return str(tag.gender) if tag.gender else None


def _gender(first: str, patronymic: str) -> str | None:
    for word, grammeme in ((patronymic, "Patr"), (first, "Name")):
        genders = {g for _, g in _name_lemmas(word, grammeme) if g in ("masc", "femn")}
        if len(genders) == 1:
            return genders.pop()
    return None


def _part_keys(word: str, grammeme: str, gender: str | None) -> frozenset[str]:
    """Lemmas of the readings of a word as this part of a name, in the person's gender."""
    if not word:
        return frozenset()
    return frozenset(lemma for lemma, g in _name_lemmas(word, grammeme)
                     if gender is None or g in (gender, "ms-f", None))


def _position_words(text: str) -> tuple[frozenset[str], ...]:
    """Lemmas of the content words of a position («по», «и» do not count)."""
    words = []
    for word, _dot in WORD_RE.findall(text):
        folded = fold(word)
        _best, lemmas, pos, _known = analyse(folded)
        if pos in STOP_POS:
            continue
        words.append(lemmas | {folded})
    return tuple(words)


def _own_keys(word: str, grammeme: str, gender: str | None) -> frozenset[str]:
    """The name as written and its lemmas: «Иванова» -> {иванова, иванов}."""
    return _part_keys(word, grammeme, gender) | ({word} if word else set())


@functools.lru_cache(maxsize=1024)
def person_keys(person: Person) -> MatchKeys:
    parts = [fold(p) for p in person.name.split()] + ["", "", ""]
    surname, first, patronymic = parts[:3]
    gender = _gender(first, patronymic)
    texts = [t for t in person.position.split(",") if t.strip()] + list(person.aliases)
    return MatchKeys(
        surname=_own_keys(surname, "Surn", gender),
        first=_own_keys(first, "Name", gender),
        patronymic=_own_keys(patronymic, "Patr", gender),
        initials=first[:1] + patronymic[:1],
        gender=gender,
        positions=tuple(w for w in (_position_words(t) for t in texts) if w),
    )


def name_part(person: Person, word: str) -> str | None:
    """Which part of the person's name an inflected word is: surname, first or patronymic.

    The gender of the person narrows the readings: «Петровой» is Петрова, never Петров,
    and «Иванов» is never Иванова (though both have the lemma «иванов»).
    """
    keys = person_keys(person)
    word = fold(word)
    parts = fold(person.name).split() + ["", ""]
    for part, grammeme, own, written in (("surname", "Surn", keys.surname, parts[0]),
                                         ("first", "Name", keys.first, parts[1]),
                                         ("patronymic", "Patr", keys.patronymic, parts[2])):
        if word == written or own & _part_keys(word, grammeme, keys.gender):
            return part
    return None


def position_hits(person: Person, lemmas: frozenset[str]) -> tuple[bool, bool]:
    """(the word is in one of the person's positions, it is that position's first word)."""
    keys = person_keys(person)
    inside = any(lemmas & w for words in keys.positions for w in words)
    head = any(lemmas & words[0] for words in keys.positions)
    return inside, head


def query_words(query: str) -> list[tuple[str, bool]]:
    """Folded words of a query and whether a dot follows (an initial «М.»)."""
    return [(fold(w), bool(dot)) for w, dot in WORD_RE.findall(query)]


def fit(person: Person, words: list[tuple[str, bool]], names: bool,
        positions: bool) -> int | None:
    """How exactly the words describe the person, or None when one of them does not fit."""
    keys = person_keys(person)
    score = 0
    used: list[frozenset[str]] = []
    for word, dotted in words:
        lemmas = analyse(word)[1] | {word}
        if names and len(word) == 1 and word in keys.initials:
            continue
        if names and len(word) == 2 and not dotted and word == keys.initials:
            continue  # «Иванова МП»
        part = name_part(person, word) if names and len(word) > 1 else None
        if part == "surname":
            score += 2 if word == fold(person.surname) else 1  # «Петрова» as written
            continue
        if part is not None:
            continue
        if positions and any(lemmas & w for ws in keys.positions for w in ws):
            used.append(lemmas)
            continue
        if not dotted and analyse(word)[2] in STOP_POS:
            continue
        return None
    if used and any(all(any(w & u for u in used) for w in ws) for ws in keys.positions):
        score += 1  # a whole position named, not just a word of it
    return score
