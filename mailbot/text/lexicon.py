"""The etiquette word lists, `config/etiquette.toml`, compiled for the detector.

The lists are data a school edits (obscene roots with their prefixes and exceptions, Latin
spellings, insults by lemma, the words the context rules look for); the detector in
`mailbot.text.rudeness` holds no word list of its own. Loading does the slow work once:
every form of every insult lemma is generated with pymorphy3, and the stems become regular
expressions.

The lexicon's strings and the text's words are read alike (`fold`, `collapse`): lower case,
"ё" as "е", invisible characters dropped, repeated letters collapsed.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from mailbot.text import morph

Kind = Literal["obscene", "insult"]
InsultGroup = Literal["person", "literal", "adjective", "english", "english_adjective"]
CYRILLIC_WORD = re.compile(r"[а-я]+")
# Invisible characters that split a word without showing: combining accents ("ху́й"), zero-width
# spaces and joiners, the soft hyphen.  They belong to the word and are dropped when reading it.
INVISIBLE = "\u0300-\u036f\u00ad\u200b-\u200d\u2060\ufeff"
_DROP_INVISIBLE = dict.fromkeys(
    [*range(0x300, 0x370), 0xAD, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]
)
_REPEATS = re.compile(r"([^*])\1+")


@dataclass(frozen=True)
class ObsceneEntry:
    root: str
    pattern: re.Pattern[str]
    prefixes: tuple[str, ...]
    stems: tuple[str, ...]
    words: tuple[str, ...]
    exceptions: tuple[str, ...]
    confidence: float


@dataclass(frozen=True)
class LatinEntry:
    root: str
    pattern: re.Pattern[str]
    confidence: float


@dataclass(frozen=True)
class InsultSense:
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
    obscene: tuple[ObsceneEntry, ...]
    screen: re.Pattern[str]
    latin: tuple[LatinEntry, ...]
    insults: Mapping[str, tuple[InsultSense, ...]]
    insults_collapsed: Mapping[str, tuple[InsultSense, ...]]
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


def fold(word: str) -> str:
    """Lower case, "ё" as "е", invisible characters dropped (after composing "и"+"̆" to "й")."""
    low = word.lower()
    if not low.isascii() and not CYRILLIC_WORD.fullmatch(low):
        low = unicodedata.normalize("NFC", low).translate(_DROP_INVISIBLE)
    return low.replace("ё", "е")


def collapse(word: str) -> str:
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
        return tuple(fold(s.strip()) for s in obj)

    def confidence(obj: Any, key: str) -> float:
        if isinstance(obj, bool) or not isinstance(obj, int | float) or not 0 < obj <= 1:
            raise fail(key, "expected a number in (0, 1]")
        return float(obj)

    def letter_map(obj: Any, key: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for k, v in table(obj, key).items():
            if len(k) != 1 or not isinstance(v, str) or not v:
                raise fail(f"{key}.{k}", "expected one character mapped to a non-empty string")
            out[k.lower()] = fold(v)
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
        latin.append(LatinEntry(e["root"], pattern, confidence(e.get("confidence"), key)))

    insults = table(data.get("insults"), "insults")
    forms: dict[str, list[InsultSense]] = {}
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
                forms.setdefault(form, []).append(InsultSense(lemma, group, grams, conf))
    english: tuple[tuple[InsultGroup, str], ...] = (
        ("english", "confidence_person"),
        ("english_adjective", "confidence_adjective"),
    )
    for eng_group, conf_key in english:
        conf = confidence(insults.get(conf_key), f"insults.{conf_key}")
        for word in strings(insults.get(eng_group, []), f"insults.{eng_group}"):
            sense = InsultSense(word, eng_group, frozenset({"nomn"}), conf)
            forms.setdefault(word, []).append(sense)
    by_length: dict[int, list[str]] = {}
    collapsed: dict[str, list[InsultSense]] = {}
    for form, senses in forms.items():
        by_length.setdefault(len(form), []).append(form)
        collapsed.setdefault(collapse(form), []).extend(senses)

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
        return frozenset((fold(a), fold(b)) for a, b in value)

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
                   fail: Callable[[str, str], ValueError]) -> ObsceneEntry:
    root = e.get("root")
    if not isinstance(root, str) or not root:
        raise fail(f"{key}.root", "expected a non-empty string")
    conf = confidence(e.get("confidence"), f"{key}.confidence")
    if "words" in e:
        words = tuple(collapse(w) for w in strings(e["words"], f"{key}.words", allow_empty=False))
        pattern = re.compile(f"(?P<stem>{_alt(sorted(words, key=len, reverse=True))})$")
        return ObsceneEntry(root, pattern, (), (), words, (), conf)
    if "stems" not in e:
        raise fail(key, "needs 'stems' or 'words'")
    stems = tuple(collapse(s) for s in strings(e["stems"], f"{key}.stems", allow_empty=False))
    prefixes = tuple(collapse(p) for p in strings(e.get("prefixes", []), f"{key}.prefixes"))
    exceptions = tuple(collapse(x) for x in strings(e.get("exceptions", []), f"{key}.exceptions"))
    by_len = sorted(prefixes, key=len, reverse=True)
    head = f"(?:{_alt(by_len)}){{0,2}}" if prefixes else ""
    pattern = re.compile(f"{head}(?P<stem>{_alt(sorted(stems, key=len, reverse=True))})")
    return ObsceneEntry(root, pattern, prefixes, stems, (), exceptions, conf)


def _lexeme(lemma: str, group: InsultGroup,
            extra: Sequence[str]) -> list[tuple[str, frozenset[str]]]:
    """All forms of an insult lemma with their grammemes (case, number, short form)."""
    wanted = {"person": "NOUN", "literal": "NOUN", "adjective": "ADJF"}[group]
    parses = [p for p in morph.analyzer().parse(lemma) if p.tag.POS == wanted]
    exact = [p for p in parses if fold(p.normal_form) == lemma]
    chosen = (exact or parses)[:1]
    # The lemma itself always counts, even when the dictionary does not know the word.
    out: list[tuple[str, frozenset[str]]] = [(lemma, frozenset({"nomn", "sing"}))]
    for p in chosen:
        for form in p.lexeme:
            out.append((fold(form.word), frozenset(form.tag.grammemes)))
    for form in extra:
        grams = frozenset({"nomn", "sing"}) if form == lemma else frozenset()
        out.append((form, grams))
    return out
