"""Clause 4 and the digests through real servers, with a controlled clock: seminar seats,
reminders at the right working hour (not on a holiday), the weekly digest sent exactly once
even after downtime, and digest figures that match the cases behind them."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email import policy
from pathlib import Path

from icalendar import Calendar
from sqlmodel import func, select

from mailbot.desk.threads import find_tag
from mailbot.jobs import digests, periodic
from mailbot.jobs.figures import compute, iso_week_bounds
from mailbot.storage import db
from mailbot.storage.models import Case
from mailbot.worker import mailbox_id
from tests.integration.conftest import ROOT
from tests.integration.mailflow import IVANOVA, PETROVA, Sent, case_row, deliver, reply_to, text_of
from tests.mailfactory import make_mail

PARENT_A = ("Мария Котова", "kotova@mail.example")
PARENT_B = ("Игорь Лыков", "lykov@mail.example")


def one_seat_schedule(tmp_path: Path) -> Path:
    text = (ROOT / "config" / "schedule.toml").read_text(encoding="utf-8")
    assert "seats = 20" in text
    path = tmp_path / "schedule.toml"
    path.write_text(text.replace("seats = 20", "seats = 1", 1), encoding="utf-8")
    return path


def test_seminar_seats_are_enforced_and_cancelling_frees_one(make_desk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(files={"schedule": one_seat_schedule(tmp_path)})
    deliver(desk, make_mail(sender=PARENT_A, subject="Запись на семинар 1", body="Спасибо!"))
    deliver(desk, make_mail(sender=PARENT_B, subject="семинар", body="#записаться 1"))
    sent = Sent(desk)
    invitation = sent.one("service_reply", PARENT_A[1])  # one mail: the answer and the .ics
    assert invitation["Subject"].startswith("Вы записаны на семинар № 1")
    [ics] = [p for p in invitation.iter_attachments() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(ics.get_content())
    assert str(calendar["method"]) == "PUBLISH"
    full = sent.one("service_reply", PARENT_B[1])
    assert "мест больше нет" in text_of(full) and not list(full.iter_attachments())
    assert sent.of("notice") == []  # requests do not bother the helpers
    assert case_row(desk, 1).status == "closed"

    deliver(desk, reply_to(invitation, sender=PARENT_A, body="#отменить 1"))
    cancel = Sent(desk).of("service_reply", PARENT_A[1])[-1]
    assert cancel["Subject"] == "Запись на семинар № 1 отменена"  # not «Re: Вы записаны…»
    [ics] = [p for p in cancel.iter_attachments() if p.get_content_type() == "text/calendar"]
    assert str(Calendar.from_ical(ics.get_content())["method"]) == "CANCEL"
    deliver(desk, make_mail(sender=PARENT_B, subject="Записаться на семинар №1", body="."))
    assert Sent(desk).of("service_reply", PARENT_B[1])[-1]["Subject"].startswith("Вы записаны")

    # The day before the seminar (3 December, 15:00), from noon: one reminder, once.
    desk.clock.current = datetime(2026, 12, 2, 6, 59, tzinfo=UTC)  # 11:59 in Yekaterinburg
    desk.worker.time_job()
    desk.clock.advance(minutes=2)
    desk.worker.time_job()
    desk.worker.time_job()
    desk.send()
    assert len(Sent(desk).of("seminar_reminder", PARENT_B[1])) == 1
    assert Sent(desk).of("seminar_reminder", PARENT_A[1]) == []


def test_unsubscribing_from_the_schedule_digest_is_honoured(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(sender=PARENT_A, subject="Подписаться на рассылку расписания",
                            body="Подпишите меня, пожалуйста."))
    desk.clock.current = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)  # Friday 14:30 local
    desk.worker.digest_job()
    desk.send()
    digest = Sent(desk).one("schedule_digest", PARENT_A[1])
    assert "#записаться" in text_of(digest)
    assert len(Sent(desk).of("schedule_digest", IVANOVA[1])) == 1  # staff get it too

    deliver(desk, reply_to(digest, sender=PARENT_A, body="#отписаться"))
    desk.clock.advance(days=7)
    desk.worker.digest_job()
    desk.send()
    assert len(Sent(desk).of("schedule_digest", PARENT_A[1])) == 1  # not a second time
    assert len(Sent(desk).of("schedule_digest", IVANOVA[1])) == 2


def test_response_time_reminders_count_working_hours_and_skip_the_holiday(desk) -> None:  # type: ignore[no-untyped-def]
    # Tuesday 3 November 2026, 14:00 local: a short pre-holiday day; 4 November is a holiday.
    desk.clock.current = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
    deliver(desk, make_mail(subject="Не могу войти в дневник"))
    created = case_row(desk).created_at
    calendar = desk.app.rules.calendar
    remind_after, tell_after = desk.config.sla.targets("login")
    remind_at = calendar.add_working_hours(created, remind_after)
    tell_at = calendar.add_working_hours(created, tell_after)
    assert remind_at.astimezone(calendar.zone).date().isoformat() == "2026-11-05"

    desk.clock.current = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # the holiday itself
    desk.worker.time_job()
    desk.clock.current = remind_at - timedelta(minutes=1)
    desk.worker.time_job()
    desk.send()
    assert Sent(desk).of("sla_reminder") == []
    desk.clock.current = remind_at + timedelta(minutes=1)
    desk.worker.time_job()
    desk.worker.time_job()
    desk.send()
    assert "ждёт первого ответа" in text_of(Sent(desk).one("sla_reminder", IVANOVA[1]))
    assert Sent(desk).of("sla_supervisor") == []
    desk.clock.current = tell_at + timedelta(minutes=1)
    desk.worker.time_job()
    desk.send()
    assert Sent(desk).one("sla_supervisor", PETROVA)


def test_reminders_reach_every_waiting_case_when_read_a_few_at_a_time(desk, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(periodic, "CHUNK", 2)  # five cases: three reads of at most two
    desk.clock.current = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    for n in range(5):
        deliver(desk, make_mail(subject="Не могу войти в дневник",
                                sender=(f"Родитель {n}", f"p{n}@mail.example"),
                                message_id=f"chunk{n}@mail.example"))
    with db.session(desk.app.engine) as session:
        cases = list(session.exec(select(Case)).all())
    assert len(cases) == 5 and all(c.assignee for c in cases)
    created = max(c.created_at for c in cases)
    remind_after, _ = desk.config.sla.targets("login")
    desk.clock.current = desk.app.rules.calendar.add_working_hours(created, remind_after) + \
        timedelta(minutes=1)
    desk.worker.time_job()
    desk.worker.time_job()
    desk.send()
    reminders = Sent(desk).of("sla_reminder")
    assert sorted(find_tag(m["Subject"], desk.config.helpdesk.tag) for m in reminders) == \
        sorted(c.number for c in cases)


def test_weekly_digest_is_sent_once_even_after_downtime(make_desk) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk()
    deliver(desk, make_mail())  # Monday 23 November: a case in week 48
    # The worker was down over Monday 30 November 08:00; it is back on Wednesday.
    desk.clock.current = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    assert desk.worker.digest_job().get("admin_digest") == "2026-W48"
    assert desk.worker.digest_job() == {}
    again = make_desk()  # a restart: a new worker on the same database
    again.clock.current = desk.clock.current
    assert again.worker.digest_job() == {}
    desk.send()
    recipients = {r for k, r, _ in Sent(desk).items if k == "admin_digest"}
    people = desk.app.rules.people
    assert recipients == {p.emails[0] for p in people.digest_recipients()}
    assert sum(1 for k, _, _ in Sent(desk).items if k == "admin_digest") == len(recipients)


def test_digest_figures_match_the_cases_behind_them(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(message_id="c1@mail.example"),
            make_mail(subject="Не вижу оценки", message_id="c2@mail.example",
                      sender=PARENT_A, body="Не вижу оценки сына по математике."),
            make_mail(subject="Ошибка в ФИО", message_id="c3@mail.example",
                      sender=PARENT_B, body="В дневнике фамилия ребёнка с ошибкой."))
    notice = Sent(desk).of("notice", IVANOVA[1])[0]
    desk.clock.advance(hours=2)
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#закрыть\nПароль сброшен."))
    desk.clock.current = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)

    app, box = desk.app, mailbox_id(desk.app)
    start, end = iso_week_bounds("2026-W48", app.rules.calendar.zone)
    with db.session(app.engine) as session:
        inputs = digests._inputs(app, session, box, "2026-W48", start, end)
        opened = session.exec(select(func.count(Case.id)).where(
            Case.created_at >= start, Case.created_at < end)).one()
        closed = session.exec(select(func.count(Case.id)).where(Case.status == "closed")).one()
    figures = compute(inputs, app.rules.calendar, {"default": (8, 16)}, app.clock.now())
    assert (figures.opened, figures.closed, figures.open_at_end) == (opened, closed, 2)
    assert figures.median_response is not None and 1.9 <= figures.median_response <= 2.1
    assert figures.resolved == 1 and figures.median_resolution == figures.median_response
    rendered = digests.admin_rendered(app, box, "2026-W48")
    text = rendered.text
    assert "anna.petrova" not in text and "Котова" not in rendered.html  # no user data
    msg = email.message_from_bytes(rendered.html.encode(), policy=policy.default)
    assert msg is not None


def test_signing_up_by_replying_to_the_acknowledgement(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail(sender=PARENT_A, subject="Как выставить итоговые отметки?",
                            body="Подскажите, как выставить итоговые отметки за полугодие."))
    ack = Sent(desk).one("ack", PARENT_A[1])
    deliver(desk, reply_to(ack, sender=PARENT_A, body="#записаться 1"))
    reply = Sent(desk).one("service_reply", PARENT_A[1])
    assert reply["Subject"].startswith("Вы записаны на семинар № 1")


def test_a_manual_digest_cannot_take_the_place_of_the_weekly_one(make_desk) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk()
    desk.clock.current = datetime(2026, 11, 25, 5, 0, tzinfo=UTC)  # Wednesday of week 48
    box = mailbox_id(desk.app)
    try:
        digests.send_admin(desk.app, box, "2026-W48")
    except ValueError as exc:
        assert "not over yet" in str(exc)
    else:
        raise AssertionError("a week still running was sent")
    desk.clock.current = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # Monday 09:00 local
    assert digests.send_admin(desk.app, box, "2026w48 ")  # spelled loosely: the same key
    assert desk.worker.digest_job().get("admin_digest") is None


def test_signing_up_again_after_cancelling_outranks_the_cancellation(desk) -> None:  # type: ignore[no-untyped-def]
    def sequence(msg) -> int:  # type: ignore[no-untyped-def]
        [ics] = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
        return int(Calendar.from_ical(ics.get_content()).walk("VEVENT")[0]["sequence"])

    deliver(desk, make_mail(sender=PARENT_A, subject="семинар", body="#записаться 1"))
    deliver(desk, make_mail(sender=PARENT_A, subject="семинар", body="#отменить 1"))
    deliver(desk, make_mail(sender=PARENT_A, subject="семинар", body="#записаться 1"))
    first, cancelled, again = Sent(desk).of("service_reply", PARENT_A[1])
    assert sequence(first) < sequence(cancelled) < sequence(again)
