"""Is one written word obscene or an insult? Disguises are undone first.

Latin look-alike letters ("xуй"), digits and signs ("6ля", "с@ка"), masks ("п*здец") and
repeated letters ("бляяя") are read back as the word they hide; each undone disguise lowers
the confidence a little, because it is also where a false match is likelier.

Obscene roots are matched only at the start of a word or after a known prefix of that root.
Matching anywhere inside a word is what makes naive filters fire on "оскорблять",
"ребёнок", "скипидар", "употреблять" and patronymics in "-говна". Insults are matched by
form (the lexicon holds every form of every lemma). Whether a matched insult counts is for
the context rules (`mailbot.text.rude_context`) to say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import product

from mailbot.text import memo, morph
from mailbot.text.lexicon import (
    CYRILLIC_WORD,
    InsultSense,
    Kind,
    Lexicon,
    ObsceneEntry,
    collapse,
    fold,
)

# Confidence factors.  Disguises are deliberate, but an undone disguise is also where a false
# match is likelier, so each lowers the confidence a little.
_LOOKALIKE = 0.9  # Latin letters, digits or signs read as Cyrillic letters
_MASKED = 0.8  # "*" standing for letters
_SPACED = 0.9  # letters written apart ("б л я")
_MAX_VARIANTS = 64  # cap on letter combinations tried for one mixed-script word
_HAS_REPEAT = re.compile(r"([^*])\1")
_LATIN_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s"})


def _variants(raw: str, lex: Lexicon) -> tuple[bool, list[tuple[str, float]]]:
    """Readings of one written word as Cyrillic: (is pure Latin, [(reading, factor)]).

    Repeated letters are kept here: obscene roots are matched on the collapsed reading, but
    insults only fall back to it when the word as written is unknown ("дурра" is a plant).
    """
    low = fold(raw)
    if CYRILLIC_WORD.fullmatch(low):
        return False, [(low, 1.0)]
    has_cyr = any("а" <= c <= "я" for c in low)
    latin = sum("a" <= c <= "z" for c in low)
    letters = sum(c.isalpha() for c in low)
    if latin and not has_cyr and latin < 3:
        return True, []  # "E6", "A4", "B12": codes, not words in disguise
    # Digits and signs stand for letters only in something that looks like a word: "6ля",
    # "п1зда", but not "Е6" (a seat) or "5а" (a class).
    has_letter = letters >= 2 and sum(c in lex.symbols for c in low) <= letters
    options: list[str] = []
    changed = False
    for c in low:
        if "a" <= c <= "z":
            cands = lex.latin_letters.get(c, c)
            options.append(cands if has_cyr else cands[:1])  # pure Latin: look-alikes only
            changed = True
        elif c in lex.masks:
            options.append("*")
        elif c in lex.symbols and has_letter:
            options.append(lex.symbols[c])
            changed = True
        else:
            options.append(c)
    total = 1
    for o in options:
        total *= len(o)
    if total > _MAX_VARIANTS:
        options = [o[:1] for o in options]
    readings = {"".join(combo) for combo in product(*options)}
    factor = _LOOKALIKE if changed else 1.0
    return latin > 0 and not has_cyr, [(r, factor) for r in sorted(readings)]


def _match_obscene(word: str, lex: Lexicon) -> ObsceneEntry | None:
    """The obscene entry a normalised, unmasked word starts with, if any."""
    if not lex.screen.search(word):
        return None
    word = collapse(word)
    for entry in lex.obscene:
        m = entry.pattern.match(word)
        if m and not word[m.start("stem"):].startswith(entry.exceptions):
            return entry
    return None


def _fits(masked: str, plain: str) -> bool:
    return all(a == b or a == "*" for a, b in zip(masked, plain, strict=False))


def _match_masked(word: str, lex: Lexicon) -> tuple[ObsceneEntry, float] | None:
    """Match a word with "*" standing for hidden letters ("п**дец", "на*уй", "бл*ть").

    The root must keep a real letter ("еб*ть" shows all of its root).  The word must
    show at least as many letters as masks ("б***ство" could be anything), except when the
    word is a whole short root with its first letter shown ("х**", "б**"): that is how these
    words are usually masked, so it counts, with a lower confidence.
    """
    stars = word.count("*")
    letters = len(word) - stars
    if len(word) < 3 or letters < 1:
        return None
    for entry in lex.obscene:
        for w in entry.words:
            if len(w) == len(word) and letters >= stars and _fits(word, w):
                return entry, 1.0
        for prefix in ("", *entry.prefixes):
            if not word.startswith(prefix):
                continue
            for stem in entry.stems:
                cand = prefix + stem
                span = word[len(prefix):len(cand)]
                if (len(word) < len(cand) or not _fits(word, cand)
                        or span.count("*") == len(span)):
                    continue
                filled = stem + word[len(cand):]
                if filled.startswith(entry.exceptions):
                    continue
                if letters >= stars:
                    return entry, 1.0
                if len(word) == len(cand) and stars <= 2 and word[0] != "*":
                    return entry, _MASKED
    return None


def _match_insult(word: str, lex: Lexicon) -> tuple[InsultSense, ...]:
    """Insult senses of a reading: exact form, masked form, or a stretched one ("идиооот")."""
    if "*" not in word:
        senses = lex.insults.get(word, ())
        if not senses and _HAS_REPEAT.search(word):
            senses = lex.insults_collapsed.get(collapse(word), ())
            if senses and morph.analyzer().word_is_known(word):
                return ()
        return senses
    if sum(c != "*" for c in word) <= word.count("*"):
        return ()
    found: list[InsultSense] = []
    for form in lex.insults_by_length.get(len(word), ()):
        if _fits(word, form):
            found.extend(lex.insults[form])
    return tuple(found)


@dataclass(frozen=True)
class WordMatch:
    """What one written word is before its context is seen: an obscene root or an insult."""

    kind: Kind
    root: str  # the obscene entry's root, or the first insult sense's lemma
    confidence: float  # of the reading: lowered by every disguise undone
    senses: tuple[InsultSense, ...] = ()  # for an insult: every lemma and form it can be


def match_word(raw: str, spaced: bool, lex: Lexicon) -> WordMatch | None:
    """Obscene root or insult senses of one written word, before any context is seen.

    `spaced` is a word put together from letters written apart ("б л я"). A written word
    is read once per lexicon and process (`memo`): a mail repeats its words, mails each
    other's.
    """
    seen = memo.table(lex, "words")
    key = (raw, spaced)
    if key in seen:
        return seen[key]
    found = seen[key] = _match_word(raw, spaced, lex)
    return found


def any_match(words: set[str], lex: Lexicon) -> bool:
    """Whether any of these written words (not spaced) matches: `match_word` on each until
    one does. The words found to match nothing are kept per lexicon and process, and a
    mail's words are told from them in one set difference (a mail has hundreds, nearly all
    of them seen before)."""
    clean = memo.table(lex, "words that match nothing")
    for raw in words.difference(clean):
        if match_word(raw, False, lex) is not None:
            return True
        clean[raw] = None
    return False


def _match_word(raw: str, spaced: bool, lex: Lexicon) -> WordMatch | None:
    low = raw.lower().replace("ё", "е")
    apart = _SPACED if spaced else 1.0
    if CYRILLIC_WORD.fullmatch(low):  # the common case, kept short: plain Cyrillic letters
        entry = _match_obscene(low, lex)
        if entry is not None:
            return WordMatch("obscene", entry.root, entry.confidence * apart)
        senses = _match_insult(low, lex)
        if senses:
            return WordMatch("insult", senses[0].lemma, apart, senses)
        return None
    latin_only, readings = _variants(raw, lex)
    if latin_only:
        lat = collapse(fold(raw).translate(_LATIN_LEET))
        for entry in lex.latin:
            if entry.pattern.search(lat):
                return WordMatch("obscene", entry.root, entry.confidence * apart)
    for reading, factor in readings:
        word = reading
        if "*" in word:
            word = collapse(word)
            masked = _match_masked(word, lex)
            entry = masked[0] if masked else None
            factor *= _MASKED * (masked[1] if masked else 1.0)
        else:
            entry = _match_obscene(word, lex)
        if entry is not None:
            return WordMatch("obscene", entry.root, entry.confidence * factor * apart)
    for word, factor in readings:
        senses = _match_insult(word, lex)
        if not senses and latin_only:
            senses = _match_insult(fold(raw), lex)
        if senses:
            factor *= _MASKED if "*" in word else 1.0
            return WordMatch("insult", senses[0].lemma, factor * apart, senses)
    return None
