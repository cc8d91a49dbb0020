"""The help categories and their vocabulary, `config/categories.toml`, compiled for scoring.

Routing needs a decision a school can read and correct: every point a category gets comes
from a word, phrase or pattern in the file, so the vocabulary is data a school tunes without
code. This module reads and checks the file; `mailbot.text.classify` scores a text with it.

What the file holds, per category: `words` (one word, by lemma or as "stem*"), `phrases`
(several words in order, with | alternatives and parts of speech like <INFN>), `patterns`
(regular expressions on the folded text) with their weights, a `title` people read and an
optional `priority_at`. `[abbreviations]` lists the tokens taken whole; `[settings]` the
threshold, the subject's weight, the gap allowed inside a phrase and the typo settings.

A pattern is searched only where it can match (`pattern_hits`): the literal words a match
must contain and those it starts with are worked out when the file is loaded
(`mailbot.text.pattern_needs`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated

from pydantic import Field

from mailbot.school import tomlfile
from mailbot.school.tomlfile import AnyText, RuleModel, Table, choice
from mailbot.text import pattern_needs
from mailbot.text.fields import Number, Positive, RuleError, Verbatim
from mailbot.text.terms import Abbreviations, Matcher, Term, compile_term, lemmas_of
from mailbot.text.typos import DeletionIndex, TypoIndex
from mailbot.text.words import WORD_RE, fold

CATEGORY_IDS: tuple[str, ...] = (
    "login",
    "parent_link",
    "marks",
    "homework",
    "planning",
    "final_marks",
    "reports",
    "app_outage",
    "access_roles",
    "personal_data",
    "howto_training",
    "complaint",
)
OTHER = "other"
_ALL_IDS = frozenset((*CATEGORY_IDS, OTHER))


@dataclass(frozen=True)
class Pattern:
    category: str
    text: str
    weight: float
    regex: re.Pattern[str]
    needs: pattern_needs.Need | None = None  # None: the text is always searched
    starts: tuple[str, ...] = ()  # words every match starts with, when known (and long)


@dataclass(frozen=True)
class CategoryRules:
    """Compiled `categories.toml`; load once with `load_rules` and pass it in."""

    source: str
    threshold: float
    subject_weight: float
    phrase_gap: int
    fuzzy_min_length: int
    fuzzy_factor: float
    abbreviations: Abbreviations  # folded token -> (canonical, case mode)
    phrases: tuple[Term, ...]
    words: Mapping[Matcher, tuple[Term, ...]]  # lemma and abbreviation matchers
    prefixes: tuple[tuple[str, Term], ...]
    patterns: tuple[Pattern, ...]
    priority_at: Mapping[str, float]
    order: tuple[str, ...]  # categories in file order, for ties
    titles: Mapping[str, str]  # category id -> the title people read (Russian)
    fuzzy_index: TypoIndex = field(repr=False)  # deletion -> "form:lemma", built when used
    # Finds a character for which the `needs` of the patterns prove nothing (pattern_needs.guard).
    pattern_guard: re.Pattern[str] | None = field(default=None, repr=False)


# --------------------------------------------------------------------------- the file

Weights = Annotated[dict[Verbatim, Number], Table]  # word, phrase or pattern -> weight


class SettingsModel(RuleModel):
    threshold: Positive = 2.0  # below it the answer is "other"
    subject_weight: Positive = 1.5
    phrase_gap: Number = 2
    fuzzy_min_length: Positive = 5
    fuzzy_factor: Number = 0.8


class CategoryModel(RuleModel):
    title: AnyText = ""
    priority_at: Positive | None = None
    words: Weights = Field(default_factory=dict)
    phrases: Weights = Field(default_factory=dict)
    patterns: Weights = Field(default_factory=dict)


class CategoriesFile(RuleModel):
    """`config/categories.toml` as written: structure and types."""

    settings: Annotated[SettingsModel, Table] = SettingsModel()
    abbreviations: Annotated[dict[Verbatim, choice("any", "upper", "exact")], Table] = Field(
        default_factory=dict)
    categories: Annotated[dict[Verbatim, Annotated[CategoryModel, Table]], Table]


def load_rules(path: Path) -> CategoryRules:
    """Read and compile the rules file; any mistake is one line naming the file and key.

    The model checks the structure and the types; compiling checks the rest (category ids,
    words, patterns) and raises `RuleError`, given the file name here.
    """
    data = tomlfile.load(path, CategoriesFile, ValueError)
    try:
        return _compile(data, str(path))
    except RuleError as exc:
        raise ValueError(f"{path}: {exc}") from None


# --------------------------------------------------------------------------- compiling


@dataclass
class _Vocabulary:
    """The terms of every category, gathered while the file is read."""

    phrases: list[Term] = field(default_factory=list)
    words: dict[Matcher, list[Term]] = field(default_factory=dict)
    prefixes: list[tuple[str, Term]] = field(default_factory=list)
    patterns: list[Pattern] = field(default_factory=list)
    priority_at: dict[str, float] = field(default_factory=dict)


def _compile(data: CategoriesFile, source: str) -> CategoryRules:
    settings = data.settings
    abbreviations = _compile_abbreviations(data.abbreviations)
    if not data.categories:
        raise RuleError("categories: at least one category is needed")
    found = _Vocabulary()
    for cat, body in data.categories.items():
        _compile_category(cat, body, abbreviations, found)

    # Longer phrases first, so that «не могу войти в дневник» claims its tokens before
    # a shorter phrase inside it does.
    found.phrases.sort(key=lambda t: (-len(t.parts), -t.weight))
    fuzzy_min_length = int(settings.fuzzy_min_length)
    phrase_gap = int(settings.phrase_gap)
    if phrase_gap < 0:
        raise RuleError(f"settings.phrase_gap: must be 0 or more, got {phrase_gap}")
    # Typos are forgiven for every word a rule names, in phrases too.
    vocabulary = {m.value for m in found.words if m.kind == "lemma"} | lemmas_of(found.phrases)
    return CategoryRules(
        source=source,
        threshold=settings.threshold,
        subject_weight=settings.subject_weight,
        phrase_gap=phrase_gap,
        fuzzy_min_length=fuzzy_min_length,
        fuzzy_factor=settings.fuzzy_factor,
        abbreviations=MappingProxyType(abbreviations),
        phrases=tuple(found.phrases),
        words=MappingProxyType({m: tuple(ts) for m, ts in found.words.items()}),
        prefixes=tuple(sorted(found.prefixes, key=lambda p: -len(p[0]))),
        patterns=tuple(found.patterns),
        priority_at=MappingProxyType(found.priority_at),
        order=tuple(data.categories),
        titles=MappingProxyType({cat: body.title for cat, body in data.categories.items()}),
        fuzzy_index=DeletionIndex(vocabulary, fuzzy_min_length),
        pattern_guard=pattern_needs.guard((p.needs, p.starts) for p in found.patterns),
    )


def _compile_category(cat: str, body: CategoryModel, abbreviations: Abbreviations,
                      found: _Vocabulary) -> None:
    key = f"categories.{cat}"
    if cat not in _ALL_IDS:
        raise RuleError(f"{key}: unknown category id; use one of {', '.join(sorted(_ALL_IDS))}")
    if body.priority_at is not None:
        found.priority_at[cat] = body.priority_at
    seen: dict[Matcher, str] = {}
    for text, weight in body.words.items():
        where = f"{key}.words.{text}"
        term = compile_term(cat, text, weight, where, abbreviations, single=True)
        (matcher,) = term.parts[0]
        if matcher in seen:
            raise RuleError(f"{where}: the same word as {seen[matcher]!r} ({matcher.value})")
        seen[matcher] = text
        if matcher.kind == "prefix":
            found.prefixes.append((matcher.value, term))
        else:
            found.words.setdefault(matcher, []).append(term)
    for text, weight in body.phrases.items():
        found.phrases.append(compile_term(cat, text, weight, f"{key}.phrases.{text}",
                                          abbreviations))
    for text, weight in body.patterns.items():
        try:
            regex = re.compile(text, re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"{key}.patterns.{text}: bad regular expression: {exc}") from None
        found.patterns.append(Pattern(cat, text, weight, regex,
                                     *pattern_needs.literals(regex)))


def _compile_abbreviations(table: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    result: dict[str, tuple[str, str]] = {}
    for abbr, mode in table.items():
        if not WORD_RE.fullmatch(abbr):
            raise RuleError(f"abbreviations.{abbr}: an abbreviation is one word of letters "
                            "or digits")
        result[fold(abbr)] = (abbr, mode)
    return result


# --------------------------------------------------------------------------- patterns


def pattern_hits(rules: CategoryRules, folded: str) -> list[tuple[Pattern, re.Match[str]]]:
    """Each pattern's first match in a folded text, in file order: what `regex.search`
    finds, searched only where it can be (`pattern_needs`)."""
    guard = rules.pattern_guard
    if guard is None or guard.search(folded):
        found = ((p, p.regex.search(folded)) for p in rules.patterns)
    else:
        found = ((p, pattern_needs.search(p.regex, p.needs, p.starts, folded))
                 for p in rules.patterns)
    return [(p, hit) for p, hit in found if hit]
