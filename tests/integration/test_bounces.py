"""Bounces through real servers: recorded, tied to the mail they return, never a case."""

from __future__ import annotations

from sqlmodel import func, select

from mailbot.storage import db
from mailbot.storage.models import Case, Message, Outbox
from tests.integration.mailflow import IVANOVA, USER, Sent, deliver, events
from tests.mailfactory import make_mail


def _dsn(original_id: str, rcpt: str, *, status: str = "5.1.1", sender: str = "MAILER-DAEMON@mx.mail.example",
         subject_line: str = "[ЭЖ #1] Не могу войти в электронный дневник") -> bytes:
    return (
        f"From: Mail Delivery System <{sender}>\r\nTo: help@school.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <dsn1@mx.mail.example>\r\nDate: Mon, 23 Nov 2026 10:05:00 +0500\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="R"\r\n\r\n'
        "--R\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "This is the mail system at host mx.mail.example. Your message could not be "
        "delivered.\r\n"
        "--R\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.mail.example\r\n\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\nAction: failed\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <" + rcpt + ">: Recipient address rejected\r\n"
        "--R\r\nContent-Type: text/rfc822-headers; charset=utf-8\r\n\r\n"
        f"Message-ID: <{original_id}>\r\nSubject: {subject_line}\r\n"
        "--R--\r\n").encode("utf-8")


def _count(desk, model) -> int:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        return session.exec(select(func.count(model.id))).one()


def test_a_bounce_of_the_acknowledgement_is_tied_to_it_and_tells_the_helper(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(message_id="q1@mail.example"))
    desk.send()
    ack = Sent(desk).one("ack", USER[1])
    ack_id = ack["Message-ID"].strip().strip("<>")
    deliver(desk, _dsn(ack_id, USER[1]))
    desk.send()
    assert _count(desk, Case) == 1  # no case of its own
    with db.session(desk.app.engine) as session:
        row = session.exec(select(Outbox).where(Outbox.message_id == ack_id)).one()
        bounce = session.exec(select(Message).where(Message.kind == "bounce")).one()
    assert row.status == "bounced" and row.last_error.startswith("5.1.1")
    assert bounce.case_id == 1
    told = Sent(desk).one("undeliverable", IVANOVA[1])
    assert USER[1] in told.get_body(("plain",)).get_content()
    # The same user writes again: the case goes on, but no automatic mail goes to the address.
    deliver(desk, make_mail(message_id="q2@mail.example", subject="Снова вопрос",
                            body="Как посмотреть расписание уроков в дневнике?"))
    desk.send()
    assert len(Sent(desk).of("ack", USER[1])) == 1
    assert events(desk, "ack_skipped")


def test_a_bounce_without_a_usable_sender_about_nothing_of_ours_is_kept_not_quarantined(desk) -> None:  # type: ignore[no-untyped-def]
    raw = _dsn("someone-else@elsewhere.example", "nobody@mail.example", sender="")
    raw = raw.replace(b"From: Mail Delivery System <>", b"From: <>")
    deliver(desk, raw)  # deliver() asserts that nothing went to quarantine
    assert _count(desk, Case) == 0
    with db.session(desk.app.engine) as session:
        kept = session.exec(select(Message)).one()
    assert kept.case_id is None and kept.kind == "bounce"
    assert Sent(desk).items == []
