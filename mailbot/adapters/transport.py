"""Outgoing mail adapters: SMTP (aiosmtplib) or a local Maildir for the embedded default.

A transport only sends and says how it went; the outbox decides what to do about it. A result
tells the server's own answer ("sent", 4xx "temporary", 5xx "permanent") apart from
"unreachable": no answer about this mail at all (connection refused, timeout, TLS or login
failure, the connection dropped before the server answered, a Maildir that cannot be
written). After the first unreachable result the rest of the batch is not tried.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import aiosmtplib

from mailbot.adapters import tls
from mailbot.adapters.maildir_source import deliver
from mailbot.config import Smtp
from mailbot.reading.addresses import ascii_domain


@dataclass(frozen=True)
class Item:
    id: int
    mail_from: str
    rcpts: list[str]
    raw: bytes


@dataclass(frozen=True)
class Result:
    status: Literal["sent", "temporary", "permanent", "unreachable"]
    detail: str = ""

    @property
    def answered(self) -> bool:
        """The server said something about this mail (an attempt that counts)."""
        return self.status != "unreachable"


# The outbox passes a callback so each result is committed the moment it is known.
OnResult = Callable[[Item, Result], None]


class Transport(Protocol):
    description: str

    def send(self, items: list[Item], on_result: OnResult) -> None: ...

    def check(self) -> str: ...


class MaildirTransport:
    """Delivers outgoing mail as files into a Maildir: the embedded default."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"Maildir {path}"
        self._tmp, self._new = str(path / "tmp"), str(path / "new")

    def send(self, items: list[Item], on_result: OnResult) -> None:
        pid = os.getpid()
        for index, item in enumerate(items):
            name = f"{time.time_ns()}.{pid}.{item.id}.mailbot"
            try:
                self._write(item.raw, name)
            except OSError as exc:
                why = f"{self.description}: {exc}"
                on_result(item, Result("unreachable", why))
                _not_tried(items[index + 1:], on_result, why)
                return
            else:
                on_result(item, Result("sent", f"written to {self._new}/{name}"))

    def _write(self, raw: bytes, name: str) -> None:
        """`deliver` (tmp, then rename) without making sure of the three folders for every
        mail: only when the quick write fails is it tried again the full way, whose error,
        if any, is the one reported."""
        tmp = f"{self._tmp}/{name}"
        try:
            with open(tmp, "wb") as file:
                file.write(raw)
            os.replace(tmp, f"{self._new}/{name}")
        except OSError:
            deliver(self.path, raw, name)

    def check(self) -> str:
        deliver_dir = self.path / "new"
        deliver_dir.mkdir(parents=True, exist_ok=True)
        return f"{self.description}: writable"


class SmtpTransport:
    def __init__(self, settings: Smtp, ca_file: Path | None = None) -> None:
        self.settings = settings
        self.ca_file = ca_file  # resolved against the config file's folder
        self.description = f"SMTP {settings.host}:{settings.effective_port}"

    def send(self, items: list[Item], on_result: OnResult) -> None:
        asyncio.run(self._send_all(items, on_result))

    def check(self) -> str:
        async def probe() -> None:
            client = self._client()
            await client.connect()
            await self._login(client)
            await client.quit()

        try:
            asyncio.run(probe())
        except (TimeoutError, aiosmtplib.SMTPException, OSError) as exc:
            raise ConnectionError(f"{self.description}: {_text(exc)}") from None
        return f"{self.description}: connected"

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.host,
            port=s.effective_port,
            use_tls=s.security == "ssl",
            start_tls=s.security == "starttls",
            tls_context=tls.context(self.ca_file) if s.security != "none" else None,
            timeout=s.timeout,
        )

    async def _login(self, client: aiosmtplib.SMTP) -> None:
        if self.settings.username:
            await client.login(self.settings.username, self.settings.secret())

    async def _send_all(self, items: list[Item], on_result: OnResult) -> None:
        try:
            client = self._client()
            await client.connect()
            await self._login(client)
        except aiosmtplib.SMTPResponseException as exc:
            # A greeting or login refused is about the server or our account, not a mail:
            # it uses up no mail's attempts.
            _not_tried(items, on_result, f"{self.description}: {exc.code} {exc.message}")
            return
        except (TimeoutError, aiosmtplib.SMTPException, OSError, socket.gaierror) as exc:
            _not_tried(items, on_result, f"{self.description}: {_text(exc)}")
            return
        try:
            for index, item in enumerate(items):
                rcpts = [ascii_domain(r.strip()) for r in item.rcpts]
                utf8 = not all(r.isascii() for r in rcpts)
                if utf8 and not client.supports_extension("smtputf8"):
                    on_result(item, Result("permanent", (
                        f"{self.description} does not accept addresses in UTF-8 (SMTPUTF8): "
                        f"{', '.join(r for r in rcpts if not r.isascii())}")))
                    continue
                try:
                    errors, _ = await client.sendmail(
                        item.mail_from, rcpts, item.raw,
                        mail_options=["SMTPUTF8"] if utf8 else [])
                except aiosmtplib.SMTPRecipientsRefused as exc:
                    codes = [e.code for e in exc.recipients]
                    detail = "; ".join(f"{e.recipient}: {e.code} {e.message}"
                                       for e in exc.recipients)
                    on_result(item, Result(
                        "permanent" if all(c >= 500 for c in codes) else "temporary", detail))
                except aiosmtplib.SMTPResponseException as exc:
                    on_result(item, _classify(exc.code, exc.message))
                    if exc.code == 421:  # the server closes the connection
                        _not_tried(items[index + 1:], on_result,
                                   f"{self.description}: {exc.code} {exc.message}")
                        return
                except (TimeoutError, aiosmtplib.SMTPServerDisconnected, OSError) as exc:
                    # No answer about this mail: the connection is gone.
                    _not_tried(items[index:], on_result, f"{self.description}: {_text(exc)}")
                    return
                else:
                    on_result(item, Result("sent", _refused_note(errors)))
        finally:
            try:
                await client.quit()
            except (TimeoutError, aiosmtplib.SMTPException, OSError):
                client.close()


def _not_tried(items: list[Item], on_result: OnResult, why: str) -> None:
    for item in items:
        on_result(item, Result("unreachable", why))


def _classify(code: int, message: str) -> Result:
    return Result("permanent" if code >= 500 else "temporary", f"{code} {message}")


def _refused_note(errors: dict) -> str:
    # Some recipients refused while others accepted: the mail is sent; keep the note.
    return "; ".join(f"{rcpt}: {resp.code} {resp.message}" for rcpt, resp in errors.items())


def _text(exc: BaseException) -> str:
    # aiosmtplib wraps a failed certificate check in SMTPConnectError: look at the cause too.
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return tls.untrusted(seen, "smtp")
        seen = seen.__cause__
    return (str(exc).strip() or type(exc).__name__).splitlines()[0]
