"""Sort a request into one help category, and say why.

Every point a category gets comes from a word, phrase or pattern of `config/categories.toml`
(`mailbot.text.category_rules`), and the decision keeps the list of those hits as its reasons,
so a school can read a decision and correct the vocabulary. The text is read as described in
`mailbot.text.tokens`; then:

1. Phrases match first, on lemmas in order with a small gap allowed; the tokens a phrase
   uses are not counted again as single words. That is how «годовая оценка» counts for
   final marks and not also for marks, and how «заранее спасибо» (weight 0) hides the
   «спасибо» that would otherwise look like a thank-you note.
2. Single words match by lemma (any lemma of an ambiguous form), or by prefix
   ("четверт*", for jargon the dictionary lacks). A word the dictionary does not know that
   is one slip away from a rule word counts as that word (пороль -> пароль), in phrases too;
   as a single word it weighs `fuzzy_factor` of the full weight.
3. Patterns are searched in the folded text (lower case, ё as е), only where they can
   match (`category_rules.pattern_hits`).
4. The subject counts `subject_weight` times more than the body: people put the topic there.

A category may set `priority_at`: once it reaches that score it wins over bigger topical
scores. Complaints use it, because a complaint about a person goes to that person's
supervisor whatever the technical topic is. Below `threshold` the answer is "other".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mailbot.text import memo
from mailbot.text.category_rules import (
    CATEGORY_IDS,
    OTHER,
    CategoryRules,
    load_rules,
    pattern_hits,
)
from mailbot.text.terms import Matcher
from mailbot.text.tokens import (
    Token,
    claimed,
    find_phrase,
    phrase_candidates,
    quoted,
    read,
    rule_keys,
    tokenize,
)
from mailbot.text.words import fold

# Imported elsewhere from here: the categories and the rules (category_rules), tokenize (tokens).
__all__ = ["CATEGORY_IDS", "OTHER", "CategoryRules", "Classification", "classify", "load_rules",
           "tokenize"]


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
    tokens, where = read(text, rules, _phrase_keys(rules))
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

    for term in phrase_candidates(rules, rules.phrases, where):
        for hit in find_phrase(term, tokens, rules.phrase_gap, where):
            uses = claimed(hit, term)
            if used.intersection(uses):
                continue
            used.update(uses)
            add(term.category, "p:" + term.text, term.weight,
                f'phrase "{quoted(tokens, hit)}" ({term.text})')

    evidence = memo.table(rules, "words")
    for i, token in enumerate(tokens):
        if i in used:
            continue
        hits = evidence.get(token.surface)
        if hits is None:
            hits = evidence[token.surface] = _word_evidence(token, rules)
        for cat, key, weight, what in hits:
            add(cat, key, weight, what)

    for pattern, hit in pattern_hits(rules, fold(text)):
        add(pattern.category, "re:" + pattern.text, pattern.weight,
            f'pattern "{hit.group().strip()}"')


def _phrase_keys(rules: CategoryRules) -> frozenset[str]:
    """The words the phrases look up in a text's index (the single words do not)."""
    return memo.once(rules, "phrase_keys", lambda: rule_keys(rules.phrases))


def _word_evidence(token: Token, rules: CategoryRules,
                   ) -> tuple[tuple[str, str, float, str], ...]:
    """What one word alone says, as (category, term, weight, reason): by abbreviation, by
    any lemma (a typo's at `fuzzy_factor`), by prefix. The same for every mail, so it is
    worked out once per word (`memo`)."""
    if token.abbr is not None:
        return tuple((term.category, term.text, term.weight,
                      f'"{token.surface}" (abbreviation {token.abbr})')
                     for term in rules.words.get(Matcher("abbr", token.abbr), ()))
    found: list[tuple[str, str, float, str]] = []
    for lemma in sorted(token.lemmas):
        for term in rules.words.get(Matcher("lemma", lemma), ()):
            if lemma == token.typo_of:
                found.append((term.category, term.text, term.weight * rules.fuzzy_factor,
                              f'"{token.surface}" (typo for {lemma})'))
            else:
                found.append((term.category, term.text, term.weight,
                              f'"{token.surface}" (lemma {lemma})'))
    for stem, term in rules.prefixes:
        if token.folded.startswith(stem):
            found.append((term.category, term.text, term.weight,
                          f'"{token.surface}" (prefix {stem}*)'))
    return tuple(found)


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


