"""Clause 5 of the regulation through real servers: a rude user mail is flagged and the
helper may stop helping (never mailbot on its own); a rude helper reply is held; a complaint
reaches the direct supervisor of the helper it is about, never the helper."""

from __future__ import annotations

from sqlmodel import select

from mailbot.storage import db
from mailbot.storage.models import Message
from tests.integration.mailflow import (
    IVANOVA,
    PETROVA,
    USER,
    Sent,
    case_row,
    deliver,
    events,
    reply_to,
    text_of,
)
from tests.mailfactory import make_mail

KUZNETSOV = "a.kuznetsov@school.example"


def test_rude_mail_is_flagged_and_the_helper_stops_with_a_report(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(subject="Не могу войти",
                            body="Третий день не могу войти в дневник, бл*ть! Сделайте уже."))
    notice = Sent(desk).one("notice", IVANOVA[1])
    notice_text = text_of(notice)
    assert "бл*ть" in notice_text and "#прекратить" in notice_text
    assert "пункту 5 регламента" in notice_text
    case = case_row(desk)
    assert case.flagged and case.status == "assigned"  # flagged, but help goes on
    assert Sent(desk).one("ack", USER[1])  # the parent is not refused by a machine

    deliver(desk, reply_to(notice, sender=IVANOVA, body="#прекратить\nГрубит третий раз."))
    sent = Sent(desk)
    stopped = text_of(sent.one("stopped", USER[1]))
    assert "Пункт 5" in stopped and "прекращена" in stopped
    report = text_of(sent.one("stop_report", PETROVA))
    assert "бл*ть" in report and "Грубит третий раз" in report
    assert "Третий день не могу войти" in report  # the thread goes with it
    assert case_row(desk).status == "stopped"
    assert len(events(desk, "help_stopped")) == 1

    # A later mail in the stopped case (an apology, say) is kept and goes to the supervisor
    # who got the report, not to the helper; help does not resume by itself.
    deliver(desk, reply_to(sent.one("stopped"), sender=USER, body="Простите, погорячилась."))
    assert case_row(desk).status == "stopped"
    assert Sent(desk).of("followup", IVANOVA[1]) == []
    assert "погорячилась" in text_of(Sent(desk).one("followup", PETROVA))


def test_disguised_obscenity_is_flagged_and_a_hard_negative_is_not(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk,
            make_mail(subject="Оценка", message_id="neg@mail.example",
                      body="Учитель Скипидарова Ольга Ивановна поставила сыну двойку, он "
                           "говорит, что его назвали дураком. Проверьте, пожалуйста, оценку."),
            make_mail(subject="Доступ", message_id="dis@mail.example",
                      sender=("Пётр", "petr@mail.example"),
                      body="Ваш администратор х у й л о, третий день нет доступа к классу."))
    with db.session(desk.app.engine) as session:
        by_mid = {m.message_id: m.case_id for m in session.exec(select(Message)).all()}
    assert not case_row(desk, by_mid["neg@mail.example"]).flagged
    assert case_row(desk, by_mid["dis@mail.example"]).flagged
    assert len(events(desk, "etiquette_flag")) == 1


def test_rude_helper_reply_is_held_and_a_corrected_one_goes(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail())
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="Вы идиот? Читайте инструкцию."))
    sent = Sent(desk)
    assert sent.of("relay") == []
    held = sent.one("held", IVANOVA[1])
    assert "идиот" in text_of(held) and "переформулируйте" in text_of(held)
    assert len(events(desk, "helper_reply_held")) == 1

    deliver(desk, reply_to(held, sender=IVANOVA, body="Прочитайте, пожалуйста, инструкцию."))
    assert "инструкцию" in text_of(Sent(desk).one("relay", USER[1]))


def test_complaint_goes_to_the_supervisor_never_to_the_helper(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(subject="Жалоба на учителя",
                            body="Жалоба на учителя Кузнецова: грубо ответил моему сыну и не "
                                 "объяснил оценку."))
    sent = Sent(desk)
    assert sent.of("notice", KUZNETSOV) == []
    notice = text_of(sent.one("notice", PETROVA))
    assert "жалоба" in notice.lower() and "Кузнецов" in notice
    ack = text_of(sent.one("ack", USER[1]))
    assert "заместитель директора по учебной работе" in ack  # the position, not the address
    assert PETROVA not in ack
    case = case_row(desk)
    assert (case.category, case.assignee, case.about) == ("complaint", "petrova", "kuznetsov")


def test_complaint_in_a_follow_up_reaches_the_helpers_supervisor(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail())
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="Попробуйте ещё раз."))
    relay = Sent(desk).one("relay", USER[1])
    deliver(desk, reply_to(relay, sender=USER,
                           body="Хочу пожаловаться: специалист мне нагрубила и не помогла."))
    complaint = text_of(Sent(desk).one("complaint", PETROVA))
    assert "нагрубила" in complaint and "Попробуйте ещё раз" in complaint
    assert len(events(desk, "complaint_forwarded")) == 1
    told = text_of(Sent(desk).one("complaint_received", USER[1]))
    assert "заместитель директора по учебной работе" in told and PETROVA not in told


def test_stop_with_a_quoted_insult_in_the_note_still_stops(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(body="Вы там все идиоты, третий день не могу войти!"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA,
                           body="#прекратить\nПользователь назвал нас «идиоты»."))
    assert case_row(desk).status == "stopped"
    assert Sent(desk).of("held") == []
    assert "назвал нас" in text_of(Sent(desk).one("stop_report", PETROVA))


def test_a_stopped_user_writing_again_reaches_the_supervisor(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(body="Вы там все идиоты, третий день не могу войти!"))
    deliver(desk, reply_to(Sent(desk).one("notice", IVANOVA[1]), sender=IVANOVA,
                           body="#прекратить"))
    deliver(desk, make_mail(subject="Прошу разобраться", message_id="again@mail.example",
                            body="Прошу рассмотреть моё обращение, помощь прекратили."))
    case = case_row(desk, 2)
    assert case.assignee == "petrova" and case.linked_case_id == 1
    assert "прекращена" in text_of(Sent(desk).one("notice", PETROVA))


def test_the_supervisor_answers_a_complaint_by_replying(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail())
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="Попробуйте ещё раз."))
    relay = Sent(desk).one("relay", USER[1])
    deliver(desk, reply_to(relay, sender=USER, message_id="c1@mail.example",
                           body="Хочу пожаловаться: специалист мне нагрубила."))
    deliver(desk, reply_to(relay, sender=USER, body="Жалуюсь ещё раз: она мне нагрубила."))
    sent = Sent(desk)
    complaint = sent.one("complaint", PETROVA)  # once per case
    assert sent.of("followup", IVANOVA[1]) == []  # never to the helper complained about
    deliver(desk, reply_to(complaint, sender=("Петрова Ольга Викторовна", PETROVA),
                           body="Приношу извинения, разберёмся с коллегой."))
    answer = text_of(Sent(desk).of("relay", USER[1])[-1])
    assert "Приношу извинения" in answer and "заместитель директора" in answer
