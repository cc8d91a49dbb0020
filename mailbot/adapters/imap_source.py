"""IMAP mailbox adapter over imapclient.

UIDs with UIDVALIDITY, batched `UID FETCH BODY.PEEK[]` so nothing is marked read by
fetching, and \\Seen (and an optional move) only when the worker says a case is committed.
Batches are cut by count and by size (RFC822.SIZE is asked first), so memory stays flat
whatever the backlog.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from pathlib import Path

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from mailbot.adapters import tls
from mailbot.adapters.source import Scan, SourceError
from mailbot.config import Mailbox

NETWORK_ERRORS = (OSError, socket.timeout, ssl.SSLError, IMAPClientError, EOFError)


class ImapSource:
    def __init__(self, settings: Mailbox, ca_file: Path | None = None) -> None:
        self.settings = settings
        self.ca_file = ca_file  # resolved against the config file's folder
        self.description = f"IMAP {settings.host}:{settings.effective_port}"
        self.client: IMAPClient | None = None
        self.uidvalidity: int | None = None
        self.can_move = False

    # -- connection -----------------------------------------------------------------
    def _connect(self) -> IMAPClient:
        if self.client is not None:
            try:
                self.client.noop()
                return self.client
            except NETWORK_ERRORS:
                self._drop()
        s = self.settings
        client, info = open_client(s, self.ca_file, self.description)
        try:
            self.can_move = b"MOVE" in client.capabilities()
            if s.processed_folder and not client.folder_exists(s.processed_folder):
                client.create_folder(s.processed_folder)
        except NETWORK_ERRORS as exc:
            _shutdown(client)
            raise SourceError(f"{self.description}: {_text(exc)}") from None
        self.uidvalidity = int(info[b"UIDVALIDITY"])
        self.client = client
        return client

    def _drop(self) -> None:
        client, self.client = self.client, None
        if client is not None:
            _shutdown(client)

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except NETWORK_ERRORS:
                pass
            self.client = None

    # -- the Source protocol --------------------------------------------------------
    def scan(self, uidvalidity: int | None, last_uid: int) -> Scan:
        client = self._connect()
        if uidvalidity != self.uidvalidity:
            last_uid = 0  # the folder was rebuilt: look at everything; the ledger dedupes
        try:
            # "UID n:*" always answers the highest UID, even one below n: filter it out.
            uids = sorted(u for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)
        except NETWORK_ERRORS as exc:
            self._drop()
            raise SourceError(f"{self.description}: search failed: {_text(exc)}") from None
        return Scan(
            keys=[f"{self.uidvalidity}:{u}" for u in uids],
            uidvalidity=self.uidvalidity,
            high_uid=uids[-1] if uids else last_uid,
        )

    def fetch(self, keys: list[str]) -> Iterator[tuple[str, bytes]]:
        client = self._connect()
        uids = [self._uid(k) for k in keys]
        try:
            sizes = {}
            for start in range(0, len(uids), 500):
                chunk = uids[start : start + 500]
                sizes.update({u: d.get(b"RFC822.SIZE", 0)
                              for u, d in client.fetch(chunk, ["RFC822.SIZE"]).items()})
            for batch in _batches(uids, sizes, self.settings.batch_size,
                                  self.settings.batch_bytes):
                fetched = client.fetch(batch, ["BODY.PEEK[]"])
                for uid in batch:
                    data = fetched.get(uid, {}).get(b"BODY[]")
                    if data is not None:
                        yield f"{self.uidvalidity}:{uid}", bytes(data)
                del fetched
        except NETWORK_ERRORS as exc:
            self._drop()
            raise SourceError(f"{self.description}: fetch failed: {_text(exc)}") from None

    def mark_done(self, keys: list[str]) -> None:
        if not keys:
            return
        client = self._connect()
        uids = [self._uid(k) for k in keys if k.startswith(f"{self.uidvalidity}:")]
        if not uids:
            return
        try:
            client.add_flags(uids, [b"\\Seen"], silent=True)
            target = self.settings.processed_folder
            if target:
                if self.can_move:
                    client.move(uids, target)
                else:  # copy first: the original goes only once the copy exists
                    client.copy(uids, target)
                    client.add_flags(uids, [b"\\Deleted"], silent=True)
                    client.uid_expunge(uids)
        except NETWORK_ERRORS as exc:
            self._drop()
            raise SourceError(f"{self.description}: marking failed: {_text(exc)}") from None

    @staticmethod
    def _uid(key: str) -> int:
        return int(key.rsplit(":", 1)[1])


def open_client(s: Mailbox, ca_file: Path | None, description: str, *,
                readonly: bool = False) -> tuple[IMAPClient, dict[bytes, object]]:
    """A logged-in connection with the folder selected, and SELECT's answer; every failure
    as one SourceError line naming the server (and the half-open connection closed)."""
    client: IMAPClient | None = None
    try:
        context = tls.context(ca_file) if s.security != "none" else None
        client = IMAPClient(s.host, port=s.effective_port, ssl=s.security == "ssl",
                            ssl_context=context, timeout=s.timeout)
        if s.security == "starttls":
            client.starttls(context)
        client.login(s.username, s.secret())
        info = client.select_folder(s.folder, readonly=readonly)
    except NETWORK_ERRORS as exc:
        if client is not None:
            _shutdown(client)
        raise SourceError(f"{description}: {_why(exc)}") from None
    return client, info


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except NETWORK_ERRORS:
        pass


def _why(exc: BaseException) -> str:
    if isinstance(exc, IMAPClientError):
        return _text(exc)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return tls.untrusted(exc, "mailbox")
    return f"cannot connect: {_text(exc)}"


def _batches(uids: list[int], sizes: dict[int, int], count: int, limit: int) -> list[list[int]]:
    batches: list[list[int]] = []
    current: list[int] = []
    total = 0
    for uid in uids:
        size = int(sizes.get(uid, 0))
        if current and (len(current) >= count or total + size > limit):
            batches.append(current)
            current, total = [], 0
        current.append(uid)
        total += size
    if current:
        batches.append(current)
    return batches


def _text(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if text.startswith(("b'", 'b"')):
        text = text[2:-1]
    return text.splitlines()[0]
