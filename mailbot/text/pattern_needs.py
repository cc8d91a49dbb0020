"""The literal words a regular expression's matches need, so that a search can be spared
where it cannot match: the category patterns of `config/categories.toml` are searched in
every mail, case-insensitively, which Python's `re` does by trying every position.

`literals` reads, from the parsed expression (the `re` module's own parser, private: without it
nothing is known and every text is searched), the words every match must contain («bad
gateway», «500», «поставили»: `Need`) and the words every match starts with. `search` then
skips a text lacking the first and tries only the places of the second. For a case-insensitive
expression that holds only in texts whose every character's case forms were worked out
(`guard`); any other text is for the plain search. The role hints' case-sensitive cues skip a
text with `holds` alone, and the words a mail client's footer starts with are read here too
(reading/quote_markers.py). Only literal characters written in lower case count: classes, \\b,
lookarounds and inline flags prove nothing and are skipped, and an expression with inline flags
is left to the plain search whole.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

try:  # the re module's own parser (private): without it every pattern is simply searched
    from re import _constants as sre
    from re import _parser as sre_parser
except ImportError:  # pragma: no cover - another Python
    sre_parser = None

# What a text must contain for a pattern to match: a literal word (lower case), or
# ("all", needs) / ("any", needs).
Need = str | tuple[str, tuple[Any, ...]]


def search(regex: re.Pattern[str], needs: Need | None, starts: tuple[str, ...],
           folded: str) -> re.Match[str] | None:
    """`regex.search(folded)` for a text `guard` finds nothing in: none when a word the
    expression needs is missing; the first match at the places where one of the words
    every match starts with occurs («стоит», «поставили»), when there are such words; else
    the ordinary search."""
    if needs is not None and not holds(needs, folded):
        return None
    if not starts:
        return regex.search(folded)
    spots: set[int] = set()
    for word in starts:
        at = folded.find(word)
        while at >= 0:
            spots.add(at)
            at = folded.find(word, at + 1)
    # search() tries the positions from the left, as match() does at each (a look back,
    # \b, sees the text before the position), so the first match here is the one it finds.
    return next(filter(None, (regex.match(folded, at) for at in sorted(spots))), None)


def holds(need: Need, text: str) -> bool:
    """Whether a text contains what `need` asks for (a match is impossible otherwise)."""
    if isinstance(need, str):
        return need in text
    kind, parts = need
    wanted = kind == "all"  # all: no part may fail; any: one part that holds is enough
    for part in parts:
        if holds(part, text) is not wanted:
            return not wanted
    return wanted


def literals(regex: re.Pattern[str]) -> tuple[Need | None, tuple[str, ...]]:
    """What the text of a match must contain (`_sequence_need`) and the words every
    match starts with (`_starts`), read from the parsed expression; (None, ()) when
    nothing is known. Only literal characters written in lower case count: classes,
    \\b, lookarounds and inline flags prove nothing and are skipped. A case-sensitive
    expression's words hold in any text; a case-insensitive one's only where `guard`
    finds nothing."""
    if sre_parser is None or regex.flags not in (re.UNICODE, re.IGNORECASE | re.UNICODE):
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


# The characters whose case forms `guard` works out: Latin, Greek, Cyrillic, punctuation,
# symbols and emoji, what mail is written in. A text with any other character is searched
# for every pattern.
_PLAIN = ((0x0000, 0x052F), (0x2000, 0x2BFF), (0xFE00, 0xFE0F), (0x1F000, 0x1FAFF))


def guard(known: Iterable[tuple[Need | None, tuple[str, ...]]]) -> re.Pattern[str] | None:
    """For the (needs, starts) of several expressions, a search for a character of a text
    that they cannot vouch for: one outside `_PLAIN`, or another form of one of their
    letters that the case-insensitive search takes for it («С» or «ᲃ» for «с»). A text with
    none of them holds an expression's literal words as written wherever it matches."""
    letters = {c for needs, starts in known for word in (*_words(needs), *starts) for c in word}
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
