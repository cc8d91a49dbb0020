"""Sort a request into one help category, and say why.

Routing needs a decision a school can read and correct: every point a category gets comes
from a word, phrase or pattern in `config/categories.toml`, and the decision keeps the list
of those hits as its reasons. The vocabulary is data, so a school tunes it without code.

How a text is read:

1. Words are cut on anything that is not a letter or digit (so "Д/З" is two tokens and a
   pattern catches it; "дзюдо" never matches "ДЗ").
2. Abbreviations (ЭЖ, ДЗ, КТП, ...) are recognised as whole tokens *before* morphology,
   which would otherwise guess nonsense lemmas for them.
3. Every other word is reduced to its lemma with pymorphy3 (оценок -> оценка), cached.
   ё and е are the same letter for matching.
4. Phrases match first, on lemmas in order with a small gap allowed; the tokens a phrase
   uses are not counted again as single words. That is how «годовая оценка» counts for
   final marks and not also for marks, and how «заранее спасибо» (weight 0) hides the
   «спасибо» that would otherwise look like a thank-you note.
5. Single words match by lemma (any lemma of an ambiguous form), or by prefix
   ("четверт*", for jargon the dictionary lacks). A word the dictionary does not know that
   is one slip away from a rule word counts as that word (пороль -> пароль), in phrases too;
   as a single word it weighs `fuzzy_factor` of the full weight.
6. Latin look-alike letters inside Cyrillic words are read as Cyrillic («oценка»).
7. The subject counts `subject_weight` times more than the body: people put the topic there.

A category may set `priority_at`: once it reaches that score it wins over bigger topical
scores. Complaints use it, because a complaint about a person goes to that person's
supervisor whatever the technical topic is. Below `threshold` the answer is "other".

Also here: `guess_role_hint`, the sender's role as far as the text alone tells it.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pymorphy3

from mailbot.text import morph

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

_TOKEN_RE = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")
_POS_RE = re.compile(r"^<([A-Z]+)>$")
_CASE_MODES = ("any", "upper", "exact")


# --------------------------------------------------------------------------- morphology


def _analyzer() -> pymorphy3.MorphAnalyzer:
    return morph.analyzer()


@functools.lru_cache(maxsize=200_000)
def _analyse(word: str) -> tuple[str, frozenset[str], str, bool]:
    """(best lemma, all lemmas, part of speech, known to the dictionary) of a lower-case word.

    A form is often ambiguous («данных»: данные / данный / дать), and pymorphy's first guess
    need not be the sense the rules mean, so a known word matches a rule through any of its
    lemmas. For a word the dictionary does not know, the guesses are noise: only the first.
    """
    analyzer = _analyzer()
    parses = analyzer.parse(word)
    known = analyzer.word_is_known(word)
    best = _fold(parses[0].normal_form)
    lemmas = frozenset(_fold(p.normal_form) for p in parses) if known else frozenset((best,))
    return best, lemmas, str(parses[0].tag.POS or ""), known


def _rule_lemma(word: str) -> str:
    """The lemma a rule word stands for: the word itself when it is a dictionary form.

    A school writes «данные» meaning the noun; its first parse is a form of «дать».
    """
    best, lemmas, _pos, _known = _analyse(word)
    return word if word in lemmas else best


@functools.lru_cache(maxsize=20_000)
def _forms(lemma: str) -> frozenset[str]:
    """Every inflected form of a lemma, so a typo is measured against what people type."""
    forms = {lemma}
    for parse in _analyzer().parse(lemma):
        if _fold(parse.normal_form) == lemma:
            forms.update(_fold(f.word) for f in parse.lexeme)
    return frozenset(forms)


def _fold(text: str) -> str:
    return text.lower().replace("ё", "е")


_LOOKALIKES = str.maketrans("aceopxykmthbACEOPXYKMTHB", "асеорхукмтнвАСЕОРХУКМТНВ")
_CYRILLIC_RE = re.compile(r"[А-Яа-яЁё]")
_LATIN_RE = re.compile(r"[A-Za-z]")


def _unmix(word: str) -> str:
    """Latin look-alike letters inside a Cyrillic word become Cyrillic («oценка» -> «оценка»).

    Phones and copied text mix the alphabets; a mixed word would never match a rule.
    """
    if _LATIN_RE.search(word) and _CYRILLIC_RE.search(word):
        return word.translate(_LOOKALIKES)
    return word


# --------------------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Matcher:
    """One position of a term: a lemma, a surface prefix, an abbreviation or a part of speech."""

    kind: str  # "lemma" | "prefix" | "abbr" | "pos"
    value: str


@dataclass(frozen=True)
class Term:
    """A weighted word or phrase of one category, as the school wrote it."""

    category: str
    text: str
    weight: float
    parts: tuple[frozenset[Matcher], ...]  # alternatives per position


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
    abbreviations: Mapping[str, tuple[str, str]]  # folded token -> (canonical, case mode)
    phrases: tuple[Term, ...]
    words: Mapping[Matcher, tuple[Term, ...]]  # lemma and abbreviation matchers
    prefixes: tuple[tuple[str, Term], ...]
    patterns: tuple[Pattern, ...]
    priority_at: Mapping[str, float]
    order: tuple[str, ...]  # categories in file order, for ties
    titles: Mapping[str, str]  # category id -> the title people read (Russian)
    fuzzy_index: Mapping[str, frozenset[str]] = field(repr=False)  # deletion -> "form:lemma"


class _Bad(ValueError):
    pass


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
    except _Bad as exc:
        raise ValueError(f"{path}: {exc}") from None


def _compile(data: dict[str, Any], source: str) -> CategoryRules:
    _only(data, "", {"settings", "abbreviations", "categories"})
    settings = _table(data, "settings", required=False)
    _only(settings, "settings.", {
        "threshold", "subject_weight", "phrase_gap", "fuzzy_min_length", "fuzzy_factor",
    })
    abbreviations = _compile_abbreviations(_table(data, "abbreviations", required=False))
    categories = _table(data, "categories", required=True)
    if not categories:
        raise _Bad("categories: at least one category is needed")

    phrases: list[Term] = []
    words: dict[Matcher, list[Term]] = {}
    prefixes: list[tuple[str, Term]] = []
    patterns: list[Pattern] = []
    priority_at: dict[str, float] = {}
    for cat, body in categories.items():
        key = f"categories.{cat}"
        if cat not in _ALL_IDS:
            raise _Bad(f"{key}: unknown category id; use one of {', '.join(sorted(_ALL_IDS))}")
        if not isinstance(body, dict):
            raise _Bad(f"{key}: must be a table")
        _only(body, key + ".", {"title", "priority_at", "words", "phrases", "patterns"})
        if not isinstance(body.get("title", ""), str):
            raise _Bad(f"{key}.title: must be text")
        if "priority_at" in body:
            priority_at[cat] = _number(body["priority_at"], f"{key}.priority_at", positive=True)
        seen: dict[Matcher, str] = {}
        for text, weight in _table(body, "words", prefix=key).items():
            where = f"{key}.words.{text}"
            term = _term(cat, text, weight, where, abbreviations, single=True)
            (matcher,) = term.parts[0]
            if matcher in seen:
                raise _Bad(f"{where}: the same word as {seen[matcher]!r} ({matcher.value})")
            seen[matcher] = text
            if matcher.kind == "prefix":
                prefixes.append((matcher.value, term))
            else:
                words.setdefault(matcher, []).append(term)
        for text, weight in _table(body, "phrases", prefix=key).items():
            phrases.append(_term(cat, text, weight, f"{key}.phrases.{text}", abbreviations))
        for text, weight in _table(body, "patterns", prefix=key).items():
            where = f"{key}.patterns.{text}"
            try:
                regex = re.compile(text, re.IGNORECASE)
            except re.error as exc:
                raise _Bad(f"{where}: bad regular expression: {exc}") from None
            patterns.append(Pattern(cat, text, _number(weight, where), regex))

    # Longer phrases first, so that «не могу войти в дневник» claims its tokens before
    # a shorter phrase inside it does.
    phrases.sort(key=lambda t: (-len(t.parts), -t.weight))
    fuzzy_min_length = int(_number(settings.get("fuzzy_min_length", 5),
                                   "settings.fuzzy_min_length", positive=True))
    phrase_gap = int(_number(settings.get("phrase_gap", 2), "settings.phrase_gap"))
    if phrase_gap < 0:
        raise _Bad(f"settings.phrase_gap: must be 0 or more, got {phrase_gap}")
    # Typos are forgiven for every word a rule names, in phrases too.
    vocabulary = {m.value for m in words if m.kind == "lemma"} | {
        m.value for t in phrases for part in t.parts for m in part if m.kind == "lemma"
    }
    return CategoryRules(
        source=source,
        threshold=_number(settings.get("threshold", 2.0), "settings.threshold", positive=True),
        subject_weight=_number(settings.get("subject_weight", 1.5), "settings.subject_weight",
                               positive=True),
        phrase_gap=phrase_gap,
        fuzzy_min_length=fuzzy_min_length,
        fuzzy_factor=_number(settings.get("fuzzy_factor", 0.8), "settings.fuzzy_factor"),
        abbreviations=MappingProxyType(abbreviations),
        phrases=tuple(phrases),
        words=MappingProxyType({m: tuple(ts) for m, ts in words.items()}),
        prefixes=tuple(sorted(prefixes, key=lambda p: -len(p[0]))),
        patterns=tuple(patterns),
        priority_at=MappingProxyType(priority_at),
        order=tuple(categories),
        titles=MappingProxyType({cat: body.get("title", "") for cat, body in categories.items()}),
        fuzzy_index=MappingProxyType(_deletion_index(vocabulary, fuzzy_min_length)),
    )


def _only(table: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise _Bad(f"{prefix}{key}: unknown key; expected one of {', '.join(sorted(allowed))}")


def _table(parent: Mapping[str, Any], key: str, *, required: bool = False,
           prefix: str = "") -> dict[str, Any]:
    name = f"{prefix}.{key}" if prefix else key
    if key not in parent:
        if required:
            raise _Bad(f"{name}: missing")
        return {}
    value = parent[key]
    if not isinstance(value, dict):
        raise _Bad(f"{name}: must be a table")
    return value


def _number(value: Any, where: str, *, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Bad(f"{where}: must be a number, got {value!r}")
    if positive and value <= 0:
        raise _Bad(f"{where}: must be greater than 0, got {value!r}")
    return float(value)


def _compile_abbreviations(table: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    result: dict[str, tuple[str, str]] = {}
    for abbr, mode in table.items():
        where = f"abbreviations.{abbr}"
        if not _TOKEN_RE.fullmatch(abbr):
            raise _Bad(f"{where}: an abbreviation is one word of letters or digits")
        if mode not in _CASE_MODES:
            raise _Bad(f"{where}: must be one of {', '.join(_CASE_MODES)}, got {mode!r}")
        result[_fold(abbr)] = (abbr, mode)
    return result


def _term(cat: str, text: str, weight: Any, where: str,
          abbreviations: Mapping[str, tuple[str, str]], *, single: bool = False) -> Term:
    positions = text.split()
    if not positions:
        raise _Bad(f"{where}: empty word")
    if single and len(positions) != 1:
        raise _Bad(f"{where}: a word must be one word; put several words under phrases")
    if not single and len(positions) < 2:
        raise _Bad(f"{where}: a phrase needs at least two words; put one word under words")
    parts = []
    for position in positions:
        alternatives = frozenset(
            _matcher(alt, where, abbreviations, single) for alt in position.split("|")
        )
        if single and len(alternatives) != 1:
            raise _Bad(f"{where}: alternatives with | are for phrases only")
        parts.append(alternatives)
    return Term(cat, text, _number(weight, where), tuple(parts))


def _matcher(word: str, where: str, abbreviations: Mapping[str, tuple[str, str]],
             single: bool) -> Matcher:
    pos = _POS_RE.match(word)
    if pos:
        if single:
            raise _Bad(f"{where}: a part of speech like <INFN> is for phrases only")
        return Matcher("pos", pos.group(1))
    if word.endswith("*"):
        stem = _fold(word[:-1])
        if len(stem) < 3 or not _TOKEN_RE.fullmatch(stem):
            raise _Bad(f"{where}: a prefix needs at least 3 letters before *")
        return Matcher("prefix", stem)
    if not _TOKEN_RE.fullmatch(word):
        raise _Bad(f"{where}: {word!r} is not a word (letters and digits only, or stem*)")
    folded = _fold(word)
    if folded in abbreviations:
        return Matcher("abbr", abbreviations[folded][0])
    return Matcher("lemma", _rule_lemma(folded))


# --------------------------------------------------------------------------- typos


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1:] for i in range(len(word))} | {word}


def _deletion_index(vocabulary: Iterable[str], min_length: int) -> dict[str, frozenset[str]]:
    """Symmetric-deletion index over every form of the rule words.

    Two words one edit apart share a one-deletion form; each entry keeps "form:lemma" so
    that a typo of any inflected form («оцеки» for «оценки») leads back to its lemma.
    """
    index: dict[str, set[str]] = {}
    for lemma in vocabulary:
        for form in _forms(lemma):
            if len(form) >= min_length:
                for deleted in _deletions(form):
                    index.setdefault(deleted, set()).add(f"{form}:{lemma}")
    return {k: frozenset(v) for k, v in index.items()}


def _edit_kind(typed: str, form: str) -> int | None:
    """How `typed` differs from `form` by one edit, ranked by how common the slip is.

    0: a letter left out (the usual typo), 1: two letters swapped, 2: a wrong letter,
    3: a letter too many; None when they are not one edit apart. The rank settles a tie
    such as «оцеки»: оценки (a letter left out) rather than опеки (a wrong letter).
    """
    if typed == form:
        return None
    if len(typed) == len(form):
        diff = [i for i in range(len(typed)) if typed[i] != form[i]]
        if len(diff) == 1:
            return 2
        if (len(diff) == 2 and diff[1] == diff[0] + 1
                and typed[diff[0]] == form[diff[1]] and typed[diff[1]] == form[diff[0]]):
            return 1
        return None
    if len(typed) + 1 == len(form):
        return 0 if any(form[:i] + form[i + 1:] == typed for i in range(len(form))) else None
    if len(typed) == len(form) + 1:
        return 3 if any(typed[:i] + typed[i + 1:] == form for i in range(len(typed))) else None
    return None


def _fuzzy(word: str, rules: CategoryRules) -> str | None:
    """The vocabulary lemma a misspelt word most likely stands for, if the choice is clear."""
    by_kind: dict[int, set[str]] = {}
    for deleted in _deletions(word):
        for entry in rules.fuzzy_index.get(deleted, ()):
            form, lemma = entry.split(":", 1)
            kind = _edit_kind(word, form)
            if kind is not None:
                by_kind.setdefault(kind, set()).add(lemma)
    if not by_kind:
        return None
    best = by_kind[min(by_kind)]
    return next(iter(best)) if len(best) == 1 else None


# --------------------------------------------------------------------------- reading a text


@dataclass(frozen=True)
class Token:
    surface: str  # as written
    folded: str  # lower case, ё -> е
    lemma: str  # the most probable lemma
    lemmas: frozenset[str]  # every lemma of a known word
    pos: str
    known: bool
    abbr: str | None
    typo_of: str | None = None  # the rule lemma an unknown word is one slip away from


def tokenize(text: str, rules: CategoryRules) -> list[Token]:
    """Tokens with lemmas; abbreviations are taken whole and skip morphology."""
    tokens = []
    for match in _TOKEN_RE.finditer(text):
        surface = match.group()
        folded = _fold(_unmix(surface))
        entry = rules.abbreviations.get(folded)
        abbr = None
        if entry is not None:
            canonical, mode = entry
            if (mode == "any" or (mode == "upper" and surface.isupper())
                    or (mode == "exact" and surface == canonical)):
                abbr = canonical
        if abbr is not None:
            tokens.append(Token(surface, folded, folded, frozenset(), "ABBR", True, abbr))
            continue
        lemma, lemmas, pos, known = _analyse(folded)
        typo_of = None
        if not known and len(folded) >= rules.fuzzy_min_length:
            typo_of = _fuzzy(folded, rules)
            if typo_of is not None:
                lemmas = lemmas | {typo_of}  # so phrases see «не могу востановить пароль»
        tokens.append(Token(surface, folded, lemma, lemmas, pos, known, None, typo_of))
    return tokens


def _fits(matcher: Matcher, token: Token) -> bool:
    if matcher.kind == "abbr":
        return token.abbr == matcher.value
    if token.abbr is not None:
        return False
    if matcher.kind == "lemma":
        return matcher.value in token.lemmas
    if matcher.kind == "prefix":
        return token.folded.startswith(matcher.value)
    return token.pos == matcher.value


def _index(tokens: list[Token]) -> dict[str, list[int]]:
    """Where each lemma and abbreviation occurs, so a phrase scan starts only where it can."""
    where: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        for key in token.lemmas | ({token.abbr} if token.abbr else set()):
            where.setdefault(key, []).append(i)
    return where


def _starts(term: Term, tokens: list[Token], where: Mapping[str, list[int]]) -> list[int]:
    """Token positions where the phrase could begin; none if a needed word is absent."""
    for part in term.parts[1:]:
        if not any(m.kind in ("prefix", "pos") or m.value in where for m in part):
            return []
    first = term.parts[0]
    if any(m.kind in ("prefix", "pos") for m in first):
        return list(range(len(tokens)))
    return sorted({i for m in first for i in where.get(m.value, ())})


def _find_phrase(term: Term, tokens: list[Token], gap: int,
                 where: Mapping[str, list[int]]) -> list[tuple[int, ...]]:
    """All non-overlapping matches: positions in order, at most `gap` tokens between."""
    found: list[tuple[int, ...]] = []
    after = 0
    for start in _starts(term, tokens, where):
        if start < after:
            continue
        hit = _phrase_at(term, tokens, start, gap)
        if hit is not None:
            found.append(hit)
            after = hit[-1] + 1
    return found


def _phrase_at(term: Term, tokens: list[Token], start: int, gap: int) -> tuple[int, ...] | None:
    if not any(_fits(m, tokens[start]) for m in term.parts[0]):
        return None
    positions = [start]
    for part in term.parts[1:]:
        last = positions[-1]
        for i in range(last + 1, min(len(tokens), last + gap + 2)):
            if any(_fits(m, tokens[i]) for m in part):
                positions.append(i)
                break
        else:
            return None
    return tuple(positions)


# --------------------------------------------------------------------------- classifying


@dataclass(frozen=True)
class Classification:
    """The decision and its evidence, kept with the case so a person can check it."""

    category: str
    score: float
    scores: dict[str, float]
    reasons: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "score": self.score,
            "scores": dict(self.scores),
            "reasons": list(self.reasons),
        }


def _score_region(region: str, text: str, factor: float, rules: CategoryRules,
                  scores: dict[str, float], reasons: list[str]) -> None:
    """Add one region's (subject's or body's) evidence, each term counted once."""
    tokens = tokenize(text, rules)
    used: set[int] = set()
    seen: set[tuple[str, str]] = set()

    def add(cat: str, key: str, weight: float, what: str) -> None:
        if (cat, key) in seen:
            return
        seen.add((cat, key))
        points = round(weight * factor, 3)
        if points:
            scores[cat] = scores.get(cat, 0.0) + points
        reasons.append(f"{region}: {what} → {cat} {points:+.1f}")

    where = _index(tokens)
    for term in rules.phrases:
        for hit in _find_phrase(term, tokens, rules.phrase_gap, where):
            # A part-of-speech slot («как <INFN>») only frames the phrase: its word still
            # counts on its own («как войти» is about logging in).
            claimed = {i for i, part in zip(hit, term.parts, strict=True)
                       if not all(m.kind == "pos" for m in part)}
            if used.intersection(claimed):
                continue
            used.update(claimed)
            quoted = " ".join(tokens[i].surface for i in range(hit[0], hit[-1] + 1))
            add(term.category, "p:" + term.text, term.weight,
                f'phrase "{quoted}" ({term.text})')

    for i, token in enumerate(tokens):
        if i in used:
            continue
        if token.abbr is not None:
            for term in rules.words.get(Matcher("abbr", token.abbr), ()):
                add(term.category, term.text, term.weight,
                    f'"{token.surface}" (abbreviation {token.abbr})')
            continue
        for lemma in sorted(token.lemmas):
            for term in rules.words.get(Matcher("lemma", lemma), ()):
                if lemma == token.typo_of:
                    add(term.category, term.text, term.weight * rules.fuzzy_factor,
                        f'"{token.surface}" (typo for {lemma})')
                else:
                    add(term.category, term.text, term.weight,
                        f'"{token.surface}" (lemma {lemma})')
        for stem, term in rules.prefixes:
            if token.folded.startswith(stem):
                add(term.category, term.text, term.weight, f'"{token.surface}" (prefix {stem}*)')

    folded_text = _fold(text)
    for pattern in rules.patterns:
        hit = pattern.regex.search(folded_text)
        if hit:
            add(pattern.category, "re:" + pattern.text, pattern.weight,
                f'pattern "{hit.group().strip()}"')


def classify(subject: str, body: str, rules: CategoryRules) -> Classification:
    """Choose the category of a request from its subject and its new (unquoted) text."""
    scores: dict[str, float] = {}
    reasons: list[str] = []
    _score_region("subject", subject, rules.subject_weight, rules, scores, reasons)
    _score_region("body", body, 1.0, rules, scores, reasons)
    scores = {c: round(s, 3) for c, s in scores.items() if round(s, 3) != 0}
    category, score, why = _decide(scores, rules)
    return Classification(category, score, scores, (*reasons, why))


def _decide(scores: Mapping[str, float], rules: CategoryRules) -> tuple[str, float, str]:
    rank = {c: i for i, c in enumerate(rules.order)}
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], rank.get(kv[0], len(rank))))
    for cat, limit in sorted(rules.priority_at.items(), key=lambda kv: rank[kv[0]]):
        if scores.get(cat, 0.0) >= limit and ordered and ordered[0][0] != cat:
            return cat, scores[cat], (
                f"decision: {cat} {scores[cat]:.1f} reaches its priority {limit:.1f}, "
                f"over {ordered[0][0]} {ordered[0][1]:.1f}"
            )
    if not ordered or ordered[0][1] < rules.threshold:
        best = f"{ordered[0][0]} {ordered[0][1]:.1f}" if ordered else "nothing"
        return OTHER, 0.0, f"decision: other (best {best} is below {rules.threshold:.1f})"
    cat, score = ordered[0]
    runner = f"{ordered[1][0]} {ordered[1][1]:.1f}" if len(ordered) > 1 else "none"
    return cat, score, f"decision: {cat} {score:.1f} (next: {runner})"


# --------------------------------------------------------------------------- role hints

_PARENT = (r"(?:мама|мать|папа|отец|родитель|родительница|бабушка|дедушка|опекун"
           r"|законный представитель)")
_KID = r"(?:сын\w*|доч\w*|ребен\w*|дет(?:и|ей|ям|ьми)|внук\w*|внучк\w*)"
_PUPIL = r"(?:ученик|ученица|учащийся|учащаяся|обучающийся|обучающаяся|школьник|школьница)"
_STAFF = (r"(?:учитель|учительница|педагог|классный руководитель|кл\.?\s*рук\w*|логопед"
          r"|психолог|завуч|социальный педагог|совместитель|молодой специалист"
          r"|зам\w*\.?\s+директора|администратор|секретарь)")
_NAME = r"(?:[а-я]+\s+[а-я]\.\s*(?:[а-я]\.)?,?\s*)"  # «петрова н.в.,»

# (role, points, what it means, regex). Anywhere in the text:
_TEXT_CUES: tuple[tuple[str, float, str, str], ...] = (
    ("parent", 3.0, "«я мама/папа/…»", rf"\bя\s*[-—,]?\s*{_PARENT}\b"),
    ("parent", 2.0, "«мой сын / моя дочь / наш ребёнок»", rf"\b(?:мо[йяеюи]\w*|наш\w*)\s+{_KID}"),
    ("parent", 2.0, "writes about a son or daughter",
     (r"\b(?:сын|сына|сыну|сыном|сыне|дочь|дочери|дочерью|дочка|дочки|дочке|дочку|дочкой"
      r"|внук\w*|внучк\w*)\b")),
    ("parent", 3.0, "«как родитель / роль — родитель»",
     r"\b(?:как|роль\W{1,3}|в\s+роли)\s*родител[ья]\b"),
    ("parent", 2.0, "«у меня двое детей»", r"\bу\s+(?:меня|нас)\s+(?:двое|трое|\d)\s+дет"),
    ("parent", 1.0, "«ребёнку поставили»",
     r"\b(?:ребенку|сыну|дочери|дочке)\s+(?:поставили|вывели|выставили)"),
    ("student", 3.0, "«я ученик/ученица»", rf"\bя\s*[-—,]?\s*{_PUPIL}\b"),
    ("student", 3.0, "«я учусь / я в N классе»",
     r"\bя\s+(?:учусь|в\s+\d{1,2}\s*[а-я]?\s+классе)\b"),
    ("student", 2.0, "«мне N лет»", r"\bмне\s+1?\d\s+(?:лет|год)"),
    ("student", 2.0, "«мне поставили»",
     (r"\bмне\s+(?:не\s+)?(?:(?:по|вы)?ставил[аи]?|ставят|ставит)\b"
      r"|\b(?:ставит|ставят|поставил[аи]?)\s+мне\b")),
    ("student", 1.5, "«одноклассники»", r"\bодноклассни\w*"),
    ("student", 1.0, "«у меня оценки»",
     r"\bу\s+меня\s+(?:не\s+\w+\s+)?(?:оценк|отметк|итогов|средний|двойк)\w*"),
    ("teacher", 3.0, "«я учитель/…»", rf"\bя\s*[-—,]?\s*(?:новый\s+|новая\s+)?{_STAFF}\b"),
    ("teacher", 2.0, "«коллеги»", r"(?:^|[\s,])коллеги\b"),
    ("teacher", 2.0, "«в моём классе / мои ученики»",
     r"\b(?:в\s+моем\s+классе|у\s+меня\s+в\s+классе|мо(?:и|их|им)\s+учени\w*)"),
    ("teacher", 2.0, "«я поставила / выдала…»",
     r"\bя\s+(?:\w+\s+){0,2}(?:поставил|выставил|выдал|провел|задал)[аи]?\b"),
    ("teacher", 2.0, "«я веду предмет»", r"\bя\s+(?:\w+\s+)?веду\b|\bведу\s+[а-я]+\s+(?:в|с)\b"),
    ("teacher", 1.5, "«у меня в журнале»",
     r"\bу\s+меня\s+в\s+журнале\b|\bв\s+журнале\s+у\s+меня\b"),
)
# Only in the closing lines, where people sign: «Мама Иванова Кирилла, 5б»,
# «Петрова Н.В., учитель математики». In the middle of a text the same words are about
# someone else («Родитель ученика 5Б пишет мне…»).
_SIGNATURE_CUES: tuple[tuple[str, float, str, str], ...] = (
    ("parent", 3.0, "signed as a parent",
     (rf"^(?:с уважением,?\s*)?{_PARENT}\s+(?:ученик\w*|учащ\w*|обучающ\w*|[а-я]+(?:а|ы|и)\b)"
      rf"(?P<tail>(?:[\s,]+\S+){{0,4}})\s*$")),
    ("teacher", 2.5, "signed with a school position",
     (rf"^(?:с уважением,?\s*)?(?:[^,]{{0,40}},\s*)?{_NAME}?{_STAFF}"
      rf"(?P<tail>(?:[\s,]+\S+){{0,3}})\s*$")),
)
# A signature names, it does not tell: «учитель говорит, что выставила» is not one.
_NOT_IN_SIGNATURE = frozenset({"VERB", "INFN", "CONJ", "PRCL", "NPRO", "PRTS", "GRND"})


def _plain_tail(tail: str) -> bool:
    return not any(_analyse(w)[2] in _NOT_IN_SIGNATURE for w in _TOKEN_RE.findall(tail))


def _compile_cues(cues: tuple[tuple[str, float, str, str], ...],
                  ) -> tuple[tuple[str, float, str, re.Pattern[str]], ...]:
    return tuple((role, points, label, re.compile(rx)) for role, points, label, rx in cues)


_TEXT_RES = _compile_cues(_TEXT_CUES)
_SIGNATURE_RES = _compile_cues(_SIGNATURE_CUES)


def _closing_lines(text: str) -> list[str]:
    """The last two short lines, and the last sentence when it is short (a signature
    written on the same line: «… как мне вести журнал? учитель музыки»)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    closing = [line for line in lines[-2:] if len(line) <= 80]
    if lines:
        last_sentence = re.split(r"[.!?]\s+", lines[-1])[-1].strip()
        if last_sentence and len(last_sentence) <= 60 and last_sentence not in closing:
            closing.append(last_sentence)
    return closing


def guess_role_hint(text: str) -> tuple[str | None, list[str]]:
    """Guess whether the writer is a parent, a student or a teacher from their own text.

    Only a hint: the staff list decides for known addresses elsewhere. The answer is None
    unless one role has clear evidence (at least 2 points and 1 more than any other).
    """
    folded = _fold(text)
    points: dict[str, float] = {}
    reasons: list[str] = []

    def score(role: str, weight: float, label: str, found: str) -> None:
        points[role] = points.get(role, 0.0) + weight
        reasons.append(f'{role} +{weight:.1f}: {label} "{found.strip()}"')

    for role, weight, label, regex in _TEXT_RES:
        hit = regex.search(folded)
        if hit:
            score(role, weight, label, hit.group())
    closing = _closing_lines(folded)
    for role, weight, label, regex in _SIGNATURE_RES:
        hits = (regex.search(line) for line in closing)
        hit = next((h for h in hits if h and _plain_tail(h.groupdict().get("tail") or "")), None)
        if hit:
            score(role, weight, label, hit.group())

    ranked = sorted(points.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < 2.0:
        return None, reasons
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < 1.0:
        reasons.append("no clear role: the hints disagree")
        return None, reasons
    return ranked[0][0], reasons
