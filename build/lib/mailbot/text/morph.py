"""The one pymorphy3 analyser of the process, shared by classification, routing and
etiquette: loading the dictionary takes a quarter of a second and tens of megabytes."""

from __future__ import annotations

import functools

import pymorphy3


@functools.lru_cache(maxsize=1)
def analyzer() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()
