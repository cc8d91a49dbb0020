"""Build the mailbox and transport adapters the configuration asks for."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from mailbot.adapters.idle import IdleWatcher
from mailbot.adapters.imap_source import NETWORK_ERRORS, ImapSource
from mailbot.adapters.maildir_source import MaildirSource
from mailbot.adapters.source import Source, SourceError
from mailbot.adapters.transport import MaildirTransport, SmtpTransport, Transport
from mailbot.config import Config


def source(config: Config) -> Source:
    if config.mailbox.kind == "imap":
        return ImapSource(config.mailbox, _ca(config, config.mailbox.ca_file))
    return MaildirSource(config.mailbox_path)


def idle_watcher(config: Config, on_wake: Callable[[], None],
                 stop: threading.Event) -> IdleWatcher | None:
    """IMAP IDLE on the help folder, unless the mailbox is a local Maildir or IDLE is off."""
    if config.mailbox.kind != "imap" or not config.worker.idle:
        return None
    return IdleWatcher(config.mailbox, _ca(config, config.mailbox.ca_file), on_wake, stop)


def transport(config: Config) -> Transport:
    if config.smtp.kind == "smtp":
        return SmtpTransport(config.smtp, _ca(config, config.smtp.ca_file))
    return MaildirTransport(config.sent_path)


def _ca(config: Config, ca_file: str) -> Path | None:
    return config.resolve(ca_file) if ca_file else None


@dataclass(frozen=True)
class Waiting:
    """What the next poll will take: unseen messages above the last UID, and the read ones
    among them (a first start takes those too)."""

    unseen: int
    seen: int
    description: str


def waiting(config: Config, uidvalidity: int | None, last_uid: int) -> Waiting:
    """Count the mail waiting in the mailbox without changing anything on the server."""
    if config.mailbox.kind == "maildir":
        path = config.mailbox_path
        if not all((path / sub).is_dir() for sub in ("new", "cur", "tmp")):
            raise SourceError(f"Maildir {path}: not a Maildir yet (no new/, cur/, tmp/); "
                              f"the first start creates it")
    box = source(config)
    try:
        scan = box.scan(uidvalidity, last_uid)
        seen = 0
        if isinstance(box, ImapSource) and scan.keys and box.client is not None:
            uids = [int(key.rsplit(":", 1)[1]) for key in scan.keys]
            try:
                flags = box.client.get_flags(uids)
            except NETWORK_ERRORS as exc:
                raise SourceError(f"{box.description}: cannot read flags: {exc}") from None
            seen = sum(b"\\Seen" in found for found in flags.values())
    finally:
        box.close()
    return Waiting(len(scan.keys) - seen, seen, box.description)
