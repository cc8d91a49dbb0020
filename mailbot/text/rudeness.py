"""Detect obscene language (мат) and insults in a sender's own text (regulation, clause 5).

The regulation lets a helper stop helping a user who writes obscenities or insults, and holds
back a helper's reply that does.  This module only *finds* such words; what to do with a
finding is the caller's business, and a finding is a flag for a human, never a verdict.

How it works, and why (see docs/domain.md, "Obscenity and insults"):

* Disguises are undone first: Latin look-alike letters ("xуй"), digits and signs ("6ля",
  "с@ка"), masks ("п*здец"), spaced or dotted letters ("б л я", "х.у.й"), repeated letters
  ("бляяя") and "ё".  Each undone disguise lowers the confidence a little.
* Obscene roots are matched only at the start of a word or after a known prefix of that root.
  Matching anywhere inside a word is what makes naive filters fire on "оскорблять",
  "ребёнок", "скипидар", "употреблять" and patronymics in "-говна".
* Insults are a separate list, by lemma (every form is generated with pymorphy3 when the
  list is loaded).  They count only in the sender's own voice: not inside quotation marks,
  not after a verb of speech or naming («учитель назвал его дураком»), not as a mention
  («слово дурак», «роман Идиот»), not negated («он не дурак») and not about the sender
  («я, дура, забыла пароль»).  Words that also have an ordinary meaning («козёл», «гниды»,
  «синдром Дауна») and adjectives («тупой угол», «дурацкая программа») count only when they
  are plainly about a person.  Obscene words always count; quoted or reported ones get a
  lower confidence.

The caller passes only the sender's new text (quoted history already removed); lines that
still start with ">" are ignored as well.  The word lists live in config/etiquette.toml.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise, product
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    import pymorphy3

__all__ = ["Finding", "Lexicon", "detect", "load_lexicon"]

Kind = Literal["obscene", "insult"]
InsultGroup = Literal["person", "literal", "adjective", "english", "english_adjective"]

# Confidence factors.  Disguises are deliberate, but an undone disguise is also where a false
# match is likelier, so each lowers the confidence a little.
_LOOKALIKE = 0.9  # Latin letters, digits or signs read as Cyrillic letters
_MASKED = 0.8  # "*" standing for letters
_SPACED = 0.9  # letters written apart ("б л я")
_REPORTED = 0.6  # obscene word inside quotes or reported speech: still flagged, weaker
_THIRD_PERSON = 0.9  # an insult about someone, not addressed to the reader
_MAX_VARIANTS = 64  # cap on letter combinations tried for one mixed-script word
_WINDOW = 40  # words either side of a candidate that its context rules look at

_CYR_WORD = re.compile(r"[а-я]+")
# Invisible characters that split a word without showing: combining accents ("ху́й"), zero-width
# spaces and joiners, the soft hyphen.  They belong to the word and are dropped when reading it.
_INVISIBLE = "\u0300-\u036f\u00ad\u200b-\u200d\u2060\ufeff"
_DROP_INVISIBLE = dict.fromkeys(
    [*range(0x300, 0x370), 0xAD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]
)
_REPEATS = re.compile(r"([^*])\1+")
_HAS_REPEAT = re.compile(r"([^*])\1")
_TOKEN = re.compile(rf"(?:[^\W_]|[*#%@${_INVISIBLE}])+")
_LETTER = re.compile(r"[^\W\d_]")
# One letter or digit standing alone, several of them in a row, separated by spaces, dots,
# dashes or underscores: "х у й", "б.л.я.т.ь", "с-у-к-а", "6 л я".
_UNIT = r"(?<![\w*@$])[^\W_](?![\w*@$])"
_SPACED_RUN = re.compile(rf"{_UNIT}(?:[ .\-_·•/|]{{1,3}}{_UNIT}){{2,}}")
# Letters glued with dots, dashes or underscores inside a word: "ох.уели", "пи.з.д.е.ц".
_GLUED_RUN = re.compile(r"(?<![\w.\-])[^\W_]+(?:[.\-_][^\W_]+)+")
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_ADDRESS = re.compile(r"\S+@\S+\.\w+|(?:https?://|www\.)\S+", re.IGNORECASE)
_SENTENCE_BREAK = re.compile(r"[.!?…]|\n[ \t]*\n")
_CLAUSE_BREAK = re.compile(r"[,;:()\[\]]")
_LATIN_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "@": "a", "$": "s"})
_QUOTE_PAIRS = {"«": "»", "„": "“", "“": "”", '"': '"'}
_QUOTE_MARK = re.compile('[«»„“”"]')


@dataclass(frozen=True)
class Finding:
    """One obscene or insulting word found in the text.

    `word` is the text exactly as written and `start`/`end` are offsets into the text that
    was passed to `detect`, so a caller can highlight it.  `root` names the entry of the
    word list that matched (a root such as "хуй" or an insult lemma such as "дурак").
    """

    kind: Kind
    word: str
    start: int
    end: int
    root: str
    confidence: float

    def to_json(self) -> dict[str, Any]:
        """Plain dict for logs, the database and the helper's view."""
        return {
            "kind": self.kind,
            "word": self.word,
            "start": self.start,
            "end": self.end,
            "root": self.root,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class _ObsceneEntry:
    root: str
    pattern: re.Pattern[str]
    prefixes: tuple[str, ...]
    stems: tuple[str, ...]
    words: tuple[str, ...]
    exceptions: tuple[str, ...]
    confidence: float


@dataclass(frozen=True)
class _LatinEntry:
    root: str
    pattern: re.Pattern[str]
    confidence: float


@dataclass(frozen=True)
class _InsultSense:
    lemma: str
    group: InsultGroup
    grammemes: frozenset[str]
    confidence: float


@dataclass(frozen=True)
class Lexicon:
    """The compiled word lists; build it once with `load_lexicon` and pass it to `detect`."""

    source: str
    latin_letters: Mapping[str, str]
    symbols: Mapping[str, str]
    masks: str
    obscene: tuple[_ObsceneEntry, ...]
    screen: re.Pattern[str]
    latin: tuple[_LatinEntry, ...]
    insults: Mapping[str, tuple[_InsultSense, ...]]
    insults_collapsed: Mapping[str, tuple[_InsultSense, ...]]
    insults_by_length: Mapping[int, tuple[str, ...]]
    speech_verbs: frozenset[str]
    english_speech_verbs: frozenset[str]
    complementizers: frozenset[str]
    reported_markers: frozenset[str]
    mention_nouns: frozenset[str]
    idioms: frozenset[tuple[str, str]]
    idioms_after: frozenset[tuple[str, str]]
    self_pronouns: frozenset[str]
    second_person: frozenset[str]
    third_person: frozenset[str]
    copulas: frozenset[str]
    reflexive: frozenset[str]
    parenthetical: frozenset[str]
    conjunctions: frozenset[str]


# ----------------------------------------------------------------------------- morphology


def _morph() -> pymorphy3.MorphAnalyzer:
    from mailbot.text import morph

    return morph.analyzer()


@dataclass(frozen=True)
class _Parse:
    lemma: str
    pos: str
    grammemes: frozenset[str]


@lru_cache(maxsize=100_000)
def _parses(word: str) -> tuple[_Parse, ...]:
    """Cached pymorphy3 parses of a lower-case word, reduced to what the context rules use.

    Parses the analyser itself thinks next to impossible are dropped ("и" as an abbreviated
    animate noun), otherwise they would satisfy the "is it a person" questions.
    """
    parses = _morph().parse(word)
    return tuple(
        _Parse(_fold(p.normal_form), str(p.tag.POS or ""), frozenset(p.tag.grammemes))
        for n, p in enumerate(parses)
        if n == 0 or p.score >= 0.01
    )


def _fold(word: str) -> str:
    """Lower case, "ё" as "е", invisible characters dropped (after composing "и"+"̆" to "й")."""
    low = word.lower()
    if not low.isascii() and not _CYR_WORD.fullmatch(low):
        low = unicodedata.normalize("NFC", low).translate(_DROP_INVISIBLE)
    return low.replace("ё", "е")


def _collapse(word: str) -> str:
    """Collapse repeated letters ("бляяя" -> "бля"); masks are kept, each hides one letter."""
    return _REPEATS.sub(r"\1", word)


# ----------------------------------------------------------------------------- loading


def load_lexicon(path: Path) -> Lexicon:
    """Read and compile the word lists; raise a one-line ValueError naming file and key."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8: {exc}") from None
    return _compile(data, str(path))


def _compile(data: dict[str, Any], source: str) -> Lexicon:
    def fail(key: str, problem: str) -> ValueError:
        return ValueError(f"{source}: key '{key}': {problem}")

    def table(obj: Any, key: str) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise fail(key, "expected a table")
        return obj

    def strings(obj: Any, key: str, *, allow_empty: bool = True) -> tuple[str, ...]:
        if not isinstance(obj, list) or not all(isinstance(s, str) and s.strip() for s in obj):
            raise fail(key, "expected a list of non-empty strings")
        if not obj and not allow_empty:
            raise fail(key, "must not be empty")
        return tuple(_fold(s.strip()) for s in obj)

    def confidence(obj: Any, key: str) -> float:
        if isinstance(obj, bool) or not isinstance(obj, int | float) or not 0 < obj <= 1:
            raise fail(key, "expected a number in (0, 1]")
        return float(obj)

    def letter_map(obj: Any, key: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in table(obj, key).items():
            if len(k) != 1 or not isinstance(v, str) or not v:
                raise fail(f"{key}.{k}", "expected one character mapped to a non-empty string")
            out[k.lower()] = _fold(v)
        return out

    norm = table(data.get("normalise"), "normalise")
    latin_letters = letter_map(norm.get("latin"), "normalise.latin")
    symbols = letter_map(norm.get("symbols"), "normalise.symbols")
    masks = norm.get("masks", "*")
    if not isinstance(masks, str) or not masks:
        raise fail("normalise.masks", "expected a non-empty string")

    raw_obscene = data.get("obscene")
    if not isinstance(raw_obscene, list) or not raw_obscene:
        raise fail("obscene", "expected a non-empty array of tables [[obscene]]")
    obscene = tuple(
        _obscene_entry(table(e, f"obscene[{i}]"), f"obscene[{i}]", strings, confidence, fail)
        for i, e in enumerate(raw_obscene)
    )
    all_starts = sorted({s for e in obscene for s in e.stems + e.words}, key=len, reverse=True)
    # A cheap first look: does the word contain the first three letters of any stem at all?
    # It runs on the word as written, so letters may repeat ("хууй"); a word that passes is
    # collapsed and matched exactly, prefixes included.
    heads = sorted({s[:3] for s in all_starts})
    screen = re.compile(_tolerant(heads))

    latin = []
    for i, e in enumerate(data.get("latin", [])):
        key = f"latin[{i}]"
        e = table(e, key)
        if not isinstance(e.get("root"), str) or not isinstance(e.get("pattern"), str):
            raise fail(key, "needs string 'root' and 'pattern'")
        try:
            pattern = re.compile(e["pattern"])
        except re.error as exc:
            raise fail(f"{key}.pattern", f"bad regular expression: {exc}") from None
        latin.append(_LatinEntry(e["root"], pattern, confidence(e.get("confidence"), key)))

    insults = table(data.get("insults"), "insults")
    forms: dict[str, list[_InsultSense]] = {}
    extra = table(insults.get("extra_forms", {}), "insults.extra_forms")
    groups: tuple[tuple[InsultGroup, str], ...] = (
        ("person", "confidence_person"),
        ("literal", "confidence_literal"),
        ("adjective", "confidence_adjective"),
    )
    for group, conf_key in groups:
        conf = confidence(insults.get(conf_key), f"insults.{conf_key}")
        for lemma in strings(insults.get(group), f"insults.{group}", allow_empty=False):
            extra_forms = extra.get(lemma, [])
            for form, grams in _lexeme(lemma, group, strings(extra_forms, f"extra.{lemma}")):
                forms.setdefault(form, []).append(_InsultSense(lemma, group, grams, conf))
    english: tuple[tuple[InsultGroup, str], ...] = (
        ("english", "confidence_person"),
        ("english_adjective", "confidence_adjective"),
    )
    for eng_group, conf_key in english:
        conf = confidence(insults.get(conf_key), f"insults.{conf_key}")
        for word in strings(insults.get(eng_group, []), f"insults.{eng_group}"):
            sense = _InsultSense(word, eng_group, frozenset({"nomn"}), conf)
            forms.setdefault(word, []).append(sense)
    by_length: dict[int, list[str]] = {}
    collapsed: dict[str, list[_InsultSense]] = {}
    for form, senses in forms.items():
        by_length.setdefault(len(form), []).append(form)
        collapsed.setdefault(_collapse(form), []).extend(senses)

    ctx = table(data.get("context"), "context")

    def ctx_set(key: str) -> frozenset[str]:
        return frozenset(strings(ctx.get(key), f"context.{key}"))

    def pairs(key: str) -> frozenset[tuple[str, str]]:
        value = ctx.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
            for p in value
        ):
            raise fail(f"context.{key}", "expected a list of [lemma, lemma] pairs")
        return frozenset((_fold(a), _fold(b)) for a, b in value)

    return Lexicon(
        source=source,
        latin_letters=MappingProxyType(latin_letters),
        symbols=MappingProxyType(symbols),
        masks=masks,
        obscene=obscene,
        screen=screen,
        latin=tuple(latin),
        insults=MappingProxyType({k: tuple(v) for k, v in forms.items()}),
        insults_collapsed=MappingProxyType({k: tuple(v) for k, v in collapsed.items()}),
        insults_by_length=MappingProxyType({k: tuple(v) for k, v in by_length.items()}),
        speech_verbs=ctx_set("speech_verbs"),
        english_speech_verbs=ctx_set("english_speech_verbs"),
        complementizers=ctx_set("complementizers"),
        reported_markers=ctx_set("reported_markers"),
        mention_nouns=ctx_set("mention_nouns"),
        idioms=pairs("idioms"),
        idioms_after=pairs("idioms_after"),
        self_pronouns=ctx_set("self_pronouns"),
        second_person=ctx_set("second_person"),
        third_person=ctx_set("third_person"),
        copulas=ctx_set("copulas"),
        reflexive=ctx_set("reflexive"),
        parenthetical=ctx_set("parenthetical"),
        conjunctions=ctx_set("conjunctions"),
    )


def _alt(items: Iterable[str]) -> str:
    return "|".join(re.escape(s) for s in items)


def _tolerant(items: Iterable[str]) -> str:
    """Alternation that lets every letter but the first repeat ("х+у+й+" written "ху+й+")."""
    return "|".join(re.escape(s[0]) + "".join(re.escape(c) + "+" for c in s[1:]) for s in items)


def _obscene_entry(e: dict[str, Any], key: str, strings: Callable[..., tuple[str, ...]],
                   confidence: Callable[[Any, str], float],
                   fail: Callable[[str, str], ValueError]) -> _ObsceneEntry:
    root = e.get("root")
    if not isinstance(root, str) or not root:
        raise fail(f"{key}.root", "expected a non-empty string")
    conf = confidence(e.get("confidence"), f"{key}.confidence")
    if "words" in e:
        words = tuple(_collapse(w) for w in strings(e["words"], f"{key}.words", allow_empty=False))
        pattern = re.compile(f"(?P<stem>{_alt(sorted(words, key=len, reverse=True))})$")
        return _ObsceneEntry(root, pattern, (), (), words, (), conf)
    if "stems" not in e:
        raise fail(key, "needs 'stems' or 'words'")
    stems = tuple(_collapse(s) for s in strings(e["stems"], f"{key}.stems", allow_empty=False))
    prefixes = tuple(_collapse(p) for p in strings(e.get("prefixes", []), f"{key}.prefixes"))
    exceptions = tuple(_collapse(x) for x in strings(e.get("exceptions", []), f"{key}.exceptions"))
    by_len = sorted(prefixes, key=len, reverse=True)
    head = f"(?:{_alt(by_len)}){{0,2}}" if prefixes else ""
    pattern = re.compile(f"{head}(?P<stem>{_alt(sorted(stems, key=len, reverse=True))})")
    return _ObsceneEntry(root, pattern, prefixes, stems, (), exceptions, conf)


def _lexeme(lemma: str, group: InsultGroup,
            extra: Sequence[str]) -> list[tuple[str, frozenset[str]]]:
    """All forms of an insult lemma with their grammemes (case, number, short form)."""
    wanted = {"person": "NOUN", "literal": "NOUN", "adjective": "ADJF"}[group]
    parses = [p for p in _morph().parse(lemma) if p.tag.POS == wanted]
    exact = [p for p in parses if _fold(p.normal_form) == lemma]
    chosen = (exact or parses)[:1]
    # The lemma itself always counts, even when the dictionary does not know the word.
    out: list[tuple[str, frozenset[str]]] = [(lemma, frozenset({"nomn", "sing"}))]
    for p in chosen:
        for form in p.lexeme:
            out.append((_fold(form.word), frozenset(form.tag.grammemes)))
    for form in extra:
        grams = frozenset({"nomn", "sing"}) if form == lemma else frozenset()
        out.append((form, grams))
    return out


# ----------------------------------------------------------------------------- matching


def _variants(raw: str, lex: Lexicon) -> tuple[bool, list[tuple[str, float]]]:
    """Readings of one written word as Cyrillic: (is pure Latin, [(reading, factor)]).

    Repeated letters are kept here: obscene roots are matched on the collapsed reading, but
    insults only fall back to it when the word as written is unknown ("дурра" is a plant).
    """
    low = _fold(raw)
    if _CYR_WORD.fullmatch(low):
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


def _match_obscene(word: str, lex: Lexicon) -> _ObsceneEntry | None:
    """The obscene entry a normalised, unmasked word starts with, if any."""
    if not lex.screen.search(word):
        return None
    word = _collapse(word)
    for entry in lex.obscene:
        m = entry.pattern.match(word)
        if m and not word[m.start("stem"):].startswith(entry.exceptions):
            return entry
    return None


def _fits(masked: str, plain: str) -> bool:
    return all(a == b or a == "*" for a, b in zip(masked, plain, strict=False))


def _match_masked(word: str, lex: Lexicon) -> tuple[_ObsceneEntry, float] | None:
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


def _match_insult(word: str, lex: Lexicon) -> tuple[_InsultSense, ...]:
    """Insult senses of a reading: exact form, masked form, or a stretched one ("идиооот")."""
    if "*" not in word:
        senses = lex.insults.get(word, ())
        if not senses and _HAS_REPEAT.search(word):
            senses = lex.insults_collapsed.get(_collapse(word), ())
            if senses and _morph().word_is_known(word):
                return ()
        return senses
    if sum(c != "*" for c in word) <= word.count("*"):
        return ()
    found: list[_InsultSense] = []
    for form in lex.insults_by_length.get(len(word), ()):
        if _fits(word, form):
            found.extend(lex.insults[form])
    return tuple(found)


# ----------------------------------------------------------------------------- tokens


@dataclass(slots=True)
class _Token:
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
        return _fold(self.raw)


@dataclass
class _Candidate:
    index: int
    kind: Kind
    root: str
    confidence: float
    senses: tuple[_InsultSense, ...] = ()


def _blank(text: str) -> str:
    """Blank out quoted lines, e-mail addresses and links, keeping every offset."""
    def spaces(m: re.Match[str]) -> str:
        return re.sub(r"[^\n]", " ", m.group())

    if ">" in text:
        text = _QUOTED_LINE.sub(spaces, text)
    if "@" in text or "://" in text or "www." in text.lower():
        text = _ADDRESS.sub(spaces, text)
    return text


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


def _tokens(text: str, lex: Lexicon) -> list[_Token]:
    """Word tokens; runs of spaced or glued letters become one token when that is a bad word.

    "х у й" and "пи.з.д.е.ц" are merged only when the merged word matches (and, for glued
    runs, no part matches on its own), so "из-за" or the initials "А. С." stay as they are.
    """
    merged: list[_Token] = []
    for run in _SPACED_RUN.finditer(text):
        units = [c for c in run.group() if c.isalnum()]
        if sum(1 for c in units if c.isalpha()) < 2:
            continue
        tok = _Token("".join(units), run.start(), run.end(), spaced=True)
        if _classify(tok, lex) is not None:
            merged.append(tok)
    for run in _GLUED_RUN.finditer(text):
        a, b = run.start(), run.end()
        if any(a < t.end and t.start < b for t in merged):
            continue
        tok = _Token(re.sub(r"[.\-_]", "", run.group()), a, b, spaced=True)
        found = _classify(tok, lex)
        if found is None or found[0] != "obscene":
            continue
        parts = re.split(r"[.\-_]", run.group())
        if not any((_classify(_Token(p, 0, 0), lex) or ("",))[0] == "obscene" for p in parts):
            merged.append(tok)
    merged.sort(key=lambda t: t.start)
    tokens: list[_Token] = []
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
            tokens.append(_Token(raw, start, end))
            continue
        stripped = _strip_emphasis(raw.strip("@$"), lex.masks)
        if not stripped or not _LETTER.search(stripped):
            continue
        start += raw.index(stripped)
        tokens.append(_Token(stripped, start, start + len(stripped)))
    tokens.extend(merged[m_index:])
    return tokens


def _structure(text: str, tokens: list[_Token], lex: Lexicon) -> list[bool]:
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


def _classify(tok: _Token, lex: Lexicon) -> tuple[Kind, str, float,
                                                   tuple[_InsultSense, ...]] | None:
    """Obscene root or insult senses of one written word, before any context is seen."""
    low = tok.raw.lower().replace("ё", "е")
    if _CYR_WORD.fullmatch(low):  # the common case, kept short: plain Cyrillic letters
        entry = _match_obscene(low, lex)
        if entry is not None:
            return "obscene", entry.root, entry.confidence * (_SPACED if tok.spaced else 1.0), ()
        senses = _match_insult(low, lex)
        if senses:
            return "insult", senses[0].lemma, _SPACED if tok.spaced else 1.0, senses
        return None
    latin_only, readings = _variants(tok.raw, lex)
    spaced = _SPACED if tok.spaced else 1.0
    if latin_only:
        lat = _collapse(_fold(tok.raw).translate(_LATIN_LEET))
        for entry in lex.latin:
            if entry.pattern.search(lat):
                return "obscene", entry.root, entry.confidence * spaced, ()
    for reading, factor in readings:
        word = reading
        if "*" in word:
            word = _collapse(word)
            masked = _match_masked(word, lex)
            entry = masked[0] if masked else None
            factor *= _MASKED * (masked[1] if masked else 1.0)
        else:
            entry = _match_obscene(word, lex)
        if entry is not None:
            return "obscene", entry.root, entry.confidence * factor * spaced, ()
    for word, factor in readings:
        senses = _match_insult(word, lex)
        if not senses and latin_only:
            senses = _match_insult(_fold(tok.raw), lex)
        if senses:
            factor *= _MASKED if "*" in word else 1.0
            return "insult", senses[0].lemma, factor * spaced, senses
    return None


# ----------------------------------------------------------------------------- context


class _Context:
    """Questions about the words around a candidate, within its sentence."""

    def __init__(self, tokens: list[_Token], colon_before: list[bool], lex: Lexicon) -> None:
        self.tokens = tokens
        self.colon_before = colon_before
        self.lex = lex

    def sentence(self, i: int) -> range:
        """Token indexes of i's sentence, at most _WINDOW words either side of it.

        The window keeps text without punctuation from making every question cost the
        whole text (and the whole run quadratic).
        """
        s = self.tokens[i].sentence
        lo = i
        while lo > max(0, i - _WINDOW) and self.tokens[lo - 1].sentence == s:
            lo -= 1
        hi = i
        last = min(len(self.tokens) - 1, i + _WINDOW)
        while hi < last and self.tokens[hi + 1].sentence == s:
            hi += 1
        return range(lo, hi + 1)

    def parses(self, i: int) -> tuple[_Parse, ...]:
        return _parses(self.tokens[i].low)

    def lemmas(self, i: int) -> set[str]:
        return {p.lemma for p in self.parses(i)} | {self.tokens[i].low}

    def is_speech_verb(self, i: int) -> bool:
        """A verb of speech or naming that reports someone's words, not the sender's.

        «Я считаю, что вы…», «говорю вам» and «передайте ему, что…» are the sender's own
        words; «не называйте детей…» forbids a word and so only mentions it.
        """
        tok = self.tokens[i]
        if tok.low in self.lex.english_speech_verbs:
            return True
        negated = i > 0 and self.tokens[i - 1].low == "не"
        for p in self.parses(i):
            if p.lemma in self.lex.speech_verbs and p.pos in {"VERB", "INFN", "PRTF", "PRTS",
                                                              "GRND"}:
                first_now = "1per" in p.grammemes and ({"pres", "futr"} & p.grammemes)
                command = "impr" in p.grammemes and not negated
                if not first_now and not command:
                    return True
        return False

    def reported(self, i: int, naming_case: bool = False) -> bool:
        """Inside quotes, after a verb of speech in the clause or in a «что»/":" clause.

        With `naming_case` (the insult is in the instrumental, the case of a name given:
        «назвал дурой»), any earlier verb of speech or naming in the sentence will do
        («называл их баранами, а одну девочку — дурой»), and so will one later in the clause
        («её дурой называет»).
        """
        tok = self.tokens[i]
        if tok.quoted:
            return True
        sent = self.sentence(i)
        for k in range(sent.start, i):
            if self.tokens[k].low in self.lex.reported_markers:
                return True
        if naming_case and any(self.is_speech_verb(k)
                               for k in self.clause_range(i) if k > i):
            return True  # «учитель её дурой называет»
        for k in range(i - 1, sent.start - 1, -1):
            if not self.is_speech_verb(k):
                continue
            if naming_case:
                return True
            verb_clause = self.tokens[k].clause
            if verb_clause == tok.clause:
                return True
            nxt = k + 1
            while nxt < i and self.tokens[nxt].clause == verb_clause:
                nxt += 1
            opens_report = nxt <= i and (self.colon_before[nxt]
                                         or self.tokens[nxt].low in self.lex.complementizers)
            # The reported clause itself, and later ones unless they turn to the reader:
            # «учитель сказал, что сын молодец, а вы идиоты!» is the sender's own insult.
            if opens_report and (self.tokens[nxt].clause == tok.clause or not self.addressed(i)):
                return True
        return False

    def mentioned(self, i: int, lemma: str) -> bool:
        """A mention, a title or an idiom: «слово дурак», «роман Идиот», «валять дурака»."""
        sent = self.sentence(i)
        for k in range(max(sent.start, i - 2), i):
            lemmas = self.lemmas(k)
            if k == i - 1 and lemmas & self.lex.mention_nouns:
                return True
            if any((lem, lemma) in self.lex.idioms for lem in lemmas):
                return True
        after = self.lemmas(i + 1) if i + 1 in sent else set()
        return any((lemma, lem) in self.lex.idioms_after for lem in after)

    def negated(self, i: int) -> bool:
        sent = self.sentence(i)
        return i - 1 >= sent.start and self.tokens[i - 1].low in {"не", "not", "нет"}

    def about_self(self, i: int) -> bool:
        """«Я, дура, забыла пароль», «мы же не идиоты», «чувствую себя дураком»."""
        sent = self.sentence(i)
        for k in range(i - 1, max(sent.start, i - 3) - 1, -1):
            low = self.tokens[k].low
            if low in self.lex.second_person:
                return False
            if low in self.lex.self_pronouns:
                return True
            if low in self.lex.reflexive:
                others = self.lex.second_person | self.lex.third_person
                return not any(self.tokens[c].low in others for c in self.clause_range(i))
        return i + 1 in sent and self.tokens[i + 1].low in self.lex.self_pronouns

    def a_name(self, i: int) -> bool:
        """«Козлов», «Дураков Максим»: a capitalised word that is a surname or a name.

        A capitalised word is taken for a name when the dictionary says so, or when it stands
        next to a first name, patronymic or surname in the same clause («Дураков Максим»).
        """
        raw = self.tokens[i].raw
        if not raw[:1].isupper() or raw.isupper():
            return False
        names = {"Surn", "Name", "Patr"}
        if any(names & p.grammemes for p in self.parses(i)):
            return True
        for k in (i - 1, i + 1):
            if k in self.clause_range(i):
                near = self.tokens[k].raw
                if near[:1].isupper() and any(names & p.grammemes for p in self.parses(k)):
                    return True
        return False

    def in_compound(self, i: int) -> bool:
        """«Иван-дурак», «блок-тормоз»: part of a hyphenated name or term, not an insult."""
        glued_after = self.tokens[i].tail == "-" and i + 1 < len(self.tokens) and (
            self.tokens[i + 1].low not in {"то", "ка", "таки", "де", "с"})  # «дураки-то»
        return glued_after or (i > 0 and self.tokens[i - 1].tail == "-")

    def clause_range(self, i: int) -> range:
        """Token indexes of i's clause, within its (windowed) sentence."""
        sent = self.sentence(i)
        c = self.tokens[i].clause
        lo = i
        while lo > sent.start and self.tokens[lo - 1].clause == c:
            lo -= 1
        hi = i
        while hi + 1 < sent.stop and self.tokens[hi + 1].clause == c:
            hi += 1
        return range(lo, hi + 1)

    def addressed(self, i: int) -> bool:
        return any(self.tokens[k].low in self.lex.second_person for k in self.clause_range(i))

    def vocative(self, i: int, *, exclaimed: bool = False) -> bool:
        """The insult stands alone in its clause, maybe with a particle: «Козлы!», «эй, осёл».

        With `exclaimed`, the clause must also end in "!" or "?" or hold an interjection: a
        lone «Курица.» in a canteen menu is not a vocative.
        """
        clause = self.clause_range(i)
        if exclaimed and not (
            re.search(r"[!?]", self.tokens[clause[-1]].tail)
            or any(p.pos == "INTJ" for k in clause if k != i for p in self.parses(k))
        ):
            return False
        for k in clause:
            if k == i:
                continue
            if not any(p.pos in {"PRCL", "INTJ", "NPRO", "ADJF", "CONJ"} for p in self.parses(k)):
                return False
        return True

    def person_subject_before(self, i: int, number: frozenset[str] = frozenset()) -> bool:
        """«Учитель — козёл», «завуч у вас свинья», «она же тупая»: said of a person.

        Walks back through the clause to a person in the nominative (a noun not governed by a
        preposition, or он/она/они), over particles, adverbs, adjectives, prepositional
        phrases and copulas; a conjunction or another verb ends the search.  With `number`
        the subject must agree with it («медсестра нашла у дочери гниды» is no predicate).
        """
        start = self.clause_range(i).start
        for k in range(i - 1, start - 1, -1):
            low = self.tokens[k].low
            if low in self.lex.third_person:
                return True
            if low in self.lex.conjunctions:
                return False
            parses = self.parses(k)
            after_prep = k > start and self.parses(k - 1)[0].pos == "PREP"
            for p in parses:
                if (p.pos == "NOUN" and {"anim", "nomn"} <= p.grammemes and not after_prep
                        and (not number or number & p.grammemes)):
                    return True
            if any(p.lemma in self.lex.copulas for p in parses):
                continue
            if parses[0].pos in {"PRCL", "ADVB", "ADJF", "NPRO", "NOUN", "PRTF", "PREP", ""}:
                continue
            return False
        return False

    def copula_before(self, i: int) -> bool:
        return any(
            any(p.lemma in self.lex.copulas for p in self.parses(k))
            for k in range(self.clause_range(i).start, i)
        )

    def next_noun_animate(self, i: int) -> bool | None:
        """Whether the noun an adjective goes with names a person (None: no noun follows).

        Other adjectives, adverbs and conjunctions in between are skipped: «тупые и острые
        углы», «очень тупая учительница».
        """
        clause = self.clause_range(i)
        for k in range(i + 1, clause.stop):
            first = self.parses(k)[0]
            if first.pos == "NOUN":
                return "anim" in first.grammemes
            coordinated = first.pos == "CONJ" and self.tokens[k].low in self.lex.conjunctions
            if first.pos not in {"ADJF", "ADVB", "PRCL", "PRTF"} and not coordinated:
                return None  # «тупая как пробка»: a comparison, not a head noun
        return None


def _insult_confidence(ctx: _Context, i: int, cand: _Candidate) -> float | None:
    """How sure the insult at token i is the sender's own insult of a person, or None."""
    naming_case = all("ablt" in s.grammemes for s in cand.senses)
    if (ctx.reported(i, naming_case) or ctx.negated(i) or ctx.about_self(i) or ctx.a_name(i)
            or ctx.in_compound(i)):
        return None
    for sense in cand.senses:
        if ctx.mentioned(i, sense.lemma):
            return None
    best: float | None = None
    for sense in cand.senses:
        factor = _sense_factor(ctx, i, sense)
        if factor is not None:
            value = sense.confidence * cand.confidence * factor
            best = value if best is None else max(best, value)
    return best


def _sense_factor(ctx: _Context, i: int, sense: _InsultSense) -> float | None:
    addressed = ctx.addressed(i)
    if sense.group in {"person", "english"}:
        return 1.0 if addressed or ctx.vocative(i) else _THIRD_PERSON
    nominative = "nomn" in sense.grammemes
    if sense.group == "literal":
        if nominative and (addressed or ctx.vocative(i, exclaimed=True)):
            return 1.0
        number = sense.grammemes & {"sing", "plur"}
        if nominative and ctx.person_subject_before(i, frozenset(number)):
            return _THIRD_PERSON
        if "ablt" in sense.grammemes and ctx.copula_before(i):
            return _THIRD_PERSON
        return None
    # Adjectives: only about a person, never about a thing («тупой угол»).
    animate = ctx.next_noun_animate(i)
    if animate is not None:
        return (1.0 if addressed else _THIRD_PERSON) if animate else None
    if addressed:
        return 1.0
    if (nominative or "ADJS" in sense.grammemes) and ctx.person_subject_before(i):
        return _THIRD_PERSON
    return None


# ----------------------------------------------------------------------------- entry point


def detect(text: str, lexicon: Lexicon) -> list[Finding]:
    """Find obscene words and insults in the sender's own text, in order of position.

    Obscene words always count (quoted or reported ones with a lower confidence); insults
    count only when they are the sender's own words about a person.
    """
    blanked = _blank(text)
    tokens = _tokens(blanked, lexicon)
    candidates: list[_Candidate] = []
    for idx, tok in enumerate(tokens):
        found = _classify(tok, lexicon)
        if found is not None:
            kind, root, conf, senses = found
            candidates.append(_Candidate(idx, kind, root, conf, senses))
    if not candidates:
        return []
    ctx = _Context(tokens, _structure(blanked, tokens, lexicon), lexicon)
    findings: list[Finding] = []
    for cand in candidates:
        tok = tokens[cand.index]
        if cand.kind == "obscene":
            conf = cand.confidence * (_REPORTED if ctx.reported(cand.index) else 1.0)
        else:
            maybe = _insult_confidence(ctx, cand.index, cand)
            if maybe is None:
                continue
            conf = maybe
        findings.append(Finding(cand.kind, text[tok.start:tok.end], tok.start, tok.end,
                                cand.root, round(min(conf, 1.0), 2)))
    return findings


def passage(text: str, finding: Finding, width: int = 60) -> str:
    """The words around a finding, on one line, for a helper or supervisor to read."""
    start = max(0, finding.start - width)
    end = min(len(text), finding.end + width)
    while start > 0 and not text[start - 1].isspace():
        start += 1
        if start >= finding.start:
            break
    while end < len(text) and not text[end].isspace():
        end -= 1
        if end <= finding.end:
            end = finding.end
            break
    head = "…" if start > 0 else ""
    tail = "…" if end < len(text) else ""
    return head + " ".join(text[start:end].split()) + tail
