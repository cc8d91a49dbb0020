"""E-mail addresses out of address headers, in one canonical form.

The canonical form of an address, used for ``ParsedMail.from_addr``, ``to``, ``cc`` and
``reply_to`` and meant for every comparison of addresses in mailbot:

* the local part in Unicode, NFC-normalised and lower-cased (``Мама`` → ``мама``);
* the domain in Unicode, lower-cased, each label put through an IDNA round trip, so that
  ``мама@почта.рф``, ``МАМА@ПОЧТА.РФ`` and ``мама@xn--80a1acny.xn--p1ai`` are one address:
  ``мама@почта.рф``.  A label that IDNA cannot take (too long, empty, a broken ``xn--`` form)
  is kept as it came, lower-cased.

ASCII addresses are therefore only lower-cased, as before.  Sending to such an address needs
the opposite direction (the domain's ``xn--`` form, and SMTPUTF8 for a non-ASCII local part);
``ascii_domain`` gives the first.

Address headers arrive as plain ASCII with RFC 2047 encoded words, as raw 8-bit UTF-8 or
cp1251 (SMTPUTF8 mail, old clients; compat32 hands those over as ``email.header.Header``
objects), or as nonsense.  Nothing here raises.
"""

from __future__ import annotations

import unicodedata
from email.header import Header
from email.utils import getaddresses

from mailbot.reading.header_text import decode_header_value

__all__ = ["address_list", "ascii_domain", "canonical_address", "first_address", "header_text"]


def header_text(value: object) -> str:
    """The text of one raw header value (str, Header or bytes) for address parsing.

    Plain ASCII is returned as it is, so that encoded words are decoded only after the
    address list was split (a display name may decode to a comma); anything else is decoded
    as a whole first.
    """
    if isinstance(value, str) and value.isascii():
        return value
    if isinstance(value, str | bytes | bytearray | Header):
        return decode_header_value(value)
    return decode_header_value(str(value))


def _pairs(values: list[object]) -> list[tuple[str, str]]:
    try:
        return getaddresses([header_text(v) for v in values or []])
    except Exception:  # noqa: BLE001 - a hostile header must never break intake
        return []


# RFC 5321 4.5.3.1.3: a path is at most 256 octets with its angle brackets.
MAX_ADDRESS = 254


def canonical_address(addr: str) -> str:
    """``addr`` in the canonical form above; "" when it is not an address at all."""
    addr = decode_header_value(addr).strip().strip("<>").strip()
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() for ch in addr):
        return ""
    if len(addr) > MAX_ADDRESS:
        return ""  # no mailbox is that long: nothing could be sent to it
    local = unicodedata.normalize("NFC", local).lower()
    return f"{local}@{_unicode_domain(domain)}"


def _unicode_domain(domain: str) -> str:
    domain = unicodedata.normalize("NFC", domain).strip().rstrip(".").lower()
    return ".".join(_unicode_label(label) for label in domain.split("."))


def _unicode_label(label: str) -> str:
    try:
        if label.isascii() and not label.startswith("xn--"):
            return label
        # encode applies nameprep (case folding, NFKC); decode turns xn-- into Unicode.
        return label.encode("idna").decode("idna").lower()
    except (UnicodeError, ValueError):
        return label


def ascii_domain(addr: str) -> str:
    """The address with its domain in IDNA ``xn--`` form (for SMTP); unchanged on failure."""
    local, at, domain = addr.rpartition("@")
    if not at:
        return addr
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except (UnicodeError, ValueError):
        return addr


def first_address(values: list[object]) -> tuple[str, str]:
    """(display name, canonical address) of the first usable address; ("", "") if none."""
    for name, addr in _pairs(values):
        canonical = canonical_address(addr)
        if canonical:
            return " ".join(decode_header_value(name).split()).strip('"'), canonical
    return "", ""


def address_list(values: list[object]) -> tuple[str, ...]:
    """Every usable address of the headers, canonical, in order, without repeats."""
    found = (canonical_address(addr) for _, addr in _pairs(values))
    return tuple(dict.fromkeys(addr for addr in found if addr))
