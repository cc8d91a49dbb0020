"""Signed reply tokens: the proof that a mail answers a notice we sent to a helper.

A From header is trivial to forge, so a helper's answer or command counts only when it comes
from that helper's registered address AND carries a token that only mailbot can make: an
HMAC of the case number, the person's id and the day it was issued, under a server secret.
The token rides in the Message-ID of every mail we send a helper about a case (mail clients
put it back into In-Reply-To / References), and, where the mail server delivers
sub-addresses, in a `help+<token>@` Reply-To address as well (the way GitLab's service desk
does it):

    mailbot.42.notice.ivanova.3fa9c1.20790.<sig>@school.example
    help+c42.ivanova.20790.<sig>@school.example

20790 is the issue day (days since 1970-01-01, UTC). A token is accepted for
`security.token_days` after it, and only while the secret that signed it is accepted
(keyring.py: the current one, or a rotated-out one within its grace). Tokens of the first
release carry no day (`mailbot.42.notice.ivanova.3fa9c1.<sig>@`); they are accepted until
`security.undated_tokens_until` if set, else as long as their secret, so an upgrade locks
nobody out mid-conversation and the next `mailbot secret rotate` ends them.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta

from mailbot.desk.keyring import Keyring

_SIG_LEN = 16  # hex digits of the HMAC kept: 64 bits, far beyond guessing by mail
_PERSON = r"[a-z0-9_-]{1,40}"
_DAY = r"(?:\.(\d{4,6}))?"  # the issue day; absent in tokens of the first release
_IN_MESSAGE_ID = re.compile(
    rf"^mailbot\.(\d{{1,9}})\.[a-z_]{{1,20}}\.({_PERSON})\.[0-9a-f]{{6}}{_DAY}"
    rf"\.([0-9a-f]{{{_SIG_LEN}}})@",
)
_IN_ADDRESS = re.compile(rf"^[^+@]+\+c(\d{{1,9}})\.({_PERSON}){_DAY}\.([0-9a-f]{{{_SIG_LEN}}})@")
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class Token:
    case: int
    person: str
    where: str  # the Message-ID or address that carried it, for the event log
    issued: date | None = None  # None: a token of the first, undated form
    # Genuine, but no longer accepted from this day on (too old, or its secret rotated out
    # and past grace); None for a token that is accepted.
    expired_on: date | None = None


def day_number(moment: datetime) -> int:
    return (moment.astimezone(UTC).date() - _EPOCH).days


def signature(secret: bytes, case: int, person: str, day: int | None) -> str:
    signed = f"{case}:{person}" if day is None else f"{case}:{person}:{day}"
    return hmac.new(secret, signed.encode(), hashlib.sha256).hexdigest()[:_SIG_LEN]


def helper_message_id(keys: Keyring, domain: str, case: int, person: str, kind: str,
                      now: datetime) -> str:
    """A Message-ID (without brackets) for a mail to a helper that their reply will cite."""
    nonce, day = secrets.token_hex(3), day_number(now)
    sig = signature(keys.current, case, person, day)
    return f"mailbot.{case}.{kind}.{person}.{nonce}.{day}.{sig}@{domain}"


# RFC 5321 4.5.3.1.1: a server may refuse a local part longer than this.
_LOCAL_PART_MAX = 64


def reply_address(keys: Keyring, address: str, case: int, person: str, now: datetime) -> str:
    """`help+c42.ivanova.20790.<sig>@school.example`, for servers that deliver sub-addresses;
    "" (no such address: the token in the Message-ID still works) when the help address's
    name, the case number and a long person id would make a local part over 64 octets."""
    local, domain = address.split("@", 1)
    day = day_number(now)
    plus = f"{local}+c{case}.{person}.{day}.{signature(keys.current, case, person, day)}"
    return f"{plus}@{domain}" if len(plus.encode()) <= _LOCAL_PART_MAX else ""


def find_token(keys: Keyring, thread_ids: Iterable[str], addresses: Iterable[str],
               now: datetime) -> Token | None:
    """The first accepted token among the ids a mail cites and the addresses it was sent
    to; else the first genuine one that has expired (Token.expired_on says since when, so
    the helper can be asked to answer the newest notice); else None."""
    stale: Token | None = None
    for token, day, sig in _candidates(thread_ids, addresses):
        checked = _checked(keys, token, day, sig, now)
        if checked is not None and checked.expired_on is None:
            return checked
        stale = stale or checked
    return stale


def _candidates(thread_ids: Iterable[str],
                addresses: Iterable[str]) -> Iterator[tuple[Token, int | None, str]]:
    for mid in thread_ids:
        found = _IN_MESSAGE_ID.match(mid)
        if found:
            yield _token(found, mid)
    for addr in addresses:
        found = _IN_ADDRESS.match(addr.lower())
        if found:
            yield _token(found, addr)


def _token(found: re.Match[str], where: str) -> tuple[Token, int | None, str]:
    case, person, day, sig = found.groups()
    number = int(day) if day else None
    issued = _EPOCH + timedelta(days=number) if number is not None else None
    return Token(int(case), person, where, issued), number, sig


def _checked(keys: Keyring, token: Token, day: int | None, sig: str,
             now: datetime) -> Token | None:
    """The token as accepted or expired, or None when no secret of ours signed it."""
    own_end = _token_end(keys, token.issued)
    for secret, key_end in keys.checking():
        if hmac.compare_digest(signature(secret, token.case, token.person, day), sig):
            ends = [end for end in (own_end, key_end) if end is not None]
            end = min(ends) if ends else None
            if end is not None and now >= end:
                return replace(token, expired_on=end.astimezone(UTC).date())
            return token
    return None


def _token_end(keys: Keyring, issued: date | None) -> datetime | None:
    if issued is None:
        last = keys.undated_until
        return datetime.combine(last, time(), UTC) if last is not None else None
    return datetime.combine(issued + timedelta(days=keys.token_days), time(), UTC)
