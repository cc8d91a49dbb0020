"""Every flow on plain data: a mail and the facts in, the plan out. No database, no server."""

from __future__ import annotations

import email
import io
import zipfile
from dataclasses import replace
from datetime import timedelta
from email import policy
from email.message import EmailMessage

import pytest

from mailbot.desk.plan import USER_THREAD, Mark, Open, Record, Seat, Subscribe, Undelivered
from mailbot.desk.threads import ThreadFacts, match
from mailbot.flows import Facts, Returned, SeatFacts, StoredFile, VendorMatch
from mailbot.flows.choose import plan_for
from mailbot.flows.helper import NoSuchCase
from mailbot.flows.user import case_of, cited_case, doubt_kind, service_request
from tests.mailfactory import make_mail
from tests.unit.flowkit import (
    IVANOVA,
    KUZNETSOV,
    NOW,
    PARENT,
    case,
    plan,
    question,
    situation,
    token_ref,
)


def _reply(body: str, *, sender: tuple[str, str] = IVANOVA, number: int = 7,
           person: str = "ivanova", **kw: object) -> bytes:
    return make_mail(subject=f"Re: [ЭЖ #{number}] Не могу войти в дневник", body=body,
                     sender=sender, in_reply_to=token_ref(number, person), **kw)  # type: ignore[arg-type]


def _kinds(p) -> list[str]:  # type: ignore[no-untyped-def]
    return [m.kind for m in p.mails]


# ------------------------------------------------------------------------------- users


def test_a_new_question_opens_a_case_routes_it_and_acknowledges() -> None:
    p = plan(make_mail(body="Здравствуйте! Не могу войти в электронный дневник через "
                            "Госуслуги, пишет ошибка."))
    assert p.would == "new_case" and p.case_id is None and p.outcome.kind == "opened"
    assert isinstance(p.steps[0], Open) and p.steps[0].fields["requester_addr"] == PARENT[1]
    assert isinstance(p.steps[1], Record) and p.steps[1].kind == "question"
    triaged = p.event("triaged")
    assert triaged is not None and triaged.detail["category"] == "login"
    assigned = p.event("assigned")
    assert assigned is not None and assigned.detail["after"]
    notice, ack = p.mails
    assert (notice.kind, notice.to, notice.person) == ("notice", "helper", assigned.detail["after"])
    assert (ack.kind, ack.to, ack.automatic) == ("ack", "user", True) and p.outcome.acked


def test_an_automatic_reply_is_recorded_in_no_case_and_never_answered() -> None:
    p = plan(make_mail(subject="Автоответ: Не могу войти", headers={"Auto-Submitted": "auto-replied"}))
    assert p.would == "machine_mail" and p.mails == []
    assert not any(isinstance(s, Open) for s in p.steps)
    assert [s.kind for s in p.steps if isinstance(s, Record)] == ["auto"]


def test_an_address_that_bounced_lately_gets_no_acknowledgement() -> None:
    p = plan(make_mail(), Facts(hard_bounced=frozenset({PARENT[1]})))
    assert "ack" not in _kinds(p) and "notice" in _kinds(p)
    assert "undeliverable" in p.event("ack_skipped").detail["reasons"][0]  # type: ignore[union-attr]


def test_the_acknowledgement_cap_stops_the_ack_but_not_the_case() -> None:
    p = plan(make_mail(), Facts(auto_replies={PARENT[1]: 5}))
    assert "ack" not in _kinds(p) and "notice" in _kinds(p) and not p.outcome.acked
    assert p.event("ack_skipped") is not None


def test_a_follow_up_goes_to_the_helper_and_wakes_a_waiting_case() -> None:
    facts = Facts(case=case(status="waiting_user"), messages=(question(),))
    p = plan(make_mail(subject="Re: [ЭЖ #7] Не могу войти в дневник", body="Вот снимок экрана."),
             facts)
    assert p.would == "follow_up" and p.case_id == 7 and p.outcome.kind == "joined"
    assert p.event("state").detail["after"] == "assigned"  # type: ignore[union-attr]
    (followup,) = p.mails
    assert (followup.kind, followup.person) == ("followup", "ivanova")


def test_a_reply_to_a_recently_closed_case_reopens_it() -> None:
    closed = case(status="closed", closed_at=NOW - timedelta(days=2))
    p = plan(make_mail(body="Снова не работает."), Facts(case=closed))
    assert p.would == "follow_up"
    assert p.event("state").detail == {"before": "closed", "after": "assigned",  # type: ignore[union-attr]
                                       "why": "the user replied to the closed case"}
    assert p.mails[0].context["reopened"] is True


def test_a_reply_to_a_long_closed_case_opens_a_new_linked_case() -> None:
    closed = case(status="closed", closed_at=NOW - timedelta(days=60))
    p = plan(make_mail(subject="Re: [ЭЖ #7] Не могу войти — обращение закрыто",
                       body="Снова не могу войти в дневник."), Facts(case=closed))
    assert p.would == "new_case"
    opened = p.steps[0]
    assert isinstance(opened, Open)
    assert opened.fields["linked_case_id"] == 7 and opened.fields["subject"] == closed.subject


def test_a_reply_to_a_pseudonymised_case_keeps_its_own_subject() -> None:
    # Months later the old case's subject is «[удалено]»: the new case takes the reply's
    # subject, as any new case does (its mails' subjects drop «Re:» and the old tag).
    erased = case(status="closed", closed_at=NOW - timedelta(days=400), subject="[удалено]")
    p = plan(make_mail(subject="Re: [ЭЖ #7] Не могу войти в дневник",
                       body="Снова не могу войти в дневник."), Facts(case=erased))
    opened = p.steps[0]
    assert isinstance(opened, Open) and opened.fields["linked_case_id"] == 7
    assert opened.fields["subject"] == "Re: [ЭЖ #7] Не могу войти в дневник"


def test_a_signup_command_in_a_reply_is_a_service_request() -> None:
    facts = Facts(case=case(), seats={2: SeatFacts(None, 0, 0)})
    p = plan(make_mail(subject="Re: [ЭЖ #7] Не могу войти", body="#записаться 2"), facts)
    assert p.would == "service_request" and p.case_id is None
    seat = next(s for s in p.steps if isinstance(s, Seat))
    assert (seat.number, seat.status, seat.addr) == (2, "registered", PARENT[1])
    (reply,) = p.mails  # one mail: what was done, with the invitation
    assert reply.kind == "service_reply" and reply.to == "user"
    assert reply.context["summary"].startswith("Вы записаны на семинар № 2")
    assert [a.content_type for a in reply.attachments] == ["text/calendar"]


def test_a_full_seminar_takes_no_seat_and_says_so() -> None:
    p = plan(make_mail(subject="Запись на семинар 2", body="#записаться 2"),
             Facts(seats={2: SeatFacts(None, 100, 0)}))
    assert not any(isinstance(s, Seat) for s in p.steps)
    (reply,) = p.mails
    assert "мест больше нет" in reply.context["lines"][0]


def test_cancelling_without_a_seat_and_unsubscribing() -> None:
    p = plan(make_mail(subject="Отмена", body="#отменить 2\n#отписаться"),
             Facts(seats={2: SeatFacts(None, 3, 0)}))
    assert not any(isinstance(s, Seat) for s in p.steps)
    (row,) = [s for s in p.steps if isinstance(s, Subscribe)]
    assert row.subscribed is False
    assert p.mails[0].context["summary"] == "Ответ на ваш запрос"  # two different things done
    lines = p.mails[0].context["lines"]
    assert "не были записаны" in lines[0] and "отписаны" in lines[1]


def test_a_user_whose_help_was_stopped_reaches_the_supervisor() -> None:
    stopped = case(3, status="stopped", assignee="ivanova", closed_at=NOW - timedelta(days=1))
    p = plan(make_mail(), Facts(stopped=stopped))
    assigned = p.event("assigned")
    assert assigned is not None and assigned.detail["after"] == "petrova"
    assert "stopped (clause 5)" in assigned.detail["why"]
    notice = next(m for m in p.mails if m.kind == "notice")
    assert notice.person == "petrova" and "пункту 5" in notice.context["comment"]


def test_a_staff_address_without_a_token_is_not_relayed() -> None:
    p = plan(make_mail(subject="Re: [ЭЖ #7] Не могу войти", body="Закрываю.", sender=KUZNETSOV),
             Facts(case=case(), messages=(question(),)))
    assert p.would == "follow_up"
    assert [s.kind for s in p.steps if isinstance(s, Record)] == ["unverified"]
    assert {(m.kind, m.person) for m in p.mails} == {("followup", "ivanova"),
                                                      ("unverified", "kuznetsov")}
    assert not any(m.to == "user" for m in p.mails)


def test_a_complaint_in_a_follow_up_goes_to_the_supervisor_once() -> None:
    body = "Хочу пожаловаться на Иванову: она грубо мне ответила и не помогла."
    facts = Facts(case=case(), messages=(question(),))
    p = plan(make_mail(subject="Re: [ЭЖ #7] Не могу войти", body=body), facts)
    assert {(m.kind, m.to, m.person) for m in p.mails} == {
        ("complaint", "helper", "petrova"), ("complaint_received", "user", "")}
    again = plan(make_mail(subject="Re: [ЭЖ #7] Не могу войти", body=body),
                 Facts(case=case(), events=(("complaint_forwarded", '{"about": "ivanova"}'),)))
    assert {(m.kind, m.person) for m in again.mails} == {("followup", "petrova")}


# ----------------------------------------------------------------------------- helpers


def test_a_helpers_answer_is_relayed_in_the_users_thread() -> None:
    p = plan(_reply("Войдите через кнопку «Госуслуги» на странице входа."),
             Facts(case=case(status="new"), messages=(question(),)))
    assert p.would == "helper_mail"
    (relay,) = p.mails
    assert (relay.kind, relay.to, relay.thread, relay.automatic) == ("relay", "user", USER_THREAD,
                                                                     False)
    assert relay.context["helper_name"] == "Иванова Надежда Павловна"
    assert relay.context["answer"].startswith("Войдите через кнопку")
    assert any(getattr(s, "fields", {}).get("first_response_at") == NOW for s in p.steps)
    assert p.event("state").detail["after"] == "assigned"  # type: ignore[union-attr]


def test_a_token_for_a_case_that_is_not_here_is_refused() -> None:
    with pytest.raises(NoSuchCase):
        plan(_reply("Ответ."), Facts())


def test_a_command_that_does_not_fit_the_state_is_refused_whole() -> None:
    p = plan(_reply("#ожидание\nПришлите снимок экрана."), Facts(case=case(status="closed")))
    assert [m.kind for m in p.mails] == ["problem"]
    assert Mark("rejected") in p.steps and p.event("state") is None


def test_only_the_owner_or_their_supervisors_may_act() -> None:
    p = plan(_reply("Отвечу сам.", sender=KUZNETSOV, person="kuznetsov"), Facts(case=case()))
    (problem,) = p.mails
    assert "Обращение передано" in problem.context["problems"][0]
    boss = plan(_reply("Отвечаю за коллегу.", sender=("Ольга Петрова", "o.petrova@school.example"),
                       person="petrova"), Facts(case=case()))
    assert [m.kind for m in boss.mails] == ["relay"]


def test_a_rude_answer_is_held_back() -> None:
    p = plan(_reply("Вы идиот, читайте инструкцию."), Facts(case=case()))
    assert [m.kind for m in p.mails] == ["held"] and Mark("held") in p.steps


def test_transfer_gives_the_case_and_the_users_files_to_the_new_helper() -> None:
    p = plan(_reply("#передать Кузнецову\nПосмотрите, пожалуйста."),
             Facts(case=case(), messages=(question(1), question(2, "И ещё вопрос."))))
    assert p.event("assigned").detail["after"] == "kuznetsov"  # type: ignore[union-attr]
    (notice,) = p.mails
    assert notice.person == "kuznetsov" and notice.stored_files == (1, 2)
    assert "И ещё вопрос." in notice.context["question"]


def test_vendor_command_forwards_the_case_with_the_users_words() -> None:
    p = plan(_reply("#сэдиж\nОшибка на стороне системы."),
             Facts(case=case(), messages=(question(1, "Логин: ivanova_anna, не пускает."),)))
    request, confirmation = p.mails
    assert request.kind == "vendor_request" and request.recipients[0][1] == "support@epos.example"
    assert (confirmation.kind, confirmation.person) == ("vendor_sent", "ivanova")
    assert confirmation.context["sent"]["note"] == "Ошибка на стороне системы."
    assert request.context["login"] == "ivanova_anna"
    assert p.event("state").detail["after"] == "waiting_vendor"  # type: ignore[union-attr]


def test_stop_tells_the_user_and_reports_to_the_supervisor() -> None:
    p = plan(_reply("#прекратить\nОскорбления в каждом письме."),
             Facts(case=case(), messages=(question(1, "Вы все идиоты."),)))
    assert {(m.kind, m.person) for m in p.mails} == {("stopped", ""), ("stop_report", "petrova")}
    report = next(m for m in p.mails if m.kind == "stop_report")
    assert report.context["passages"] and report.context["history"][-1]["kind"] == "command"
    assert p.event("state").detail["after"] == "stopped"  # type: ignore[union-attr]


# ------------------------------------------------------------------------------ vendor


def _vendor_mail(body: str = "Проблема устранена, попробуйте войти снова.") -> bytes:
    return make_mail(subject="RE: Обращение школы [ЭЖ #7]", body=body,
                     sender=("Поддержка ЭПОС", "support@epos.example"))


def test_a_vendor_answer_by_reference_wakes_the_case_and_reaches_the_helper() -> None:
    facts = Facts(case=case(status="waiting_vendor"), vendor=VendorMatch("reference", "cites"))
    p = plan(_vendor_mail(), facts)
    assert p.would == "vendor_mail" and p.event("state").detail["after"] == "assigned"  # type: ignore[union-attr]
    assert [(m.kind, m.person) for m in p.mails] == [("vendor_answer", "ivanova")]  # relay = approve


def test_a_vendor_answer_by_tag_alone_is_marked_unverified() -> None:
    facts = Facts(case=case(status="waiting_vendor"), vendor=VendorMatch("tag", "tag only"))
    p = plan(_vendor_mail(), facts)
    assert [s.kind for s in p.steps if isinstance(s, Record)] == ["vendor_unverified"]
    assert p.event("state") is None and p.mails[0].context["unverified"] is True


def test_vendor_mail_about_no_case_goes_to_the_triage_person() -> None:
    p = plan(_vendor_mail("Плановые работы в субботу с 10:00 до 12:00."), Facts())
    assert p.would == "vendor_news" and p.event("assigned").detail["after"] == "ivanova"  # type: ignore[union-attr]
    assert [m.kind for m in p.mails] == ["notice"]


def test_approve_sends_the_vendors_latest_answer_once() -> None:
    answer = question(5, "Исправлено.", sender_role="vendor", kind="vendor",
                      message_id="v5@epos.example")
    facts = Facts(case=case(), messages=(question(), answer))
    p = plan(_reply("#одобрить"), facts)
    assert [(m.kind, m.context["answer"]) for m in p.mails] == [("vendor_relay", "Исправлено.")]
    again = plan(_reply("#одобрить"), Facts(case=case(), messages=facts.messages,
                 events=(("vendor_answer_approved", '{"message_id": "v5@epos.example"}'),)))
    assert [m.kind for m in again.mails] == ["problem"]


def test_a_thank_you_to_a_closed_case_is_recorded_and_bothers_nobody() -> None:
    closed = case(status="closed", closed_at=NOW - timedelta(days=2))
    p = plan(make_mail(subject="Re: [ЭЖ #7] Не могу войти", body="Спасибо, всё заработало!"),
             Facts(case=closed))
    assert p.would == "follow_up" and p.mails == [] and p.event("state") is None
    assert p.event("thanks_on_closed_case") is not None
    long_ago = case(status="closed", closed_at=NOW - timedelta(days=90))
    late = plan(make_mail(subject="Re: [ЭЖ #7] Не могу войти", body="Спасибо большое!"),
                Facts(case=long_ago))
    assert late.would == "follow_up" and late.mails == []  # no new case for thanks either
    asks = plan(make_mail(subject="Re: [ЭЖ #7]", body="Спасибо! А как привязать второго ребёнка?"),
                Facts(case=closed))
    assert asks.event("state").detail["after"] == "assigned"  # type: ignore[union-attr]
    assert [m.kind for m in asks.mails] == ["followup"]


def test_a_mail_to_a_stopped_case_reaches_the_supervisor_who_got_the_report() -> None:
    stopped = case(status="stopped", closed_at=NOW - timedelta(days=1))
    facts = Facts(case=stopped, events=(("help_stopped", '{"reported_to": "petrova"}'),))
    p = plan(make_mail(subject="Re: [ЭЖ #7]", body="Простите меня, я была неправа."), facts)
    (mail,) = p.mails
    assert (mail.kind, mail.person, mail.context["stopped"]) == ("followup", "petrova", True)
    assert p.event("state") is None  # the case stays stopped


# ----------------------------------------------------------------------------- bounces


def _bounce(rcpt: str = PARENT[1], status: str = "5.1.1", action: str = "failed") -> bytes:
    """An RFC 3464 report as Postfix writes it, returning our acknowledgement of case 7."""
    return (
        "From: MAILER-DAEMON@mx.mail.example (Mail Delivery System)\r\n"
        "To: help@school.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <b1@mx.mail.example>\r\nDate: Thu, 03 Dec 2026 11:00:00 +0500\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your"
        " message could not be delivered.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.mail.example\r\n\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\nAction: {action}\r\nStatus: {status}\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        "Message-ID: <mailbot.7.ack.abc@school.example>\r\n"
        "Subject: [ЭЖ #7] Не могу войти\r\n--B--\r\n").encode()


def test_a_bounce_marks_our_mail_undelivered_and_tells_the_helper_once() -> None:
    returned = Returned(41, "ack", PARENT[1], True, "the returned Message-ID")
    facts = Facts(case=case(), messages=(question(),), returned=returned)
    p = plan(_bounce(), facts)
    assert p.would == "machine_mail" and p.case_id == 7
    (undelivered,) = [s for s in p.steps if isinstance(s, Undelivered)]
    assert undelivered.outbox_id == 41 and undelivered.detail.startswith("5.1.1")
    (told,) = p.mails
    assert (told.kind, told.person, told.context["permanent"]) == ("undeliverable", "ivanova",
                                                                   True)
    again = plan(_bounce(), Facts(case=case(), returned=returned,
                                  events=(("user_unreachable", "{}"),)))
    assert again.mails == [] and any(isinstance(s, Undelivered) for s in again.steps)


def test_a_bounce_of_nothing_of_ours_is_kept_in_no_case() -> None:
    p = plan(_bounce(), Facts())
    assert p.case_id is None and p.mails == []
    assert not any(isinstance(s, Open | Undelivered) for s in p.steps)
    assert p.event("mail_bounced").detail["found_by"] == "nothing of ours"  # type: ignore[union-attr]


def test_a_delay_notice_only_goes_to_the_log() -> None:
    returned = Returned(41, "relay", PARENT[1], False, "the returned Message-ID")
    p = plan(_bounce(status="4.4.7", action="delayed"), Facts(case=case(), returned=returned))
    assert p.mails == [] and not any(isinstance(s, Undelivered) for s in p.steps)
    assert p.event("mail_delayed") is not None


def test_closing_after_a_greeting_closes_and_greets_the_user_once() -> None:
    p = plan(_reply("Добрый день!\n#закрыть\nПароль сброшен, войдите снова."),
             Facts(case=case(), messages=(question(),)))
    (closing,) = p.mails
    assert closing.kind == "closing" and closing.context["answer"] == "Пароль сброшен, войдите снова."
    assert p.event("state").detail["after"] == "closed"  # type: ignore[union-attr]


def test_the_greeting_takes_name_and_patronymic_from_the_signature() -> None:
    p = plan(make_mail(sender=("Ольга Шилова", "o.shilova@mail.example"),
                       body="Здравствуйте! Не могу войти в дневник через Госуслуги.\n\n"
                            "С уважением,\nШилова Ольга Петровна\n8-912-000-00-00"))
    opened = p.steps[0]
    assert isinstance(opened, Open) and opened.fields["requester_name"] == "Шилова Ольга Петровна"
    plain = plan(make_mail(sender=("Ольга Шилова", "o.shilova@mail.example"),
                           body="Не могу войти в дневник.\n\nОльга"))
    assert plain.steps[0].fields["requester_name"] == "Ольга Шилова"  # type: ignore[union-attr]


def test_the_helpers_next_mail_says_what_came_back() -> None:
    facts = Facts(case=case(), messages=(question(),),
                  undelivered=("anna.petrova@mail.example: 5.1.1 User unknown",))
    p = plan(make_mail(subject="Re: [ЭЖ #7]", body="Так и не получается."), facts)
    (followup,) = p.mails
    assert followup.context["undelivered"] == ["anna.petrova@mail.example: 5.1.1 User unknown"]


def test_the_vendor_gets_only_the_users_own_questions() -> None:
    forged = question(2, "#закрыть Всё исправлено", from_addr="a.kuznetsov@school.example",
                      kind="unverified")
    stranger = question(3, "Мой логин: petrov_ivan, тоже не пускает.",
                        from_addr="neighbour@mail.example")
    complaint = question(4, "Хочу пожаловаться на Иванову: грубо ответила.")
    facts = Facts(case=case(), messages=(question(1, "Логин: ivanova_anna, не пускает."),
                                         forged, stranger, complaint))
    request, _ = plan(_reply("#сэдиж"), facts).mails
    said = request.context["question"]
    assert "ivanova_anna" in said and request.stored_files == (1,)
    assert "Всё исправлено" not in said and "petrov_ivan" not in said and "Иванову" not in said


# ----------------------------------------------- issue 12: doubted mail, risky files, vendor


def _with_files(raw: bytes, *files: tuple[str, str, bytes]) -> bytes:
    msg = email.message_from_bytes(raw, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    for name, content_type, data in files:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def _zip(*entries: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


PNG = ("снимок.png", "image/png", b"\x89PNG\r\n\x1a\n")
RISKY_ZIP = ("документы.zip", "application/zip", _zip(("setup.exe", b"MZ\x90")))
DOCM = ("табель.docm", "application/octet-stream", _zip(("word/vbaProject.bin", b"\x00")))
FORGED = (KUZNETSOV[0], KUZNETSOV[1])


def test_a_forged_staff_mail_citing_a_case_opens_nothing_and_acks_nobody() -> None:
    p = plan(make_mail(subject="[ЭЖ #7]", body="#закрыть Вопрос решён.", sender=FORGED),
             Facts(case=case(), messages=(question(),)))
    assert not any(isinstance(s, Open) for s in p.steps) and p.outcome.kind == "joined"
    assert [s.kind for s in p.steps if isinstance(s, Record)] == ["unverified"]
    assert not any(m.to == "user" for m in p.mails) and p.event("state") is None
    followup = next(m for m in p.mails if m.kind == "followup")
    assert followup.person == "ivanova" and followup.context["unverified"] == KUZNETSOV[1]
    told = next(m for m in p.mails if m.kind == "unverified")
    assert told.person == "kuznetsov" and p.event("unverified_owner_told") is not None
    # The owner is told once per case: a second forged mail is only kept and shown.
    again = plan(make_mail(subject="[ЭЖ #7]", body="Ещё раз.", sender=FORGED),
                 Facts(case=case(), messages=(question(),),
                       events=(("unverified_owner_told", '{"person": "kuznetsov"}'),)))
    assert [m.kind for m in again.mails] == ["followup"]


def test_a_doubted_mail_to_an_old_closed_case_opens_no_linked_case() -> None:
    closed = case(status="closed", closed_at=NOW - timedelta(days=90))
    p = plan(make_mail(subject="Re: [ЭЖ #7]", body="Пишу снова.", sender=FORGED),
             Facts(case=closed, messages=(question(),)))
    assert not any(isinstance(s, Open) for s in p.steps)
    assert [s.kind for s in p.steps if isinstance(s, Record)] == ["unverified"]


def test_a_doubted_sender_citing_a_case_only_by_its_tag_is_kept_in_that_case() -> None:
    s = situation(make_mail(subject="[ЭЖ #7]", body="Вопрос решён.", sender=FORGED))
    tagged = match((), KUZNETSOV[1], ThreadFacts(tagged_case=7))  # never wrote in case 7
    assert tagged.case is None and tagged.tagged == 7
    doubted = replace(s.mail, facts=replace(s.mail.facts, thread=tagged))
    assert doubted.sender.unverified and cited_case(doubted) == 7
    believed = replace(doubted, sender=replace(doubted.sender, unverified=""))
    assert cited_case(believed) is None  # anyone else: the tag of a stranger's case is ignored


def test_a_staff_member_with_a_question_of_their_own_is_served_like_anyone() -> None:
    p = plan(make_mail(body="Не могу войти в электронный журнал, пишет ошибку.", sender=FORGED))
    assert p.outcome.kind == "opened" and p.outcome.acked
    assert [s.kind for s in p.steps if isinstance(s, Record)] == ["question"]
    own_case = case(requester_addr=KUZNETSOV[1], requester_name=KUZNETSOV[0])
    follow = plan(make_mail(subject="Re: [ЭЖ #7]", body="И ещё вопрос.", sender=FORGED),
                  Facts(case=own_case, messages=(question(),)))
    assert [s.kind for s in follow.steps if isinstance(s, Record)] == ["question"]


def test_the_complaint_history_marks_forged_mail_unconfirmed() -> None:
    forged = question(2, "Вопрос решён, закрываю.", from_addr=KUZNETSOV[1],
                      from_name=KUZNETSOV[0], kind="unverified")
    body = "Хочу пожаловаться на Иванову: она грубо мне ответила и не помогла."
    p = plan(make_mail(subject="Re: [ЭЖ #7] Не могу войти", body=body),
             Facts(case=case(), messages=(question(), forged)))
    complaint = next(m for m in p.mails if m.kind == "complaint")
    whos = [item["who"] for item in complaint.context["history"]]
    assert whos[1] == ("Не подтверждено: письмо с адреса a.kuznetsov@school.example "
                       "без подписи службы")
    assert not any("Специалист" in who or KUZNETSOV[0] in who for who in whos)


def test_a_doubted_vendor_mail_is_kept_unconfirmed_and_teaches_no_ticket() -> None:
    facts = Facts(case=case(status="waiting_vendor"), vendor=VendorMatch("reference", "cites"))
    s = situation(make_mail(subject="[Заявка № 5] Решено", body="Всё исправлено.",
                            sender=("Поддержка ЭПОС", "support@epos.example")), facts)
    s = replace(s, mail=replace(s.mail, sender=replace(s.mail.sender, unverified="DMARC fail")))
    p = plan_for(s)
    assert [st.kind for st in p.steps if isinstance(st, Record)] == ["vendor_unverified"]
    assert p.event("vendor_ticket") is None and p.event("state") is None
    assert [m.kind for m in p.mails] == ["vendor_answer"]
    assert p.mails[0].context["unverified"] is True


def test_risky_attachments_stay_behind_and_the_helper_is_told() -> None:
    raw = _with_files(make_mail(body="Не могу войти в дневник, прикладываю файлы."),
                      PNG, RISKY_ZIP, DOCM)
    notice = next(m for m in plan(raw).mails if m.kind == "notice")
    assert [a.filename for a in notice.attachments] == ["снимок.png"]
    assert notice.context["attachment_names"] == ["снимок.png"]
    withheld = {w["name"]: w["why"] for w in notice.context["withheld"]}
    assert withheld == {"документы.zip": "архив, в котором лежит исполняемый файл «setup.exe»",
                        "табель.docm": "документ с макросами"}
    followup = plan(_with_files(make_mail(subject="Re: [ЭЖ #7]", body="Ещё файл."), RISKY_ZIP),
                    Facts(case=case(), messages=(question(),))).mails[0]
    assert followup.attachments == () and followup.context["withheld"][0]["kept"] is True


def _escalation_facts() -> Facts:
    forged = question(2, "Закрываю.", from_addr=KUZNETSOV[1], kind="unverified")
    complaint = question(3, "Хочу пожаловаться на Иванову: грубо ответила.")
    note = question(4, "Похоже на сбой ЕСИА.", sender_role="helper", kind="note",
                    from_addr=IVANOVA[1])
    files = (StoredFile(1, "ошибка.png", "", True),
             StoredFile(1, "программа.exe", "исполняемый файл", True),
             StoredFile(2, "от подделки.png", "", True),
             StoredFile(3, "жалоба.pdf", "", True))
    return Facts(case=case(), messages=(question(1, "Логин: ivanova_anna, не пускает."),
                                        forged, complaint, note), files=files)


def test_the_vendor_gets_what_its_rules_ask_and_the_helper_sees_exactly_that() -> None:
    raw = _with_files(_reply("#сэдиж\nДанные на Госуслугах сверила."),
                      ("выписка.pdf", "application/pdf", b"%PDF-1.7"), RISKY_ZIP)
    request, confirmation = plan(raw, _escalation_facts()).mails
    assert request.stored_files == (1,)  # the user's own question only
    assert [a.filename for a in request.attachments] == ["выписка.pdf"]  # the helper's own
    assert request.context["attachment_names"] == ["ошибка.png", "выписка.pdf"]
    assert "Закрываю" not in request.context["question"]
    assert "пожаловаться" not in request.context["question"]
    assert request.context["note"] == "Данные на Госуслугах сверила."
    sent = confirmation.context["sent"]
    assert (confirmation.kind, confirmation.person) == ("vendor_sent", "ivanova")
    assert sent["attachment_names"] == request.context["attachment_names"]
    assert sent["question"] == request.context["question"]
    assert sent["withheld"] == [
        "вложение «программа.exe»: исполняемый файл; оно хранится в службе помощи",
        ("вложение «документы.zip»: архив, в котором лежит исполняемый файл «setup.exe»; "
         "оно хранится в службе помощи"),
        "письма с адресов сотрудников без подписи службы (не подтверждено): 1",
        "жалобы пользователя на сотрудников: 1",
        "внутренние заметки: 1"]


def test_a_transfer_passes_the_users_files_but_not_the_risky_ones() -> None:
    facts = replace(_escalation_facts(), files=(
        StoredFile(1, "ошибка.png", "", True),
        StoredFile(1, "программа.exe", "исполняемый файл", True),
        StoredFile(1, "видео.mp4", "", False)))
    (notice,) = plan(_reply("#передать Кузнецову"), facts).mails
    assert notice.stored_files == (1, 3)  # questions: never the forged mail (2)
    assert notice.context["attachment_names"] == ["ошибка.png"]
    assert [(w["name"], w["kept"]) for w in notice.context["withheld"]] == [
        ("программа.exe", True), ("видео.mp4", False)]
    whos = [item["who"] for item in notice.context["history"]]
    assert any(who.startswith("Не подтверждено: письмо с адреса a.kuznetsov") for who in whos)


def test_the_owner_is_told_why_their_mail_was_not_accepted() -> None:
    assert doubt_kind("DMARC fail per mx.school.example: not accepted") == "forged"
    assert doubt_kind("token expired on 2027-03-23 (case id 7, ivanova): not accepted") == (
        "expired")
    assert doubt_kind("a.kuznetsov@school.example is kuznetsov, but the mail cites no token "
                      "of ours: not accepted as a helper's mail") == "token"
    p = plan(make_mail(subject="Re: [ЭЖ #7]", body="Закрываю.", sender=FORGED),
             Facts(case=case(), messages=(question(),)))
    told = next(m for m in p.mails if m.kind == "unverified")
    assert told.context == {"from_addr": KUZNETSOV[1], "doubt": "token"}


def test_a_doubted_mail_citing_a_seminar_request_stays_there_too() -> None:
    service = case(9, category="service", assignee="", status="closed",
                   closed_at=NOW - timedelta(days=1))
    p = plan(make_mail(subject="Re: [ЭЖ #9] Запись на семинар 3", body="#записаться 3",
                       sender=FORGED), Facts(case=service))
    assert [s.kind for s in p.steps if isinstance(s, Record)] == ["unverified"]
    assert not any(isinstance(s, Seat | Open) for s in p.steps)
    assert [m.kind for m in p.mails] == ["unverified"]
    # facts.py reads the case, not seats, for such a mail
    doubted = situation(make_mail(subject="Re: [ЭЖ #9]", body="#записаться 3", sender=FORGED))
    assert case_of(doubted.mail, service) is service
    assert service_request(doubted.mail, service) is None
    user_mail = situation(make_mail(subject="Re: [ЭЖ #9]", body="#записаться 3")).mail
    assert case_of(user_mail, service) is None
    assert service_request(user_mail, None) is not None
