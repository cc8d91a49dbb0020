"""The machine-readable part of a delivery report (RFC 3464) and of a feedback report (RFC 5965).

A delivery-status part is a block of per-message fields (Reporting-MTA, Arrival-Date ...)
followed by one block per recipient (Final-Recipient, Action, Status, Diagnostic-Code ...).
compat32 parses ``message/delivery-status`` into one sub-message per block, and any other
``message/*`` part (``global-delivery-status``, ``feedback-report``) into one header block
with the rest as body; so the part's text (bodies.report_text) is read here as field blocks,
which also serves servers that put the fields into a text/plain part.  Pure and never raises.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message

from mailbot.reading.bodies import report_text
from mailbot.reading.mime_headers import content_type_of

__all__ = ["DsnRecipient", "find_parts", "parse_fields", "read_dsn", "status_code"]

DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,60})[ \t]*:[ \t]*(.*)$")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")


@dataclass(frozen=True)
class DsnRecipient:
    final_recipient: str  # the address, "rfc822;" dropped
    original_recipient: str
    action: str  # failed | delayed | delivered | relayed | expanded | ""
    status: str  # "5.1.1", "" when absent
    diagnostic: str  # Diagnostic-Code without its type, one line
    will_retry_until: str


def status_code(text: str) -> str:
    """The first enhanced status code (RFC 3463) in ``text``, "" when none."""
    match = _STATUS.search(text or "")
    return ".".join(match.groups()) if match else ""


def parse_fields(text: str) -> list[dict[str, str]]:
    """Blocks of ``Name: value`` fields separated by blank lines; folded lines joined.

    Names are lower-cased; the first occurrence of a name in a block wins.
    """
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, ""
            continue
        if line[:1] in (" ", "\t") and last:
            current[last] = f"{current[last]} {line.strip()}".strip()
            continue
        match = _FIELD.match(line)
        if match:
            last = match.group(1).lower()
            current.setdefault(last, match.group(2).strip())
        else:
            last = ""
    if current:
        blocks.append(current)
    return blocks


def find_parts(msg: Message, types: frozenset[str], depth: int = 0) -> Iterator[Message]:
    """Parts of the given types in the message's own structure (not in attached mail)."""
    ctype = content_type_of(msg)
    if ctype in types:
        yield msg
        return
    payload = msg.get_payload()
    if ctype.startswith("multipart/") and isinstance(payload, list) and depth < 6:
        for sub in payload:
            if isinstance(sub, Message):
                yield from find_parts(sub, types, depth + 1)


def _address(value: str) -> str:
    """``rfc822; a@b`` → ``a@b`` (also ``utf-8;`` and bare or bracketed forms)."""
    value = value.split(";", 1)[1] if ";" in value else value
    value = re.sub(r"\([^()]*\)", " ", value).strip().strip("<>").strip()
    return value.split()[0].strip("<>").lower() if value.split() else ""


def _diagnostic(value: str) -> str:
    value = " ".join(value.split())
    if re.match(r"^(?:smtp|x-[\w.-]+|x400|unspecified)\s*;", value, re.IGNORECASE):
        value = value.split(";", 1)[1].strip()
    return value


def _recipient(block: dict[str, str]) -> DsnRecipient:
    return DsnRecipient(
        final_recipient=_address(block.get("final-recipient", "")),
        original_recipient=_address(block.get("original-recipient", "")),
        action=block.get("action", "").split("(")[0].strip().lower(),
        status=status_code(block.get("status", "")),
        diagnostic=_diagnostic(block.get("diagnostic-code", "")),
        will_retry_until=block.get("will-retry-until", "").strip(),
    )


def read_dsn(msg: Message) -> tuple[dict[str, str], tuple[DsnRecipient, ...]] | None:
    """(per-message fields, recipients) of the message's delivery-status part, or None."""
    try:
        for part in find_parts(msg, DSN_TYPES):
            blocks = parse_fields(report_text(part))
            if not blocks:
                continue
            recipients = [b for b in blocks if "final-recipient" in b or "action" in b]
            head = blocks[0] if blocks[0] not in recipients else {}
            return head, tuple(_recipient(b) for b in recipients)
    except Exception:  # noqa: BLE001 - a broken report is simply not a readable one
        return None
    return None
