"""Memo tables kept per compiled rule file: a word is read once per process, not per mail.

A request of a few thousand words repeats most of them, and the next request repeats most
of those again; what one word means to a rule file (its lemmas, its category evidence,
whether it is a bad word) never changes while that rule file lives. `table(rules, name)`
gives the dictionary for one kind of reading of one rule file; it goes away with the rule
file, and is emptied when it grows past `LIMIT` entries, so memory stays flat however much
mail passes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

LIMIT = 50_000

_tables: dict[tuple[int, str], tuple[weakref.ref[Any], dict[Any, Any]]] = {}


def table(owner: object, name: str) -> dict[Any, Any]:
    """The memo `name` of a rule file (any object that can be weakly referenced)."""
    key = (id(owner), name)
    entry = _tables.get(key)
    if entry is not None and entry[0]() is owner:
        memo = entry[1]
        if len(memo) > LIMIT:
            memo.clear()
        return memo
    memo = {}
    _tables[key] = (weakref.ref(owner, lambda _dead, key=key: _tables.pop(key, None)), memo)
    return memo


def once(owner: object, name: str, make: Callable[[], T]) -> T:
    """A value derived from a rule file alone (its phrases' index keys, say), made on first
    use and kept as long as the rule file lives."""
    kept = table(owner, name)
    if not kept:
        kept[name] = make()
    return kept[name]  # type: ignore[no-any-return]
