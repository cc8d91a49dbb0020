"""What every mailbox adapter offers the worker."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


class SourceError(Exception):
    """The mailbox cannot be reached or read; phrased as one line for the operator."""


@dataclass(frozen=True)
class Scan:
    """Messages waiting on the server, oldest first, as ledger keys."""

    keys: list[str]
    uidvalidity: int | None = None
    high_uid: int = 0  # for IMAP: the largest UID in `keys`


class Source(Protocol):
    description: str

    def scan(self, uidvalidity: int | None, last_uid: int) -> Scan: ...

    def fetch(self, keys: list[str]) -> Iterator[tuple[str, bytes]]: ...

    def mark_done(self, keys: list[str]) -> None: ...

    def close(self) -> None: ...
