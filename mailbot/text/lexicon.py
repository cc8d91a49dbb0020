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
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from mailbot.school import tomlfile
from mailbot.school.tomlfile import RuleModel, Table, Text, list_of_tables
from mailbot.text import morph
from mailbot.text.fields import Confidence, FilledTexts, RuleError, Texts, Verbatim

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


# ----------------------------------------------------------------------------- the file


def _pairs(value: Any) -> Any:
    if not isinstance(value, list) or not all(
        isinstance(p, list) and len(p) == 2 and all(isinstance(s, str) for s in p)
        for p in value
    ):
        raise ValueError("must be a list of [lemma, lemma] pairs")
    return value


Pairs = Annotated[tuple[tuple[str, str], ...], BeforeValidator(_pairs)]
LetterMap = Annotated[dict[Verbatim, Text], Table]  # one character -> candidate letters


class NormaliseTable(RuleModel):
    latin: LetterMap
    symbols: LetterMap
    masks: Text = "*"


class ObsceneTable(RuleModel):
    root: Text
    confidence: Confidence
    stems: FilledTexts | None = None
    words: FilledTexts | None = None  # instead of stems: the whole word is one of these
    prefixes: Texts = ()
    exceptions: Texts = ()

    @model_validator(mode="after")
    def _stems_or_words(self) -> ObsceneTable:
        if self.stems is None and self.words is None:
            raise ValueError("needs stems or words")
        return self


class LatinTable(RuleModel):
    root: Text
    pattern: Verbatim
    confidence: Confidence


class InsultsTable(RuleModel):
    person: FilledTexts
    literal: FilledTexts
    adjective: FilledTexts
    english: Texts = ()
    english_adjective: Texts = ()
    confidence_person: Confidence
    confidence_literal: Confidence
    confidence_adjective: Confidence
    extra_forms: Annotated[dict[Verbatim, Texts], Table] = Field(default_factory=dict)


class ContextTable(RuleModel):
    speech_verbs: Texts
    english_speech_verbs: Texts
    complementizers: Texts
    reported_markers: Texts
    mention_nouns: Texts
    idioms: Pairs = ()
    idioms_after: Pairs = ()
    self_pronouns: Texts
    second_person: Texts
    third_person: Texts
    copulas: Texts
    reflexive: Texts
    parenthetical: Texts
    conjunctions: Texts


class EtiquetteFile(RuleModel):
    """`config/etiquette.toml` as written: structure and types."""

    normalise: Annotated[NormaliseTable, Table]
    obscene: Annotated[tuple[ObsceneTable, ...], list_of_tables("obscene", filled=True)]
    latin: Annotated[tuple[LatinTable, ...], list_of_tables("latin")] = ()
    insults: Annotated[InsultsTable, Table]
    context: Annotated[ContextTable, Table]


# ----------------------------------------------------------------------------- compiling


def load_lexicon(path: Path) -> Lexicon:
    """Read and compile the word lists; raise a one-line ValueError naming file and key.

    The model checks the structure and the types; compiling checks the rest (letters,
    regular expressions) and generates the forms of the insults.
    """
    data = tomlfile.load(path, EtiquetteFile, ValueError)
    try:
        return _compile(data, str(path))
    except RuleError as exc:
        raise ValueError(f"{path}: {exc}") from None


def _compile(data: EtiquetteFile, source: str) -> Lexicon:
    obscene = tuple(_obscene_entry(entry) for entry in data.obscene)
    forms = _insult_forms(data.insults)
    by_length: dict[int, list[str]] = {}
    collapsed: dict[str, list[InsultSense]] = {}
    for form, senses in forms.items():
        by_length.setdefault(len(form), []).append(form)
        collapsed.setdefault(collapse(form), []).extend(senses)
    ctx = data.context
    return Lexicon(
        source=source,
        latin_letters=_letter_map(data.normalise.latin, "normalise.latin"),
        symbols=_letter_map(data.normalise.symbols, "normalise.symbols"),
        masks=data.normalise.masks,
        obscene=obscene,
        screen=_screen(obscene),
        latin=tuple(_latin_entry(entry, f"latin[{number}]")
                    for number, entry in enumerate(data.latin, start=1)),
        insults=MappingProxyType({k: tuple(v) for k, v in forms.items()}),
        insults_collapsed=MappingProxyType({k: tuple(v) for k, v in collapsed.items()}),
        insults_by_length=MappingProxyType({k: tuple(v) for k, v in by_length.items()}),
        speech_verbs=_folded(ctx.speech_verbs),
        english_speech_verbs=_folded(ctx.english_speech_verbs),
        complementizers=_folded(ctx.complementizers),
        reported_markers=_folded(ctx.reported_markers),
        mention_nouns=_folded(ctx.mention_nouns),
        idioms=frozenset((fold(a), fold(b)) for a, b in ctx.idioms),
        idioms_after=frozenset((fold(a), fold(b)) for a, b in ctx.idioms_after),
        self_pronouns=_folded(ctx.self_pronouns),
        second_person=_folded(ctx.second_person),
        third_person=_folded(ctx.third_person),
        copulas=_folded(ctx.copulas),
        reflexive=_folded(ctx.reflexive),
        parenthetical=_folded(ctx.parenthetical),
        conjunctions=_folded(ctx.conjunctions),
    )


def _folded(words: Iterable[str]) -> frozenset[str]:
    return frozenset(fold(w) for w in words)


def _letter_map(table: Mapping[str, str], key: str) -> Mapping[str, str]:
    out: dict[str, str] = {}
    for letter, candidates in table.items():
        if len(letter) != 1:
            raise RuleError(f"{key}.{letter}: must be one character")
        out[letter.lower()] = fold(candidates)
    return MappingProxyType(out)


def _screen(obscene: Iterable[ObsceneEntry]) -> re.Pattern[str]:
    """A cheap first look: does the word contain the first three letters of any stem at all?

    It runs on the word as written, so letters may repeat ("хууй"); a word that passes is
    collapsed and matched exactly, prefixes included.
    """
    starts = sorted({s for e in obscene for s in e.stems + e.words}, key=len, reverse=True)
    return re.compile(_tolerant(sorted({s[:3] for s in starts})))


def _alt(items: Iterable[str]) -> str:
    return "|".join(re.escape(s) for s in items)


def _tolerant(items: Iterable[str]) -> str:
    """Alternation that lets every letter but the first repeat ("х+у+й+" written "ху+й+")."""
    return "|".join(re.escape(s[0]) + "".join(re.escape(c) + "+" for c in s[1:]) for s in items)


def _obscene_entry(entry: ObsceneTable) -> ObsceneEntry:
    if entry.words is not None:
        words = tuple(collapse(fold(w)) for w in entry.words)
        pattern = re.compile(f"(?P<stem>{_alt(sorted(words, key=len, reverse=True))})$")
        return ObsceneEntry(entry.root, pattern, (), (), words, (), entry.confidence)
    stems = tuple(collapse(fold(s)) for s in entry.stems or ())
    prefixes = tuple(collapse(fold(p)) for p in entry.prefixes)
    exceptions = tuple(collapse(fold(x)) for x in entry.exceptions)
    by_len = sorted(prefixes, key=len, reverse=True)
    head = f"(?:{_alt(by_len)}){{0,2}}" if prefixes else ""
    pattern = re.compile(f"{head}(?P<stem>{_alt(sorted(stems, key=len, reverse=True))})")
    return ObsceneEntry(entry.root, pattern, prefixes, stems, (), exceptions, entry.confidence)


def _latin_entry(entry: LatinTable, key: str) -> LatinEntry:
    try:
        pattern = re.compile(entry.pattern)
    except re.error as exc:
        raise RuleError(f"{key}.pattern: bad regular expression: {exc}") from None
    return LatinEntry(entry.root, pattern, entry.confidence)


def _insult_forms(insults: InsultsTable) -> dict[str, list[InsultSense]]:
    """Every form of every insult, with the senses it can have."""
    forms: dict[str, list[InsultSense]] = {}
    groups: tuple[tuple[InsultGroup, tuple[str, ...], float], ...] = (
        ("person", insults.person, insults.confidence_person),
        ("literal", insults.literal, insults.confidence_literal),
        ("adjective", insults.adjective, insults.confidence_adjective),
    )
    for group, lemmas, conf in groups:
        for lemma in (fold(w) for w in lemmas):
            extra = tuple(fold(w) for w in insults.extra_forms.get(lemma, ()))
            for form, grams in _lexeme(lemma, group, extra):
                forms.setdefault(form, []).append(InsultSense(lemma, group, grams, conf))
    english: tuple[tuple[InsultGroup, tuple[str, ...], float], ...] = (
        ("english", insults.english, insults.confidence_person),
        ("english_adjective", insults.english_adjective, insults.confidence_adjective),
    )
    for group, words, conf in english:
        for word in (fold(w) for w in words):
            sense = InsultSense(word, group, frozenset({"nomn"}), conf)
            forms.setdefault(word, []).append(sense)
    return forms


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
