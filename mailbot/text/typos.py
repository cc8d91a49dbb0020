"""Forgiving one slip of the keyboard in a word the dictionary does not know.

A word that is one edit away from a rule word counts as that word (пороль -> пароль). The
rule words are indexed by symmetric deletion: two words one edit apart share a form with one
letter deleted, so a lookup costs a few dictionary probes instead of a comparison with every
rule word. A rule file holds its index as a `DeletionIndex`, built on the first lookup: a
run that meets no unknown word (an empty mailbox, `mailbot check`) never pays for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping

from mailbot.text.words import forms

TypoIndex = Mapping[str, tuple[str, ...]]  # deletion -> ("form:lemma", ...)


def _deletions(word: str) -> set[str]:
    found = {word[:i] + word[i + 1:] for i in range(len(word))}
    found.add(word)
    return found


def deletion_index(vocabulary: Iterable[str], min_length: int) -> dict[str, tuple[str, ...]]:
    """Symmetric-deletion index over every form of the rule words.

    Two words one edit apart share a one-deletion form; each entry keeps "form:lemma" so
    that a typo of any inflected form («оцеки» for «оценки») leads back to its lemma. The
    index holds tens of thousands of keys, so its values are small tuples sharing one
    "form:lemma" string per form (sets, and a string per deletion, took twice the memory).
    The tuples are built as the index grows (most keys get one entry, none more than a
    dozen): lists turned into tuples at the end took twice the time, half of it in the
    garbage collector walking a list for every key. The keys with one entry share one
    tuple per form.
    """
    index: dict[str, tuple[str, ...]] = {}
    get = index.get
    # Each lemma once: then every "form:lemma" is new, and each of its deletions is
    # distinct, so nothing is added to a key twice.
    for lemma in dict.fromkeys(vocabulary):
        for form in forms(lemma):
            if len(form) >= min_length:
                entry = (f"{form}:{lemma}",)
                for deleted in _deletions(form):
                    found = get(deleted)
                    index[deleted] = entry if found is None else found + entry
    return index


class DeletionIndex(Mapping[str, tuple[str, ...]]):
    """The `deletion_index` of a vocabulary, built when it is first looked at.

    A rule file makes one as it loads: the rule words are kept then, the index is built
    when a lookup first needs it (once, under a lock, whichever thread asks first) and is
    only read from then on.
    """

    def __init__(self, vocabulary: Iterable[str], min_length: int) -> None:
        self._vocabulary = tuple(dict.fromkeys(vocabulary))
        self._min_length = min_length
        self._index: dict[str, tuple[str, ...]] | None = None
        self._longest = 0
        self._lock = threading.Lock()

    def built(self) -> dict[str, tuple[str, ...]]:
        """The index itself (made now if no lookup made it yet)."""
        index = self._index
        if index is None:
            with self._lock:
                if self._index is None:
                    made = deletion_index(self._vocabulary, self._min_length)
                    self._longest = max(map(len, made), default=0)
                    self._index = made
                index = self._index
        return index

    def longest(self) -> int:
        """The length of the longest form indexed (its keys include the forms whole)."""
        self.built()
        return self._longest

    def __getitem__(self, key: str) -> tuple[str, ...]:
        return self.built()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.built())

    def __len__(self) -> int:
        return len(self.built())


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


def typo_of(word: str, index: TypoIndex) -> str | None:
    """The vocabulary lemma a misspelt word most likely stands for, if the choice is clear."""
    # The built dict's own get: a word probes the index a dozen times.
    if isinstance(index, DeletionIndex):
        probe, longest = index.built().get, index.longest()
    else:
        probe, longest = index.get, max(map(len, index), default=0)
    if len(word) > longest + 1:
        # One edit from no form: nothing to look up. A pasted run of letters thousands
        # long would otherwise make that many deletions, each as long (a worker stopped
        # for minutes on one mail).
        return None
    by_kind: dict[int, set[str]] = {}
    for deleted in _deletions(word):
        for entry in probe(deleted, ()):
            form, lemma = entry.split(":", 1)
            kind = _edit_kind(word, form)
            if kind is not None:
                by_kind.setdefault(kind, set()).add(lemma)
    if not by_kind:
        return None
    best = by_kind[min(by_kind)]
    return next(iter(best)) if len(best) == 1 else None
