"""Readable text of header values and MIME parameters in Russian mail.

Headers are as unreliable as bodies: RFC 2047 encoded words labelled with the wrong charset,
raw koi8-r or cp1251 bytes with no label at all (compat32 parsing hands them over as lone
surrogates), values that some code already read as latin-1, a multi-byte character split
across two encoded words, folding and runs of whitespace.  The bytes of every piece go
through charsets.py; pieces with one label are judged together, so that a short word is
decided with the rest of the header.  Nothing here raises: a header must never break mail
intake.
"""

from __future__ import annotations

import base64
import binascii
import email.header
import email.utils
import re
from collections.abc import Iterable
from dataclasses import dataclass

from mailbot.reading.charsets import best_codec, decode_bytes, try_decode

__all__ = ["decode_header_value", "decode_param_value"]

_ENCODED_WORD_RE = re.compile(
    r"=\?(?P<charset>[^?\s]*)\?(?P<encoding>[bBqQ])\?(?P<text>[^?]*?)\?=",
)
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_SPACE_RE = re.compile(r"\s+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_Q_HEX_RE = re.compile(rb"=([0-9A-Fa-f]{2})")
_B64_JUNK_RE = re.compile(rb"[^A-Za-z0-9+/]")


def _decode_b(text: str) -> bytes:
    raw = _B64_JUNK_RE.sub(b"", text.encode("ascii", "ignore"))
    if len(raw) % 4 == 1:  # a lone trailing sextet carries no whole byte
        raw = raw[:-1]
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw)
    except (binascii.Error, ValueError):
        return b""


def _decode_q(text: str) -> bytes:
    raw = text.encode("utf-8", "surrogateescape").replace(b"_", b" ")
    return _Q_HEX_RE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


@dataclass
class _Piece:
    """A run of header text: either decoded bytes with their label, or literal text."""

    data: bytes | bytearray | None  # an encoded word's bytes grow in place (_pieces_from_str)
    charset: str | None
    text: str = ""


def _pieces_from_str(value: str) -> list[_Piece]:
    value = _FOLD_RE.sub("", value)
    pieces: list[_Piece] = []
    pos = 0
    # The bytes of the last piece while it is an encoded word with only whitespace since:
    # the words that follow in its charset are added to it in place (a header of 100,000
    # such words took seconds when each one copied the bytes so far).
    building: bytearray | None = None
    for match in _ENCODED_WORD_RE.finditer(value):
        gap = value[pos : match.start()]
        if gap and not (building is not None and gap.isspace()):
            pieces.append(_literal_piece(gap))
            building = None
        body = match.group("text")
        data = _decode_b(body) if match.group("encoding") in "bB" else _decode_q(body)
        label = match.group("charset").split("*", 1)[0].lower()
        if building is not None and pieces[-1].charset == label:
            # Adjacent words of one charset are joined before decoding: mailers split a
            # multi-byte character across two encoded words.
            building += data
        else:
            building = bytearray(data)
            pieces.append(_Piece(building, label))
        pos = match.end()
    tail = value[pos:]
    if tail:
        pieces.append(_literal_piece(tail))
    return pieces


def _literal_piece(text: str) -> _Piece:
    """A literal fragment; undecoded 8-bit bytes in it go through charset detection."""
    if text.isascii():
        return _Piece(None, None, text)
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        # compat32 parsing turns raw 8-bit bytes into lone surrogates.
        return _Piece(text.encode("utf-8", "surrogateescape"), None)
    if max(text) <= "\xff":
        # Some code reads unknown header bytes as latin-1: keep that reading only if it
        # is plausible (German umlauts), otherwise recover the Cyrillic behind it.
        return _Piece(text.encode("latin-1"), "latin_1")
    return _Piece(None, None, text)


def _pieces_from_header(header: email.header.Header) -> list[_Piece]:
    pieces: list[_Piece] = []
    for chunk, charset in email.header.decode_header(header):
        if isinstance(chunk, str):
            pieces.extend(_pieces_from_str(chunk))
        elif charset in (None, "unknown-8bit", "us-ascii"):
            pieces.extend(_pieces_from_str(chunk.decode("ascii", "surrogateescape")))
        else:
            pieces.append(_Piece(chunk, charset))
    return pieces


def _decode_pieces(pieces: Iterable[_Piece]) -> str:
    """Decode byte pieces, choosing one codec per declared label over all its pieces so that
    a short word is judged together with the rest of the header."""
    pieces = list(pieces)
    by_label: dict[str | None, list[bytes]] = {}
    for piece in pieces:
        if piece.data is not None:
            by_label.setdefault(piece.charset, []).append(piece.data)
    chosen = {label: best_codec(b" ".join(chunks), label) for label, chunks in by_label.items()}
    out: list[str] = []
    for piece in pieces:
        if piece.data is None:
            out.append(piece.text)
            continue
        codec = chosen[piece.charset]
        text = try_decode(piece.data, codec)
        out.append(text if text is not None else decode_bytes(piece.data, piece.charset))
    return "".join(out)


def decode_header_value(value: str | bytes | email.header.Header | None) -> str:
    """Readable text of a header value: RFC 2047 words, raw 8-bit bytes, mislabelled
    charsets, folding and extra whitespace all handled.  Never raises."""
    try:
        if value is None:
            return ""
        if isinstance(value, str) and value.isascii() and "=?" not in value:
            return _SPACE_RE.sub(" ", _CONTROL_RE.sub("", _FOLD_RE.sub("", value))).strip()
        if isinstance(value, email.header.Header):
            pieces = _pieces_from_header(value)
        elif isinstance(value, (bytes, bytearray)):
            pieces = _pieces_from_str(bytes(value).decode("ascii", "surrogateescape"))
        else:
            pieces = _pieces_from_str(str(value))
        text = _decode_pieces(pieces)
    except Exception:  # noqa: BLE001 - a header must never break mail intake
        text = _fallback_text(value)
    return _SPACE_RE.sub(" ", _CONTROL_RE.sub("", text)).strip()


def _fallback_text(value: object) -> str:
    try:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value).decode("utf-8", "replace")
        return str(value).encode("utf-8", "replace").decode("utf-8", "replace")
    except Exception:  # noqa: BLE001
        return ""


def decode_param_value(value: str | tuple[str | None, str | None, str] | None) -> str:
    """Readable text of a MIME parameter such as an attachment's file name.

    Accepts what ``Message.get_param`` returns: a plain string (possibly with RFC 2047
    words or raw 8-bit bytes, as many mailers send) or the RFC 2231 triple
    ``(charset, language, percent-decoded text)`` whose text holds the bytes as latin-1.
    """
    try:
        if value is None:
            return ""
        if isinstance(value, tuple):
            charset, _language, text = value
            data = text.encode("latin-1", "surrogateescape")
            return _SPACE_RE.sub(" ", decode_bytes(data, charset)).strip()
        return decode_header_value(email.utils.unquote(value))
    except Exception:  # noqa: BLE001
        return _fallback_text(value)
