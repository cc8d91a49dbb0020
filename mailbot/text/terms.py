"""A word or phrase a school wrote in a rule file, compiled for matching.

The categories (`config/categories.toml`) and the knowledge base (`config/knowledge.toml`)
write their words alike, and both are compiled here:

- a word in any form stands for its lemma («оценок» -> оценка);
- "стем*" is a prefix of the written word, for jargon the dictionary lacks (at least three
  letters before the star);
- a word of the file's abbreviation table is matched as a whole token, never by lemma;
- in a phrase (several words), a position may list alternatives with | and may be a part of
  speech such as <INFN>.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from mailbot.text.fields import RuleError
from mailbot.text.words import WORD_RE, fold, rule_lemma

_POS_RE = re.compile(r"^<([A-Z]+)>$")

Abbreviations = Mapping[str, tuple[str, str]]  # folded token -> (canonical, case mode)


@dataclass(frozen=True)
class Matcher:
    """One position of a term: a lemma, a surface prefix, an abbreviation or a part of speech."""

    kind: str  # "lemma" | "prefix" | "abbr" | "pos"
    value: str


@dataclass(frozen=True)
class Term:
    """A weighted word or phrase of one category (or article), as the school wrote it."""

    category: str
    text: str
    weight: float
    parts: tuple[frozenset[Matcher], ...]  # alternatives per position


def compile_term(category: str, text: str, weight: float, where: str,
                 abbreviations: Abbreviations, *, single: bool = False) -> Term:
    """A word (`single`) or a phrase of `category`; a mistake is a `RuleError` naming `where`."""
    positions = text.split()
    if not positions:
        raise RuleError(f"{where}: empty word")
    if single and len(positions) != 1:
        raise RuleError(f"{where}: a word must be one word; put several words under phrases")
    if not single and len(positions) < 2:
        raise RuleError(f"{where}: a phrase needs at least two words; put one word under words")
    parts = []
    for position in positions:
        alternatives = frozenset(
            _matcher(alt, where, abbreviations, single) for alt in position.split("|")
        )
        if single and len(alternatives) != 1:
            raise RuleError(f"{where}: alternatives with | are for phrases only")
        parts.append(alternatives)
    return Term(category, text, weight, tuple(parts))


def _matcher(word: str, where: str, abbreviations: Abbreviations, single: bool) -> Matcher:
    pos = _POS_RE.match(word)
    if pos:
        if single:
            raise RuleError(f"{where}: a part of speech like <INFN> is for phrases only")
        return Matcher("pos", pos.group(1))
    if word.endswith("*"):
        stem = fold(word[:-1])
        if len(stem) < 3 or not WORD_RE.fullmatch(stem):
            raise RuleError(f"{where}: a prefix needs at least 3 letters before *")
        return Matcher("prefix", stem)
    if not WORD_RE.fullmatch(word):
        raise RuleError(f"{where}: {word!r} is not a word (letters and digits only, or stem*)")
    folded = fold(word)
    if folded in abbreviations:
        return Matcher("abbr", abbreviations[folded][0])
    return Matcher("lemma", rule_lemma(folded))


def lemmas_of(terms: tuple[Term, ...] | list[Term]) -> set[str]:
    """Every lemma the terms name: the vocabulary whose typos are forgiven."""
    return {m.value for term in terms for part in term.parts for m in part if m.kind == "lemma"}
