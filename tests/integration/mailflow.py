"""Helpers for tests that follow mail through the desk: what was sent, by kind, and
replies written the way mail clients write them."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

from sqlmodel import select

from mailbot.storage import db
from mailbot.storage.models import Case, Event
from tests.mailfactory import make_mail

USER = ("Анна Петрова", "anna.petrova@mail.example")
IVANOVA = ("Иванова Надежда Павловна", "n.ivanova@school.example")  # people.toml: login goes to her
PETROVA = "o.petrova@school.example"  # ivanova's direct supervisor


class Sent:
    """What mailbot has sent so far, by kind (read from our own Message-IDs)."""

    def __init__(self, desk) -> None:  # type: ignore[no-untyped-def]
        self.items: list[tuple[str, str, EmailMessage]] = []
        for captured in desk.smtp.messages:
            msg = email.message_from_bytes(captured.data, policy=policy.default)
            kind = msg["Message-ID"].strip().strip("<>").split(".")[2]
            for rcpt in captured.rcpt_tos:
                self.items.append((kind, rcpt, msg))

    def of(self, kind: str, rcpt: str | None = None) -> list[EmailMessage]:
        return [m for k, r, m in self.items if k == kind and (rcpt is None or r == rcpt)]

    def one(self, kind: str, rcpt: str | None = None) -> EmailMessage:
        found = self.of(kind, rcpt)
        assert len(found) == 1, (kind, rcpt, [(k, r) for k, r, _ in self.items])
        return found[0]

    def kinds(self) -> list[tuple[str, str]]:
        return [(k, r) for k, r, _ in self.items]


def text_of(msg: EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()


def reply_to(msg: EmailMessage, *, sender: tuple[str, str], body: str, subject: str = "",
             **extra: object) -> bytes:
    """A reply to one of our mails the way a client writes it: answer above a quote."""
    quoted = "\n".join(f"> {line}" for line in text_of(msg).splitlines()[:15])
    mid = msg["Message-ID"].strip().strip("<>")
    return make_mail(
        subject=subject or f"Re: {msg['Subject']}", sender=sender, in_reply_to=mid,
        body=f"{body}\n\n23.11.2026, 10:00, \"Служба помощи\" <help@school.example>:\n{quoted}\n",
        **extra,  # type: ignore[arg-type]
    )


def deliver(desk, *raws: bytes) -> None:  # type: ignore[no-untyped-def]
    for raw in raws:
        desk.imap.append(raw)
    report, _ = desk.cycle()
    assert not report.quarantine_reasons, report.quarantine_reasons


def case_row(desk, number: int = 1) -> Case:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        case = session.get(Case, number)
        assert case is not None
        return case


def events(desk, kind: str) -> list[Event]:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        return list(session.exec(select(Event).where(Event.kind == kind)).all())
