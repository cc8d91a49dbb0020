"""The secrets that sign and check reply tokens: the current one, and the ones retired by
`mailbot secret rotate` that are still accepted for a grace period.

The secret file (mode 600, in the state folder) is plain text, one secret a line:

    # mailbot's token secrets: keep this file private
    current 9f2c...
    retired 2026-12-03T08:15:00+00:00 4b1e...

A file of the first release holds the bare secret alone; it is read as the current one.
With the secret in the environment ($MAILBOT_SECRET), the previous one goes into
`$MAILBOT_SECRET_PREVIOUS` as "<date it was retired> <secret>" (several separated by
commas), since mailbot cannot change the environment itself.

Parsing and formatting are pure; `load` and `rotate` are the thin file IO around them.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

MIN_LENGTH = 16
HEADER = "# mailbot's token secrets (mailbot secret rotate): keep this file private\n"


@dataclass(frozen=True)
class Retired:
    secret: bytes = field(repr=False)
    at: datetime  # when it stopped signing; accepted for grace_days after


@dataclass(frozen=True)
class Keyring:
    """The current secret signs; it and the retired ones still in grace check."""

    current: bytes = field(repr=False)
    retired: tuple[Retired, ...] = ()
    token_days: int = 120
    grace_days: int = 30
    undated_until: date | None = None  # undated (old-form) tokens: accepted until then

    def checking(self) -> tuple[tuple[bytes, datetime | None], ...]:
        """Each secret that may have signed a token, with the moment from which it no longer
        counts (None for the current one)."""
        return ((self.current, None), *((r.secret, self.grace_end(r)) for r in self.retired))

    def grace_end(self, retired: Retired) -> datetime:
        return retired.at + timedelta(days=self.grace_days)


class KeyringError(ValueError):
    """A secret file or variable that cannot be used, phrased as one line."""


def parse(text: str, where: str) -> tuple[bytes, tuple[Retired, ...]]:
    """The current secret and the retired ones of a secret file's text."""
    current: bytes | None = None
    retired: list[Retired] = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        if len(words) == 1 and current is None and not retired:  # the first release's form
            current = _checked(words[0], f"{where}: line {number}")
        elif words[0] == "current" and len(words) == 2 and current is None:
            current = _checked(words[1], f"{where}: line {number}")
        elif words[0] == "retired" and len(words) == 3:
            at = _moment(words[1], f"{where}: line {number}")
            retired.append(Retired(_checked(words[2], f"{where}: line {number}"), at))
        else:
            raise KeyringError(f"{where}: line {number}: expected 'current SECRET' once, or "
                               "'retired TIME SECRET'")
    if current is None:
        raise KeyringError(f"{where}: no current secret")
    return current, tuple(retired)


def format_file(current: bytes, retired: tuple[Retired, ...]) -> str:
    lines = [HEADER, f"current {current.decode()}\n"]
    lines += [f"retired {r.at.isoformat(timespec='seconds')} {r.secret.decode()}\n"
              for r in retired]
    return "".join(lines)


def parse_previous(value: str, name: str) -> tuple[Retired, ...]:
    """`$MAILBOT_SECRET_PREVIOUS`: "2026-12-03 oldsecret[, 2026-09-01 older]"."""
    found: list[Retired] = []
    for item in (part.strip() for part in value.split(",")):
        if not item:
            continue
        words = item.split()
        if len(words) != 2:
            raise KeyringError(f"${name}: expected '<date retired> <secret>', e.g. "
                               "'2026-12-03 <the old value>', several separated by commas")
        found.append(Retired(_checked(words[1], f"${name}"), _moment(words[0], f"${name}")))
    return tuple(found)


def rotated(current: bytes, retired: tuple[Retired, ...], now: datetime, grace_days: int,
            new: bytes) -> tuple[bytes, tuple[Retired, ...]]:
    """After a rotation: `new` signs, the old current one is retired now, and retired ones
    already past their grace are dropped."""
    still = tuple(r for r in retired if r.at + timedelta(days=grace_days) > now)
    return new, (Retired(current, now), *still)


def previous_env(env_name: str) -> str:
    return f"{env_name}_PREVIOUS"


# ---------------------------------------------------------------------------- file IO


def load(env_name: str, file: Path, *, create: bool = True) -> tuple[bytes, tuple[Retired, ...]]:
    """The secrets: the environment wins (with its _PREVIOUS variable); else the file,
    created on first use with a random secret, readable by its owner only. Read-only
    commands pass create=False and get a throwaway secret instead: with no secret yet, no
    notice was ever signed, so no token can be valid anyway."""
    value = os.environ.get(env_name, "").strip() if env_name else ""
    if value:
        previous = os.environ.get(previous_env(env_name), "")
        return _checked(value, f"${env_name}"), parse_previous(previous, previous_env(env_name))
    try:
        return parse(file.read_text(encoding="utf-8"), str(file))
    except FileNotFoundError:
        pass
    fresh = secrets.token_hex(32).encode()
    if not create:
        return fresh, ()
    try:
        write_new(file, format_file(fresh, ()))
    except FileExistsError:  # another process made it a moment ago
        return parse(file.read_text(encoding="utf-8"), str(file))
    return fresh, ()


def write_new(file: Path, text: str) -> None:
    """Create the file (never replacing one), mode 600."""
    file.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def replace_file(file: Path, text: str) -> None:
    """Write atomically: a private temporary file beside it, synced, then renamed over it,
    so a crash leaves the old file or the new one, never half of one. The new file keeps
    the old one's owner (root rotating the service user's file)."""
    owner = os.stat(file)
    temporary = file.with_name(f".{file.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            if (owner.st_uid, owner.st_gid) != (os.geteuid(), os.getegid()):
                os.fchown(handle.fileno(), owner.st_uid, owner.st_gid)
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, file)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(file.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def _checked(value: str, where: str) -> bytes:
    if len(value) < MIN_LENGTH:
        raise KeyringError(f"{where}: the secret is too short (at least {MIN_LENGTH} characters)")
    return value.encode()


def _moment(text: str, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise KeyringError(f"{where}: {text!r} is not a date or time like 2026-12-03") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
