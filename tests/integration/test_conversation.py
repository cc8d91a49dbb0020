"""A whole conversation through real Dovecot and a real SMTP server: user → ack → notice →
helper reply → relay → user follow-up → helper #закрыть → closing mail; and the ways it
must refuse: forged commands, out-of-office replies, unknown commands."""

from __future__ import annotations

from sqlmodel import select

from mailbot.storage import db
from mailbot.storage.models import Case, Message
from tests.integration.mailflow import (
    IVANOVA,
    USER,
    Sent,
    case_row,
    deliver,
    events,
    reply_to,
    text_of,
)
from tests.mailfactory import make_mail


def test_full_conversation(desk) -> None:  # type: ignore[no-untyped-def]
    question = make_mail(subject="Не могу войти в дневник", message_id="q1@mail.example",
                         body="Здравствуйте! Не могу войти через Госуслуги, пишет ошибка.")
    deliver(desk, question)
    sent = Sent(desk)
    ack = sent.one("ack", USER[1])
    notice = sent.one("notice", IVANOVA[1])
    assert ack["Subject"] == "[ЭЖ #1] Не могу войти в дневник"
    assert notice["Auto-Submitted"] == "auto-generated"
    notice_text = text_of(notice)
    assert "Не могу войти через Госуслуги" in notice_text
    assert "anna.petrova@mail.example" in notice_text and "#закрыть" in notice_text
    case = case_row(desk)
    assert (case.status, case.assignee, case.category) == ("assigned", "ivanova", "login")

    # The helper answers from her own client; quote and signature must not reach the user.
    deliver(desk, reply_to(notice, sender=IVANOVA,
                           body="Анна, проверьте, пожалуйста, подтверждена ли учётная запись "
                                "на Госуслугах.\n\nОтправлено с iPhone"))
    relay = Sent(desk).one("relay", USER[1])
    relay_text = text_of(relay)
    assert "подтверждена ли учётная запись" in relay_text
    assert "Отправлено с iPhone" not in relay_text and "> " not in relay_text
    assert "администратор электронного журнала" in relay_text  # signed with her position
    assert "n.ivanova@school.example" not in relay.as_string()  # her address stays private
    assert relay["From"].addresses[0].addr_spec == "help@school.example"
    assert relay["In-Reply-To"] == "<q1@mail.example>"
    assert relay["Subject"].startswith("[ЭЖ #1]")
    assert case_row(desk).first_response_at is not None

    # The user follows up on the relay; the helper gets only the new text.
    deliver(desk, reply_to(relay, sender=USER, body="Да, подтверждена. Всё равно не пускает.",
                           message_id="q2@mail.example"))
    followup = Sent(desk).one("followup", IVANOVA[1])
    followup_text = text_of(followup)
    assert "Всё равно не пускает" in followup_text
    assert "подтверждена ли учётная запись" not in followup_text  # the quote is not resent

    # The helper closes the case with a last answer.
    deliver(desk, reply_to(followup, sender=IVANOVA,
                           body="#закрыть\nСбросила привязку, войдите ещё раз. Всего доброго!"))
    closing = Sent(desk).one("closing", USER[1])
    closing_text = text_of(closing)
    assert "Сбросила привязку" in closing_text and "закрыто" in closing_text
    assert "#закрыть" not in closing_text
    assert closing["In-Reply-To"] == "<q2@mail.example>"
    case = case_row(desk)
    assert case.status == "closed" and case.closed_at is not None
    moves = [(e.actor, e.detail) for e in events(desk, "state")]
    assert [m[0] for m in moves] == ["mailbot", "ivanova"]  # new→assigned, assigned→closed


def test_reply_to_a_closed_case_reopens_it_then_opens_a_new_one(make_desk) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk()
    deliver(desk, make_mail(message_id="a1@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#закрыть\nГотово."))
    closing = Sent(desk).one("closing", USER[1])

    deliver(desk, reply_to(closing, sender=USER, body="Опять не работает."))
    assert case_row(desk).status == "assigned"
    assert len(Sent(desk).of("followup", IVANOVA[1])) == 1

    # Close again and come back after the reopen period: a new case, linked to the old one.
    deliver(desk, reply_to(Sent(desk).one("followup"), sender=IVANOVA, body="#закрыть"))
    desk.clock.advance(days=desk.config.conversation.reopen_days + 1)
    deliver(desk, reply_to(Sent(desk).of("closing")[-1], sender=USER, body="И снова здравствуйте."))
    new_case = case_row(desk, 2)
    assert new_case.linked_case_id == 1 and new_case.status == "assigned"


def test_forged_command_without_token_is_not_obeyed(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(message_id="f1@mail.example"))
    ack = Sent(desk).one("ack", USER[1])
    # Someone writes with the helper's From and the case tag, but without our token: kept
    # in that case as unconfirmed; it opens no case of its own and closes nothing.
    deliver(desk, make_mail(subject="Re: [ЭЖ #1] Не могу войти", sender=IVANOVA,
                            body="#закрыть\nВсё, вопрос закрыт."))
    # The same, threaded by the user's own acknowledgement (which the forger has seen).
    deliver(desk, reply_to(ack, sender=IVANOVA, body="#закрыть\nВсё, вопрос закрыт."))
    sent = Sent(desk)
    assert case_row(desk).status == "assigned"
    assert sent.of("closing") == [] and sent.of("relay") == []
    # The real owner of the address is told that a mail could not be verified.
    assert "защитной метки" in text_of(sent.one("unverified", IVANOVA[1]))
    with db.session(desk.app.engine) as session:
        stored = session.exec(select(Message).where(Message.kind == "unverified")).all()
        cases = session.exec(select(Case)).all()
    assert [m.case_id for m in stored] == [cases[0].id] * 2 and len(cases) == 1
    assert sent.of("ack", IVANOVA[1]) == []


def test_token_from_a_different_address_is_not_a_helper(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(message_id="t1@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    # The notice leaked; a stranger replies to it with a command.
    deliver(desk, reply_to(notice, sender=("Чужой", "intruder@mail.example"), body="#закрыть"))
    assert case_row(desk).status == "assigned"
    assert Sent(desk).of("closing") == []


def test_out_of_office_reply_is_never_relayed(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(message_id="o1@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="Я в отпуске до 30 ноября.",
                           headers={"Auto-Submitted": "auto-replied"}))
    sent = Sent(desk)
    assert sent.of("relay") == [] and sent.of("problem") == []
    assert len(events(desk, "helper_auto_reply_ignored")) == 1


def test_unknown_command_is_explained_and_nothing_is_relayed(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(message_id="u1@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#закрт\nГотово."))
    sent = Sent(desk)
    assert sent.of("relay") == [] and sent.of("closing") == []
    problem = text_of(sent.one("problem", IVANOVA[1]))
    assert "#закрт" in problem and "#закрыть" in problem
    assert case_row(desk).status == "assigned"


def test_note_is_never_relayed_and_help_sends_the_guide(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(message_id="n1@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#заметка\nПозвонила маме, ждём."),
            reply_to(notice, sender=IVANOVA, body="#помощь"))
    sent = Sent(desk)
    assert sent.of("relay") == []
    assert "#передать" in text_of(sent.one("guide", IVANOVA[1]))
    with db.session(desk.app.engine) as session:
        note = session.exec(select(Message).where(Message.kind == "note")).one()
    assert "Позвонила маме" in note.new_text


def test_transfer_sends_the_notice_to_the_new_helper(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(message_id="p1@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA,
                           body="#передать Кузнецову\nПосмотрите, пожалуйста, это по информатике."))
    sent = Sent(desk)
    new_notice = sent.one("notice", "a.kuznetsov@school.example")
    text = text_of(new_notice)
    assert "Не могу зайти в дневник" in text and "по информатике" in text
    assert sent.of("relay") == []
    assert case_row(desk).assignee == "kuznetsov"


def test_wait_command_relays_and_waits_for_the_user(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(message_id="w1@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#ожидание\nПришлите снимок экрана."))
    assert "снимок экрана" in text_of(Sent(desk).one("relay", USER[1]))
    assert case_row(desk).status == "waiting_user"
    deliver(desk, reply_to(Sent(desk).one("relay"), sender=USER, body="Вот он."))
    assert case_row(desk).status == "assigned"


def test_reply_all_and_double_delivery_make_no_duplicates(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(message_id="d1@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    answer = reply_to(notice, sender=IVANOVA, body="Ответ один.", message_id="ans@school.example")
    deliver(desk, answer, answer)  # delivered twice (To and Cc of the help address)
    assert len(Sent(desk).of("relay")) == 1


def test_helper_forwarding_a_user_mail_opens_the_users_case(desk) -> None:  # type: ignore[no-untyped-def]
    body = ("Коллеги, пересылаю вопрос родителя.\n\n"
            "-------- Пересылаемое сообщение --------\n"
            "От: Сергей Волков <volkov.s@mail.example>\n"
            "Дата: Пн, 23 ноя 2026 09:12\n"
            "Тема: Не вижу дочь в дневнике\n"
            "Кому: n.ivanova@school.example\n\n"
            "Здравствуйте, не вижу дочь в электронном дневнике после перевода из другой школы.\n")
    deliver(desk, make_mail(subject="Fwd: Не вижу дочь в дневнике", sender=IVANOVA, body=body))
    case = case_row(desk)
    assert case.requester_addr == "volkov.s@mail.example"
    assert Sent(desk).one("ack", "volkov.s@mail.example")


def test_plus_address_token_works_without_references(make_desk) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(plus_tokens=True)
    deliver(desk, make_mail(message_id="plus@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    reply_address = notice["Reply-To"].addresses[0].addr_spec
    assert reply_address.startswith("help+c1.ivanova.")
    # A client (or a phone) that drops In-Reply-To and References but keeps the address.
    deliver(desk, make_mail(subject="ответ", sender=IVANOVA, to=reply_address,
                            body="#закрыть\nГотово, проверьте, пожалуйста."))
    assert "Готово" in text_of(Sent(desk).one("closing", USER[1]))
    # The same address from someone else is no proof at all.
    deliver(desk, make_mail(message_id="plus2@mail.example"))
    stranger = make_mail(subject="ответ", sender=("Чужой", "x@mail.example"),
                         to=reply_address.replace("c1.", "c2."), body="#закрыть")
    deliver(desk, stranger)
    assert case_row(desk, 2).status == "assigned"


def test_a_note_with_close_stays_internal(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail())
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#закрыть #заметка дубль, звонила маме"))
    closing = text_of(Sent(desk).one("closing", USER[1]))
    assert "звонила маме" not in closing
    assert case_row(desk).status == "closed"


def test_commands_that_do_not_fit_the_state_are_explained_not_quarantined(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail())
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#закрыть"))
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#ожидание\nПришлите снимок экрана."),
            reply_to(notice, sender=IVANOVA, body="#сэдиж"))
    sent = Sent(desk)
    assert len(sent.of("problem", IVANOVA[1])) == 2
    assert sent.of("relay") == [] and sent.of("vendor_request") == []
    assert case_row(desk).status == "closed"


def test_after_a_transfer_the_previous_helper_cannot_answer(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail())
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#передать Кузнецову"))
    deliver(desk, reply_to(notice, sender=IVANOVA, body="Всё-таки отвечу сама."))
    sent = Sent(desk)
    assert sent.of("relay") == []
    assert "Кузнецов" in text_of(sent.of("problem", IVANOVA[1])[-1])


def test_a_question_about_unsubscribing_is_a_question(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(subject="Отписаться от уведомлений",
                            body="Как отписаться от СМС-уведомлений в приложении Моя школа?"))
    assert Sent(desk).one("notice")
    assert case_row(desk).category != "service"


def test_text_after_help_is_not_dropped_silently(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail())
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#помощь\nНе понимаю, как закрыть."))
    sent = Sent(desk)
    assert sent.one("guide", IVANOVA[1]) and sent.of("relay") == []
    assert "не отправлен" in text_of(sent.one("problem", IVANOVA[1]))
