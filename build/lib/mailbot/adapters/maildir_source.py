"""A local Maildir as the mailbox (what Postfix or Dovecot deliver into).

A message waits in `new/` (or in `cur/` without the S flag); once its case is committed it
is renamed into `cur/` with the S (seen) flag — an atomic rename, never a delete.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from mailbot.adapters.source import Scan, SourceError

PREFIX = "maildir:"


def ensure_maildir(path: Path) -> None:
    # mailbox.Maildir(create=True) skips tmp/new/cur when the folder exists: do it ourselves.
    for sub in ("tmp", "new", "cur"):
        (path / sub).mkdir(parents=True, exist_ok=True)


def deliver(path: Path, raw: bytes, name: str) -> Path:
    """Write one message into `new/` the Maildir way (tmp, then rename)."""
    ensure_maildir(path)
    tmp = path / "tmp" / name
    tmp.write_bytes(raw)
    final = path / "new" / name
    os.replace(tmp, final)
    return final


class MaildirSource:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"Maildir {path}"
        try:
            ensure_maildir(path)
        except OSError as exc:
            raise SourceError(f"{self.description}: {exc.strerror or exc}") from None

    def _waiting(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        try:
            for sub in ("new", "cur"):
                for entry in os.scandir(self.path / sub):
                    if not entry.is_file() or entry.name.startswith("."):
                        continue
                    unique, _, info = entry.name.partition(":")
                    if sub == "cur" and "S" in info.partition(",")[2]:
                        continue
                    found[unique] = Path(entry.path)
        except OSError as exc:
            raise SourceError(f"{self.description}: {exc.strerror or exc}") from None
        return found

    def scan(self, uidvalidity: int | None, last_uid: int) -> Scan:
        waiting = self._waiting()
        ordered = sorted(waiting, key=lambda k: (_mtime(waiting[k]), k))
        return Scan(keys=[PREFIX + k for k in ordered])

    def fetch(self, keys: list[str]) -> Iterator[tuple[str, bytes]]:
        waiting = self._waiting()
        for key in keys:
            path = waiting.get(key.removeprefix(PREFIX))
            if path is None:
                continue
            try:
                yield key, path.read_bytes()
            except FileNotFoundError:
                continue

    def mark_done(self, keys: list[str]) -> None:
        waiting = self._waiting()
        for key in keys:
            unique = key.removeprefix(PREFIX)
            path = waiting.get(unique)
            if path is None:
                continue
            flags = path.name.partition(":2,")[2] if ":2," in path.name else ""
            target = self.path / "cur" / f"{unique}:2,{''.join(sorted(set(flags + 'S')))}"
            try:
                os.replace(path, target)
            except FileNotFoundError:
                continue

    def close(self) -> None:
        pass


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
