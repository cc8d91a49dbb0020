"""Consultations and seminars (clause 4 (c), (d) of the regulation), from config/schedule.toml.

School specialists help by a weekly schedule of consultations and at numbered seminars.
mailbot offers the next fitting ones in its replies («ближайшая консультация по входу в
ЭПОС — вторник, 15:00, каб. 12») and lists a week's in the digests, so the schedule is
data the school edits, and this module turns it into concrete `Slot`s:

- a weekly consultation happens on each of its weekdays between `valid_from` and
  `valid_to`, except on days off and school holidays (from the `WorkCalendar`);
- an exception cancels one date's consultation, or moves it to another date, time or
  place; a moved consultation keeps its identity (`Slot.key`), so a calendar invitation
  sent earlier can be updated or cancelled;
- seminars are one-off events with a number people use to sign up («Запись на семинар 3»);
  they take place on the date given even in school holidays (seminars for teachers are
  often held then), and `schedule_warnings` points out one set on a day off.

Slot times are aware datetimes in the school's zone: they are shown to people and put in
calendar files as local times; comparisons with UTC moments work as they are.

Reading and checking the file is `schedule_file`'s job; this module holds the data and the
slot computations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from typing import Literal

from mailbot.school.workcal import WorkCalendar
from mailbot.text import memo

AUDIENCES: Mapping[str, str] = MappingProxyType({
    "all": "все",
    "teachers": "учителя",
    "parents": "родители",
    "students": "ученики",
})
WEEKDAY_NAMES: tuple[str, ...] = (
    "понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье",
)
CONSULTATION_TITLE = "Консультация по электронному журналу и дневнику"
DEFAULT_HORIZON_DAYS = 60

_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")

Kind = Literal["consultation", "seminar"]


# --------------------------------------------------------------------------- the data


@dataclass(frozen=True)
class Consultation:
    """A weekly consultation of one helper."""

    id: str
    helper_id: str
    weekday: int  # 0 = Monday
    start: time
    end: time
    place: str
    link: str | None
    topics: tuple[str, ...]
    valid_from: date
    valid_to: date
    title: str = CONSULTATION_TITLE
    audience: str = "all"

    def meets_on(self, day: date) -> bool:
        return day.weekday() == self.weekday and self.valid_from <= day <= self.valid_to


@dataclass(frozen=True)
class Change:
    """One date's consultation cancelled, or moved (new date, time and/or place)."""

    consultation_id: str
    date: date
    action: Literal["cancel", "move"]
    reason: str
    new_date: date | None = None
    new_start: time | None = None
    new_end: time | None = None
    new_place: str | None = None
    new_link: str | None = None


@dataclass(frozen=True)
class Seminar:
    number: int
    date: date
    start: time
    end: time
    title: str
    audience: str
    place: str
    link: str | None
    seats: int | None
    topics: tuple[str, ...]
    helper_id: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Schedule:
    consultations: tuple[Consultation, ...]
    changes: Mapping[tuple[str, date], Change]
    seminars: Mapping[int, Seminar]
    school_year: str = ""
    source: str = ""


@dataclass(frozen=True)
class Slot:
    """One concrete consultation or seminar, ready to show or to put in a calendar file."""

    kind: Kind
    start: datetime  # aware, school's zone
    end: datetime
    helper_id: str | None
    title: str
    place: str  # a room, or «онлайн»
    topics: tuple[str, ...]
    number: int | None  # seminar number
    seats: int | None
    audience: str  # a key of AUDIENCES
    note: str  # «перенесено с 08.12 (курсы повышения квалификации)»
    key: str  # stable identity: the same occurrence keeps it when moved or cancelled
    link: str | None = None
    cancelled: bool = False
    moved_from: date | None = None


# --------------------------------------------------------------------------- queries


def upcoming(
    schedule: Schedule,
    calendar: WorkCalendar,
    now: datetime,
    *,
    category: str | None = None,
    limit: int = 3,
    audience: str | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
) -> list[Slot]:
    """The next slots that start after `now`: those on `category` first, then general ones.

    A general slot has no topics. With no category, simply the next slots. `audience`
    ("parents", …) keeps the slots meant for that audience or for all.
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)  # naive moments are UTC, as databases return them
    first = now.astimezone(calendar.zone).date()
    slots = [
        s for s in _days_slots(schedule, calendar, first, horizon_days)
        if s.start > now and (audience is None or s.audience in (audience, "all"))
    ]
    if category is not None:
        slots = [s for s in slots if category in s.topics] + [s for s in slots if not s.topics]
    return slots[:limit]


def _days_slots(schedule: Schedule, calendar: WorkCalendar, first: date,
                days: int) -> tuple[Slot, ...]:
    """slots_between for `days` from `first`, worked out once per schedule, calendar and day:
    every user's mail asks for them (the consultations offered in its acknowledgement)."""
    kept = memo.table(schedule, "days_slots")
    key = (id(calendar), first, days)
    found = kept.get(key)
    if found is None or found[0] is not calendar:
        found = kept[key] = (calendar, tuple(slots_between(
            schedule, calendar, first, first + timedelta(days=days))))
    return found[1]


def week_slots(
    schedule: Schedule, calendar: WorkCalendar, week: str, *, include_cancelled: bool = False
) -> list[Slot]:
    """Every slot of an ISO week ("2026-W49"), Monday to Sunday, for the weekly digest."""
    match = _WEEK_RE.match(week.strip())
    try:
        if not match:
            raise ValueError
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise ValueError(f'not an ISO week like "2026-W49": {week!r}') from None
    return slots_between(schedule, calendar, monday, monday + timedelta(days=6),
                         include_cancelled=include_cancelled)


def seminar(schedule: Schedule, number: int) -> Seminar | None:
    return schedule.seminars.get(number)


def slots_between(
    schedule: Schedule,
    calendar: WorkCalendar,
    first: date,
    last: date,
    *,
    include_cancelled: bool = False,
) -> list[Slot]:
    """All slots from `first` to `last` inclusive (dates in the school's zone), in time order.

    A cancelled consultation is left out unless `include_cancelled`; it is never shown on a
    day it would not have happened anyway.
    """
    slots = list(_consultation_slots(schedule, calendar, first, last, include_cancelled))
    slots += [_moved_slot(schedule, change, calendar) for change in schedule.changes.values()
              if change.action == "move" and first <= moved_to(change) <= last]
    slots += [_seminar_slot(schedule, s, calendar) for s in schedule.seminars.values()
              if first <= s.date <= last]
    return sorted(slots, key=lambda s: (s.start, s.kind, s.key))


def schedule_warnings(schedule: Schedule, calendar: WorkCalendar) -> list[str]:
    """Things that are allowed but probably a slip, in Russian for the operator.

    A seminar or a move onto a day off; a seminar at the time its leader holds a
    consultation that really takes place that day (in каникулы it does not, so this needs
    the calendar and is not a loading error).
    """
    warnings = []
    for s in schedule.seminars.values():
        if not calendar.is_working_day(s.date):
            warnings.append(f"семинар {s.number} назначен на нерабочий день {s.date:%d.%m.%Y}")
        day_slots = slots_between(schedule, calendar, s.date, s.date)
        for c in day_slots:
            if (c.kind == "consultation" and c.helper_id == s.helper_id
                    and c.start.time() < s.end and s.start < c.end.time()):
                ident = c.key.removeprefix("consultation-").rsplit("-", 1)[0]
                warnings.append(f"семинар {s.number} ({s.date:%d.%m.%Y}) совпадает по времени "
                                f"с консультацией «{ident}» того же сотрудника "
                                f"({c.start:%H:%M}-{c.end:%H:%M})")
    for change in schedule.changes.values():
        if change.action == "move" and not calendar.is_working_day(moved_to(change)):
            warnings.append(f"консультация {change.consultation_id} перенесена на нерабочий "
                            f"день {moved_to(change):%d.%m.%Y}")
    return warnings


def _consultation_slots(
    schedule: Schedule, calendar: WorkCalendar, first: date, last: date, cancelled: bool
) -> Iterator[Slot]:
    day = first
    while day <= last:
        for c in schedule.consultations:
            if not c.meets_on(day):
                continue
            change = schedule.changes.get((c.id, day))
            if change is not None and change.action == "move":
                continue  # shown on its new date
            if not calendar.is_working_day(day) or calendar.is_school_holiday(day):
                continue
            if change is None:
                yield _consultation_slot(c, day, calendar)
            elif cancelled:
                yield replace(_consultation_slot(c, day, calendar), cancelled=True,
                              note=f"отменено ({change.reason})")
        day += timedelta(days=1)


def _consultation_slot(c: Consultation, day: date, calendar: WorkCalendar) -> Slot:
    return Slot(
        kind="consultation",
        start=datetime.combine(day, c.start, calendar.zone),
        end=datetime.combine(day, c.end, calendar.zone),
        helper_id=c.helper_id,
        title=c.title,
        place=c.place or "онлайн",
        topics=c.topics,
        number=None,
        seats=None,
        audience=c.audience,
        note="",
        key=f"consultation-{c.id}-{day:%Y%m%d}",
        link=c.link,
    )


def _moved_slot(schedule: Schedule, change: Change, calendar: WorkCalendar) -> Slot:
    c = next(c for c in schedule.consultations if c.id == change.consultation_id)
    base = _consultation_slot(c, change.date, calendar)
    day = moved_to(change)
    start, end = change.new_start or c.start, change.new_end or c.end
    if day != change.date:
        what = f"перенесено с {change.date:%d.%m}"
    elif start != c.start:
        what = f"перенесено с {c.start:%H:%M} на {start:%H:%M}"
    else:
        what = f"другое место (было: {base.place})"
    return replace(
        base,
        start=datetime.combine(day, start, calendar.zone),
        end=datetime.combine(day, end, calendar.zone),
        place=change.new_place or (None if change.new_link else base.place) or "онлайн",
        link=change.new_link or (None if change.new_place else base.link),
        note=f"{what} ({change.reason})",
        moved_from=change.date,
    )


def _seminar_slot(schedule: Schedule, s: Seminar, calendar: WorkCalendar) -> Slot:
    season = re.sub(r"[^0-9]+", "-", schedule.school_year).strip("-")
    return Slot(
        kind="seminar",
        start=datetime.combine(s.date, s.start, calendar.zone),
        end=datetime.combine(s.date, s.end, calendar.zone),
        helper_id=s.helper_id,
        title=s.title,
        place=s.place or "онлайн",
        topics=s.topics,
        number=s.number,
        seats=s.seats,
        audience=s.audience,
        note=s.description,
        key=f"seminar-{s.number}" + (f"-{season}" if season else ""),
        link=s.link,
    )


def moved_to(change: Change) -> date:
    """The date a change puts its consultation on (its own date for a move of time or place)."""
    return change.new_date or change.date


_WEEKDAYS_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


def slot_line(slot: Slot, names: Mapping[str, str] | None = None, *,
              signup_hint: bool = True) -> str:
    """One line for a mail: «чт 03.12 15:00–16:00, каб. 21 — Консультация: … (Иванова Н. П.)»."""
    when = (f"{_WEEKDAYS_SHORT[slot.start.weekday()]} {slot.start:%d.%m} "
            f"{slot.start:%H:%M}–{slot.end:%H:%M}")
    who = names.get(slot.helper_id, "") if names and slot.helper_id else ""
    parts = [f"{when}, {slot.place}" if slot.place else when, "—", slot.title]
    if slot.number is not None:
        parts.append(f"(семинар № {slot.number}; записаться: #записаться {slot.number})"
                     if signup_hint else f"(семинар № {slot.number})")
    if who:
        parts.append(f"({who})")
    if slot.link:
        parts.append(slot.link)
    if slot.note:
        parts.append(f"[{slot.note}]")
    return " ".join(parts)
