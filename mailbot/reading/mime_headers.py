"""Safe reading of a MIME part's structured headers: content type, disposition, parameters.

The standard library's accessors break on mail from the wild: a Content-Disposition with raw
8-bit bytes comes back as an ``email.header.Header`` (so ``.split`` raises), and
``get_filename`` stringifies that Header into replacement characters, losing a Russian file
name that Yahoo or an old Outlook wrote as raw UTF-8 or cp1251.  So the values are taken as
they were parsed (``raw_items``: str with the 8-bit bytes as surrogates) and their
parameters are split here, with RFC 2231 continuations and charsets, RFC 2047 words and raw
8-bit text all decoded by header_text.py / charsets.py.  Nothing here raises.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from email.message import Message

from mailbot.reading.charsets import decode_bytes
from mailbot.reading.header_text import decode_header_value

__all__ = ["charset_of", "content_type_of", "disposition_of", "filename_of", "param", "raw_header"]

_TYPE = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")
_PARTIAL = re.compile(r"^(?P<name>[^*]+)\*(?P<index>\d+)(?P<star>\*?)$")


def raw_header(part: Message, name: str) -> str:
    """The first value of header ``name`` as parsed ("" if absent): never a Header object."""
    wanted = name.lower()
    try:
        for key, value in part.raw_items():
            if str(key).lower() == wanted:
                return value if isinstance(value, str) else decode_header_value(value)
    except Exception:  # noqa: BLE001
        return ""
    return ""


# A structured value's pieces: a quoted string (backslash escapes inside it; one left open
# runs to the end), a run of other characters, or a semicolon.
_PARAM_PIECE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[^";]+|;', re.DOTALL)


def split_params(value: str) -> list[str]:
    """Split a structured value at semicolons outside quoted strings."""
    return list(_params(value))


def _params(value: str) -> Iterator[str]:
    """split_params one by one, by pieces rather than characters: a Content-Type of a
    million characters, read for each of its parts' parameters, took seconds."""
    current: list[str] = []
    for piece in _PARAM_PIECE.finditer(value):
        if piece[0] == ";":
            yield "".join(current)
            current = []
        else:
            current.append(piece[0])
    yield "".join(current)


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def _main_value(value: str) -> str:
    main = next(_params(re.sub(r"\s+", " ", value or "")))
    return re.sub(r"\([^()]*\)", "", main).strip().strip('"').lower()


def param(value: str, wanted: str) -> str | None:
    """Decoded parameter ``wanted`` of a structured header value, None when absent.

    RFC 2231 forms (``name*=utf-8''%D0%B0``, ``name*0*=``/``name*1=`` continuations) win over
    the plain form, as the RFC asks; the plain form may hold RFC 2047 words or raw 8-bit text.
    """
    wanted = wanted.lower()
    plain: str | None = None
    sections: dict[int, tuple[bool, str]] = {}
    for item in split_params(value or "")[1:]:
        name, eq, val = item.partition("=")
        if not eq:
            continue
        name = name.strip().lower()
        if name == wanted:
            plain = plain if plain is not None else _unquote(val)
        elif name == wanted + "*":
            sections.setdefault(0, (True, val.strip()))
        else:
            match = _PARTIAL.match(name)
            if match and match["name"] == wanted:
                sections.setdefault(int(match["index"]), (bool(match["star"]), val.strip()))
    if sections:
        decoded = _decode_sections([sections[i] for i in sorted(sections)])
        if decoded:
            return decoded
    if plain is None:
        return None
    return decode_header_value(plain)


def _decode_sections(sections: list[tuple[bool, str]]) -> str:
    charset: str | None = None
    data = b""
    for number, (encoded, value) in enumerate(sections):
        value = _unquote(value)
        if encoded:
            if number == 0 and value.count("'") >= 2:
                charset, _language, value = value.split("'", 2)
            raw = value.encode("utf-8", "surrogateescape")
            data += urllib.parse.unquote_to_bytes(raw)
        else:
            data += value.encode("utf-8", "surrogateescape")
    return " ".join(decode_bytes(data, charset or None).split())


def content_type_of(part: Message) -> str:
    """The part's content type, lower case; text/plain (the RFC default) when unreadable."""
    try:
        ctype = part.get_content_type()
    except Exception:  # noqa: BLE001
        return "text/plain"
    if not isinstance(ctype, str) or not ctype.strip():
        return "application/octet-stream"
    # "text/plain charset=..." (a missing semicolon) is still text/plain.
    ctype = ctype.split()[0].split(";")[0].strip().lower()
    return ctype if _TYPE.match(ctype) else "application/octet-stream"


def charset_of(part: Message) -> str | None:
    value = param(raw_header(part, "Content-Type"), "charset")
    return value or None


def disposition_of(part: Message) -> str:
    """``inline`` / ``attachment`` / ... of Content-Disposition, "" when absent."""
    return _main_value(raw_header(part, "Content-Disposition"))


def filename_of(part: Message) -> str:
    """The decoded file name: Content-Disposition ``filename``, else Content-Type ``name``."""
    for header, name in (("Content-Disposition", "filename"), ("Content-Type", "name")):
        value = param(raw_header(part, header), name)
        if value:
            return value
    return ""
