"""The one pymorphy3 analyser of the process, shared by classification, routing and
etiquette: loading the dictionary takes a quarter of a second and tens of megabytes, so it is
loaded on first use, not on import."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pymorphy3


@functools.lru_cache(maxsize=1)
def analyzer() -> pymorphy3.MorphAnalyzer:
    import pymorphy3

    return pymorphy3.MorphAnalyzer()
