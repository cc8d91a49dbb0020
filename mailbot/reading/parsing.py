"""Raw mail bytes → ParsedMail, a plain frozen record. Pure: no I/O, no database.

We parse with the standard library's `email` package (compat32 policy) rather than
mail-parser: we need our own charset recovery for every part and header (mislabelled or
missing koi8-r / cp1251 is common in Russian mail, and trusting a guesser garbles it), and
compat32 parsing is the fastest option measured here (testing.md). Decoding of charsets lives
in charsets.py, of header values in header_text.py, of MIME parameters in mime_headers.py, of
addresses in addresses.py (which also documents the canonical address form), of the parts in
bodies.py and of HTML in htmltext.py.

The contract: every input gives a ParsedMail or raises MailError with a one-line reason,
never any other exception.  Mail without any usable From address is a MailError, except
machine mail (a bounce from ``MAILER-DAEMON`` or ``<>``, an auto-reply from "Mail Delivery
System"): that is parsed with the Return-Path or Sender address as ``from_addr``, or ``""``,
so that the desk can record it (loops.py decides what is machine mail).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.feedparser import BytesFeedParser
from email.message import Message
from email.policy import compat32
from email.utils import parsedate_to_datetime

from mailbot.adapters.clock import from_aware
from mailbot.reading.addresses import address_list, first_address, header_text
from mailbot.reading.bodies import AttachmentPart, bodies, walk
from mailbot.reading.header_text import decode_header_value
from mailbot.reading.htmltext import html_to_text
from mailbot.reading.loops import detect_auto

__all__ = ["AttachmentPart", "MailError", "ParsedMail", "parse"]

_MSGID = re.compile(r"<([^<>\s]+)>")


class MailError(ValueError):
    """The bytes cannot be treated as a request; the message says why, in one line."""


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # without angle brackets
    message_id_synthetic: bool
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_addr: str  # canonical (addresses.py); "" only for machine mail without an address
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: str
    date: datetime | None  # aware UTC
    text: str  # the whole decoded plain text (from HTML when there is no text part)
    html: str
    text_from_html: bool  # no text part: `text` was made from `html`
    attachments: tuple[AttachmentPart, ...]
    defects: tuple[str, ...]
    headers: Message  # the parsed message (headers and parts), for loop detection and explain

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Every Message-ID this mail says it answers, nearest first."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(mid, None)
        return tuple(seen)


def parse(raw: bytes) -> ParsedMail:
    """Parse one mail; raises MailError (one line) and nothing else."""
    if not raw or not bytes(raw).strip():
        raise MailError("empty message")
    try:
        return _parse(bytes(raw))
    except MailError:
        raise
    except RecursionError:
        raise MailError("MIME structure nested too deeply") from None
    except Exception as exc:  # noqa: BLE001 - the contract: MailError or a ParsedMail
        reason = " ".join(str(exc).split())[:120]
        raise MailError(f"unreadable mail: {type(exc).__name__}: {reason}") from None


def _message(raw: bytes) -> Message:
    """What ``email.message_from_bytes(raw)`` gives, with the bytes fed to the parser in one
    piece instead of 8 KB at a time (its result does not depend on the pieces; this is
    faster)."""
    parser = BytesFeedParser(policy=compat32)
    parser.feed(raw)
    return parser.close()


def _parse(raw: bytes) -> ParsedMail:
    msg = _message(raw)
    from_name, from_addr = first_address(_all(msg, "From"))
    if not from_addr:
        from_name, from_addr = _machine_sender(msg)
    text, html, attachments = bodies(msg)
    # A NUL is no character of any text, and PostgreSQL cannot store one: a broken client's
    # NULs in a text part held the mail in quarantine there.
    text, html = text.replace("\x00", ""), html.replace("\x00", "")
    from_html = not text.strip() and bool(html)
    message_id = _ids(_first(msg, "Message-ID"))
    return ParsedMail(
        message_id=message_id[0] if message_id else _synthetic_id(raw),
        message_id_synthetic=not message_id,
        in_reply_to=_ids(_first(msg, "In-Reply-To")),
        references=_ids(" ".join(header_text(v) for v in _all(msg, "References"))),
        subject=_clean_line(decode_header_value(_first(msg, "Subject"))),
        from_addr=from_addr,
        from_name=from_name,
        to=address_list(_all(msg, "To")),
        cc=address_list(_all(msg, "Cc")),
        reply_to=first_address(_all(msg, "Reply-To"))[1],
        date=_date(_first(msg, "Date")),
        text=_safe_html_text(html) if from_html else text,
        html=html,
        text_from_html=from_html,
        attachments=tuple(attachments),
        defects=tuple(sorted({type(d).__name__ for part in walk(msg) for d in part.defects})),
        headers=msg,
    )


def _machine_sender(msg: Message) -> tuple[str, str]:
    """(name, address) for a mail whose From holds no address: machine mail only."""
    shown = _clean_line(decode_header_value(_first(msg, "From")))
    inner = re.search(r"<([^<>]*)>", shown)
    bare = (inner.group(1) if inner else shown).strip("\"' ").lower()
    verdict = detect_auto(msg, from_addr=bare, own_addresses=(), own_domain="")
    if verdict.kind == "none":
        raise MailError("no usable From address")
    for name in ("Return-Path", "Sender"):
        address = first_address(_all(msg, name))[1]
        if address:
            return shown.strip('"'), address
    return shown.strip('"'), ""


def _all(msg: Message, name: str) -> list[object]:
    try:
        return list(msg.get_all(name) or [])
    except Exception:  # noqa: BLE001
        return []


def _first(msg: Message, name: str) -> object:
    values = _all(msg, name)
    return values[0] if values else ""


# No id is longer than a header line may be (RFC 5322: 998). A longer one is cut here, the
# one place: the database keeps ids of this length, and a second copy is looked up as it is
# stored, so it is found as the duplicate it is.
MAX_ID = 998


def _ids(value: object) -> tuple[str, ...]:
    text = header_text(value or "").replace("\x00", "")  # PostgreSQL refuses NUL in a query
    if "=?" in text:
        # Some mailers (Python's own email package among them) RFC 2047-encode a long id.
        text = decode_header_value(text)
    found = _MSGID.findall(text)
    if not found and text.strip() and " " not in text.strip():
        found = [text.strip()]
    return tuple(dict.fromkeys(i[:MAX_ID] for i in found))


def _synthetic_id(raw: bytes) -> str:
    # A mail without Message-ID still needs a stable identity so a re-run finds it again.
    return f"{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.invalid"


def _clean_line(text: str) -> str:
    return " ".join(text.replace("\x00", "").split())


def _date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return from_aware(parsedate_to_datetime(header_text(value)))
    except Exception:  # noqa: BLE001 - any date nonsense means "no date"
        return None


def _safe_html_text(html: str) -> str:
    try:
        return html_to_text(html)
    except Exception:  # noqa: BLE001 - broken HTML still leaves the raw markup's words
        return re.sub(r"<[^>]*>", " ", html)
