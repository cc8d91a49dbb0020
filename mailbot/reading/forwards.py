"""Who really wrote a forwarded mail: the user a staff member forwards to the help address.

When a teacher forwards a parent's letter, the case must open for the parent, so we need the
parent's name and address, the original subject and text, and what the teacher wrote above.

Where the answer comes from, most reliable first:

1. A ``message/rfc822`` attachment (forward as attachment: Thunderbird, Outlook, Mail.ru).
   Its own headers are parsed by ``mailbot.reading.parsing.parse`` (stdlib ``email``, compat32),
   which decodes RFC 2047 names in any charset (koi8-r, windows-1251, utf-8).
2. An inline forward block in the plain text, then in the text made from the HTML part:
   a forward marker (``---------- Forwarded message ---------``, ``-------- Пересылаемое
   сообщение --------``, ``Начало пересланного сообщения:``, ``-----Исходное
   сообщение-----``, a line of underscores, ...) followed by a header: a block of fields
   (``От:``/``From:``/``От кого:``, ``Дата:``, ``Тема:``, ``Кому:``, in any order, with
   Outlook's ``[mailto:...]``, Gmail's ``*From:*``, Thunderbird's table cells) or one line
   (Mail.ru ``… от Имя <addr>:``, Yandex ``04.05.2026, 18:58, "Имя" <addr>:``). Outlook's
   field block alone, without a rule above it (old Outlook HTML), counts as a marker too.

Decisions:

- Only unquoted markers count: a forward inside the ``>`` history of a reply is history.
  The forwarded header and body may be quoted (Apple Mail and Mail.ru put them in a
  blockquote); one common quoting level is removed from the text.
- A forward of a forward: the first (outermost) block wins. Its sender is the person who
  wrote to the forwarder, the one who is waiting for an answer; the inner forward stays
  in the text, where a helper can read it.
- Outlook and Samsung write the same marker (``Original Message`` / ``Исходное сообщение``)
  above replies and forwards. Such an ambiguous marker is not a forward when the caller
  passes the outer ``subject`` and it starts with a reply prefix (``Re:``, ``Отв:``...).
- The outermost block with no address (Outlook writes only a name for a colleague in the
  same organisation) gives None: guessing from an inner block would pick the wrong person.
- The text ends at the matching end marker (``-------- Конец пересылаемого сообщения
  --------``, Mail.ru and Yandex), counting nested start and end markers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailbot.reading.header_text import decode_header_value
from mailbot.reading.htmltext import html_to_text
from mailbot.reading.parsing import parse

__all__ = ["Forwarded", "find_forwarded"]


@dataclass(frozen=True)
class Forwarded:
    name: str  # the original sender's display name, "" when only the address is known
    addr: str  # lower case
    subject: str  # the original subject, "" when the forward does not show it
    text: str  # the original mail's text, without the forward header
    comment: str  # what the forwarder wrote above the forward


def find_forwarded(
    text: str,
    html: str = "",
    attachments: Sequence[tuple[str, bytes]] = (),
    *,
    subject: str = "",
) -> Forwarded | None:
    """The forwarded mail's sender and content, or None when this is not a forward or no
    address can be found. ``subject``, the outer mail's subject, is optional: with it a
    reply (``RE:``) carrying Outlook's ``Original Message`` block is not taken for a forward.
    """
    reply = bool(_REPLY_SUBJECT_RE.match(subject))
    html_text = html_to_text(html) if html.strip() and not text.strip() else ""
    for content_type, data in attachments:
        if content_type.lower() == "message/rfc822":
            found = _from_attachment(data, (text if text.strip() else html_text).strip())
            if found is not None:
                return found
    if text.strip():
        found = _from_inline(text, reply)
        if found is not None or not html.strip():
            return found
        html_text = html_to_text(html)
    return _from_inline(html_text, reply) if html_text.strip() else None


# --------------------------------------------------------------------------- attachment


def _from_attachment(data: bytes, comment: str) -> Forwarded | None:
    try:
        mail = parse(data)
    except (ValueError, LookupError, UnicodeError):  # MailError is a ValueError
        return None
    return Forwarded(
        name=mail.from_name,
        addr=mail.from_addr,
        subject=mail.subject,
        text=mail.text.strip(),
        comment=comment,
    )


# --------------------------------------------------------------------------- vocabulary

_FORWARD_PHRASE = (
    r"forwarded\s+(?:message|e-?mail)|begin\s+forwarded\s+message"
    r"|(?:пересылаемое|пересланное|переадресованное|перенаправленное)\s+(?:сообщение|письмо)"
    r"|начало\s+(?:пересылаемого|пересланного|переадресованного|перенаправленного)"
    r"\s+(?:сообщения|письма)"
)
_AMBIGUOUS_PHRASE = r"original\s+message|исходное\s+сообщение|оригинальное\s+сообщение"
_DASHED_RE = re.compile(
    rf"[-=_*]{{2,}}\s*(?:(?P<forward>{_FORWARD_PHRASE})|(?P<ambiguous>{_AMBIGUOUS_PHRASE}))"
    r"\s*:?\s*[-=_*]*",
    re.IGNORECASE,
)
_INTRO_RE = re.compile(rf"(?:{_FORWARD_PHRASE})\s*:", re.IGNORECASE)
_RULE_RE = re.compile(r"_{10,}|-{20,}")
_END_RE = re.compile(
    r"[-=_*]{2,}\s*(?:конец|end\s+of)\s+(?:пересылаемого|пересланного|переадресованного"
    r"|перенаправленного|forwarded)\s+(?:сообщения|письма|message)\s*[-=_*]*",
    re.IGNORECASE,
)
_REPLY_SUBJECT_RE = re.compile(
    r"\s*(?:re|aw|sv|antw|отв|ответ)\s*(?:\[\d+\]|\(\d+\))?\s*:", re.IGNORECASE
)

_FIELD_KEYS = {
    "from": "from", "от": "from", "от кого": "from", "отправитель": "from",
    "date": "date", "sent": "date", "дата": "date", "отправлено": "date",
    "to": "to", "кому": "to", "cc": "cc", "копия": "cc", "bcc": "cc", "скрытая копия": "cc",
    "subject": "subject", "тема": "subject", "reply-to": "reply", "ответить": "reply",
    "importance": "other", "важность": "other", "attachments": "other", "вложения": "other",
}  # fmt: skip
_FIELD_RE = re.compile(
    r"\*?(?P<key>" + "|".join(sorted(map(re.escape, _FIELD_KEYS), key=len, reverse=True))
    + r")\s*:\*?(?:\s*\|)?(?:\s+(?P<value>.*)|$)",
    re.IGNORECASE,
)
_ADDR_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_ADDR_WRAP_RE = re.compile(
    r"<\s*(?:mailto:)?[^<>]*@[^<>]*>|\[[^\[\]]*@[^\[\]]*\]|\(\s*(?:mailto:)?[^()]*@[^()]*\)"
    r"|(?:mailto:)?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+",
    re.IGNORECASE,
)
_ON_BEHALF_RE = re.compile(r"\s(?:on\s+behalf\s+of|от\s+имени)\s", re.IGNORECASE)
_DATE_TIME_RE = re.compile(r"\d{1,2}:\d{2}|\d{1,4}[./-]\d{1,2}[./-]\d{2,4}|\d{4}")
_VERB_END_RE = re.compile(
    r"\s*(?:пишет|писал[аи]?|написал[аи]?|написал\(а\)|писал\(а\)|wrote|writes)\s*$",
    re.IGNORECASE,
)
_NAME_JUNK = " \t,;:<>|*"
_QUOTE_PAIRS = (('"', '"'), ("'", "'"), ("«", "»"), ("“", "”"), ("„", "“"))
_MAX_HEADER_LINES = 20  # a forward header is never longer; keeps odd input linear
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


# --------------------------------------------------------------------------- lines


@dataclass(frozen=True)
class _Line:
    raw: str  # the line as it is in the mail
    depth: int  # quoting level: the number of leading ">"
    text: str  # the line without its quote prefix, right-stripped
    key: str  # stripped, whitespace collapsed: what the rules look at


_QUOTE_PREFIX_RE = re.compile(r"\s*((?:>[ \t]?)+)")


def _lines(text: str) -> list[_Line]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    result = []
    for raw in text.split("\n"):
        clean = raw.replace("\u00a0", " ").replace("\u202f", " ").rstrip()
        prefix = _QUOTE_PREFIX_RE.match(clean)
        depth = prefix.group(1).count(">") if prefix else 0
        body = clean[prefix.end() :] if prefix else clean
        result.append(_Line(raw.rstrip(), depth, body, " ".join(body.split())))
    return result


def _next_content(lines: list[_Line], i: int) -> int | None:
    return next((j for j in range(i, len(lines)) if lines[j].key), None)


# --------------------------------------------------------------------------- inline


def _from_inline(text: str, reply: bool) -> Forwarded | None:
    lines = _lines(text)
    for i, line in enumerate(lines):
        if not line.key:
            continue
        kind = _marker(lines, i) if not line.depth else _quoted_marker(lines, i)
        if kind is None:
            continue
        if kind != "forward" and reply:
            return None  # Outlook's reply header looks exactly like its forward header
        start = i if kind == "block" else i + 1
        header = _read_header(lines, start)
        if header is None:
            return None
        name, addr, subject, body_start = header
        return Forwarded(
            name=name,
            addr=addr,
            subject=subject,
            text=_body(lines, body_start),
            comment="\n".join(line.raw for line in lines[:i]).strip(),
        )
    return None


def _marker(lines: list[_Line], i: int) -> str | None:
    """"forward", "ambiguous" (could be a reply), "block" (a bare field block) or None."""
    key = lines[i].key
    dashed = _DASHED_RE.fullmatch(key)
    if dashed:
        return "forward" if dashed["forward"] else "ambiguous"
    if _INTRO_RE.fullmatch(key):
        return "forward"
    if _RULE_RE.fullmatch(key):
        after = _next_content(lines, i + 1)
        if after is not None and _FIELD_RE.fullmatch(lines[after].key):
            return "ambiguous"
        return None
    if _is_field_block(lines, i):
        return "block"
    return None


def _quoted_marker(lines: list[_Line], i: int) -> str | None:
    """Apple Mail on a Mac quotes the whole forward, its marker included. A quoted forward
    marker counts only when it opens its quote and no reply header ("… пишет:", "… wrote:",
    "… <addr>:") introduces that quote: otherwise it is a reply's history."""
    if not _starts_forward(lines[i].key):
        return None
    depth = lines[i].depth
    for line in reversed(lines[:i]):
        if not line.key:
            continue
        if line.depth >= depth:
            return None  # not the first line of its quote
        return None if line.key.endswith(":") else "forward"
    return "forward"


def _is_field_block(lines: list[_Line], i: int) -> bool:
    """Outlook's From / Sent / To / Subject with no rule above it (old Outlook HTML)."""
    match = _FIELD_RE.fullmatch(lines[i].key)
    if match is None or _FIELD_KEYS[match["key"].lower()] != "from":
        return False
    fields, _ = _fields(lines, i)
    return "date" in fields and bool({"to", "subject"} & set(fields))


def _read_header(lines: list[_Line], i: int) -> tuple[str, str, str, int] | None:
    """(name, address, subject, index where the text starts) of the header at/after i."""
    first = _next_content(lines, i)
    if first is None:
        return None
    if _FIELD_RE.fullmatch(lines[first].key):
        fields, end = _fields(lines, first)
        name, addr = _person(fields.get("from", ""))
        return (name, addr, fields.get("subject", ""), end) if addr else None
    for span in (1, 2):  # a one-line header, perhaps wrapped inside the address
        chunk = lines[first : first + span]
        joined = " ".join(line.key for line in chunk)
        if joined.endswith(":") and _ADDR_RE.search(joined):
            name, addr = _person_from_intro(joined[:-1])
            after = first + span
            nxt = _next_content(lines, after)
            subject = ""
            if nxt is not None and _FIELD_RE.fullmatch(lines[nxt].key):
                fields, after = _fields(lines, nxt)
                subject = fields.get("subject", "")
            return name, addr, subject, after
    return None


def _fields(lines: list[_Line], i: int) -> tuple[dict[str, str], int]:
    """The field block starting at line i: {kind: value} and the index after it.

    Values wrapped onto the next line (long To lists, an address on its own line) are
    joined; one blank line between fields is allowed (Outlook HTML paragraphs).
    """
    fields: dict[str, str] = {}
    last = ""
    j = i
    while j < min(len(lines), i + _MAX_HEADER_LINES):
        key = lines[j].key
        match = _FIELD_RE.fullmatch(key) if key else None
        if match:
            last = _FIELD_KEYS[match["key"].lower()]
            fields.setdefault(last, (match["value"] or "").strip())
        elif key and last in ("from", "to", "cc") and ("@" in key or key.startswith("<")):
            fields[last] = f"{fields[last]} {key}".strip()
        elif not key:
            nxt = _next_content(lines, j)
            field = _FIELD_RE.fullmatch(lines[nxt].key) if nxt is not None else None
            if field is None or _FIELD_KEYS[field["key"].lower()] in fields:
                break
        else:
            break
        j += 1
    return fields, j


def _starts_forward(key: str) -> bool:
    dashed = _DASHED_RE.fullmatch(key)
    return bool(dashed and dashed["forward"]) or bool(_INTRO_RE.fullmatch(key))


def _body(lines: list[_Line], start: int) -> str:
    """The forwarded text: up to the matching end marker or the end of its quote, with the
    common quote level removed."""
    end = len(lines)
    level = 1
    for j in range(start, len(lines)):
        key = lines[j].key
        if _END_RE.fullmatch(key):
            level -= 1
            if level == 0:
                end = j
                break
        elif _starts_forward(key):
            level += 1
    part = lines[start:end]
    first = next((line for line in part if line.key), None)
    if first is not None and first.depth:
        # A quoted forward (Mail.ru, Apple Mail) ends where its quote ends: what follows
        # unquoted is the forwarder's signature.
        cut = next((k for k, line in enumerate(part) if line.key and line.depth < first.depth),
                   len(part))
        part = part[:cut]
    while part and (not part[-1].key or _RULE_RE.fullmatch(part[-1].key)):
        part = part[:-1]  # Mail.ru closes a forward with a line of dashes
    depth = min((line.depth for line in part if line.key), default=0)
    out = []
    for line in part:
        extra = max(line.depth - depth, 0)
        out.append((">" * extra + " " if extra else "") + line.text)
    return "\n".join(out).strip("\n").strip()


# --------------------------------------------------------------------------- people


def _person(value: str) -> tuple[str, str]:
    """(name, address) from a From field: «Имя <a@b>», «"Имя" <a@b>», «Имя [mailto:a@b]»,
    «a@b», «=?koi8-r?B?...?= <a@b>» (old clients leave encoded words in the text)."""
    if "=?" in value:
        value = decode_header_value(value)
    found = _ADDR_RE.search(value)
    if found is None:
        return "", ""
    addr = found.group(0).lower().strip(".'")
    name = _clean_name(_ADDR_WRAP_RE.sub(" ", value))
    return ("" if name.lower() == addr else name), addr


def _person_from_intro(line: str) -> tuple[str, str]:
    """(name, address) from a one-line header without its colon: Mail.ru «… от Имя <a@b>»,
    Yandex «04.05.2026, 18:58, "Имя" <a@b>», Gmail «пт, 15 мар. 2026 г. в 10:15, Имя <a@b>»."""
    line = _VERB_END_RE.sub("", line)
    _, addr = _person(line)
    rest = _ADDR_WRAP_RE.sub(" ", line)
    quoted = re.search(r"\"([^\"]+)\"|«([^«»]+(?:«[^«»]*»[^«»]*)*)»", rest)
    if quoted:
        name = quoted.group(1) or quoted.group(2)
    elif re.search(r"\sот\s", rest, re.IGNORECASE):
        name = re.split(r"\sот\s", rest, flags=re.IGNORECASE)[-1]
    else:
        name = rest.rsplit(",", 1)[-1]
        name = "" if _DATE_TIME_RE.search(name) else name
    return _clean_name(name), addr


def _clean_name(name: str) -> str:
    """Spaces and punctuation around a display name and its enclosing quotes go; quotes
    inside it stay («Администратор ЭЖ МАОУ «СОШ № 12»»). Outlook's «X On Behalf Of Y» is Y."""
    name = _ON_BEHALF_RE.split(" ".join(name.split()))[-1].strip(_NAME_JUNK)
    changed = True
    while changed and len(name) >= 2:
        changed = False
        for left, right in _QUOTE_PAIRS:
            if name[0] == left and name[-1] == right:
                name, changed = name[1:-1].strip(_NAME_JUNK), True
    for left, right in _QUOTE_PAIRS:  # a quote left unbalanced at an edge
        if left == right:
            if name.count(left) % 2 and name.startswith(left):
                name = name[1:]
            elif name.count(left) % 2 and name.endswith(left):
                name = name[:-1]
            continue
        if name.startswith(left) and name.count(left) > name.count(right):
            name = name[1:]
        if name.endswith(right) and name.count(right) > name.count(left):
            name = name[:-1]
    return name.strip(_NAME_JUNK)
