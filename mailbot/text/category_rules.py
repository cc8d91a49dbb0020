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
must contain («bad gateway», «500», «поставили») and those it starts with are worked out
from the regular expression when the file is loaded; a text that lacks the first is not
searched, and one with the second is tried only where they occur. The search is
case-insensitive, so this is done only in texts whose every character is one whose case
forms were worked out too (`_guard`); any other text is searched for every pattern.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import Field

from mailbot.school import tomlfile
from mailbot.school.tomlfile import AnyText, RuleModel, Table, choice
from mailbot.text.fields import Number, Positive, RuleError, Verbatim
from mailbot.text.terms import Abbreviations, Matcher, Term, compile_term, lemmas_of
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


try:  # the re module's own parser (private): without it every pattern is simply searched
    from re import _constants as sre
    from re import _parser as sre_parser
except ImportError:  # pragma: no cover - another Python
    sre_parser = None

# What a text must contain for a pattern to match: a literal word (lower case), or
# ("all", needs) / ("any", needs).
Need = str | tuple[str, tuple[Any, ...]]


@dataclass(frozen=True)
class Pattern:
    category: str
    text: str
    weight: float
    regex: re.Pattern[str]
    needs: Need | None = None  # None: the text is always searched
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
    fuzzy_index: TypoIndex = field(repr=False)  # deletion -> "form:lemma"
    # Finds a character for which the `needs` of the patterns prove nothing (`_guard`).
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
        fuzzy_index=MappingProxyType(deletion_index(vocabulary, fuzzy_min_length)),
        pattern_guard=_guard(found.patterns),
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
        found.patterns.append(Pattern(cat, text, weight, regex, *_literals(regex)))


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
    finds, searched only where it can be (see `_search`)."""
    guard = rules.pattern_guard
    if guard is None or guard.search(folded):
        found = ((p, p.regex.search(folded)) for p in rules.patterns)
    else:
        found = ((p, _search(p, folded)) for p in rules.patterns)
    return [(p, hit) for p, hit in found if hit]


def _search(pattern: Pattern, folded: str) -> re.Match[str] | None:
    """`pattern.regex.search` for a text `pattern_guard` finds nothing in: none when a
    word the pattern needs is missing; the first match at the places where one of the
    words every match starts with occurs («стоит», «поставили»), when there are such words;
    else the ordinary search."""
    if pattern.needs is not None and not _holds(pattern.needs, folded):
        return None
    if not pattern.starts:
        return pattern.regex.search(folded)
    spots: set[int] = set()
    for word in pattern.starts:
        at = folded.find(word)
        while at >= 0:
            spots.add(at)
            at = folded.find(word, at + 1)
    # search() tries the positions from the left, as match() does at each (a look back,
    # \b, sees the text before the position), so the first match here is the one it finds.
    return next(filter(None, (pattern.regex.match(folded, at) for at in sorted(spots))), None)


def _holds(need: Need, text: str) -> bool:
    if isinstance(need, str):
        return need in text
    kind, parts = need
    test = all if kind == "all" else any
    return test(_holds(part, text) for part in parts)


def _literals(regex: re.Pattern[str]) -> tuple[Need | None, tuple[str, ...]]:
    """What the text of a match must contain (`_sequence_need`) and the words every
    match starts with (`_starts`), read from the parsed expression; (None, ()) when
    nothing is known. Only literal characters written in lower case count: classes,
    \\b, lookarounds and inline flags prove nothing and are skipped."""
    if sre_parser is None or regex.flags != re.IGNORECASE | re.UNICODE:
        return None, ()  # inline flags: the expression alone decides
    try:
        parsed = list(sre_parser.parse(regex.pattern, regex.flags))
    except Exception:  # noqa: BLE001 - a private parser; the regex compiled, so it decides
        return None, ()
    starts = _starts(parsed)
    # Short words occur everywhere: trying each place would cost more than the search.
    if starts is None or min(len(word) for word in starts) < _START_LENGTH:
        starts = ()
    return _sequence_need(parsed), starts


_START_LENGTH = 3


def _starts(items: list[tuple[Any, Any]]) -> tuple[str, ...] | None:
    """The runs of literal characters every match begins with (after \\b and the like,
    which take no text), or None."""
    items = list(itertools.dropwhile(lambda item: item[0] is sre.AT, items))
    if not items:
        return None
    op, av = items[0]
    if _is_letter(op, av):
        run = itertools.takewhile(lambda item: _is_letter(*item), items)
        return ("".join(chr(av) for _op, av in run),)
    if op is sre.BRANCH:
        options = [_starts(list(branch)) for branch in av[1]]
        return None if any(o is None for o in options) else tuple(
            word for option in options for word in option)
    if op is sre.SUBPATTERN and not av[1] and not av[2]:
        return _starts([*av[3], *items[1:]])
    return None


def _is_letter(op: Any, av: Any) -> bool:
    """A literal character written in lower case: the same character in a folded text."""
    return op is sre.LITERAL and chr(av) == chr(av).lower()


def _sequence_need(items: list[tuple[Any, Any]]) -> Need | None:
    """All of: the runs of literal characters and what the groups inside need."""
    found: list[Need] = []
    run = ""
    for op, av in items:
        if _is_letter(op, av):
            run += chr(av)
            continue
        if run:
            found.append(run)
            run = ""
        need = _item_need(op, av)
        if need is not None:
            found.append(need)
    if run:
        found.append(run)
    if not found:
        return None
    return found[0] if len(found) == 1 else ("all", tuple(found))


def _item_need(op: Any, av: Any) -> Need | None:
    if op is sre.BRANCH:
        options = [_sequence_need(list(branch)) for branch in av[1]]
        return None if any(o is None for o in options) else ("any", tuple(options))
    if op is sre.SUBPATTERN:
        _group, add_flags, del_flags, body = av
        return None if add_flags or del_flags else _sequence_need(list(body))
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and av[0] >= 1:
        return _sequence_need(list(av[2]))
    if op is sre.ATOMIC_GROUP:
        return _sequence_need(list(av))
    return None


# The characters whose case forms `_guard` works out: Latin, Greek, Cyrillic, punctuation,
# symbols and emoji, what mail is written in. A text with any other character is searched
# for every pattern.
_PLAIN = ((0x0000, 0x052F), (0x2000, 0x2BFF), (0xFE00, 0xFE0F), (0x1F000, 0x1FAFF))


def _guard(patterns: Iterable[Pattern]) -> re.Pattern[str] | None:
    """A search for a character of a text that `needs` and `starts` cannot vouch for: one
    outside `_PLAIN`, or another form of one of their letters that the case-insensitive
    search takes for it («С» or «ᲃ» for «с»). A text with none of them holds a pattern's
    literal words as written wherever the pattern matches it."""
    letters = {c for p in patterns for word in (*_words(p.needs), *p.starts) for c in word}
    if not letters:
        return None
    plain = "".join(chr(code) for low, high in _PLAIN for code in range(low, high + 1))
    others: set[str] = set()
    for letter in letters:
        taken = set(re.compile(re.escape(letter), re.IGNORECASE).findall(plain))
        others |= taken - {letter}
    allowed = [ord(c) for c in plain if c not in others]
    return re.compile(f"[^{_ranges(allowed)}]")


def _words(need: Need | None) -> Iterable[str]:
    if isinstance(need, str):
        yield need
    elif need is not None:
        for part in need[1]:
            yield from _words(part)


def _ranges(codes: list[int]) -> str:
    """A regular-expression class body for sorted code points, as runs lo-hi."""
    parts: list[str] = []
    start = prev = codes[0]
    for code in [*codes[1:], None]:
        if code is not None and code == prev + 1:
            prev = code
            continue
        parts.append(f"\\U{start:08x}-\\U{prev:08x}")
        if code is not None:
            start = prev = code
    return "".join(parts)
