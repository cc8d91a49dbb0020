"""Raw mail bytes → ParsedMail, a plain frozen record. Pure: no I/O, no database.

We parse with the standard library's `email` package (compat32 policy) rather than
mail-parser: we need our own charset recovery for every part and header (mislabelled or
missing koi8-r / cp1251 is common in Russian mail, and trusting a guesser garbles it), and
compat32 parsing is the fastest option measured here (testing.md). Decoding of charsets lives
in charsets.py, of header values in header_text.py and of HTML in htmltext.py.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from mailbot.adapters.clock import from_aware
from mailbot.reading.charsets import decode_bytes
from mailbot.reading.header_text import decode_header_value
from mailbot.reading.htmltext import html_to_text

_MSGID = re.compile(r"<([^<>\s]+)>")


class MailError(ValueError):
    """The bytes cannot be treated as a request; the message says why, in one line."""


@dataclass(frozen=True)
class AttachmentPart:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # without angle brackets
    message_id_synthetic: bool
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_addr: str
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
    headers: Message  # the parsed header block, for loop detection and explain

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Every Message-ID this mail says it answers, nearest first."""
        seen: dict[str, None] = {}
        for mid in (*self.in_reply_to, *reversed(self.references)):
            seen.setdefault(mid, None)
        return tuple(seen)


def parse(raw: bytes) -> ParsedMail:
    if not raw or not raw.strip():
        raise MailError("empty message")
    msg = email.message_from_bytes(raw)
    from_name, from_addr = _first_address(msg.get_all("From", []))
    if not from_addr:
        raise MailError("no usable From address")
    text, html, attachments = _bodies(msg)
    from_html = not text.strip() and bool(html)
    message_id = _ids(msg.get("Message-ID", ""))
    return ParsedMail(
        message_id=message_id[0] if message_id else _synthetic_id(raw),
        message_id_synthetic=not message_id,
        in_reply_to=_ids(msg.get("In-Reply-To", "")),
        references=_ids(" ".join(str(v) for v in msg.get_all("References", []))),
        subject=_clean_line(decode_header_value(msg.get("Subject", ""))),
        from_addr=from_addr,
        from_name=from_name,
        to=_addresses(msg.get_all("To", [])),
        cc=_addresses(msg.get_all("Cc", [])),
        reply_to=_first_address(msg.get_all("Reply-To", []))[1],
        date=_date(msg.get("Date")),
        text=html_to_text(html) if from_html else text,
        html=html,
        text_from_html=from_html,
        attachments=tuple(attachments),
        defects=tuple(sorted({type(d).__name__ for part in msg.walk() for d in part.defects})),
        headers=msg,
    )


def _ids(value: object) -> tuple[str, ...]:
    text = str(value or "")
    if "=?" in text:
        # Some mailers (Python's own email package among them) RFC 2047-encode a long id.
        text = decode_header_value(text)
    found = _MSGID.findall(text)
    if not found and text.strip() and " " not in text.strip():
        found = [text.strip()]
    return tuple(dict.fromkeys(found))


def _synthetic_id(raw: bytes) -> str:
    # A mail without Message-ID still needs a stable identity so a re-run finds it again.
    return f"{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id.invalid"


def _clean_line(text: str) -> str:
    return " ".join(text.split())


def _addresses(values: list) -> tuple[str, ...]:
    pairs = getaddresses([str(v) for v in values])
    return tuple(dict.fromkeys(addr.lower() for _, addr in pairs if "@" in addr))


def _first_address(values: list) -> tuple[str, str]:
    for name, addr in getaddresses([str(v) for v in values]):
        addr = decode_header_value(addr).strip().strip("<>").lower()
        if "@" in addr and " " not in addr:
            return _clean_line(decode_header_value(name)).strip('"'), addr
    return "", ""


def _date(value: object) -> datetime | None:
    if not value:
        return None
    try:
        return from_aware(parsedate_to_datetime(str(value)))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _bodies(msg: Message) -> tuple[str, str, list[AttachmentPart]]:
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[AttachmentPart] = []
    for part in _leaves(msg):
        ctype = part.get_content_type()
        filename = part.get_filename()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        if ctype == "message/rfc822":
            attachments.append(_embedded_message(part))
        elif filename or disposition == "attachment" or not ctype.startswith("text/"):
            if ctype.startswith("multipart/"):
                continue
            attachments.append(_attachment(part, filename, disposition == "inline"))
        elif ctype == "text/html":
            htmls.append(_text_of(part))
        elif ctype == "text/plain":
            texts.append(_text_of(part))
        else:  # text/calendar, text/csv ... without a name: keep as a file
            attachments.append(_attachment(part, None, False))
    return "\n\n".join(t for t in texts if t.strip()), "\n".join(htmls), attachments


def _leaves(msg: Message):  # type: ignore[no-untyped-def]
    """Every non-multipart part, not descending into attached messages."""
    if msg.is_multipart() and msg.get_content_maintype() == "multipart":
        for sub in msg.get_payload() or []:
            if isinstance(sub, Message):
                yield from _leaves(sub)
    else:
        yield msg


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def _text_of(part: Message) -> str:
    text = decode_bytes(_payload(part), part.get_content_charset())
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _attachment(part: Message, filename: str | None, inline: bool) -> AttachmentPart:
    name = decode_header_value(filename) if filename else ""
    if not name:
        name = decode_header_value(part.get_param("name") or "") if part.get_param("name") else ""
    return AttachmentPart(
        filename=_safe_filename(name) or _default_name(part.get_content_type()),
        content_type=part.get_content_type(),
        data=_payload(part),
        inline=inline,
    )


def _embedded_message(part: Message) -> AttachmentPart:
    inner = part.get_payload()
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        data = inner[0].as_bytes()
        subject = _clean_line(decode_header_value(inner[0].get("Subject", "")))
    else:
        data, subject = _payload(part), ""
    name = _safe_filename(subject)[:80] or "message"
    return AttachmentPart(filename=f"{name}.eml", content_type="message/rfc822", data=data)


def _safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable()).strip().strip(".")


def _default_name(content_type: str) -> str:
    ext = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}.get(content_type)
    return f"attachment.{ext}" if ext else "attachment.bin"
