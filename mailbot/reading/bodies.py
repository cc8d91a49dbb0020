"""The parts of one parsed message: its plain text, its HTML and its files.

Walks the MIME tree of a compat32 ``Message`` without descending into attached messages
(a forwarded mail stays one ``.eml`` file), with a depth limit so that hostile nesting
cannot exhaust the stack.  Broken structure is salvaged rather than dropped: a multipart
whose boundary is missing or never found is searched for its real boundary, and failing
that read as text.  The machine parts of reports get readable names and their text as
content: a delivery-status part is ``delivery-status.txt`` holding its fields, not
``attachment.bin`` of 0 bytes (compat32 parses its field blocks into sub-messages).
"""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message

from mailbot.reading.charsets import decode_bytes
from mailbot.reading.header_text import decode_header_value
from mailbot.reading.mime_headers import (
    charset_of,
    content_type_of,
    disposition_of,
    filename_of,
    raw_header,
)

__all__ = ["MAX_DEPTH", "AttachmentPart", "bodies", "leaves", "payload_bytes", "report_text",
           "walk"]

MAX_DEPTH = 40

# Machine parts of reports (RFC 3462/6522 delivery and disposition reports, RFC 5965 ARF),
# named by what they hold.
REPORT_PART_NAMES = {
    "message/delivery-status": "delivery-status.txt",
    "message/global-delivery-status": "delivery-status.txt",
    "text/rfc822-headers": "original-headers.txt",
    "message/rfc822-headers": "original-headers.txt",
    "message/global-headers": "original-headers.txt",
    "message/disposition-notification": "disposition-notification.txt",
    "message/global-disposition-notification": "disposition-notification.txt",
    "message/feedback-report": "feedback-report.txt",
}

_BOUNDARY_LINE = re.compile(r"^--([^\s\"]{1,200}?)(?:--)?\s*$", re.MULTILINE)


@dataclass(frozen=True)
class AttachmentPart:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.data)


def walk(msg: Message, depth: int = 0) -> Iterator[Message]:
    """Every part, parents first, attached messages included, at most MAX_DEPTH deep."""
    yield msg
    if depth >= MAX_DEPTH:
        return
    payload = msg.get_payload()
    if isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                yield from walk(sub, depth + 1)


def leaves(msg: Message, depth: int = 0) -> Iterator[Message]:
    """Every non-multipart part, not descending into attached messages."""
    payload = msg.get_payload()
    if content_type_of(msg).startswith("multipart/"):
        if isinstance(payload, list):
            if depth < MAX_DEPTH:
                for sub in payload:
                    if isinstance(sub, Message):
                        yield from leaves(sub, depth + 1)
            return
        if depth < MAX_DEPTH:
            yield from _salvage(msg, payload, depth)
        return
    yield msg


def _salvage(msg: Message, payload: object, depth: int) -> Iterator[Message]:
    """A multipart whose parts the parser could not find: look for the boundary the body
    really uses, else read the body as one text part."""
    data = payload_bytes(msg) if isinstance(payload, str) else b""
    text = data.decode("ascii", "surrogateescape")
    found = _BOUNDARY_LINE.search(text)
    if found:
        boundary = found.group(1)
        head = f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'.encode()
        inner = email.message_from_bytes(head + data)
        if isinstance(inner.get_payload(), list):
            yield from leaves(inner, depth + 1)
            return
    plain = Message()
    plain["Content-Type"] = "text/plain"
    charset = charset_of(msg)
    if charset and charset.isascii():
        plain.set_param("charset", charset)
    plain.set_payload(data.decode("ascii", "surrogateescape"))
    yield plain


def payload_bytes(part: Message) -> bytes:
    """The decoded body bytes of a leaf; the raw text when the transfer encoding is broken."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken base64 / quoted-printable
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    if isinstance(raw, list):
        return report_text(part).encode("utf-8")
    return b""


def _header_block(block: Message) -> str:
    lines = []
    for name, value in block.raw_items():
        lines.append(f"{name}: {decode_header_value(value) if value else ''}".rstrip())
    body = payload_bytes(block) if isinstance(block.get_payload(), str) else b""
    if body.strip():
        lines += ["", decode_bytes(body).strip()]
    return "\n".join(lines)


def report_text(part: Message) -> str:
    """The text of a report part whose fields compat32 parsed into sub-messages (a
    delivery-status part: one per field block; other message/* parts: one header block)."""
    try:
        payload = part.get_payload()
        if isinstance(payload, str):
            return decode_bytes(payload_bytes(part), charset_of(part))
        blocks = [b for b in payload or [] if isinstance(b, Message)]
        return "\n\n".join(_header_block(b) for b in blocks).strip() + "\n"
    except Exception:  # noqa: BLE001
        return ""


def _text_of(part: Message) -> str:
    text = decode_bytes(payload_bytes(part), charset_of(part))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def bodies(msg: Message) -> tuple[str, str, list[AttachmentPart]]:
    """(plain text, HTML, files) of a message."""
    texts: list[str] = []
    htmls: list[str] = []
    attachments: list[AttachmentPart] = []
    for part in leaves(msg):
        ctype = content_type_of(part)
        filename = filename_of(part)
        disposition = disposition_of(part)
        if ctype == "message/rfc822":
            attachments.append(_embedded_message(part))
        elif ctype in REPORT_PART_NAMES:
            attachments.append(_report_part(part, ctype, filename))
        elif filename or disposition == "attachment" or not ctype.startswith("text/"):
            attachments.append(_attachment(part, ctype, filename, disposition == "inline"))
        elif ctype == "text/html":
            htmls.append(_text_of(part))
        elif ctype == "text/plain":
            texts.append(_text_of(part))
        else:  # text/calendar, text/csv ... without a name: keep as a file
            attachments.append(_attachment(part, ctype, "", False))
    return "\n\n".join(t for t in texts if t.strip()), "\n".join(htmls), attachments


def _report_part(part: Message, ctype: str, filename: str) -> AttachmentPart:
    text = report_text(part) if isinstance(part.get_payload(), list) else _text_of(part)
    return AttachmentPart(
        filename=_safe_filename(filename) or REPORT_PART_NAMES[ctype],
        content_type=ctype,
        data=text.encode("utf-8"),
    )


def _attachment(part: Message, ctype: str, filename: str, inline: bool) -> AttachmentPart:
    return AttachmentPart(
        filename=_safe_filename(filename) or _default_name(ctype),
        content_type=ctype,
        data=payload_bytes(part),
        inline=inline,
    )


def _embedded_message(part: Message) -> AttachmentPart:
    inner = part.get_payload()
    subject = ""
    if isinstance(inner, list) and inner and isinstance(inner[0], Message):
        try:
            data = inner[0].as_bytes()
        except Exception:  # noqa: BLE001 - a broken attached message is still kept
            data = report_text(part).encode("utf-8")
        subject = " ".join(decode_header_value(raw_header(inner[0], "Subject")).split())
    else:
        data = payload_bytes(part)
    name = _safe_filename(subject)[:80] or _safe_filename(filename_of(part)) or "message"
    if not name.lower().endswith(".eml"):
        name = f"{name}.eml"
    return AttachmentPart(filename=name, content_type="message/rfc822", data=data)


def _safe_filename(name: str) -> str:
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in name if ch.isprintable()).strip().strip(".")


def _default_name(content_type: str) -> str:
    ext = {"image/png": "png", "image/jpeg": "jpg", "application/pdf": "pdf"}.get(content_type)
    return f"attachment.{ext}" if ext else "attachment.bin"
