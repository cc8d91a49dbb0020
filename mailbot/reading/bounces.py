"""What a bounce or a delay notice says: who failed, why, and which of our mails it was.

``read_bounce(parsed)`` returns a ``BounceReport`` for mail that loops.py calls ``bounce``
or ``delay`` and None for anything else.  It reads, best source first:

* the RFC 3464 delivery-status part (Final-Recipient, falling back to Original-Recipient,
  Action, Status, Diagnostic-Code, Gmail's X-Original-Message-ID), and X-Failed-Recipients;
* the notice's own text where there is no such part (Exim, qmail, Sendmail, Exchange,
  Gmail, Yandex, Mail.ru, Rambler, Lotus Notes, Amazon SES ...): the addresses it names,
  less the bounce's own sender and receivers and the mail system's addresses, and the line
  in which the remote server gave its reason;
* the returned original: a message/rfc822 part, a text/rfc822-headers part, or its header
  lines quoted in the text ("------ This is a copy of the message", "Original message
  headers:") for the Message-ID, References and Subject.  mailbot's own Message-IDs (they
  start with ``mailbot.``) are preferred wherever several appear, and ``original_subject``
  keeps our subject tag «[ЭЖ #N]» for the desk to read.

``recipients`` are in the canonical form of addresses.py.  ``status`` is the enhanced status
code (``5.1.1``); a report with only a basic SMTP code gets its class (``550`` → ``5.0.0``).
``permanent`` means a 5.x.x failure (the address itself is refused); a ``bounce`` with a 4.x.x
status gave up after temporary failures, and a ``delay`` is never permanent.  Pure; never
raises.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.message import Message
from typing import Literal

from mailbot.reading.addresses import canonical_address
from mailbot.reading.bodies import leaves, payload_bytes, report_text
from mailbot.reading.charsets import decode_bytes
from mailbot.reading.dsn import DsnRecipient, find_parts, read_dsn, status_code
from mailbot.reading.header_text import decode_header_value
from mailbot.reading.loops import detect_auto
from mailbot.reading.machine_text import notice_text
from mailbot.reading.mime_headers import charset_of, content_type_of, raw_header
from mailbot.reading.parsing import ParsedMail

__all__ = ["OWN_ID_PREFIX", "BounceReport", "read_bounce"]

OWN_ID_PREFIX = "mailbot."
BounceKind = Literal["bounce", "delay"]

# Tried only where a run of the local part's characters starts (the lookbehind): a match
# found later in a run is found from its start too, and trying every start of a run of
# 100,000 such characters took seconds. (It differs only where an address is followed,
# with no separator, by more local-part characters and another "@": in no bounce seen.)
_ADDRESS = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@(?:[\w-]+\.)+"
                      r"[\w-]{2,}", re.UNICODE)
_SYSTEM_LOCAL = re.compile(
    r"^(?:mailer[-_.]?daemon|postmaster|mail[-_.]?daemon|abuse|hostmaster|root|support|help"
    r"|noreply|no-reply|do-not-reply|microsoftexchange[0-9a-f]*)$",
    re.IGNORECASE,
)
_MSGID_LINE = re.compile(r"^[ \t>]*(?:X-Original-)?Message-I[dD]\s*:\s*(<[^<>\s]+>|\S+@\S+)",
                         re.IGNORECASE | re.MULTILINE)
_REFS_LINE = re.compile(r"^[ \t>]*References\s*:\s*((?:.*)(?:\n[ \t]+.*)*)",
                        re.IGNORECASE | re.MULTILINE)
_SUBJECT_LINE = re.compile(
    r"^[ \t>]*(?:Subject|Тема(?: письма| сообщения)?|the subject of the message is)\s*:[ \t]*"
    r"(.+(?:\n[ \t]+(?![\w-]+:\s)\S.*)*)",
    re.IGNORECASE | re.MULTILINE,
)
_ID = re.compile(r"<([^<>\s]+)>")
_ID_LINES = re.compile(r"^[ \t>]*(?:message-id|references|in-reply-to|x-[\w-]*id)\s*:.*$",
                       re.IGNORECASE | re.MULTILINE)
# NDR subjects that repeat the original's: "Undeliverable: [ЭЖ #5] ...".
_SUBJECT_PREFIX = re.compile(
    r"^\s*(?:undeliverable|undelivered|недоставляемое|не доставлено|не удается доставить"
    r"|delivery delayed|delayed|доставка задерживается|unzustellbar|non remis"
    r"|undeliverable mail|ошибка доставки)\s*:\s*(?=\S)",
    re.IGNORECASE,
)
_DIAGNOSTIC = re.compile(
    r"(?:said|returned|reason|error|ошибка|причина|diagnostic|response|ответ сервера"
    r"|smtp error|remote server|server replied|host .* said)\b.*?[:\s]"
    r"|\b[45]\d\d[ -]|\b[45]\.\d{1,3}\.\d{1,3}\b",
    re.IGNORECASE,
)
_BASIC_CODE = re.compile(r"\b([45])\d\d(?=[ :-])")


@dataclass(frozen=True)
class BounceReport:
    kind: BounceKind  # "bounce": delivery failed; "delay": delayed, the server retries
    recipients: tuple[str, ...]  # the addresses that failed (or are delayed), canonical
    status: str  # enhanced status code such as "5.1.1"; "" when none is given
    permanent: bool  # a 5.x.x failure
    diagnostic: str  # the remote server's words, one line
    original_message_id: str  # of the returned mail, without angle brackets; "" if unknown
    original_references: tuple[str, ...]
    original_subject: str


def read_bounce(parsed: ParsedMail) -> BounceReport | None:
    """The bounce or delay notice ``parsed`` is, read; None when it is neither."""
    try:
        return _read(parsed)
    except Exception:  # noqa: BLE001 - a report that cannot be read is simply not one
        return None


def _read(parsed: ParsedMail) -> BounceReport | None:
    msg = parsed.headers
    verdict = detect_auto(msg, from_addr=parsed.from_addr, own_addresses=(), own_domain="")
    if verdict.kind not in ("bounce", "delay"):
        return None
    kind: BounceKind = "delay" if verdict.kind == "delay" else "bounce"
    notice = notice_text(msg)
    dsn = read_dsn(msg)
    head, entries = dsn if dsn else ({}, ())
    chosen = _chosen(entries, kind)
    recipients = _recipients(chosen, msg)
    if not recipients:
        recipients = _text_recipients(notice, parsed)
    diagnostic = next((e.diagnostic for e in chosen if e.diagnostic), "") or _text_diagnostic(
        notice, recipients)
    status = next((e.status for e in chosen if e.status), "") or _text_status(diagnostic, notice)
    original = _original(msg, parsed, head)
    return BounceReport(
        kind=kind,
        recipients=recipients,
        status=status,
        permanent=kind == "bounce" and (status.startswith("5") if status else True),
        diagnostic=diagnostic[:500],
        original_message_id=original[0],
        original_references=original[1],
        original_subject=original[2] or _subject_from_own(parsed.subject),
    )


def _chosen(entries: tuple[DsnRecipient, ...], kind: BounceKind) -> list[DsnRecipient]:
    wanted = "failed" if kind == "bounce" else "delayed"
    chosen = [e for e in entries if e.action == wanted]
    return chosen or [e for e in entries if e.action not in ("delivered", "relayed", "expanded")]


def _recipients(entries: list[DsnRecipient], msg: Message) -> tuple[str, ...]:
    found = [e.final_recipient or e.original_recipient for e in entries]
    for value in msg.get_all("X-Failed-Recipients") or []:
        found += re.split(r"[,\s]+", decode_header_value(value))
    addresses = (canonical_address(a) for a in found if a)
    return tuple(dict.fromkeys(a for a in addresses if a))


def _text_recipients(notice: str, parsed: ParsedMail) -> tuple[str, ...]:
    """Addresses the notice names, less the bounce's own parties and the mail system."""
    parties = {parsed.from_addr, *parsed.to, *parsed.cc, parsed.reply_to}
    out: list[str] = []
    notice = _ID_LINES.sub("", notice)
    for match in _ADDRESS.finditer(notice):
        before = notice[max(0, match.start() - 8) : match.start()]
        if re.search(r"(?:https?://|www\.|/)\S*$", before):
            continue  # inside a link
        address = canonical_address(match.group(0).strip(".'"))
        if not address or address in parties:
            continue
        if _SYSTEM_LOCAL.match(address.split("@", 1)[0]):
            continue
        out.append(address)
    return tuple(dict.fromkeys(out))


def _text_diagnostic(notice: str, recipients: tuple[str, ...]) -> str:
    """The line where the remote server gave its reason, with its continuation lines."""
    lines = notice.replace("\r", "").split("\n")
    best = ""
    for i, line in enumerate(lines):
        if not line.strip() or not _DIAGNOSTIC.search(line):
            continue
        text = line.strip()
        for nxt in lines[i + 1 : i + 4]:
            if not nxt.strip() or not nxt[:1].isspace():
                break
            text += " " + nxt.strip()
        text = " ".join(text.split())
        if re.search(r"\b[45]\d\d\b|\b[45]\.\d\.\d", text):
            return _clean_diagnostic(text)
        best = best or text
    return _clean_diagnostic(best or _around_recipient(lines, recipients))


def _around_recipient(lines: list[str], recipients: tuple[str, ...]) -> str:
    """No line names a reason: the recipient's own line and its indented continuation."""
    for i, line in enumerate(lines):
        if recipients and recipients[0] in line.lower():
            text = line.strip()
            for nxt in lines[i + 1 : i + 4]:
                if not nxt.strip() or not nxt[:1].isspace():
                    break
                text += " " + nxt.strip()
            return " ".join(text.split())
    return ""


_REPLY_START = re.compile(r"\b[45]\d\d(?=[ -]|$)|\b[45]\.\d{1,3}\.\d{1,3}\b")


def _clean_diagnostic(text: str) -> str:
    """The remote server's own reply: from its SMTP code on, without the MTA's framing."""
    text = re.sub(r"^\(?reason:\s*", "", text, flags=re.IGNORECASE)
    text = re.sub(r"^remote server returned\s*", "", text, flags=re.IGNORECASE)
    start = _REPLY_START.search(text)
    if start:
        text = text[start.start() :]
    text = re.sub(r"\s*\(in reply to [^()]*\)\s*$", "", text, flags=re.IGNORECASE)
    return text.strip().strip("'\"()").strip()


def _text_status(diagnostic: str, notice: str) -> str:
    for text in (diagnostic, notice):
        code = status_code(text)
        if code:
            return code
    for text in (diagnostic, notice):
        basic = _BASIC_CODE.search(text)
        if basic:
            return f"{basic.group(1)}.0.0"
    return ""


# ------------------------------------------------------------------------ the original mail


def _original(msg: Message, parsed: ParsedMail, head: dict[str, str]) -> tuple[
    str, tuple[str, ...], str
]:
    """(Message-ID, References, Subject) of the returned mail."""
    ids: list[str] = []
    refs: list[str] = []
    subjects: list[str] = []
    for block in _original_blocks(msg):
        ids += _ID.findall(raw_header(block, "Message-ID")) or _bare(raw_header(block, "Message-ID"))
        refs += _ID.findall(raw_header(block, "References"))
        subject = raw_header(block, "Subject")
        if subject:
            subjects.append(decode_header_value(subject))
    ids += _ID.findall(head.get("x-original-message-id", ""))
    text = _all_text(msg)
    ids += [m.strip("<>") for m in _MSGID_LINE.findall(text)]
    if not refs:
        for value in _REFS_LINE.findall(text):
            refs += _ID.findall(value)
    subjects += [decode_header_value(s) for s in _SUBJECT_LINE.findall(text)]
    ids += list(parsed.in_reply_to)  # Exchange answers the original like a reply
    # An id with raw bytes that are not UTF-8 (read as lone surrogates) or with a NUL is a
    # damaged copy: it names no mail of ours, and no database could even be asked for it.
    ids = [i for i in ids if i and i != parsed.message_id and _is_text(i)]
    refs = [r for r in refs if _is_text(r)]
    ours = [i for i in ids if i.lower().startswith(OWN_ID_PREFIX)]
    message_id = (ours or ids or [""])[0]
    subject = next((" ".join(s.split()) for s in subjects if s.strip()), "")
    return message_id, tuple(dict.fromkeys(refs)), subject


def _is_text(value: str) -> bool:
    return "\x00" not in value and not any("\udc80" <= c <= "\udcff" for c in value)


def _bare(value: str) -> list[str]:
    value = value.strip()
    return [value] if value and " " not in value and "@" in value else []


def _original_blocks(msg: Message) -> list[Message]:
    """The returned message's header blocks: message/rfc822 parts and header-only parts."""
    blocks: list[Message] = []
    for part in find_parts(msg, frozenset({"message/rfc822", "text/rfc822-headers",
                                           "message/rfc822-headers", "message/global",
                                           "message/global-headers"})):
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            blocks.append(payload[0])
        else:
            data = payload_bytes(part).replace(b"\r\n", b"\n")
            blocks.append(email.message_from_bytes(data))
    for part in leaves(msg):  # an original pasted as a part without its own headers
        if part is not msg and raw_header(part, "Message-ID") and raw_header(part, "From"):
            blocks.append(part)
    return blocks


def _all_text(msg: Message) -> str:
    """Every text part of the report itself (notice, quoted original), decoded."""
    chunks: list[str] = []
    for part in leaves(msg):
        ctype = content_type_of(part)
        if ctype.startswith("text/"):
            chunks.append(decode_bytes(payload_bytes(part), charset_of(part)))
        elif isinstance(part.get_payload(), list) and ctype != "message/rfc822":
            chunks.append(report_text(part))
    return "\n".join(chunks)[:200_000]


def _subject_from_own(subject: str) -> str:
    """The original subject an NDR repeats in its own: "Undeliverable: [ЭЖ #5] ..."."""
    stripped = _SUBJECT_PREFIX.sub("", subject)
    return stripped if stripped != subject else ""
