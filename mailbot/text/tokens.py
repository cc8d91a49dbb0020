"""A request's text as tokens with lemmas, and where a rule's phrase occurs in it.

How a text is read (the classifier and the knowledge base read alike):

1. Words are cut on anything that is not a letter or digit (so "Д/З" is two tokens and a
   pattern catches it; "дзюдо" never matches "ДЗ").
2. Abbreviations (ЭЖ, ДЗ, КТП, ...) are recognised as whole tokens *before* morphology,
   which would otherwise guess nonsense lemmas for them.
3. Every other word is reduced to its lemmas with pymorphy3 (оценок -> оценка); a word is
   read once per rule file and process (`mailbot.text.memo`).
   ё and е are the same letter for matching; Latin look-alike letters inside Cyrillic words
   are read as Cyrillic («oценка»).
4. A word the dictionary does not know that is one slip away from a rule word carries that
   word as an extra lemma (`typo_of`), so phrases see «не могу востановить пароль».
5. A phrase matches on lemmas in order, with at most `gap` other tokens between its words.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple, Protocol

from mailbot.text import memo
from mailbot.text.terms import Abbreviations, Matcher, Term
from mailbot.text.typos import TypoIndex, typo_of
from mailbot.text.words import WORD_RE, analyse, fold, unmix


class Vocabulary(Protocol):
    """What reading a text needs from a rule file: its abbreviations and its typo index."""

    @property
    def abbreviations(self) -> Abbreviations: ...

    @property
    def fuzzy_min_length(self) -> int: ...

    @property
    def fuzzy_index(self) -> TypoIndex: ...


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


def tokenize(text: str, rules: Vocabulary) -> list[Token]:
    """Tokens with lemmas; abbreviations are taken whole and skip morphology. Each distinct
    word is read once per rule file and process (`memo`): tokens are immutable and shared."""
    read = memo.table(rules, "tokens")
    tokens = []
    for surface in WORD_RE.findall(text):
        token = read.get(surface)
        if token is None:
            token = read[surface] = _read(surface, rules)
        tokens.append(token)
    return tokens


def read(text: str, rules: Vocabulary, keys: AbstractSet[str], stems: Sequence[str] = (),
         ) -> tuple[list[Token], dict[str, list[int]]]:
    """`tokenize` and `index` in one pass, the index kept to `keys`: the lemmas and
    abbreviations a rule file looks up (always the same set for one rule file; see
    `rule_keys`). No other key is ever asked for, and most words of a mail are none of
    them, so what a word adds to the index is worked out once per word and rule file.
    The words (not abbreviations) that start with one of `stems` (the rule file's
    "stem*" words, also always the same) are indexed under `prefix_key(stem)`."""
    seen = memo.table(rules, "read")
    words = WORD_RE.findall(text)
    for surface in set(words).difference(seen):  # the words this process has not read yet
        token = _read(surface, rules)
        seen[surface] = (token, _index_keys(token, keys, stems))
    # The rest is a lookup per word, done by map in C; only the few words a rule file looks
    # up are visited one by one.
    entries = list(map(seen.__getitem__, words))
    where: dict[str, list[int]] = {}
    for i in [i for i, entry in enumerate(entries) if entry[1]]:
        for key in entries[i][1]:
            where.setdefault(key, []).append(i)
    return list(map(itemgetter(0), entries)), where


def _index_keys(token: Token, keys: AbstractSet[str], stems: Sequence[str],
                ) -> tuple[str, ...]:
    """The keys of a text's index a token is listed under (see `read`)."""
    wanted = [key for key in token.lemmas if key in keys]
    if token.abbr is None:
        wanted.extend(prefix_key(stem) for stem in stems if token.folded.startswith(stem))
    elif token.abbr not in token.lemmas and token.abbr in keys:
        wanted.append(token.abbr)
    return tuple(wanted)


def prefix_key(stem: str) -> str:
    """The key of `read`'s index for the words that start with `stem` ("stem*": no lemma
    or abbreviation has a star)."""
    return stem + "*"


def rule_keys(terms: Iterable[Term]) -> frozenset[str]:
    """The lemmas and abbreviations of terms: the keys of `index` they can look up."""
    return frozenset(m.value for term in terms for part in term.parts for m in part
                     if m.kind in ("lemma", "abbr"))


def _read(surface: str, rules: Vocabulary) -> Token:
    folded = fold(unmix(surface))
    entry = rules.abbreviations.get(folded)
    if entry is not None:
        canonical, mode = entry
        if (mode == "any" or (mode == "upper" and surface.isupper())
                or (mode == "exact" and surface == canonical)):
            return Token(surface, folded, folded, frozenset(), "ABBR", True, canonical)
    lemma, lemmas, pos, known = analyse(folded)
    typo = None
    if not known and len(folded) >= rules.fuzzy_min_length:
        typo = typo_of(folded, rules.fuzzy_index)
        if typo is not None:
            lemmas = lemmas | {typo}  # so phrases see «не могу востановить пароль»
    return Token(surface, folded, lemma, lemmas, pos, known, None, typo)


def fits(matcher: Matcher, token: Token) -> bool:
    """Whether one position of a term accepts a token."""
    if matcher.kind == "abbr":
        return token.abbr == matcher.value
    if token.abbr is not None:
        return False
    if matcher.kind == "lemma":
        return matcher.value in token.lemmas
    if matcher.kind == "prefix":
        return token.folded.startswith(matcher.value)
    return token.pos == matcher.value


def index(tokens: list[Token]) -> dict[str, list[int]]:
    """Where each lemma and abbreviation occurs, so a phrase scan starts only where it can."""
    where: dict[str, list[int]] = {}
    for i, token in enumerate(tokens):
        for key in token.lemmas:
            where.setdefault(key, []).append(i)
        if token.abbr and token.abbr not in token.lemmas:
            where.setdefault(token.abbr, []).append(i)
    return where


def anchor(term: Term) -> frozenset[str] | None:
    """Keys one of which a text's `index` must hold for the phrase to match: the values of
    one of its parts made only of lemmas and abbreviations — the part whose shortest word
    is longest, as short words («не», «в», «как») are in almost every mail. None when
    every part has a prefix or a part of speech: such a phrase can match any text."""
    keyed = [frozenset(m.value for m in part) for part in term.parts if not _is_open(part)]
    if not keyed:
        return None
    return max(keyed, key=lambda values: min(len(v) for v in values))


def _is_open(part: frozenset[Matcher]) -> bool:
    """Whether a position of a phrase has a prefix or a part of speech, so that it is not
    looked up in the index (asked once per phrase: by `anchor` and `_plan`)."""
    return any(m.kind in ("prefix", "pos") for m in part)


class KeyIndex:
    """Items of a rule file (phrases, articles) by the `index` keys they need, built once:
    a text is then tried only on the items whose keys it holds (a few of hundreds).

    `needs[n]` is the keys one of which item n needs, or None for an item that can match
    any text. Candidates come back in the items' order, because earlier phrases claim their
    tokens first."""

    def __init__(self, needs: Sequence[frozenset[str] | None]) -> None:
        self.always: list[int] = []
        self.by_key: dict[str, list[int]] = {}
        for n, keys in enumerate(needs):
            if keys is None:
                self.always.append(n)
            for key in keys or ():
                self.by_key.setdefault(key, []).append(n)

    def candidates(self, where: Mapping[str, list[int]]) -> list[int]:
        """The numbers of the items that may match a text with this `index`, in order; the
        others cannot match it."""
        found = set(self.always)
        by_key = self.by_key
        if len(where) < len(by_key):
            for key in where:
                numbers = by_key.get(key)
                if numbers:
                    found.update(numbers)
        else:
            for key, numbers in by_key.items():
                if key in where:
                    found.update(numbers)
        return sorted(found)


def phrase_candidates(owner: object, terms: tuple[Term, ...],
                      where: Mapping[str, list[int]]) -> list[Term]:
    """The phrases of a rule file (`owner`) that may occur in a text with this `index`, in
    their order; the `KeyIndex` is made on first use and kept with the rule file."""
    kept = memo.table(owner, "phrase_index")
    found = kept.get("phrases")
    if found is None or found[0] is not terms:
        found = kept["phrases"] = (terms, KeyIndex([anchor(term) for term in terms]))
    return [terms[n] for n in found[1].candidates(where)]


class _Plan(NamedTuple):
    """What matching needs of a phrase beyond its text, worked out once per phrase of a
    loaded rule file (`_plan`)."""

    term: Term  # kept so that its id stays its own
    # Per position, the values of its matchers, looked up in a text's index; None for a
    # position with a prefix or a part of speech (`_is_open`), tried on the tokens instead.
    lookups: tuple[tuple[str, ...] | None, ...]
    claims: tuple[int, ...]  # the positions whose tokens a match uses up (`claimed`)
    first: tuple[Matcher, ...]  # the matchers of the first position
    later: tuple[tuple[frozenset[Matcher], tuple[str, ...] | None], ...]  # the others, lookups


_PLANS: dict[int, _Plan] = {}  # id of a phrase -> its plan


def _plan(term: Term) -> _Plan:
    """The plan of a phrase, made on its first use; kept by identity (equal phrases of two
    rule files would compare their parts one by one)."""
    found = _PLANS.get(id(term))
    if found is None:
        if len(_PLANS) > memo.LIMIT:
            _PLANS.clear()
        lookups = tuple(None if _is_open(part) else tuple(m.value for m in part)
                        for part in term.parts)
        found = _PLANS[id(term)] = _Plan(
            term,
            lookups,
            tuple(j for j, part in enumerate(term.parts)
                  if not all(m.kind == "pos" for m in part)),
            tuple(term.parts[0]),
            tuple(zip(term.parts[1:], lookups[1:], strict=True)),
        )
    return found


def _starts(term: Term, tokens: list[Token], where: Mapping[str, list[int]],
            gap: int) -> Sequence[int]:
    """Token positions where the phrase could begin; none if a needed word is absent."""
    plan = _plan(term)
    lookups = plan.lookups
    present = where.keys()
    for values in lookups[1:]:
        if values is not None and present.isdisjoint(values):
            return []
    first = lookups[0]
    if first is None:
        # Only where the first word fits: a long mail has thousands of tokens.
        starts = [i for i, token in enumerate(tokens)
                  if any(fits(m, token) for m in plan.first)]
    elif len(first) == 1:
        starts = where.get(first[0], [])  # already in order; only read
    else:
        starts = sorted({i for value in first for i in where.get(value, ())})
    return _within_reach(lookups, starts, where, gap) if len(starts) > 1 else starts


def _within_reach(lookups: tuple[tuple[str, ...] | None, ...], starts: Sequence[int],
                  where: Mapping[str, list[int]], gap: int) -> Sequence[int]:
    """The starts from which the phrase's rarest indexed later word is within reach.

    Word j of a match lies j to j*(gap+1) tokens after its start, so a start with no
    occurrence of that word in its window cannot match: «не» occurs hundreds of times in a
    long mail, «оценки» after it a few.
    """
    rarest: tuple[int, Sequence[int]] | None = None
    for j, values in enumerate(lookups[1:], start=1):
        if values is None:
            continue
        if len(values) == 1:
            spots: Sequence[int] = where.get(values[0], ())
        else:
            spots = [i for value in values for i in where.get(value, ())]
        if rarest is None or len(spots) < len(rarest[1]):
            rarest = (j, spots)
    if rarest is None or len(rarest[1]) >= len(starts):
        return starts
    j, spots = rarest
    keep: set[int] = set()
    for spot in spots:
        keep.update(starts[bisect_left(starts, spot - j * (gap + 1)):
                           bisect_right(starts, spot - j)])
    return sorted(keep)


def find_phrase(term: Term, tokens: list[Token], gap: int,
                where: Mapping[str, list[int]]) -> list[tuple[int, ...]]:
    """All non-overlapping matches: positions in order, at most `gap` tokens between.

    `where` is the text's `index`.
    """
    return list(phrase_hits(term, tokens, gap, where))


def phrase_hits(term: Term, tokens: list[Token], gap: int,
                where: Mapping[str, list[int]]) -> Iterator[tuple[int, ...]]:
    """The matches of `find_phrase` one by one, for a caller that may need only the first."""
    after = 0
    for start in _starts(term, tokens, where, gap):
        if start < after:
            continue
        hit = _phrase_at(term, tokens, start, gap, where)
        if hit is not None:
            yield hit
            after = hit[-1] + 1


def _phrase_at(term: Term, tokens: list[Token], start: int, gap: int,
               where: Mapping[str, list[int]]) -> tuple[int, ...] | None:
    plan = _plan(term)
    first = tokens[start]
    if not any(fits(m, first) for m in plan.first):
        return None
    positions = [start]
    last = start
    end = len(tokens)
    for part, values in plan.later:
        hi = min(end, last + gap + 2)
        if values is None:
            found = next((i for i in range(last + 1, hi)
                          if any(fits(m, tokens[i]) for m in part)), None)
        else:
            found = _first_fit(part, tokens, where, last + 1, hi)
        if found is None:
            return None
        positions.append(found)
        last = found
    return tuple(positions)


def _first_fit(part: frozenset[Matcher], tokens: list[Token], where: Mapping[str, list[int]],
               lo: int, hi: int) -> int | None:
    """The first position in [lo, hi) a matcher of an indexed part accepts: its lemmas and
    abbreviations are looked up in the text's index rather than tried on every token."""
    best: int | None = None
    for m in part:
        spots = where.get(m.value, ())
        for k in range(bisect_left(spots, lo), len(spots)):
            i = spots[k]
            if i >= hi or (best is not None and i >= best):
                break
            if fits(m, tokens[i]):
                best = i
                break
    return best


def claimed(hit: tuple[int, ...], term: Term) -> set[int]:
    """The tokens a phrase match uses up, so that its words do not count again alone.

    A part-of-speech slot («как <INFN>») only frames the phrase: its word still counts on
    its own («как войти» is about logging in).
    """
    return {hit[j] for j in _plan(term).claims}


def quoted(tokens: list[Token], hit: tuple[int, ...]) -> str:
    """The words of a phrase match as written, gaps included, for a reason people read."""
    return " ".join(tokens[i].surface for i in range(hit[0], hit[-1] + 1))
