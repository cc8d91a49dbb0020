"""MIME charset labels → Python codec names, and which codecs read ASCII as ASCII.

Labels come from untrusted headers: quoted, with an RFC 2231 language suffix, with stray
spaces, in Windows spellings that ``codecs.lookup`` does not know (``win-1251``,
``x-cp1251``, ``koi8r``), or naming no charset at all (``unknown-8bit``, ``8bit``).  Codecs
that are not a superset of ASCII (utf-16, EBCDIC, iso2022) cannot be judged word by word
the way charsets.py judges one-byte Russian charsets, so they are told apart here.
"""

from __future__ import annotations

import codecs

__all__ = ["ascii_compatible", "normalize_charset"]

# Labels seen in real mail that codecs.lookup does not know, or knows under another name.
_ALIASES: dict[str, str] = {
    "windows-1251": "cp1251",
    "windows1251": "cp1251",
    "cp-1251": "cp1251",
    "win-1251": "cp1251",
    "win1251": "cp1251",
    "x-cp1251": "cp1251",
    "x-win-1251": "cp1251",
    "x-win1251": "cp1251",
    "cyrillic-1251": "cp1251",
    "ansi-1251": "cp1251",
    "windows-cyrillic": "cp1251",
    "koi8r": "koi8_r",
    "koi8": "koi8_r",
    "koi-8r": "koi8_r",
    "koi-8-r": "koi8_r",
    "koi8-ru": "koi8_r",
    "x-koi8-r": "koi8_r",
    "cskoi8r": "koi8_r",
    "utf8": "utf_8",
    "utf-8lite": "utf_8",
    "unicode-1-1-utf-8": "utf_8",
    "unicode-2-0-utf-8": "utf_8",
    "x-unicode20utf8": "utf_8",
    "x-utf-8": "utf_8",
    "cp-866": "cp866",
    "ibm-866": "cp866",
    "x-ibm866": "cp866",
    "dos-866": "cp866",
    "cp-1252": "cp1252",
    "win-1252": "cp1252",
    "x-cp1252": "cp1252",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-ukrainian": "mac_cyrillic",
    "iso-8859-5-i": "iso8859_5",
    "iso-8859-8-i": "iso8859_8",
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "ansi_x3.4-1968": "ascii",
    "us_ascii": "ascii",
    "x-user-defined": "latin_1",
}

# Labels that carry no charset information at all.
_NO_CHARSET = frozenset(
    {
        "",
        "unknown-8bit",
        "x-unknown",
        "unknown",
        "default",
        "8bit",
        "7bit",
        "binary",
        "none",
        "charset",
        "text/plain",
        "x-user-defined-8bit",
    }
)

# Codecs that are not a superset of ASCII: ASCII bytes mean something else in them.
_NOT_ASCII_COMPATIBLE_PREFIXES = (
    "utf-16", "utf-32", "utf-7", "cp037", "cp1140", "cp500", "cp273", "cp424", "cp875",
    "cp1026", "hz", "iso2022",
)  # fmt: skip


# Far above the longest registered charset name (45 characters): a longer label is junk, and
# the codec registry's lookup of a label of 1,000,000 characters took a second.
_LONGEST_LABEL = 100


def normalize_charset(name: str | None) -> str | None:
    """Return the Python codec name for a MIME charset label, or None if it is unusable.

    Labels come from untrusted headers (quoted, with a language suffix from RFC 2231/2184,
    with stray spaces), and some name codecs that only exist in Windows.  Non-text codecs
    such as ``base64`` are rejected: decoding with them would not produce text.
    """
    if not name:
        return None
    label = name.strip().strip("\"'").strip().lower()
    label = label.split("*", 1)[0].strip()  # RFC 2231 language: koi8-r*ru
    if label in _NO_CHARSET or len(label) > _LONGEST_LABEL:
        return None
    candidate = _ALIASES.get(label, label)
    for attempt in (candidate, candidate.removeprefix("x-"), candidate.replace(" ", "-")):
        try:
            info = codecs.lookup(attempt)
        except (LookupError, ValueError):
            continue
        try:
            b"a".decode(info.name)
        except LookupError:  # binary transforms: base64, zlib, rot13 ...
            return None
        except (UnicodeError, ValueError):
            pass  # a text codec that cannot decode one lone byte, such as utf-16
        return info.name
    return None


def ascii_compatible(codec: str) -> bool:
    """Whether ASCII bytes mean ASCII characters in ``codec`` (a normalised codec name)."""
    return not codec.startswith(_NOT_ASCII_COMPATIBLE_PREFIXES)
