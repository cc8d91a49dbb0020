"""Clause 3: the vendor's support through real servers — escalation by the routing table and
by #сэдиж, answers threaded back by the vendor's ticket number when references are gone,
approval by the helper, and the reminder when the vendor is silent."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage

from tests.integration.mailflow import IVANOVA, USER, Sent, case_row, deliver, reply_to, text_of
from tests.mailfactory import make_mail

VENDOR = ("СТП ЭПОС", "support@epos.example")


def outage_with_screenshot() -> bytes:
    raw = make_mail(subject="приложение Моя школа ошибка 500", message_id="out@mail.example",
                    body="Приложение «Моя школа» с утра выдаёт ошибку 500, снимок приложила. "
                         "Мой логин: ivanova_anna")
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    msg.add_attachment(b"\x89PNG fake screenshot", maintype="image", subtype="png",
                       filename="ошибка.png")
    return msg.as_bytes()


def test_outage_goes_to_the_vendor_and_the_answer_comes_back_by_ticket(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, outage_with_screenshot())
    sent = Sent(desk)
    request = sent.one("vendor_request", VENDOR[1])
    body = text_of(request)
    assert "Большесосновская" in body and "Пермский край" in body
    assert "ошибку 500" in body and "ivanova_anna" in body and "Анна Петрова" in body
    assert [p.get_filename() for p in request.iter_attachments()] == ["ошибка.png"]
    assert "передали его туда" in text_of(sent.one("ack", USER[1]))
    case = case_row(desk)
    assert (case.status, case.route, case.assignee) == ("waiting_vendor", "vendor", "ivanova")

    # The vendor's system answers our request under its own ticket number ...
    deliver(desk, reply_to(request, sender=VENDOR, subject=f"[Заявка № 48213] {request['Subject']}",
                           body="Здравствуйте! Заявка зарегистрирована, передана разработчикам."))
    assert case_row(desk).vendor_ticket == "48213"
    # Later it strips both our references and our tag: the ticket number still finds the case.
    deliver(desk, make_mail(sender=VENDOR, subject="[Заявка №48213] Решено",
                            body="Ошибка исправлена, обновите приложение до версии 3.2."))
    sent = Sent(desk)
    answers = sent.of("vendor_answer", IVANOVA[1])
    assert len(answers) == 2 and "версии 3.2" in text_of(answers[-1])
    assert sent.of("vendor_relay") == []  # relay = "approve": the helper decides
    assert case_row(desk).status == "assigned"

    deliver(desk, reply_to(answers[-1], sender=IVANOVA, body="#одобрить"))
    relayed = Sent(desk).one("vendor_relay", USER[1])
    assert "версии 3.2" in text_of(relayed) and relayed["In-Reply-To"] == "<out@mail.example>"
    deliver(desk, reply_to(answers[-1], sender=IVANOVA,
                           body="#закрыть\nОшибку исправили: обновите приложение до версии 3.2."))
    assert "версии 3.2" in text_of(Sent(desk).one("closing", USER[1]))


def test_helper_escalates_with_a_note_and_is_reminded_when_the_vendor_is_silent(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail())  # a login question: the school's administrator first
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA,
                           body="#сэдиж\nДанные на Госуслугах сверила, всё верно. СНИЛС совпадает."))
    request = text_of(Sent(desk).one("vendor_request", VENDOR[1]))
    assert "СНИЛС совпадает" in request and "Не могу зайти в дневник" in request
    assert case_row(desk).status == "waiting_vendor"

    days = desk.app.rules.people.vendor.reminder_working_days
    desk.clock.advance(days=days - 1)  # Monday + 2 days: not yet
    desk.worker.time_job()
    desk.send()
    assert Sent(desk).of("vendor_reminder") == []
    desk.clock.advance(days=1)
    desk.worker.time_job()
    desk.worker.time_job()  # a second run changes nothing
    desk.send()
    reminder = Sent(desk).one("vendor_reminder", IVANOVA[1])
    assert "ответа не пришло" in text_of(reminder)


def test_a_tag_alone_from_the_vendor_address_is_never_relayed(make_desk) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk()
    deliver(desk, outage_with_screenshot())
    # Anyone can put the vendor's address in From and guess a case number.
    deliver(desk, make_mail(sender=VENDOR, subject="RE: [ЭЖ #1] ошибка 500",
                            body="Срочно перейдите по ссылке http://evil.example/login"))
    sent = Sent(desk)
    assert sent.of("vendor_relay") == []
    answer = text_of(sent.one("vendor_answer", IVANOVA[1]))
    assert "не ссылается на наш запрос" in answer
    assert case_row(desk).status == "waiting_vendor"  # still waiting for a real answer
    deliver(desk, reply_to(sent.one("vendor_answer"), sender=IVANOVA, body="#одобрить"))
    assert Sent(desk).of("vendor_relay") == []  # nothing verified to approve


def test_vendor_auto_reply_changes_nothing(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, outage_with_screenshot())
    request = Sent(desk).one("vendor_request", VENDOR[1])
    deliver(desk, reply_to(request, sender=VENDOR, body="Ваше обращение зарегистрировано.",
                           headers={"Auto-Submitted": "auto-replied"}))
    assert case_row(desk).status == "waiting_vendor"
    assert Sent(desk).of("vendor_answer") == []


def test_escalation_stops_the_response_clock(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, outage_with_screenshot())
    request = Sent(desk).one("vendor_request", VENDOR[1])
    desk.clock.advance(days=3)
    deliver(desk, reply_to(request, sender=VENDOR, body="Исправлено, обновите приложение."))
    desk.worker.time_job()
    desk.send()
    assert Sent(desk).of("sla_reminder") == [] and Sent(desk).of("sla_supervisor") == []
    assert case_row(desk).first_response_at is not None
