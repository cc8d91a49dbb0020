"""Consultations and seminars: validation with one-line errors, the slots a week or a reply
gets (holidays, каникулы, cancellations and moves), and calendar files that parse back."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from mailbot.school.ics import cancel_ics, invitation_ics, slot_ics, slot_uid
from mailbot.school.schedule import (
    Schedule,
    Slot,
    schedule_warnings,
    seminar,
    upcoming,
    week_slots,
)
from mailbot.school.schedule_file import ScheduleError, load_schedule, schedule_from_dict
from mailbot.school.workcal import WorkCalendar, load_calendar
from mailbot.text.classify import CATEGORY_IDS

ROOT = Path(__file__).resolve().parents[2]
EKB = ZoneInfo("Asia/Yekaterinburg")
PEOPLE = {"ivanova", "petrova", "smirnova", "kuznetsov"}
STAMP = datetime(2026, 11, 29, 6, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return load_calendar(ROOT / "config" / "calendar.toml")


@pytest.fixture(scope="module")
def shipped() -> Schedule:
    return load_schedule(ROOT / "config" / "schedule.toml", known_people=PEOPLE)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=EKB)


def consultation(**extra: Any) -> dict[str, Any]:
    base = {"id": "ivanova-tue", "helper": "ivanova", "day": "Вторник", "time": "15:00-16:30",
            "place": "каб. 12", "topics": ["login"], "valid_from": date(2026, 9, 1),
            "valid_to": date(2027, 5, 26)}
    return {**base, **extra}


def a_seminar(**extra: Any) -> dict[str, Any]:
    base = {"number": 1, "date": date(2026, 12, 3), "time": "15:00", "duration": 90,
            "title": "Итоговые отметки", "audience": "teachers", "place": "каб. 12",
            "seats": 20, "topics": ["final_marks"]}
    return {**base, **extra}


def build(**data: Any) -> Schedule:
    return schedule_from_dict(data, "schedule.toml", PEOPLE)


def error_of(**data: Any) -> str:
    with pytest.raises(ScheduleError) as err:
        build(**data)
    text = str(err.value)
    assert "\n" not in text
    return text


def when(slot: Slot) -> str:
    return f"{slot.start:%d.%m %H:%M}"


# ------------------------------------------------------------------ the shipped sample


def test_shipped_schedule_is_valid(shipped: Schedule, cal: WorkCalendar) -> None:
    assert len(shipped.consultations) == 5
    assert {c.helper_id for c in shipped.consultations} == PEOPLE
    assert sorted(shipped.seminars) == [1, 2, 3, 4, 5]
    assert {c.action for c in shipped.changes.values()} == {"cancel", "move"}
    assert schedule_warnings(shipped, cal) == []


def test_unknown_person_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError) as err:
        load_schedule(ROOT / "config" / "schedule.toml", known_people={"ivanova", "petrova"})
    assert str(err.value).endswith("consultation[4].helper: no person with id 'smirnova'")


# ------------------------------------------------------------------ validation


def test_overlapping_consultations_of_one_helper() -> None:
    text = error_of(consultation=[
        consultation(),
        consultation(id="ivanova-tue-2", day="вт", time="16:00-17:00"),
    ])
    assert text == (
        "schedule.toml: consultation[2].time: overlaps consultation[1] ('ivanova-tue') of the "
        "same helper 'ivanova': вторник 15:00-16:30"
    )
    # Back to back, another helper, or another term: no overlap.
    build(consultation=[
        consultation(),
        consultation(id="b", time="16:30-17:30"),
        consultation(id="c", helper="petrova"),
        consultation(id="d", valid_from="01.06.2027", valid_to="30.06.2027"),
    ])


def test_seminar_at_an_impossible_date() -> None:
    text = error_of(seminar=[a_seminar(date="2026-02-30")])
    assert text == "schedule.toml: seminar[1].date: no such date '2026-02-30'"
    assert error_of(seminar=[a_seminar(date="30.02.2026")]).endswith("no such date '30.02.2026'")


def test_impossible_date_literal_in_the_file(tmp_path: Path) -> None:
    path = tmp_path / "schedule.toml"
    path.write_text("[[seminar]]\nnumber = 1\ndate = 2026-02-30\n", encoding="utf-8")
    with pytest.raises(ScheduleError) as err:
        load_schedule(path)
    assert str(err.value).startswith(f"{path}: not valid TOML: ")
    assert "line 3" in str(err.value)


def test_end_before_start() -> None:
    assert error_of(consultation=[consultation(time="16:30-15:00")]) == (
        "schedule.toml: consultation[1].time: the end 15:00 is not after the start 16:30")
    ranged = {k: v for k, v in a_seminar(time="15:00-14:00").items() if k != "duration"}
    assert error_of(seminar=[ranged]) == (
        "schedule.toml: seminar[1].time: the end 14:00 is not after the start 15:00")
    assert error_of(seminar=[a_seminar(time="15:00-16:00")]) == (
        "schedule.toml: seminar[1].duration: give either a time range or a duration, not both")
    assert error_of(seminar=[a_seminar(duration=0)]) == (
        "schedule.toml: seminar[1].duration: must be a whole number of at least 1, got 0")
    assert error_of(consultation=[consultation(valid_from=date(2027, 5, 26),
                                               valid_to=date(2026, 9, 1))]) == (
        "schedule.toml: consultation[1].valid_to: 2026-09-01 is before valid_from = 2027-05-26")
    assert error_of(seminar=[a_seminar(time="23:30", duration=60)]) == (
        "schedule.toml: seminar[1].duration: the seminar would end after midnight")


def test_duplicate_seminar_numbers() -> None:
    text = error_of(seminar=[a_seminar(), a_seminar(date=date(2026, 12, 10))])
    assert text == "schedule.toml: seminar[2].number: seminar 1 is already defined"


def test_exception_for_a_date_without_that_consultation() -> None:
    text = error_of(consultation=[consultation()], exception=[
        {"consultation": "ivanova-tue", "date": date(2026, 12, 9), "action": "cancel",
         "reason": "болезнь"},
    ])
    assert text == (
        "schedule.toml: exception[1].date: consultation 'ivanova-tue' does not take place on "
        "09.12.2026 (среда); it is held on вторник from 01.09.2026 to 26.05.2027"
    )
    text = error_of(consultation=[consultation()], exception=[
        {"consultation": "ivanova-thu", "date": date(2026, 12, 10), "action": "cancel",
         "reason": "болезнь"},
    ])
    assert text == "schedule.toml: exception[1].consultation: no consultation with id 'ivanova-thu'"


def test_unknown_keys() -> None:
    assert error_of(consultation=[consultation(room="каб. 12")]) == (
        "schedule.toml: consultation[1].room: unknown key")
    assert error_of(seminars=[a_seminar()]) == "schedule.toml: seminars: unknown key"


def test_seats_must_be_at_least_one() -> None:
    assert error_of(seminar=[a_seminar(seats=0)]) == (
        "schedule.toml: seminar[1].seats: must be a whole number of at least 1, got 0")
    assert error_of(seminar=[a_seminar(seats="двадцать")]) == (
        "schedule.toml: seminar[1].seats: must be a whole number of at least 1, got 'двадцать'")
    assert build(seminar=[a_seminar(seats=None)]).seminars[1].seats is None


def test_other_mistakes_are_named() -> None:
    assert error_of(consultation=[consultation(day="вторнк")]).startswith(
        "schedule.toml: consultation[1].day: must be a day of the week")
    assert error_of(consultation=[consultation(topics=["оценки"])]).startswith(
        "schedule.toml: consultation[1].topics[1]: must be one of login,")
    assert error_of(consultation=[consultation(topics=["login", "other"])]).endswith(
        "consultation[1].topics[2]: must be one of " + ", ".join(CATEGORY_IDS) + ", got 'other'")
    assert error_of(consultation=[consultation(place="", link="zoom")]).startswith(
        "schedule.toml: consultation[1].link: must be a web address starting with https://")
    assert error_of(consultation=[consultation(place="")]) == (
        "schedule.toml: consultation[1].place: missing; give a room (place) or an online link "
        "(link)")
    assert error_of(seminar=[a_seminar(audience="родители")]) == (
        "schedule.toml: seminar[1].audience: must be one of all, teachers, parents, students, "
        "got 'родители'")


def test_weekdays_in_any_spelling() -> None:
    for spelling, weekday in (("ЧЕТВЕРГ", 3), ("чт", 3), (" Пятница ", 4), ("thu", 3),
                              ("Суббота", 5)):
        assert build(consultation=[consultation(day=spelling)]).consultations[0].weekday == weekday


def test_a_move_must_not_land_on_another_consultation() -> None:
    text = error_of(
        consultation=[consultation(), consultation(id="ivanova-thu", day="чт")],
        exception=[{"consultation": "ivanova-tue", "date": "08.12.2026", "action": "move",
                    "new_date": "10.12.2026", "reason": "курсы"}],
    )
    assert text == (
        "schedule.toml: exception[1]: the moved consultation overlaps 'ivanova-thu' of the same "
        "helper on 10.12.2026 15:00-16:30")


def test_cancel_with_a_new_time_and_a_move_without_one() -> None:
    base = {"consultation": "ivanova-tue", "date": date(2026, 12, 8), "reason": "курсы"}
    assert error_of(consultation=[consultation()], exception=[
        {**base, "action": "cancel", "new_time": "14:00-15:00"}]) == (
        "schedule.toml: exception[1].new_time: only a move has a new date, time or place")
    assert error_of(consultation=[consultation()], exception=[{**base, "action": "move"}]) == (
        "schedule.toml: exception[1]: a move needs new_date, new_time, new_place or new_link")
    assert error_of(consultation=[consultation()], exception=[
        {**base, "action": "cancel", "reason": " "}]).startswith(
        "schedule.toml: exception[1].reason: must be non-empty text")


# ------------------------------------------------------------------ slots


def test_week_with_a_move_and_a_seminar(shipped: Schedule, cal: WorkCalendar) -> None:
    slots = week_slots(shipped, cal, "2026-W50")
    assert [(when(s), s.helper_id) for s in slots] == [
        ("07.12 14:30", "smirnova"),
        ("09.12 14:00", "petrova"),
        ("10.12 15:00", "ivanova"),  # Tuesday's consultation, moved to Thursday
        ("10.12 18:00", "ivanova"),
        ("11.12 13:00", "kuznetsov"),
    ]
    moved = slots[2]
    assert moved.note == "перенесено с 08.12 (курсы повышения квалификации)"
    assert moved.moved_from == date(2026, 12, 8)
    assert moved.key == "consultation-ivanova-tue-20261208"
    assert moved.start == local(2026, 12, 10, 15) and moved.end == local(2026, 12, 10, 16, 30)


def test_cancelled_consultations_only_on_request(shipped: Schedule, cal: WorkCalendar) -> None:
    plain = week_slots(shipped, cal, "2026-W51")
    assert [(when(s), s.kind) for s in plain] == [
        ("14.12 14:30", "consultation"),
        ("15.12 15:00", "consultation"),
        ("17.12 18:00", "seminar"),
        ("18.12 13:00", "consultation"),
    ]
    full = week_slots(shipped, cal, "2026-W51", include_cancelled=True)
    cancelled = [s for s in full if s.cancelled]
    assert [(when(s), s.note) for s in cancelled] == [
        ("16.12 14:00", "отменено (педагогический совет)"),
        ("17.12 18:00", "отменено (в это время семинар № 2 для родителей)"),
    ]


def test_holidays_and_school_holidays_skip_consultations(
    shipped: Schedule, cal: WorkCalendar
) -> None:
    # Autumn каникулы until 3 November, 4 November a holiday.
    assert [when(s) for s in week_slots(shipped, cal, "2026-W45")] == ["05.11 18:00",
                                                                        "06.11 13:00"]
    # 30 December – 10 January: winter каникулы and the New Year holidays.
    assert [when(s) for s in week_slots(shipped, cal, "2026-W53")] == ["28.12 14:30",
                                                                        "29.12 15:00"]
    assert week_slots(shipped, cal, "2027-W01") == []


def test_seminar_in_school_holidays_still_takes_place(cal: WorkCalendar) -> None:
    schedule = build(consultation=[consultation()],
                     seminar=[a_seminar(date=date(2026, 10, 27), helper="ivanova")])
    assert [(s.kind, when(s)) for s in week_slots(schedule, cal, "2026-W44")] == [
        ("seminar", "27.10 15:00")]
    assert schedule_warnings(schedule, cal) == []  # no consultation in каникулы
    saturday = build(seminar=[a_seminar(date=date(2026, 11, 28))])
    assert schedule_warnings(saturday, cal) == ["семинар 1 назначен на нерабочий день 28.11.2026"]


def test_seminar_at_its_leaders_consultation_is_a_warning(cal: WorkCalendar) -> None:
    schedule = build(consultation=[consultation(day="чт", time="14:00-15:30")],
                     seminar=[a_seminar(helper="ivanova")])
    assert schedule_warnings(schedule, cal) == [
        ("семинар 1 (03.12.2026) совпадает по времени с консультацией «ivanova-tue» того же "
        "сотрудника (14:00-15:30)"),
    ]


def test_bad_week() -> None:
    with pytest.raises(ValueError, match="ISO week"):
        week_slots(build(), None, "2026-49")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="ISO week"):
        week_slots(build(), None, "2026-W54")  # type: ignore[arg-type]


def test_upcoming_by_category_then_general(shipped: Schedule, cal: WorkCalendar) -> None:
    now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # Monday 15:00 local
    login = upcoming(shipped, cal, now, category="login", limit=5)
    assert [(when(s), s.kind) for s in login] == [
        ("01.12 15:00", "consultation"),
        ("03.12 18:00", "consultation"),
        ("10.12 15:00", "consultation"),  # 8 December moved to the 10th
        ("10.12 18:00", "consultation"),
        ("15.12 15:00", "consultation"),
    ]
    assert all("login" in s.topics for s in login)
    reports = upcoming(shipped, cal, now, category="reports", limit=4, horizon_days=30)
    # 16 and 30 December (cancelled, каникулы) are skipped; then the general Friday slot.
    assert [when(s) for s in reports] == ["02.12 14:00", "09.12 14:00", "23.12 14:00",
                                          "04.12 13:00"]
    assert reports[-1].topics == ()


def test_upcoming_never_in_the_past(shipped: Schedule, cal: WorkCalendar) -> None:
    now = local(2026, 11, 30, 14, 45)  # Smirnova's Monday consultation has begun
    assert [when(s) for s in upcoming(shipped, cal, now)] == ["01.12 15:00", "02.12 14:00",
                                                              "03.12 15:00"]
    assert all(s.start > now for s in upcoming(shipped, cal, now, limit=50))


def test_upcoming_later_the_same_day(shipped: Schedule, cal: WorkCalendar) -> None:
    # The day's slots are worked out once; a later moment of that day still drops what began.
    morning = [when(s) for s in upcoming(shipped, cal, local(2026, 12, 1, 9), limit=2)]
    evening = [when(s) for s in upcoming(shipped, cal, local(2026, 12, 1, 16), limit=2)]
    assert morning == ["01.12 15:00", "02.12 14:00"]
    assert evening == ["02.12 14:00", "03.12 15:00"]


def test_upcoming_for_an_audience_and_for_other(shipped: Schedule, cal: WorkCalendar) -> None:
    now = local(2026, 12, 4, 14)
    parents = upcoming(shipped, cal, now, category="parent_link", audience="parents", limit=5)
    # For parents and for all; the online consultation of 17.12 gives way to seminar 2.
    assert [(when(s), s.kind, s.audience) for s in parents] == [
        ("10.12 15:00", "consultation", "all"),
        ("10.12 18:00", "consultation", "parents"),
        ("15.12 15:00", "consultation", "all"),
        ("17.12 18:00", "seminar", "parents"),
        ("22.12 15:00", "consultation", "all"),
    ]
    # Final marks are for teachers: a parent is offered the general consultation instead.
    final = upcoming(shipped, cal, now, category="final_marks", audience="parents")
    assert [(when(s), s.helper_id, s.topics) for s in final] == [
        ("11.12 13:00", "kuznetsov", ()), ("18.12 13:00", "kuznetsov", ()),
        ("25.12 13:00", "kuznetsov", ())]
    other = upcoming(shipped, cal, now, category="other")
    assert [s.helper_id for s in other] == ["kuznetsov"] * 3


def test_upcoming_over_the_new_year(shipped: Schedule, cal: WorkCalendar) -> None:
    now = local(2026, 12, 29, 17)
    assert [(when(s), s.kind) for s in upcoming(shipped, cal, now)] == [
        ("11.01 14:30", "consultation"), ("12.01 15:00", "consultation"),
        ("13.01 14:00", "consultation")]


def test_move_of_time_or_place_only(cal: WorkCalendar) -> None:
    schedule = build(consultation=[consultation(link="https://telemost.yandex.ru/j/1")],
                     exception=[
        {"consultation": "ivanova-tue", "date": date(2026, 12, 1), "action": "move",
         "new_time": "13:00-14:00", "reason": "совещание"},
        {"consultation": "ivanova-tue", "date": date(2026, 12, 8), "action": "move",
         "new_place": "актовый зал", "reason": "ремонт кабинета"},
    ])
    first, second = week_slots(schedule, cal, "2026-W49")[0], week_slots(schedule, cal,
                                                                         "2026-W50")[0]
    assert (when(first), first.note) == ("01.12 13:00", "перенесено с 15:00 на 13:00 (совещание)")
    assert (second.place, second.link) == ("актовый зал", None)
    assert second.note == "другое место (было: каб. 12) (ремонт кабинета)"


def test_seminar_lookup(shipped: Schedule, cal: WorkCalendar) -> None:
    third = seminar(shipped, 3)
    assert third is not None and third.date == date(2027, 1, 21)
    assert (third.start.isoformat(), third.end.isoformat()) == ("15:00:00", "16:30:00")
    assert seminar(shipped, 42) is None


# ------------------------------------------------------------------ calendar files


def events(data: bytes) -> tuple[Calendar, list[Any]]:
    parsed = Calendar.from_ical(data)
    return parsed, list(parsed.walk("VEVENT"))


def test_ics_parses_back_with_times_and_uids(shipped: Schedule, cal: WorkCalendar) -> None:
    slots = week_slots(shipped, cal, "2026-W51")
    data = slot_ics(slots, organizer_addr="help@bsosh.example", uid_domain="bsosh.example",
                    stamp=STAMP, organizer_name="Служба помощи по ЭЖ")
    parsed, found = events(data)
    assert str(parsed["method"]) == "PUBLISH"
    assert [str(e["uid"]) for e in found] == [slot_uid(s, "bsosh.example") for s in slots]
    assert [e.decoded("dtstart") for e in found] == [s.start for s in slots]
    assert found[0]["dtstart"].params["TZID"] == "Asia/Yekaterinburg"
    assert found[0].decoded("dtend") == local(2026, 12, 14, 15, 30)
    assert [tz["tzid"] for tz in parsed.walk("VTIMEZONE")] == ["Asia/Yekaterinburg"]
    semi = next(e for e, s in zip(found, slots, strict=True) if s.kind == "seminar")
    assert str(semi["summary"]) == (
        "Семинар № 2: Электронный дневник для родителей: вход через Госуслуги и привязка детей")
    assert "«Запись на семинар 2»" in str(semi["description"])
    assert str(semi["url"]).startswith("https://")


def test_russian_text_is_escaped(cal: WorkCalendar) -> None:
    schedule = build(consultation=[consultation(
        title="Вход, пароли; Госуслуги — «ЕСИА»", place="каб. 12, 2 этаж; вход со двора")])
    (slot,) = week_slots(schedule, cal, "2026-W49")
    data = slot_ics([slot], organizer_addr="help@bsosh.example", uid_domain="bsosh.example",
                    stamp=STAMP)
    assert b"\\, 2 \xd1\x8d\xd1\x82\xd0\xb0\xd0\xb6\\;" in data  # «\, 2 этаж\;»
    (event,) = events(data)[1]
    assert str(event["summary"]) == "Вход, пароли; Госуслуги — «ЕСИА»"
    assert str(event["location"]) == "каб. 12, 2 этаж; вход со двора"
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))


def test_same_slot_same_uid_and_cancel_refers_to_it(shipped: Schedule, cal: WorkCalendar) -> None:
    moved = week_slots(shipped, cal, "2026-W50")[2]
    again = week_slots(shipped, cal, "2026-W50")[2]
    first = events(slot_ics([moved], organizer_addr="h@b.example", uid_domain="b.example",
                            stamp=STAMP))[1][0]
    second = events(slot_ics([again], organizer_addr="h@b.example", uid_domain="b.example",
                             stamp=STAMP))[1][0]
    assert str(first["uid"]) == str(second["uid"]) == (
        "consultation-ivanova-tue-20261208@b.example")
    assert first["sequence"] == 1  # moved once
    parsed, (cancel,) = events(cancel_ics([moved], organizer_addr="h@b.example",
                                          uid_domain="b.example", stamp=STAMP))
    assert str(parsed["method"]) == "CANCEL"
    assert str(cancel["uid"]) == str(first["uid"])
    assert str(cancel["status"]) == "CANCELLED"
    assert cancel["sequence"] == 2


def test_invitation_for_a_seminar(shipped: Schedule, cal: WorkCalendar) -> None:
    (slot,) = [s for s in week_slots(shipped, cal, "2027-W03") if s.number == 3]
    data = invitation_ics(slot, organizer_addr="help@bsosh.example",
                          attendee_addr="teacher@bsosh.example", uid_domain="bsosh.example",
                          stamp=STAMP)
    parsed, (event,) = events(data)
    assert str(parsed["method"]) == "REQUEST"
    assert str(event["uid"]) == "seminar-3-2026-27@bsosh.example"
    assert str(event["attendee"]) == "mailto:teacher@bsosh.example"
    assert event.decoded("dtstart") == local(2027, 1, 21, 15)
    assert event.decoded("dtstart").astimezone(UTC) == datetime(2027, 1, 21, 10, tzinfo=UTC)
    with pytest.raises(ValueError, match="method"):
        slot_ics([slot], organizer_addr="h@b.example", uid_domain="b.example", stamp=STAMP,
                 method="CANCEL")  # type: ignore[arg-type]
