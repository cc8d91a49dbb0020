"""Signed reply tokens: the proof that a mail answers a notice we sent to a helper.

A From header is trivial to forge, so a helper's answer or command counts only when it comes
from that helper's registered address AND carries a token that only mailbot can make: an
HMAC of the case number and the person's id under a server secret. The token rides in the
Message-ID of every mail we send a helper about a case (mail clients put it back into
In-Reply-To / References), and, where the mail server delivers sub-addresses, in a
`help+<token>@` Reply-To address as well (the way GitLab's service desk does it).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_SIG_LEN = 16  # hex digits of the HMAC kept: 64 bits, far beyond guessing by mail
_PERSON = r"[a-z0-9_-]{1,40}"
_IN_MESSAGE_ID = re.compile(
    rf"^mailbot\.(\d{{1,9}})\.([a-z_]{{1,20}})\.({_PERSON})\.([0-9a-f]{{6}})\.([0-9a-f]{{{_SIG_LEN}}})@",
)
_IN_ADDRESS = re.compile(rf"^[^+@]+\+c(\d{{1,9}})\.({_PERSON})\.([0-9a-f]{{{_SIG_LEN}}})@")


@dataclass(frozen=True)
class Token:
    case: int
    person: str
    where: str  # the Message-ID or address that carried it, for the event log


def signature(secret: bytes, case: int, person: str) -> str:
    return hmac.new(secret, f"{case}:{person}".encode(), hashlib.sha256).hexdigest()[:_SIG_LEN]


def helper_message_id(secret: bytes, domain: str, case: int, person: str, kind: str) -> str:
    """A Message-ID (without brackets) for a mail to a helper that their reply will cite."""
    nonce = secrets.token_hex(3)
    return f"mailbot.{case}.{kind}.{person}.{nonce}.{signature(secret, case, person)}@{domain}"


def reply_address(secret: bytes, address: str, case: int, person: str) -> str:
    """`help+c42.ivanova.<sig>@school.example`, for servers that deliver sub-addresses."""
    local, domain = address.split("@", 1)
    return f"{local}+c{case}.{person}.{signature(secret, case, person)}@{domain}"


def find_token(secret: bytes, thread_ids: Iterable[str], addresses: Iterable[str]) -> Token | None:
    """The first valid token among the ids a mail cites and the addresses it was sent to."""
    for mid in thread_ids:
        found = _IN_MESSAGE_ID.match(mid)
        if found and _valid(secret, int(found.group(1)), found.group(3), found.group(5)):
            return Token(int(found.group(1)), found.group(3), mid)
    for addr in addresses:
        found = _IN_ADDRESS.match(addr.lower())
        if found and _valid(secret, int(found.group(1)), found.group(2), found.group(3)):
            return Token(int(found.group(1)), found.group(2), addr)
    return None


def _valid(secret: bytes, case: int, person: str, sig: str) -> bool:
    return hmac.compare_digest(signature(secret, case, person), sig)


def load_secret(env_name: str, file: Path, *, create: bool = True) -> bytes:
    """The server secret: the environment wins; else the file, created on first use.

    A created file holds 32 random bytes (hex) and is readable by its owner only. Read-only
    commands pass create=False and get a throwaway secret instead: with no secret yet, no
    notice was ever signed, so no token can be valid anyway.
    """
    value = os.environ.get(env_name, "").strip() if env_name else ""
    if value:
        if len(value) < 16:
            raise ValueError(f"${env_name}: the secret is too short (at least 16 characters)")
        return value.encode()
    try:
        text = file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        if not create:
            return secrets.token_hex(32).encode()
        file.parent.mkdir(parents=True, exist_ok=True)
        text = secrets.token_hex(32)
        try:
            descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it a moment ago
            return load_secret("", file, create=False)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
    if len(text) < 16:
        raise ValueError(f"{file}: the secret is too short (at least 16 characters)")
    return text.encode()
