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
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from mailbot.school.workcal import (
    FieldError,
    WorkCalendar,
    check_keys,
    parse_date,
    parse_time_range,
    read_toml,
)
from mailbot.text.classify import CATEGORY_IDS

AUDIENCES: Mapping[str, str] = MappingProxyType({
    "all": "все",
    "teachers": "учителя",
    "parents": "родители",
    "students": "ученики",
})
WEEKDAY_NAMES: tuple[str, ...] = (
    "понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье",
)
_WEEKDAYS: Mapping[str, int] = MappingProxyType({
    name: number
    for number, names in enumerate((
        ("пн", "понедельник", "mon", "monday"),
        ("вт", "вторник", "tue", "tuesday"),
        ("ср", "среда", "wed", "wednesday"),
        ("чт", "четверг", "thu", "thursday"),
        ("пт", "пятница", "fri", "friday"),
        ("сб", "суббота", "sat", "saturday"),
        ("вс", "воскресенье", "sun", "sunday"),
    ))
    for name in names
})
CONSULTATION_TITLE = "Консультация по электронному журналу и дневнику"
DEFAULT_HORIZON_DAYS = 60

_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_TIME_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")
_WEEK_RE = re.compile(r"^(\d{4})-W(\d{2})$")

Kind = Literal["consultation", "seminar"]


class ScheduleError(ValueError):
    """A mistake in the schedule file, as one line: `file: key: why`."""


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
        s for s in slots_between(schedule, calendar, first, first + timedelta(days=horizon_days))
        if s.start > now and (audience is None or s.audience in (audience, "all"))
    ]
    if category is not None:
        slots = [s for s in slots if category in s.topics] + [s for s in slots if not s.topics]
    return slots[:limit]


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
              if change.action == "move" and first <= _new_date(change) <= last]
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
        if change.action == "move" and not calendar.is_working_day(_new_date(change)):
            warnings.append(f"консультация {change.consultation_id} перенесена на нерабочий "
                            f"день {_new_date(change):%d.%m.%Y}")
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
    day = _new_date(change)
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


def _new_date(change: Change) -> date:
    return change.new_date or change.date


# --------------------------------------------------------------------------- loading


def load_schedule(path: Path, known_people: set[str] | None = None) -> Schedule:
    """Read config/schedule.toml; any mistake is one line naming the file and key.

    `known_people`, when given, is the set of helper ids the helper keys must come from.
    """
    data = read_toml(path, ScheduleError)
    return schedule_from_dict(data, str(path), known_people)


def schedule_from_dict(
    data: Mapping[str, Any], source: str = "schedule", known_people: set[str] | None = None
) -> Schedule:
    try:
        return _build(data, source, known_people)
    except FieldError as exc:
        raise ScheduleError(f"{source}: {exc}") from None


def _build(data: Mapping[str, Any], source: str, people: set[str] | None) -> Schedule:
    check_keys(data, "", ("school_year", "consultation", "exception", "seminar"))
    school_year = _text(data, "school_year", "school_year", required=False)
    consultations = [_consultation(item, f"consultation[{n}]", people)
                     for n, item in _tables(data, "consultation")]
    _check_ids_and_overlaps(consultations)
    by_id = {c.id: c for c in consultations}
    changes: dict[tuple[str, date], Change] = {}
    for n, item in _tables(data, "exception"):
        where = f"exception[{n}]"
        change = _change(item, where, by_id)
        if (change.consultation_id, change.date) in changes:
            raise FieldError(f"{where}: a second exception for {change.consultation_id!r} on "
                             f"{change.date.isoformat()}")
        changes[(change.consultation_id, change.date)] = change
    _check_moves(changes, consultations)
    seminars: dict[int, Seminar] = {}
    for n, item in _tables(data, "seminar"):
        s = _seminar(item, f"seminar[{n}]", people)
        if s.number in seminars:
            raise FieldError(f"seminar[{n}].number: seminar {s.number} is already defined")
        seminars[s.number] = s
    return Schedule(tuple(consultations), MappingProxyType(changes),
                    MappingProxyType(dict(sorted(seminars.items()))), school_year, source)


def _tables(data: Mapping[str, Any], key: str) -> Iterator[tuple[int, dict[str, Any]]]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise FieldError(f"{key}: must be a list of [[{key}]] tables")
    for n, item in enumerate(value, 1):
        if not isinstance(item, dict):
            raise FieldError(f"{key}[{n}]: must be a table")
        yield n, item


_CONSULTATION_KEYS = ("id", "helper", "day", "time", "place", "link", "topics", "audience",
                      "title", "valid_from", "valid_to")


def _consultation(item: dict[str, Any], where: str, people: set[str] | None) -> Consultation:
    check_keys(item, where, _CONSULTATION_KEYS)
    ident = _text(item, "id", where)
    if not _ID_RE.match(ident):
        raise FieldError(f"{where}.id: use small Latin letters, digits, - and _, got {ident!r}")
    start, end = parse_time_range(_required(item, "time", where), f"{where}.time")
    valid_from = parse_date(_required(item, "valid_from", where), f"{where}.valid_from")
    valid_to = parse_date(_required(item, "valid_to", where), f"{where}.valid_to")
    if valid_to < valid_from:
        raise FieldError(f"{where}.valid_to: {valid_to.isoformat()} is before valid_from = "
                         f"{valid_from.isoformat()}")
    place, link = _place(item, where)
    return Consultation(
        id=ident,
        helper_id=_helper(item, where, people, required=True) or "",
        weekday=_weekday(_required(item, "day", where), f"{where}.day"),
        start=start,
        end=end,
        place=place,
        link=link,
        topics=_topics(item.get("topics", []), f"{where}.topics"),
        valid_from=valid_from,
        valid_to=valid_to,
        title=_text(item, "title", where, required=False) or CONSULTATION_TITLE,
        audience=_audience(item.get("audience", "all"), f"{where}.audience"),
    )


def _check_ids_and_overlaps(consultations: list[Consultation]) -> None:
    for n, c in enumerate(consultations, 1):
        for m, other in enumerate(consultations[: n - 1], 1):
            if other.id == c.id:
                raise FieldError(f"consultation[{n}].id: {c.id!r} is already used by "
                                 f"consultation[{m}]")
            if (other.helper_id == c.helper_id and other.weekday == c.weekday
                    and other.valid_from <= c.valid_to and c.valid_from <= other.valid_to
                    and other.start < c.end and c.start < other.end):
                raise FieldError(
                    f"consultation[{n}].time: overlaps consultation[{m}] ({other.id!r}) of the "
                    f"same helper {c.helper_id!r}: {WEEKDAY_NAMES[c.weekday]} "
                    f"{other.start:%H:%M}-{other.end:%H:%M}")


_CHANGE_KEYS = ("consultation", "date", "action", "reason", "new_date", "new_time", "new_place",
                "new_link")


def _change(item: dict[str, Any], where: str, by_id: Mapping[str, Consultation]) -> Change:
    check_keys(item, where, _CHANGE_KEYS)
    ident = _text(item, "consultation", where)
    if ident not in by_id:
        raise FieldError(f"{where}.consultation: no consultation with id {ident!r}")
    c = by_id[ident]
    day = parse_date(_required(item, "date", where), f"{where}.date")
    if not c.meets_on(day):
        raise FieldError(f"{where}.date: consultation {ident!r} does not take place on "
                         f"{day:%d.%m.%Y} ({WEEKDAY_NAMES[day.weekday()]}); it is held on "
                         f"{WEEKDAY_NAMES[c.weekday]} from {c.valid_from:%d.%m.%Y} to "
                         f"{c.valid_to:%d.%m.%Y}")
    action = _required(item, "action", where)
    if action not in ("cancel", "move"):
        raise FieldError(f'{where}.action: must be "cancel" or "move", got {action!r}')
    reason = _text(item, "reason", where)
    moves = [k for k in ("new_date", "new_time", "new_place", "new_link") if k in item]
    if action == "cancel":
        if moves:
            raise FieldError(f"{where}.{moves[0]}: only a move has a new date, time or place")
        return Change(ident, day, "cancel", reason)
    if not moves:
        raise FieldError(f"{where}: a move needs new_date, new_time, new_place or new_link")
    new_date = parse_date(item["new_date"], f"{where}.new_date") if "new_date" in item else None
    new_start = new_end = None
    if "new_time" in item:
        new_start, new_end = parse_time_range(item["new_time"], f"{where}.new_time")
    new_place = _text(item, "new_place", where, required=False) or None
    new_link = _link(item.get("new_link"), f"{where}.new_link")
    return Change(ident, day, "move", reason, new_date, new_start, new_end, new_place, new_link)


def _check_moves(changes: Mapping[tuple[str, date], Change], consultations: list[Consultation]
                 ) -> None:
    """A moved consultation must not land on another one of the same helper."""
    by_id = {c.id: c for c in consultations}
    for change in changes.values():
        if change.action != "move":
            continue
        moved = by_id[change.consultation_id]
        day = _new_date(change)
        start, end = change.new_start or moved.start, change.new_end or moved.end
        for other in consultations:
            clash = (other.helper_id == moved.helper_id and other.meets_on(day)
                     and (other.id, day) not in changes and other.start < end
                     and start < other.end)
            if clash and not (other.id == moved.id and day == change.date):
                raise FieldError(
                    f"exception[{_position(changes, change)}]: the moved consultation overlaps "
                    f"{other.id!r} of the same helper on {day:%d.%m.%Y} "
                    f"{other.start:%H:%M}-{other.end:%H:%M}")


def _position(changes: Mapping[tuple[str, date], Change], change: Change) -> int:
    return list(changes.values()).index(change) + 1


_SEMINAR_KEYS = ("number", "date", "time", "duration", "title", "audience", "place", "link",
                 "seats", "topics", "helper", "description")


def _seminar(item: dict[str, Any], where: str, people: set[str] | None) -> Seminar:
    check_keys(item, where, _SEMINAR_KEYS)
    number = _required(item, "number", where)
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise FieldError(f"{where}.number: must be a whole number from 1, got {number!r}")
    day = parse_date(_required(item, "date", where), f"{where}.date")
    start, end = _seminar_time(item, where)
    seats = item.get("seats")
    if seats is not None and (isinstance(seats, bool) or not isinstance(seats, int)):
        raise FieldError(f"{where}.seats: must be a whole number, got {seats!r}")
    if seats is not None and seats < 1:
        raise FieldError(f"{where}.seats: must be at least 1, got {seats}")
    place, link = _place(item, where)
    return Seminar(
        number=number,
        date=day,
        start=start,
        end=end,
        title=_text(item, "title", where),
        audience=_audience(item.get("audience", "all"), f"{where}.audience"),
        place=place,
        link=link,
        seats=seats,
        topics=_topics(item.get("topics", []), f"{where}.topics"),
        helper_id=_helper(item, where, people, required=False),
        description=_text(item, "description", where, required=False),
    )


def _seminar_time(item: dict[str, Any], where: str) -> tuple[time, time]:
    """`time = "15:00"` with `duration` in minutes, or `time = "15:00-16:30"`."""
    value = _required(item, "time", where)
    if isinstance(value, str) and not _TIME_RE.match(value):
        if "duration" in item:
            raise FieldError(f"{where}.duration: give either a time range or a duration, not both")
        return parse_time_range(value, f"{where}.time")
    start = _clock(value, f"{where}.time")
    minutes = _required(item, "duration", where)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
        raise FieldError(
            f"{where}.duration: must be minutes, a whole number from 1, got {minutes!r}")
    end_at = datetime.combine(date.min, start) + timedelta(minutes=minutes)
    if end_at.date() != date.min:
        raise FieldError(f"{where}.duration: the seminar would end after midnight")
    return start, end_at.time()


# --------------------------------------------------------------------------- small readers


def _required(item: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in item:
        raise FieldError(f"{where}.{key}: missing")
    return item[key]


def _text(item: Mapping[str, Any], key: str, where: str, *, required: bool = True) -> str:
    if key not in item:
        if required:
            raise FieldError(f"{where}.{key}: missing")
        return ""
    value = item[key]
    if not isinstance(value, str) or (required and not value.strip()):
        raise FieldError(f"{where}.{key}: must be a non-empty text, got {value!r}")
    return value.strip()


def _clock(value: Any, where: str) -> time:
    if isinstance(value, time):
        return value
    match = _TIME_RE.match(value) if isinstance(value, str) else None
    try:
        if match:
            return time(int(match[1]), int(match[2]))
    except ValueError:
        pass
    raise FieldError(f'{where}: must be a time like "15:00", got {value!r}')


def _weekday(value: Any, where: str) -> int:
    key = value.strip().lower().replace("ё", "е") if isinstance(value, str) else None
    if key not in _WEEKDAYS:
        raise FieldError(f"{where}: must be a day of the week such as «вторник» or «вт», "
                         f"got {value!r}")
    return _WEEKDAYS[key]


def _topics(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise FieldError(f'{where}: must be a list of category ids such as ["login", "marks"]')
    for n, topic in enumerate(value, 1):
        if topic not in CATEGORY_IDS:
            raise FieldError(f"{where}[{n}]: unknown category {topic!r}; use one of "
                             f"{', '.join(CATEGORY_IDS)}")
    return tuple(dict.fromkeys(value))


def _audience(value: Any, where: str) -> str:
    if value not in AUDIENCES:
        raise FieldError(f"{where}: must be one of {', '.join(AUDIENCES)}, got {value!r}")
    return value


def _helper(item: Mapping[str, Any], where: str, people: set[str] | None, *, required: bool
            ) -> str | None:
    helper = _text(item, "helper", where, required=required) or None
    if helper is not None and people is not None and helper not in people:
        raise FieldError(f'{where}.helper: no person with id "{helper}"')
    return helper


def _place(item: Mapping[str, Any], where: str) -> tuple[str, str | None]:
    place = _text(item, "place", where, required=False)
    link = _link(item.get("link"), f"{where}.link")
    if not place and not link:
        raise FieldError(f"{where}.place: missing; give a room (place) or an online link (link)")
    return place, link


def _link(value: Any, where: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not re.match(r"^https?://\S+$", value.strip()):
        raise FieldError(f"{where}: must be a web address starting with https://, got {value!r}")
    return value.strip()


def helper_ids(schedule: Schedule) -> list[str]:
    """Every helper id the schedule names, for cross-checks against the people file."""
    ids = {c.helper_id for c in schedule.consultations}
    ids |= {s.helper_id for s in schedule.seminars.values() if s.helper_id}
    return sorted(ids)


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
