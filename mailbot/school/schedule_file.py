"""config/schedule.toml: weekly consultations, their exceptions and seminars, checked.

The file is read by `tomlfile` against the models below (unknown and missing keys, types,
dates in either format); then the entries are checked against each other: ids used once,
a helper's consultations do not overlap, an exception names a consultation on a date it
really takes place and a move does not land on another consultation of the same helper,
seminar numbers are used once, and, given the ids of people.toml, every helper exists.
The result is a `schedule.Schedule`; the slots are computed there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo, field_validator

from mailbot.school import tomlfile
from mailbot.school.fields import (
    Id,
    Link,
    Listed,
    Mistake,
    TimeRange,
    Weekday,
    naming,
    parse_time_range,
)
from mailbot.school.schedule import (
    AUDIENCES,
    CONSULTATION_TITLE,
    WEEKDAY_NAMES,
    Change,
    Consultation,
    Schedule,
    Seminar,
    moved_to,
)
from mailbot.school.tomlfile import (
    AnyText,
    Count,
    RuleModel,
    SchoolDate,
    Text,
    choice,
    list_of_tables,
)
from mailbot.text.classify import CATEGORY_IDS

Topics = Annotated[tuple[choice(*CATEGORY_IDS), ...], Listed]
Audience = choice(*AUDIENCES)
Action = choice("cancel", "move")
_MOVE_KEYS = ("new_date", "new_time", "new_place", "new_link")


class ScheduleError(ValueError):
    """A mistake in the schedule file, as one line: `file: key: why`."""


# --------------------------------------------------------------------------- the file


def _clock_or_range(value: Any) -> tuple[time, time | None]:
    """A seminar's `time`: "15:00" (a TOML time too), to go with `duration`, or "15:00-16:30"."""
    if isinstance(value, time):
        return value, None
    if isinstance(value, str) and any(dash in value for dash in "-–—"):
        return parse_time_range(value)
    text = value.strip().replace(".", ":") if isinstance(value, str) else ""
    hours, _, minutes = text.partition(":")
    if hours.isdigit() and minutes.isdigit() and len(minutes) == 2 and len(hours) <= 2:
        try:
            return time(int(hours), int(minutes)), None
        except ValueError:
            pass
    raise ValueError(f'must be a time like "15:00" or "15:00-16:30", got {value!r}')


class ConsultationEntry(RuleModel):
    id: Id
    helper: Text
    day: Weekday
    time: TimeRange
    place: AnyText = ""
    link: Link = None
    topics: Topics = ()
    audience: Audience = "all"
    title: AnyText = ""
    valid_from: SchoolDate
    valid_to: SchoolDate

    @field_validator("valid_to")
    @classmethod
    def _not_before_valid_from(cls, valid_to: date, info: ValidationInfo) -> date:
        valid_from = info.data.get("valid_from")
        if valid_from is not None and valid_to < valid_from:
            raise ValueError(f"{valid_to.isoformat()} is before valid_from = "
                             f"{valid_from.isoformat()}")
        return valid_to


class ExceptionEntry(RuleModel):
    consultation: Text
    date: SchoolDate
    action: Action
    reason: Text
    new_date: SchoolDate | None = None
    new_time: TimeRange | None = None
    new_place: AnyText = ""
    new_link: Link = None


SeminarTime = Annotated[tuple[time, time | None], BeforeValidator(_clock_or_range)]


class SeminarEntry(RuleModel):
    number: Count
    date: SchoolDate
    time: SeminarTime
    duration: Count | None = None
    title: Text
    audience: Audience = "all"
    place: AnyText = ""
    link: Link = None
    seats: Count | None = None
    topics: Topics = ()
    helper: AnyText = ""  # who leads it, if anybody
    description: AnyText = ""


class ScheduleFile(RuleModel):
    school_year: AnyText = ""
    consultation: Annotated[tuple[ConsultationEntry, ...],
                            list_of_tables("consultation")] = ()
    exception: Annotated[tuple[ExceptionEntry, ...], list_of_tables("exception")] = ()
    seminar: Annotated[tuple[SeminarEntry, ...], list_of_tables("seminar")] = ()


# --------------------------------------------------------------------------- loading


def load_schedule(path: Path, known_people: set[str] | frozenset[str] | None = None
                  ) -> Schedule:
    """Read config/schedule.toml; any mistake is one line naming the file and key.

    `known_people`, when given, is the set of person ids the helper keys must come from.
    """
    checked = tomlfile.load(path, ScheduleFile, ScheduleError)
    return _checked_schedule(checked, str(path), known_people)


def schedule_from_dict(data: Mapping[str, Any], source: str = "schedule",
                       known_people: set[str] | frozenset[str] | None = None) -> Schedule:
    checked = tomlfile.validate(data, ScheduleFile, ScheduleError, source)
    return _checked_schedule(checked, source, known_people)


def _checked_schedule(checked: ScheduleFile, source: str,
                      people: set[str] | frozenset[str] | None) -> Schedule:
    with naming(source, ScheduleError):
        consultations = [_consultation(entry, f"consultation[{n}]", people)
                         for n, entry in enumerate(checked.consultation, 1)]
        _check_ids_and_overlaps(consultations)
        changes = _changes(checked.exception, {c.id: c for c in consultations})
        _check_moves(changes, consultations)
        seminars: dict[int, Seminar] = {}
        for n, entry in enumerate(checked.seminar, 1):
            if entry.number in seminars:
                raise Mistake(f"seminar[{n}].number: seminar {entry.number} is already defined")
            seminars[entry.number] = _seminar(entry, f"seminar[{n}]", people)
    return Schedule(tuple(consultations), MappingProxyType(changes),
                    MappingProxyType(dict(sorted(seminars.items()))), checked.school_year,
                    source)


def _consultation(entry: ConsultationEntry, where: str,
                  people: set[str] | frozenset[str] | None) -> Consultation:
    _check_place(entry.place, entry.link, where)
    _check_helper(entry.helper, where, people)
    return Consultation(
        id=entry.id,
        helper_id=entry.helper,
        weekday=entry.day,
        start=entry.time[0],
        end=entry.time[1],
        place=entry.place,
        link=entry.link,
        topics=tuple(dict.fromkeys(entry.topics)),
        valid_from=entry.valid_from,
        valid_to=entry.valid_to,
        title=entry.title or CONSULTATION_TITLE,
        audience=entry.audience,
    )


def _check_place(place: str, link: str | None, where: str) -> None:
    if not place and not link:
        raise Mistake(f"{where}.place: missing; give a room (place) or an online link (link)")


def _check_helper(helper: str | None, where: str,
                  people: set[str] | frozenset[str] | None) -> None:
    if helper is not None and people is not None and helper not in people:
        raise Mistake(f"{where}.helper: no person with id {helper!r}")


def _check_ids_and_overlaps(consultations: list[Consultation]) -> None:
    for n, c in enumerate(consultations, 1):
        for m, other in enumerate(consultations[: n - 1], 1):
            if other.id == c.id:
                raise Mistake(f"consultation[{n}].id: {c.id!r} is already used by "
                              f"consultation[{m}]")
            if (other.helper_id == c.helper_id and other.weekday == c.weekday
                    and other.valid_from <= c.valid_to and c.valid_from <= other.valid_to
                    and other.start < c.end and c.start < other.end):
                raise Mistake(
                    f"consultation[{n}].time: overlaps consultation[{m}] ({other.id!r}) of "
                    f"the same helper {c.helper_id!r}: {WEEKDAY_NAMES[c.weekday]} "
                    f"{other.start:%H:%M}-{other.end:%H:%M}")


def _changes(entries: tuple[ExceptionEntry, ...], by_id: Mapping[str, Consultation]
             ) -> dict[tuple[str, date], Change]:
    changes: dict[tuple[str, date], Change] = {}
    for n, entry in enumerate(entries, 1):
        where = f"exception[{n}]"
        change = _change(entry, where, by_id)
        if (change.consultation_id, change.date) in changes:
            raise Mistake(f"{where}: a second exception for {change.consultation_id!r} on "
                          f"{change.date.isoformat()}")
        changes[(change.consultation_id, change.date)] = change
    return changes


def _change(entry: ExceptionEntry, where: str, by_id: Mapping[str, Consultation]) -> Change:
    ident, day = entry.consultation, entry.date
    c = by_id.get(ident)
    if c is None:
        raise Mistake(f"{where}.consultation: no consultation with id {ident!r}")
    if not c.meets_on(day):
        raise Mistake(f"{where}.date: consultation {ident!r} does not take place on "
                      f"{day:%d.%m.%Y} ({WEEKDAY_NAMES[day.weekday()]}); it is held on "
                      f"{WEEKDAY_NAMES[c.weekday]} from {c.valid_from:%d.%m.%Y} to "
                      f"{c.valid_to:%d.%m.%Y}")
    moves = [key for key in _MOVE_KEYS if key in entry.model_fields_set]
    if entry.action == "cancel":
        if moves:
            raise Mistake(f"{where}.{moves[0]}: only a move has a new date, time or place")
        return Change(ident, day, "cancel", entry.reason)
    if not moves:
        raise Mistake(f"{where}: a move needs new_date, new_time, new_place or new_link")
    new_start, new_end = entry.new_time or (None, None)
    return Change(ident, day, "move", entry.reason, entry.new_date, new_start, new_end,
                  entry.new_place or None, entry.new_link)


def _check_moves(changes: Mapping[tuple[str, date], Change], consultations: list[Consultation]
                 ) -> None:
    """A moved consultation must not land on another one of the same helper."""
    by_id = {c.id: c for c in consultations}
    for n, change in enumerate(changes.values(), 1):
        if change.action != "move":
            continue
        moved = by_id[change.consultation_id]
        day = moved_to(change)
        start, end = change.new_start or moved.start, change.new_end or moved.end
        for other in consultations:
            clash = (other.helper_id == moved.helper_id and other.meets_on(day)
                     and (other.id, day) not in changes and other.start < end
                     and start < other.end)
            if clash and not (other.id == moved.id and day == change.date):
                raise Mistake(
                    f"exception[{n}]: the moved consultation overlaps {other.id!r} of the "
                    f"same helper on {day:%d.%m.%Y} {other.start:%H:%M}-{other.end:%H:%M}")


def _seminar(entry: SeminarEntry, where: str,
             people: set[str] | frozenset[str] | None) -> Seminar:
    start, end = _seminar_time(entry, where)
    _check_place(entry.place, entry.link, where)
    _check_helper(entry.helper or None, where, people)
    return Seminar(
        number=entry.number,
        date=entry.date,
        start=start,
        end=end,
        title=entry.title,
        audience=entry.audience,
        place=entry.place,
        link=entry.link,
        seats=entry.seats,
        topics=tuple(dict.fromkeys(entry.topics)),
        helper_id=entry.helper or None,
        description=entry.description,
    )


def _seminar_time(entry: SeminarEntry, where: str) -> tuple[time, time]:
    """`time = "15:00"` with `duration` in minutes, or `time = "15:00-16:30"`."""
    start, end = entry.time
    if end is not None:
        if entry.duration is not None:
            raise Mistake(f"{where}.duration: give either a time range or a duration, not both")
        return start, end
    if entry.duration is None:
        raise Mistake(f"{where}.duration: missing; give the minutes, or a time range such as "
                      '"15:00-16:30"')
    end_at = datetime.combine(date.min, start) + timedelta(minutes=entry.duration)
    if end_at.date() != date.min:
        raise Mistake(f"{where}.duration: the seminar would end after midnight")
    return start, end_at.time()
