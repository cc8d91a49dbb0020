"""Build the mailbox and transport adapters the configuration asks for."""

from __future__ import annotations

from pathlib import Path

from mailbot.adapters.imap_source import ImapSource
from mailbot.adapters.maildir_source import MaildirSource
from mailbot.adapters.source import Source
from mailbot.adapters.transport import MaildirTransport, SmtpTransport, Transport
from mailbot.config import Config


def source(config: Config) -> Source:
    if config.mailbox.kind == "imap":
        return ImapSource(config.mailbox, _ca(config, config.mailbox.ca_file))
    return MaildirSource(config.resolve(config.mailbox.path))


def transport(config: Config) -> Transport:
    if config.smtp.kind == "smtp":
        return SmtpTransport(config.smtp, _ca(config, config.smtp.ca_file))
    return MaildirTransport(config.resolve(config.smtp.path))


def _ca(config: Config, ca_file: str) -> Path | None:
    return config.resolve(ca_file) if ca_file else None
