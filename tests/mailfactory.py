"""Build realistic test mails as bytes, the way a mail client would send them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

_counter = itertools.count(1)


def make_mail(
    *,
    subject: str = "Не могу войти в электронный дневник",
    body: str = "Здравствуйте! Не могу зайти в дневник через Госуслуги, пишет ошибка.",
    sender: tuple[str, str] = ("Анна Петрова", "anna.petrova@mail.example"),
    to: str = "help@school.example",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: tuple[str, ...] = (),
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=sender[0], addr_spec=sender[1])
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    msg["Message-ID"] = f"<{message_id or f'test{next(_counter)}.{id(msg)}@mail.example'}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references or in_reply_to:
        refs = [*references, *([in_reply_to] if in_reply_to else [])]
        msg["References"] = " ".join(f"<{r}>" for r in dict.fromkeys(refs))
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()


def message_id_of(raw: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().strip(b"<>").decode()
    raise ValueError("no Message-ID")
