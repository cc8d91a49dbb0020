"""The help categories and their vocabulary, `config/categories.toml`, compiled for scoring.

Routing needs a decision a school can read and correct: every point a category gets comes
from a word, phrase or pattern in the file, so the vocabulary is data a school tunes without
code. This module reads and checks the file; `mailbot.text.classify` scores a text with it.

What the file holds, per category: `words` (one word, by lemma or as "stem*"), `phrases`
(several words in order, with | alternatives and parts of speech like <INFN>), `patterns`
(regular expressions on the folded text) with their weights, a `title` people read and an
optional `priority_at`. `[abbreviations]` lists the tokens taken whole; `[settings]` the
threshold, the subject's weight, the gap allowed inside a phrase and the typo settings.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from mailbot.text.terms import Abbreviations, Matcher, RuleError, Term, compile_term, lemmas_of
from mailbot.text.typos import TypoIndex, deletion_index
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

_CASE_MODES = ("any", "upper", "exact")


@dataclass(frozen=True)
class Pattern:
    category: str
    text: str
    weight: float
    regex: re.Pattern[str]


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
    fuzzy_index: TypoIndex = field(repr=False)  # deletion -> "form:lemma"


def load_rules(path: Path) -> CategoryRules:
    """Read and compile the rules file; any mistake is one line naming the file and key."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read rules file: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    try:
        return _compile(data, str(path))
    except RuleError as exc:
        raise ValueError(f"{path}: {exc}") from None


@dataclass
class _Vocabulary:
    """The terms of every category, gathered while the file is read."""

    phrases: list[Term] = field(default_factory=list)
    words: dict[Matcher, list[Term]] = field(default_factory=dict)
    prefixes: list[tuple[str, Term]] = field(default_factory=list)
    patterns: list[Pattern] = field(default_factory=list)
    priority_at: dict[str, float] = field(default_factory=dict)


def _compile(data: dict[str, Any], source: str) -> CategoryRules:
    _only(data, "", {"settings", "abbreviations", "categories"})
    settings = _table(data, "settings", required=False)
    _only(settings, "settings.", {
        "threshold", "subject_weight", "phrase_gap", "fuzzy_min_length", "fuzzy_factor",
    })
    abbreviations = _compile_abbreviations(_table(data, "abbreviations", required=False))
    categories = _table(data, "categories", required=True)
    if not categories:
        raise RuleError("categories: at least one category is needed")
    found = _Vocabulary()
    for cat, body in categories.items():
        _compile_category(cat, body, abbreviations, found)

    # Longer phrases first, so that «не могу войти в дневник» claims its tokens before
    # a shorter phrase inside it does.
    found.phrases.sort(key=lambda t: (-len(t.parts), -t.weight))
    fuzzy_min_length = int(_number(settings.get("fuzzy_min_length", 5),
                                   "settings.fuzzy_min_length", positive=True))
    phrase_gap = int(_number(settings.get("phrase_gap", 2), "settings.phrase_gap"))
    if phrase_gap < 0:
        raise RuleError(f"settings.phrase_gap: must be 0 or more, got {phrase_gap}")
    # Typos are forgiven for every word a rule names, in phrases too.
    vocabulary = {m.value for m in found.words if m.kind == "lemma"} | lemmas_of(found.phrases)
    return CategoryRules(
        source=source,
        threshold=_number(settings.get("threshold", 2.0), "settings.threshold", positive=True),
        subject_weight=_number(settings.get("subject_weight", 1.5), "settings.subject_weight",
                               positive=True),
        phrase_gap=phrase_gap,
        fuzzy_min_length=fuzzy_min_length,
        fuzzy_factor=_number(settings.get("fuzzy_factor", 0.8), "settings.fuzzy_factor"),
        abbreviations=MappingProxyType(abbreviations),
        phrases=tuple(found.phrases),
        words=MappingProxyType({m: tuple(ts) for m, ts in found.words.items()}),
        prefixes=tuple(sorted(found.prefixes, key=lambda p: -len(p[0]))),
        patterns=tuple(found.patterns),
        priority_at=MappingProxyType(found.priority_at),
        order=tuple(categories),
        titles=MappingProxyType({cat: body.get("title", "") for cat, body in categories.items()}),
        fuzzy_index=MappingProxyType(deletion_index(vocabulary, fuzzy_min_length)),
    )


def _compile_category(cat: str, body: Any, abbreviations: Abbreviations,
                      found: _Vocabulary) -> None:
    key = f"categories.{cat}"
    if cat not in _ALL_IDS:
        raise RuleError(f"{key}: unknown category id; use one of {', '.join(sorted(_ALL_IDS))}")
    if not isinstance(body, dict):
        raise RuleError(f"{key}: must be a table")
    _only(body, key + ".", {"title", "priority_at", "words", "phrases", "patterns"})
    if not isinstance(body.get("title", ""), str):
        raise RuleError(f"{key}.title: must be text")
    if "priority_at" in body:
        found.priority_at[cat] = _number(body["priority_at"], f"{key}.priority_at",
                                         positive=True)
    seen: dict[Matcher, str] = {}
    for text, weight in _table(body, "words", prefix=key).items():
        where = f"{key}.words.{text}"
        term = _term(cat, text, weight, where, abbreviations, single=True)
        (matcher,) = term.parts[0]
        if matcher in seen:
            raise RuleError(f"{where}: the same word as {seen[matcher]!r} ({matcher.value})")
        seen[matcher] = text
        if matcher.kind == "prefix":
            found.prefixes.append((matcher.value, term))
        else:
            found.words.setdefault(matcher, []).append(term)
    for text, weight in _table(body, "phrases", prefix=key).items():
        found.phrases.append(_term(cat, text, weight, f"{key}.phrases.{text}", abbreviations))
    for text, weight in _table(body, "patterns", prefix=key).items():
        where = f"{key}.patterns.{text}"
        try:
            regex = re.compile(text, re.IGNORECASE)
        except re.error as exc:
            raise RuleError(f"{where}: bad regular expression: {exc}") from None
        found.patterns.append(Pattern(cat, text, _number(weight, where), regex))


def _term(cat: str, text: str, weight: Any, where: str, abbreviations: Abbreviations, *,
          single: bool = False) -> Term:
    term = compile_term(cat, text, 0.0, where, abbreviations, single=single)
    return Term(cat, text, _number(weight, where), term.parts)


def _only(table: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise RuleError(
                f"{prefix}{key}: unknown key; expected one of {', '.join(sorted(allowed))}")


def _table(parent: Mapping[str, Any], key: str, *, required: bool = False,
           prefix: str = "") -> dict[str, Any]:
    name = f"{prefix}.{key}" if prefix else key
    if key not in parent:
        if required:
            raise RuleError(f"{name}: missing")
        return {}
    value = parent[key]
    if not isinstance(value, dict):
        raise RuleError(f"{name}: must be a table")
    return value


def _number(value: Any, where: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleError(f"{where}: must be a number, got {value!r}")
    if positive and value <= 0:
        raise RuleError(f"{where}: must be greater than 0, got {value!r}")
    return float(value)


def _compile_abbreviations(table: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    result: dict[str, tuple[str, str]] = {}
    for abbr, mode in table.items():
        where = f"abbreviations.{abbr}"
        if not WORD_RE.fullmatch(abbr):
            raise RuleError(f"{where}: an abbreviation is one word of letters or digits")
        if mode not in _CASE_MODES:
            raise RuleError(f"{where}: must be one of {', '.join(_CASE_MODES)}, got {mode!r}")
        result[fold(abbr)] = (abbr, mode)
    return result
