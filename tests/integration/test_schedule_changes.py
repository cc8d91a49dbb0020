"""Schedule changes reach people: a seminar moved or taken out of schedule.toml after
people signed up sends each of them one mail, with an updated or cancelling .ics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from icalendar import Calendar

from tests.integration.conftest import ROOT
from tests.integration.mailflow import Sent, deliver, reply_to
from tests.mailfactory import make_mail

PARENT = ("Мария Котова", "kotova@mail.example")


def calendar_of(msg):  # type: ignore[no-untyped-def]
    [part] = [p for p in msg.iter_attachments() if p.get_content_type() == "text/calendar"]
    return Calendar.from_ical(part.get_content())


def schedule_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    text = (ROOT / "config" / "schedule.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_moved_then_dropped_seminar_tells_the_signed_up_once_each(make_desk,
                                                                  tmp_path) -> None:  # type: ignore[no-untyped-def]
    planned = schedule_with(tmp_path, "planned.toml", "date = 2026-12-03", "date = 2026-12-10")
    desk = make_desk(files={"schedule": planned})
    deliver(desk, make_mail(sender=PARENT, subject="Как выставить итоговые отметки?",
                            body="Подскажите, как выставить итоговые отметки за полугодие."))
    deliver(desk, reply_to(Sent(desk).one("ack", PARENT[1]), sender=PARENT,
                           body="#записаться 1"))
    confirmed = calendar_of(Sent(desk).one("service_reply", PARENT[1]))
    desk.worker.time_job()
    desk.send()
    assert Sent(desk).of("seminar_changed") == [], "nothing changed: nothing said"

    moved = schedule_with(tmp_path, "moved.toml", "date = 2026-12-03\ntime = \"15:00\"",
                          "date = 2026-12-11\ntime = \"16:00\"")
    again = make_desk(files={"schedule": moved})  # schedule.toml edited, mailbot restarted
    again.worker.time_job()
    again.worker.time_job()
    again.send()
    [notice] = Sent(again).of("seminar_changed", PARENT[1])
    assert notice["Subject"] == "Семинар № 1 перенесён"
    text = notice.get_body(("plain",)).get_content()
    assert "10.12.2026 15:00" in text and "11.12" in text and "16:00" in text
    old_event = confirmed.walk("VEVENT")[0]
    new_event = calendar_of(notice).walk("VEVENT")[0]
    assert new_event["uid"] == old_event["uid"]
    assert int(new_event["sequence"]) > int(old_event["sequence"])

    text_ = moved.read_text(encoding="utf-8")
    start = text_.index("[[seminar]]\nnumber = 1\n")
    dropped = tmp_path / "dropped.toml"
    dropped.write_text(text_[:start] + text_[text_.index("[[seminar]]", start + 5):],
                       encoding="utf-8")
    third = make_desk(files={"schedule": dropped})
    third.worker.time_job()
    third.worker.time_job()
    third.send()
    notices = Sent(third).of("seminar_changed", PARENT[1])
    assert len(notices) == 2 and notices[1]["Subject"] == "Семинар № 1 отменён"
    cancel = calendar_of(notices[1])
    assert str(cancel["method"]) == "CANCEL"
    event = cancel.walk("VEVENT")[0]
    assert event["uid"] == old_event["uid"]
    assert int(event["sequence"]) > int(new_event["sequence"])


def test_a_seminar_taken_out_after_it_took_place_says_nothing(make_desk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    planned = schedule_with(tmp_path, "planned.toml", "date = 2026-12-03", "date = 2026-12-10")
    desk = make_desk(files={"schedule": planned})
    deliver(desk, make_mail(sender=PARENT, subject="Итоговые отметки",
                            body="Подскажите, как выставить итоговые отметки за полугодие."))
    deliver(desk, reply_to(Sent(desk).one("ack", PARENT[1]), sender=PARENT,
                           body="#записаться 1"))
    desk.worker.time_job()
    text_ = planned.read_text(encoding="utf-8")
    start = text_.index("[[seminar]]\nnumber = 1\n")
    cleaned = tmp_path / "cleaned.toml"
    cleaned.write_text(text_[:start] + text_[text_.index("[[seminar]]", start + 5):],
                       encoding="utf-8")
    later = make_desk(files={"schedule": cleaned})
    later.clock.current = datetime(2026, 12, 20, 6, 0, tzinfo=UTC)
    later.worker.time_job()
    later.send()
    assert Sent(later).of("seminar_changed") == []
