"""The one pymorphy3 analyser of the process, shared by classification, routing and
etiquette: loading the dictionary takes a quarter of a second and tens of megabytes, so it is
loaded on first use, not on import.

Its `parse` is remembered per word (the last `PARSES` distinct words, as a tuple of
pymorphy3's immutable parses): a long mail repeats its words and every mail repeats the
common ones, and a parse costs tens of microseconds of dictionary walking each time.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pymorphy3
    from pymorphy3.analyzer import Parse

PARSES = 20_000


class Analyzer:
    """pymorphy3's analyser with `parse` cached per word; everything else passes through."""

    def __init__(self, real: pymorphy3.MorphAnalyzer) -> None:
        self.real = real
        self.parse = functools.lru_cache(maxsize=PARSES)(self._parse)

    def _parse(self, word: str) -> tuple[Parse, ...]:
        return tuple(self.real.parse(word))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@functools.lru_cache(maxsize=1)
def analyzer() -> Analyzer:
    import pymorphy3

    return Analyzer(pymorphy3.MorphAnalyzer())
