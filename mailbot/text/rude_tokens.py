"""The sender's text cut into words, sentences and clauses, for the detector.

Quoted lines ("> ..."), e-mail addresses and links are blanked out first, every offset kept,
so a finding points into the text as it was passed in. Spaced or dotted letters ("б л я",
"х.у.й", "пи.з.д.е.ц") become one word, but only when that word is a bad one, so "из-за"
and the initials "А. С." stay as they are. Every word knows its sentence and clause, whether
it stands inside quotation marks and what follows it: the context rules ask about them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import pairwise

from mailbot.text import memo
from mailbot.text.lexicon import INVISIBLE, Lexicon, fold
from mailbot.text.rude_words import match_word

_TOKEN = re.compile(rf"(?:[^\W_]|[*#%@${INVISIBLE}])+")
# The same words with "_" inside, split afterwards: one character class scans much faster.
_TOKEN_RUN = re.compile(rf"[\w*#%@${INVISIBLE}]+")
_LETTER = re.compile(r"[^\W\d_]")
# One letter or digit standing alone, several of them in a row, separated by spaces, dots,
# dashes or underscores: "х у й", "б.л.я.т.ь", "с-у-к-а", "6 л я".
_UNIT = r"(?<![\w*@$])[^\W_](?![\w*@$])"
_SPACED_RUN = re.compile(rf"{_UNIT}(?:[ .\-_·•/|]{{1,3}}{_UNIT}){{2,}}")
# Letters glued with dots, dashes or underscores inside a word: "ох.уели", "пи.з.д.е.ц".
# (Possessive: a run of letters never gives any back to a separator, so no backtracking.)
_GLUED_RUN = re.compile(r"(?<![\w.\-])[^\W_]++(?:[.\-_][^\W_]++)+")
# A dot, dash or underscore between two letters or digits: every glued run holds one. The
# engine skips to such a character far faster than it tries `_GLUED_RUN` at every letter.
_GLUE_SPOT = re.compile(r"[.\-_](?<=[^\W_][.\-_])(?=[^\W_])")
_GLUE = re.compile(r"[.\-_]")
_NO_GLUE = str.maketrans("", "", ".-_")
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
# Addresses and links are what `\S+@\S+\.\w+|(?:https?://|www\.)\S+` finds, read by
# `_address_spans` in one pass: that pattern tried every split of every start of a run, and
# 2,000 "@" in a row kept a worker busy for minutes.
# The runs of non-spaces that hold an "@", "://" or "www.": each run is tried once, from its
# start (the lookbehind), so finding them is linear too.
_MARKED_RUN = re.compile(r"(?<!\S)\S*?(?:@|://|www\.)\S*+", re.IGNORECASE)
_LINK = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_WORD_CHARS = re.compile(r"\w+")
_SENTENCE_BREAK = re.compile(r"[.!?…]|\n[ \t]*\n")
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]]")
_QUOTE_PAIRS = {"«": "»", "„": "“", "“": "”", '"': '"'}
_QUOTE_MARK = re.compile('[«»„“”"]')


@dataclass(slots=True)
class Token:
    """One word of the text; `start`/`end` are offsets into the text passed to `detect`."""

    raw: str
    start: int
    end: int
    spaced: bool = False
    sentence: int = 0
    clause: int = 0
    quoted: bool = False
    tail: str = ""

    @property
    def low(self) -> str:
        return fold(self.raw)


def blank(text: str) -> str:
    """Blank out quoted lines, e-mail addresses and links, keeping every offset."""
    def spaces(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group())

    if ">" in text:
        text = _QUOTED_LINE.sub(spaces, text)
    if "@" in text or "://" in text or "www." in text.lower():
        pieces, done = [], 0
        for start, end in _address_spans(text):  # in runs of non-spaces: no line breaks
            pieces += [text[done:start], " " * (end - start)]
            done = end
        text = "".join(pieces) + text[done:]
    return text


def _address_spans(text: str) -> Iterator[tuple[int, int]]:
    r"""Where `\S+@\S+\.\w+|(?:https?://|www\.)\S+` matches, in order, in linear time.

    A match of the address half can only start where a run of non-spaces starts (had it
    matched later in the run, it matches from the run's start too), and there the pattern
    ends after the last dot that has a word character after it and an "@" at least two
    characters before it (and not at the run's start). After it, or where it does not
    match, the first link in the rest of the run is the next match.
    """
    for run in _MARKED_RUN.finditer(text):  # no other run holds a match
        value, offset = run.group(), run.start()
        rest = 0
        if "@" in value:
            rest = _address_end(value)
            if rest:
                yield offset, offset + rest
        link = _LINK.search(value, rest)
        if link is not None:
            yield offset + link.start(), offset + link.end()


def _address_end(run: str) -> int:
    r"""Where `\S+@\S+\.\w+` matched at the start of `run` (non-spaces) ends; 0 if not."""
    at = run.find("@", 1)
    if at < 0:
        return 0
    dot = len(run)
    while (dot := run.rfind(".", at + 2, dot)) >= 0:
        word = _WORD_CHARS.match(run, dot + 1)
        if word is not None:
            return word.end()
    return 0


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """Spans inside paired quotation marks: «…» (nested too), „…“, “…”, "…"."""
    marks = [(m.start(), m.group()) for m in _QUOTE_MARK.finditer(text)]
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(marks):
        pos, opener = marks[i]
        closer = _QUOTE_PAIRS.get(opener)
        if closer is None:
            i += 1
            continue
        depth, j = 1, i + 1
        while j < len(marks):
            mark = marks[j][1]
            if mark == closer:
                depth -= 1
                if depth == 0:
                    break
            elif mark == opener:
                depth += 1
            j += 1
        if j < len(marks):
            spans.append((pos, marks[j][0]))
            i = j + 1
        else:
            i += 1
    return spans


def _strip_emphasis(word: str, masks: str) -> str:
    """Drop marks that emphasise a word rather than hide letters: "*важно*", "**every**".

    Masks on both ends, or two or more in front, are emphasis; one mask in front ("*уй")
    or masks at the end ("х**") hide letters and are kept.
    """
    inner = word.strip(masks)
    if not inner or inner == word:
        return word
    lead = len(word) - len(word.lstrip(masks))
    trail = len(word) - len(word.rstrip(masks))
    if lead and trail:
        return inner
    if lead >= 2:
        return word[lead:]
    return word


def _obscene(raw: str, spaced: bool, lex: Lexicon) -> bool:
    found = match_word(raw, spaced, lex)
    return found is not None and found.kind == "obscene"


def _bad_glued(glued: str, lex: Lexicon) -> bool:
    """Whether letters glued with dots, dashes or underscores are a bad word together and
    none of their parts is one on its own ("пи.з.д.е.ц", not "из-за")."""
    return _obscene(glued.translate(_NO_GLUE), True, lex) and not any(
        _obscene(p, False, lex) for p in _GLUE.split(glued))


def _glued_runs(text: str) -> Iterator[re.Match[str]]:
    """What `_GLUED_RUN.finditer(text)` gives, nearly three times faster.

    Every glued run holds a glue (`_GLUE_SPOT`) and starts where the letters before its
    first glue start, so only that one place is tried for each glue found, from the left.
    Those letters never reach back past `pos`, which follows a run's end (not a letter) or
    a glue. Where no run starts there, none starts before the glue either.
    """
    pos = 0
    while (spot := _GLUE_SPOT.search(text, pos)) is not None:
        start = spot.start()
        while start > pos and text[start - 1].isalnum():  # isalnum is [^\W_]
            start -= 1
        run = _GLUED_RUN.match(text, start)
        if run is None:  # "..а.б": a dot before it, not a glued run
            pos = spot.end()
            continue
        yield run
        pos = run.end()


def merged_runs(text: str, lex: Lexicon) -> list[Token]:
    """Runs of spaced or glued letters that are a bad word together: "х у й" and
    "пи.з.д.е.ц", but not "из-за" or the initials "А. С." (for glued runs, no part may match
    on its own)."""
    merged: list[Token] = []
    for run in _SPACED_RUN.finditer(text):
        spaced = run.group()  # most are marks and numbers: "5 4 4 3", "3 и 3"
        if sum(map(str.isalpha, spaced)) < 2:  # separators are not letters
            continue
        tok = Token("".join(c for c in spaced if c.isalnum()), run.start(), run.end(),
                    spaced=True)
        if match_word(tok.raw, True, lex) is not None:
            merged.append(tok)
    # Most glued runs are dates and numbers ("10.03.2026", "5-6") and words such as
    # "что-то", the same in every mail: each is judged once per lexicon and process.
    judged = memo.table(lex, "glued runs")
    for run in _glued_runs(text):
        glued = run.group()
        bad = judged.get(glued)
        if bad is None:
            bad = judged[glued] = _bad_glued(glued, lex)
        a, b = run.start(), run.end()
        if bad and not any(a < t.end and t.start < b for t in merged):
            merged.append(Token(glued.translate(_NO_GLUE), a, b, spaced=True))
    return merged


def plain_words(text: str, lex: Lexicon) -> set[str]:
    """The distinct words `tokenize` reads outside merged runs, as it reads them: for
    `detect` to see at once that a text has nothing to look at (most texts)."""
    runs = set(_TOKEN_RUN.findall(text))
    if "_" in text:
        runs = {p for r in runs for p in r.split("_") if p}
    found = set(filter(str.isalpha, runs))  # most words: read as they are
    for raw in runs - found:  # with digits, masks or signs
        if raw.isdecimal():  # a number: no letter to find
            continue
        stripped = _strip_emphasis(raw.strip("@$"), lex.masks)
        if stripped and _LETTER.search(stripped):
            found.add(stripped)
    return found


def tokenize(text: str, lex: Lexicon, merged: list[Token] | None = None) -> list[Token]:
    """Word tokens; runs of spaced or glued letters become one token when that is a bad word
    (`merged_runs`, unless the caller found them already).

    "х у й" and "пи.з.д.е.ц" are merged only when the merged word matches (and, for glued
    runs, no part matches on its own), so "из-за" or the initials "А. С." stay as they are.
    """
    merged = list(merged_runs(text, lex) if merged is None else merged)
    merged.sort(key=lambda t: t.start)
    tokens: list[Token] = []
    m_index = 0
    for m in _TOKEN.finditer(text):
        raw, start, end = m.group(), m.start(), m.end()
        if merged:
            while m_index < len(merged) and merged[m_index].end <= start:
                tokens.append(merged[m_index])
                m_index += 1
            if m_index < len(merged) and merged[m_index].start < end:
                continue  # part of a merged run
        if raw.isalpha():
            tokens.append(Token(raw, start, end))
            continue
        stripped = _strip_emphasis(raw.strip("@$"), lex.masks)
        if not stripped or not _LETTER.search(stripped):
            continue
        start += raw.index(stripped)
        tokens.append(Token(stripped, start, start + len(stripped)))
    tokens.extend(merged[m_index:])
    return tokens


def structure(text: str, tokens: list[Token], lex: Lexicon) -> list[bool]:
    """Number sentences and clauses; return, per token, whether a ":" precedes it.

    A lone parenthetical word between commas («не называйте, пожалуйста, детей …») does not
    split its clause.
    """
    spans = _quote_spans(text)
    colon_before: list[bool] = []
    breaks: list[str] = []
    prev_end = 0
    for tok in tokens:
        gap = text[prev_end:tok.start]
        if _SENTENCE_BREAK.search(gap):
            breaks.append("sentence")
        elif _CLAUSE_BREAK.search(gap):
            breaks.append("clause")
        else:
            breaks.append("")
        tok.quoted = any(a < tok.start and tok.end <= b for a, b in spans)
        colon_before.append(":" in gap)
        prev_end = tok.end
    for j, tok in enumerate(tokens):
        after = breaks[j + 1] if j + 1 < len(tokens) else "sentence"
        if breaks[j] == "clause" and after == "clause" and tok.low in lex.parenthetical:
            breaks[j] = breaks[j + 1] = ""
    sentence = clause = 0
    for j, tok in enumerate(tokens):
        if breaks[j] and j:
            clause += 1
            sentence += breaks[j] == "sentence"
        tok.sentence, tok.clause = sentence, clause
    for tok, nxt in pairwise(tokens):
        tok.tail = text[tok.end:nxt.start]
    if tokens:
        tokens[-1].tail = text[tokens[-1].end:]
    return colon_before
