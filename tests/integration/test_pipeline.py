"""The foundation end to end: real Dovecot, real SMTP, SQLite and PostgreSQL."""

from __future__ import annotations

import email
from email import policy
from pathlib import Path

import pytest
from sqlmodel import func, select

from mailbot import worker
from mailbot.adapters.maildir_source import MaildirSource
from mailbot.storage import db
from mailbot.storage.models import Case, Event, Message, Outbox, Quarantine
from tests.mailfactory import make_mail


def count(desk, model, *where) -> int:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def parsed(captured):  # type: ignore[no-untyped-def]
    return email.message_from_bytes(captured.data, policy=policy.default)


@pytest.fixture
def desk(make_desk):  # type: ignore[no-untyped-def]
    """The bare desk: no people file, so acknowledgements are the only mail sent."""
    return make_desk(rules=False)


def test_acknowledgement_end_to_end(desk) -> None:  # type: ignore[no-untyped-def]
    raw = make_mail(subject="Не вижу оценки сына", message_id="q1@mail.example")
    desk.imap.append(raw)

    report, sent = desk.cycle()

    assert (report.opened, report.acks, sent.sent) == (1, 1, 1)
    [ack] = desk.smtp.wait_for(1)
    msg = parsed(ack)
    assert list(ack.rcpt_tos) == ["anna.petrova@mail.example"]
    with db.session(desk.app.engine) as session:
        case = session.exec(select(Case)).one()
    assert msg["Subject"] == f"[ЭЖ #{case.id}] Не вижу оценки сына"
    assert msg["In-Reply-To"] == "<q1@mail.example>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Message-ID"].endswith("@school.example>")
    text = msg.get_body(("plain",)).get_content()
    assert f"номером {case.id}" in text and "Здравствуйте!\n" in text  # no patronymic known: neutral
    assert msg.get_body(("html",)) is not None
    # Marked on the server only now, after the commit.
    assert all("\\Seen" in flags for flags in desk.imap.flags().values())
    # The mail is stored whole.
    assert count(desk, Message, Message.message_id == "q1@mail.example") == 1


def test_follow_up_joins_the_case_and_gets_no_second_ack(desk) -> None:  # type: ignore[no-untyped-def]
    desk.imap.append(make_mail(message_id="first@mail.example"))
    desk.cycle()
    [ack] = desk.smtp.wait_for(1)
    ack_id = parsed(ack)["Message-ID"].strip().strip("<>")

    # A reply to our acknowledgement, Mail.ru style subject.
    desk.imap.append(make_mail(subject="Re: [ЭЖ #1] Не могу войти", in_reply_to=ack_id,
                               references=("first@mail.example",), body="Вот скриншот."))
    # A mail with the tag only (no references), from the same person.
    desk.imap.append(make_mail(subject="Отв: [ЭЖ #1] ещё вопрос", body="И ещё вопрос."))
    # The same tag from a stranger must not join her case.
    desk.imap.append(make_mail(subject="[ЭЖ #1] чужое", sender=("Кто-то", "x@mail.example")))
    report, _ = desk.cycle()

    assert (report.joined, report.opened) == (2, 1)
    assert count(desk, Message, Message.case_id == 1) == 3
    assert len(desk.smtp.messages) == 2  # one ack for the stranger's new case only


def test_reply_arriving_before_its_original_threads(desk) -> None:  # type: ignore[no-untyped-def]
    original = make_mail(message_id="orig@mail.example", subject="Вопрос по КТП")
    reply = make_mail(message_id="reply@mail.example", subject="Re: Вопрос по КТП",
                      in_reply_to="orig@mail.example", body="Дополнение к вопросу.")
    desk.imap.append(reply)  # lower UID than the mail it answers
    desk.imap.append(original)
    report, _ = desk.cycle()
    assert report.opened == 1 and report.joined == 1
    assert count(desk, Case) == 1


def test_same_mail_twice_is_one_message(desk) -> None:  # type: ignore[no-untyped-def]
    raw = make_mail(message_id="same@mail.example")
    desk.imap.append(raw)
    desk.imap.append(raw)  # delivered twice (e.g. To and Cc both reach the help address)
    report, _ = desk.cycle()
    assert (report.opened, report.duplicates) == (1, 1)
    assert count(desk, Message) == 1
    assert len(desk.smtp.messages) == 1


def test_loop_protection_records_but_does_not_answer(desk) -> None:  # type: ignore[no-untyped-def]
    mails = [
        make_mail(subject="Автоответ: Не могу войти", headers={"Auto-Submitted": "auto-replied"}),
        make_mail(sender=("Mail Delivery System", "MAILER-DAEMON@mx.mail.example"),
                  subject="Undelivered Mail Returned to Sender"),
        make_mail(sender=("Рассылка", "news@list.example"),
                  headers={"List-Id": "<news.list.example>", "Precedence": "bulk"}),
        make_mail(sender=("Госуслуги", "noreply@gosuslugi.example")),
        make_mail(sender=("Служба помощи", "help@school.example")),
        make_mail(headers={"Precedence": "junk"}),
    ]
    for raw in mails:
        desk.imap.append(raw)
    report, sent = desk.cycle()
    assert report.seen == len(mails)
    assert count(desk, Message) == len(mails), "automatic mail is still recorded"
    assert report.acks == 0 and sent.sent == 0 and desk.smtp.messages == []
    assert count(desk, Event, Event.kind == "ack_skipped") == report.opened


def test_human_mail_with_outlook_suppress_header_is_a_case(desk) -> None:  # type: ignore[no-untyped-def]
    desk.imap.append(make_mail(headers={"X-Auto-Response-Suppress": "All"}))
    report, _ = desk.cycle()
    assert report.opened == 1  # a real request, even though we must not auto-answer it


def test_cap_on_automatic_replies_per_sender(desk) -> None:  # type: ignore[no-untyped-def]
    for n in range(8):
        desk.imap.append(make_mail(subject=f"Вопрос {n}", body=f"Вопрос номер {n}"))
    report, _ = desk.cycle()
    cap = desk.config.limits.auto_replies_per_sender
    assert report.opened == 8 and report.acks == cap
    # A parent who writes twice is answered twice.
    assert cap >= 2
    # After the period the sender is answered again.
    desk.clock.advance(minutes=desk.config.limits.auto_reply_period_minutes + 1)
    desk.imap.append(make_mail(subject="Новый вопрос"))
    report, _ = desk.cycle()
    assert report.acks == 1


def test_malformed_mail_goes_to_quarantine_and_the_batch_goes_on(desk) -> None:  # type: ignore[no-untyped-def]
    desk.imap.append(make_mail(subject="Первое"))
    desk.imap.append(b"Subject: no sender at all\r\n\r\nbody\r\n")
    desk.imap.append(b"\x00\xff\xfe garbage \r\n\r\n\r\n")
    desk.imap.append(make_mail(subject="Второе", sender=("Иван", "ivan@yandex.example")))
    report, _ = desk.cycle()
    assert (report.opened, report.quarantined) == (2, 2)
    assert count(desk, Quarantine) == 2
    assert len(desk.imap.flags()) == 4
    assert all("\\Seen" in f for f in desk.imap.flags().values()), "quarantined mail is safe"
    # A second poll finds nothing new and duplicates nothing.
    again, _ = desk.cycle()
    assert again.seen == 0 and count(desk, Case) == 2 and count(desk, Quarantine) == 2


def test_temporary_failure_retries_with_delay_permanent_fails(desk) -> None:  # type: ignore[no-untyped-def]
    desk.smtp.fail_next(1, code=451, text="Greylisted, try later")
    desk.smtp.reject_recipient("ghost@mail.example", code=550, text="No such user")
    desk.imap.append(make_mail(subject="Первое"))
    desk.imap.append(make_mail(subject="Второе", sender=("Призрак", "ghost@mail.example")))
    _, sent = desk.cycle()
    assert (sent.sent, sent.retrying, sent.failed) == (0, 1, 1)
    with db.session(desk.app.engine) as session:
        rows = {r.rcpt_to: r for r in session.exec(select(Outbox)).all()}
    assert rows["ghost@mail.example"].status == "failed"
    assert "550" in rows["ghost@mail.example"].last_error
    waiting = rows["anna.petrova@mail.example"]
    assert waiting.status == "pending" and "451" in waiting.last_error
    # Not due yet: nothing is sent before the delay.
    assert desk.send().sent == 0
    desk.clock.advance(seconds=desk.config.worker.retry_delays[0] + 1)
    assert desk.send().sent == 1
    assert len(desk.smtp.messages) == 1


def test_unreachable_smtp_is_temporary(desk) -> None:  # type: ignore[no-untyped-def]
    desk.imap.append(make_mail())
    desk.poll()
    desk.smtp.stop()
    sent = desk.send()
    assert sent.retrying == 1 and sent.sent == 0
    assert count(desk, Outbox, Outbox.status == "pending") == 1


def test_html_only_reply_keeps_only_the_new_text(desk) -> None:  # type: ignore[no-untyped-def]
    desk.imap.append(make_mail(message_id="start@mail.example", subject="Не вижу ДЗ"))
    desk.cycle()
    html = ("<div>Спасибо, всё заработало!</div><div class=\"gmail_quote\">"
            "<div>пн, 23 нояб. 2026 г. в 10:00, Служба &lt;help@school.example&gt;:</div>"
            "<blockquote>Ваше обращение получено</blockquote></div>")
    raw = make_mail(subject="Re: Не вижу ДЗ", in_reply_to="start@mail.example", body=html)
    raw = raw.replace(b"text/plain", b"text/html", 1)
    desk.imap.append(raw)
    report, _ = desk.cycle()
    assert report.joined == 1
    with db.session(desk.app.engine) as session:
        reply = session.exec(select(Message).where(Message.subject == "Re: Не вижу ДЗ")).one()
    assert reply.new_text.strip() == "Спасибо, всё заработало!"


def test_hostile_shapes_are_answered_not_held(make_desk) -> None:  # type: ignore[no-untyped-def]
    """Shapes found by mutating fixture mails, each once a stuck worker or a mail held for a
    bug: a run of letters 200,000 long (the typo reader made a deletion of it per letter,
    each as long), runs of "@" (the rudeness screen's address pattern tried every split of
    every start: minutes for 2,000 of them), a run of 100,000 characters with "://" in it (the
    mail-client footer's link pattern tried every start: 40 s), a returned Message-ID with a
    byte that is not UTF-8 in a bounce (the database refused the lone surrogate it was read
    as), and a Message-ID longer than a header line, stored cut, so its second copy was a
    conflict instead of a duplicate. NULs: the next test (Dovecot rewrites them on APPEND)."""
    desk = make_desk()  # the full desk: the typo reader works for classification
    desk.imap.append(make_mail(subject="Не могу войти",
                               body="Пишет ошибку: " + "ж" * 200_000 + "\nЧто делать?\n"
                               + "@" * 5_000 + "\n" + "x@" * 5_000 + "\n"
                               + "y" * 100_000 + "://z\n" + "Спасибо\x00\x00 заранее"))
    long_id = "a" * 3000 + "@mail.example"
    twice = make_mail(subject="Оценки", body="Не видно оценок.", message_id=long_id)
    desk.imap.append(twice)
    desk.imap.append(twice)
    bounce = (
        b"From: Mail Delivery Subsystem <mailer-daemon@mx.example>\r\n"
        b"To: help@school.example\r\nSubject: Delivery Status Notification (Failure)\r\n"
        b"Message-ID: <dsn1@mx.example>\r\nAuto-Submitted: auto-replied\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery to lebedeva@example.org failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example"
        b"\r\n\r\nFinal-Recipient: rfc822; lebedeva@example.org\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    ) + b"Message-ID: <mailbot.1\x8684.notice@school.example>\r\n" + (
        b"Subject: [\xd0\xad\xd0\x96 #1] x\r\n\r\n--b--\r\n")
    desk.imap.append(bounce)
    # A reply's line of 100,000 letters ending like a header's name: the reply-header reader's
    # sentence-end pattern tried every start of it (a minute).
    desk.imap.append(make_mail(subject="Re: Оценки", body="ж" * 100_000 + ": x\nвопрос\n> Было:",
                               in_reply_to="<earlier@mail.example>"))
    report, _ = desk.cycle()
    assert report.quarantined == 0 and count(desk, Quarantine) == 0
    assert (report.opened, report.duplicates) == (3, 1)
    assert count(desk, Message) == 4  # two questions, the long-id mail once, the bounce


def test_nuls_in_a_local_mailbox_are_read_past(make_desk, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """NUL bytes reach mailbot from a Maildir as they are (Dovecot rewrites them on APPEND).
    Where they became a query's value (ids looked up), PostgreSQL refused them, and a NUL in
    a charset label was an error of the codec registry: each mail was held for it."""
    desk = make_desk()
    inbox = tmp_path / "nul-maildir"
    for sub in ("new", "cur", "tmp"):
        (inbox / sub).mkdir(parents=True)
    (inbox / "new" / "1.eml").write_bytes(
        make_mail(subject="Дневник", body="Не открывается\x00 дневник.").replace(
            b"\r\nSubject:", b"\r\nReferences: \x00\r\nIn-Reply-To: <a\x00b@mail.example>"
            b"\r\nSubject:", 1))
    # In an encoded word's charset (the loop detector looked the label up), and in the
    # Message-ID a bounce returns (looked up among our outgoing mail).
    (inbox / "new" / "2.eml").write_bytes(make_mail(subject="x", body="Меня нет в офисе.").replace(
        b"Subject: x", b"Subject: =?utf-8\x00?Q?=D0=9E=D1=82=D0=BF=D1=83=D1=81=D0=BA?=", 1))
    (inbox / "new" / "3.eml").write_bytes(
        b"From: Mail Delivery Subsystem <mailer-daemon@mx.example>\r\n"
        b"To: help@school.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <dsn-nul@mx.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0"
        b'\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nDelivery to lebedeva@example.org failed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example"
        b"\r\n\r\nFinal-Recipient: rfc822; lebedeva@example.org\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\n\r\n--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"Message-ID: <mailbot.1\x00.notice@school.example>\r\nReferences: <a\x00@b>\r\n"
        b"Subject: x\r\n\r\n--b--\r\n")
    report = worker.poll(desk.app, MaildirSource(inbox))
    assert (report.seen, report.quarantined) == (3, 0), report.quarantine_reasons
    assert report.opened >= 1


def test_an_address_longer_than_any_mailbox_is_held_with_its_reason(desk) -> None:  # type: ignore[no-untyped-def]
    """RFC 5321 allows 254 characters; PostgreSQL refused a longer sender in a column of 320
    with a page of SQL as the reason. Now it is no address, said in one line."""
    desk.imap.append(make_mail(sender=("Анна", "a" * 400 + "@mail.example")))
    desk.imap.append(make_mail(sender=("Анна", "a" * 240 + "@mail.example"), subject="Длинный"))
    report, _ = desk.cycle()
    assert (report.opened, report.quarantined) == (1, 1)
    with db.session(desk.app.engine) as session:
        held = session.exec(select(Quarantine)).one()
    assert held.reason == "unusable mail: no usable From address"
