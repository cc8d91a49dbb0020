"""What pseudonymising replaces, as pure functions over plain values.

A pseudonymised case keeps what the digest counts (jobs/figures.py: category, role, state,
owner, the moments, the kinds of its log entries) and loses what names or quotes a person:
names, addresses other than the desk's own and the staff's, subjects, texts, the raw mail.
The event log keeps, of each entry's detail, only the keys listed in `SAFE_KEYS` (states,
categories, person ids, seminar numbers ...), with any address of a person in them
replaced; every other value becomes `ERASED_TEXT`.

`Marks` are what identifies one person who asked to be forgotten (their address, the names
they wrote under, the lines they wrote): `found_in` tells whether a text holds any of them,
`redact` replaces them where the rest of the text belongs to someone else.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

from mailbot.reading.addresses import canonical_address

ERASED_ADDR = "erased@erased.invalid"  # .invalid: never deliverable (RFC 2606)
ERASED_TEXT = "[удалено]"
MIN_LINE = 24  # a line of their own this long is theirs, not a common phrase («Спасибо за помощь!»)
MIN_NAME = 3

# Detail keys whose values are the desk's own words, states, ids and numbers.
SAFE_KEYS = frozenset({
    "action", "after", "about", "auto", "before", "category", "command", "keys", "kind",
    "mails", "message_id", "outbox", "role", "route", "seats", "seminar", "ticket", "to",
    "vendor", "why", "reasons", "source", "key", "raw", "attachments", "messages", "cases",
})
# Something shaped like an address (Unicode allowed); a Message-ID looks the same, so the
# `message_id` key is left alone.
# `mailbot forget` reads every stored text with it: it is tried only where a run of its
# characters starts (a match found later in a run is found from its start too).
_ADDRESS = re.compile(r"(?<![^\s<>\"',;:()\[\]])[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")

Keep = Callable[[str], bool]  # is this address one to keep (the desk's own, a helper's)?


def replace_addresses(text: str, keep: Keep) -> str:
    """Every address in `text` but those to keep becomes ERASED_ADDR."""
    return _ADDRESS.sub(lambda m: m[0] if keep(canonical_address(m[0])) else ERASED_ADDR, text)


def address_list(value: str, keep: Keep) -> str:
    """A comma-separated list of addresses (to_addrs, rcpt_to) with the others replaced."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    return ", ".join(dict.fromkeys(p if keep(canonical_address(p)) else ERASED_ADDR
                                   for p in parts))


def scrub_detail(detail: str, keep: Keep) -> str:
    """An event's JSON detail with only SAFE_KEYS kept and the addresses in them replaced."""
    if not detail:
        return detail
    try:
        value = json.loads(detail)
    except ValueError:
        return ERASED_TEXT
    return json.dumps(_scrubbed(value, keep, safe=False), ensure_ascii=False)


def _scrubbed(value: object, keep: Keep, *, safe: bool) -> object:
    if isinstance(value, dict):
        return {k: _scrubbed(v, keep, safe=k in SAFE_KEYS) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, keep, safe=safe) for v in value]
    if isinstance(value, str):
        return replace_addresses(value, keep) if safe else ERASED_TEXT
    return value  # numbers, booleans, null


def actor(value: str, keep: Keep) -> str:
    """An event's actor: a person id or "mailbot" stays, an address not kept is replaced."""
    return value if "@" not in value or keep(canonical_address(value)) else ERASED_ADDR


# ------------------------------------------------------------------- one person's marks


@dataclass(frozen=True)
class Marks:
    addr: str  # canonical
    names: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()

    def _needles(self) -> list[str]:
        return [self.addr, *self.names, *self.lines]

    def found_in(self, text: str) -> bool:
        folded = text.casefold()
        return any(needle.casefold() in folded for needle in self._needles() if needle)

    def redact(self, text: str) -> str:
        """`text` with each mark replaced: the address by ERASED_ADDR, the rest by
        ERASED_TEXT (longest first, so a line goes whole before a name inside it)."""
        if not text:
            return text
        for needle in sorted(filter(None, self._needles()), key=len, reverse=True):
            instead = ERASED_ADDR if needle == self.addr else ERASED_TEXT
            text = re.sub(re.escape(needle), instead, text, flags=re.IGNORECASE)
        return text


def marks_of(addr: str, names: Iterable[str], texts: Iterable[str]) -> Marks:
    """The marks of a person: their canonical address, the names they wrote under (whole:
    a surname alone may be a helper's too) and the lines of their own texts long enough
    not to be common phrases."""
    found_names = {" ".join(n.split()) for n in names if len(n.strip()) >= MIN_NAME}
    lines = {" ".join(line.strip(" >\t").split()) for text in texts for line in text.splitlines()}
    return Marks(canonical_address(addr),
                 tuple(sorted(found_names)),
                 tuple(sorted(line for line in lines if len(line) >= MIN_LINE)))


# ------------------------------------------------------------------------- stored mail


def mail_text(raw: bytes) -> str:
    """A stored mail as a person reads it: its headers decoded and its text parts, for
    looking for marks in (an outgoing mail's bytes are base64 or quoted-printable)."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        parts = [f"{name}: {value}" for name, value in msg.items()]
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                parts.append(str(part.get_content()))
            filename = part.get_filename()
            if filename:
                parts.append(filename)
        return "\n".join(parts)
    except Exception:  # noqa: BLE001 - a broken mail is looked at as plain bytes
        return raw.decode("utf-8", "replace")


def mail_addresses(raw: bytes) -> set[str]:
    """The canonical addresses of a stored mail's From, To, Cc, Reply-To and Sender."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        values = [str(v) for name in ("from", "to", "cc", "reply-to", "sender")
                  for v in msg.get_all(name, [])]
    except Exception:  # noqa: BLE001
        values = [raw[:8000].decode("utf-8", "replace")]
    found = {canonical_address(m[0]) for v in values for m in _ADDRESS.finditer(v)}
    return found - {""}
