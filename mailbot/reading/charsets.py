"""Decoding of Russian mail bytes whose charset label cannot be trusted.

Russian mail still arrives in koi8-r, windows-1251 and (from old DOS-era tools) cp866, often
with a missing or wrong charset label (automated senders such as 1C, scanners, old Outlook and
The Bat!): koi8-r bytes labelled ``us-ascii`` or ``iso-8859-1``, cp1251 labelled ``koi8-r``.
So the declared label is only one candidate: the bytes are read with it and with a handful of
fallback codecs, each reading is scored by plausibility.py, and the most plausible one wins.
The declared label gets a bonus: it wins whenever its reading is about as plausible as the
best alternative, which keeps correct latin-1 German or pure ASCII text unchanged.

Labels are normalised by charset_names.py; header values and MIME parameters are decoded on
top of this module by header_text.py.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from mailbot.reading.charset_names import ascii_compatible, normalize_charset
from mailbot.reading.plausibility import plausibility

__all__ = ["best_codec", "decode_bytes", "try_decode"]

# Codecs tried when the label is missing or wrong, with a small prior each: cp1251 is the
# most common one-byte Russian charset, cp1252 (Western) the least likely here.
_UTF8 = codecs.lookup("utf-8").name
_FALLBACKS: tuple[tuple[str, float], ...] = (
    (_UTF8, 0.0),
    (codecs.lookup("cp1251").name, 0.03),
    (codecs.lookup("koi8-r").name, 0.0),
    (codecs.lookup("cp866").name, -0.03),
    (codecs.lookup("cp1252").name, -0.08),
)
# The declared label wins unless another reading is clearly more plausible.
_DECLARED_BONUS = 0.15
# Valid multi-byte utf-8 almost never arises by chance from Cyrillic in a one-byte charset.
_VALID_UTF8_BONUS = 0.5
# A reading that needs replacement characters is worse than any clean one of equal score.
_REPLACE_MALUS = 0.05
_SAMPLE_TOKENS = 500
_LONG_TOKEN = 64
_HIGH_RUN_RE = re.compile(rb"[\x80-\xff]+")


@dataclass(frozen=True)
class _Candidate:
    codec: str
    errors: str
    score: float


def _sample(data: bytes) -> bytes:
    """The words that contain 8-bit bytes, which alone differ between ASCII-compatible
    readings, capped so that a large body is judged quickly.  A long token (a data: URI
    with a word glued to it) contributes only the 8-bit runs and a little context."""
    tokens: list[bytes] = []
    for token in data.split():
        if token.isascii():
            continue
        if len(token) <= _LONG_TOKEN:
            tokens.append(token)
            continue
        for run in _HIGH_RUN_RE.finditer(token):
            tokens.append(token[max(0, run.start() - 16) : _run_cut(token, run)])
    if len(tokens) > _SAMPLE_TOKENS:
        step = len(tokens) / _SAMPLE_TOKENS
        tokens = [tokens[int(i * step)] for i in range(_SAMPLE_TOKENS)]
    return b" ".join(tokens)


def _run_cut(token: bytes, run: re.Match[bytes]) -> int:
    """Where a run of 8-bit bytes and its context end in the sample: 16 bytes after a short
    run; a long one is cut after its first _LONG_TOKEN bytes (a run of 200,000 took seconds
    to score five times), moved on past the continuation bytes of a UTF-8 sequence, so that
    valid UTF-8 stays valid."""
    end = run.start() + _LONG_TOKEN
    if end >= run.end():
        return run.end() + 16
    for _ in range(3):
        if not 0x80 <= token[end] <= 0xBF:
            break
        end += 1
    return end


def try_decode(data: bytes, codec: str, errors: str = "strict") -> str | None:
    """``data`` decoded with ``codec``, or None when the codec cannot read it."""
    try:
        return data.decode(codec, errors)
    except (UnicodeError, LookupError, ValueError, TypeError):
        return None


def _candidates(data: bytes, declared: str | None) -> list[_Candidate]:
    sample = _sample(data)
    result: list[_Candidate] = []
    for codec, prior in ((declared, _DECLARED_BONUS), *_FALLBACKS):
        if codec is None or any(c.codec == codec for c in result):
            continue
        if declared == codec:
            prior = _DECLARED_BONUS
        errors = "strict" if try_decode(data, codec) is not None else "replace"
        if errors == "strict" and codec == _UTF8:
            prior += _VALID_UTF8_BONUS
        if errors == "replace":
            if codec not in (_UTF8, declared):
                continue  # cp1251 lacks one byte (0x98): such data is not cp1251
            prior -= _REPLACE_MALUS
        text = try_decode(sample, codec, errors)
        if text is not None:
            result.append(_Candidate(codec, errors, plausibility(text) + prior))
    return result


def best_codec(data: bytes, declared: str | None = None) -> str:
    """Name of the codec that reads ``data`` most plausibly, ``declared`` getting a bonus.

    Pure ASCII keeps the declared codec (or ``ascii``): every candidate would read it alike.
    """
    codec = normalize_charset(declared)
    if codec is not None and not ascii_compatible(codec):
        return codec if try_decode(data, codec) is not None else _best(data, None)[0]
    if data.isascii():
        return codec or "ascii"
    if codec in (None, _UTF8) and try_decode(data, _UTF8) is not None:
        return _UTF8  # valid multi-byte UTF-8 is not a one-byte charset by accident
    return _best(data, codec)[0]


def _best(data: bytes, declared: str | None) -> tuple[str, str]:
    candidates = _candidates(data, declared)
    if not candidates:
        return (declared or _UTF8, "replace")
    top = max(candidates, key=lambda c: c.score)
    return (top.codec, top.errors)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode mail bytes, trusting ``declared`` only when its reading is plausible.

    Never raises: unusable labels are ignored and the last resort replaces bad bytes.
    """
    try:
        return _decode_bytes(bytes(data), declared)
    except Exception:  # noqa: BLE001 - decoding must never break mail intake
        return bytes(data).decode("utf-8", "replace")


def _decode_bytes(data: bytes, declared: str | None) -> str:
    if not data:
        return ""
    codec = normalize_charset(declared)
    if codec is not None and not ascii_compatible(codec):
        text = try_decode(data, codec)
        if text is not None and plausibility(text) > 0.5:
            return text
        codec = None
    if data.isascii():
        text = try_decode(data, codec) if codec else None
        return text if text is not None else data.decode("ascii")
    if codec in (None, _UTF8):
        # Valid UTF-8 with non-ASCII bytes is practically never an 8-bit Cyrillic text by
        # accident: no scoring needed for the common case (it was half of parsing's time).
        text = try_decode(data, _UTF8)
        if text is not None:
            return text
    name, errors = _best(data, codec)
    text = try_decode(data, name, errors)
    return text if text is not None else data.decode("utf-8", "replace")
