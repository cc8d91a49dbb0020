"""Calendar files (iCalendar, RFC 5545 / iTIP RFC 5546) for consultations and seminars.

A digest or a reply carries the slots as an .ics attachment, so a teacher adds the seminar
to a phone's calendar in one tap. Each slot's UID comes from its stable `Slot.key`: a moved
consultation keeps its UID and gets a higher SEQUENCE, so calendars update the event
instead of adding a second one, and `cancel_ics` removes exactly the event sent earlier.

Times are written with the school's TZID (and a VTIMEZONE for it); the `icalendar` package
escapes commas, semicolons and line breaks in Russian text and folds long lines.
DTSTAMP is the caller's `stamp` (from the clock adapter), so output is reproducible.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from mailbot.school.schedule import AUDIENCES, Slot

if TYPE_CHECKING:  # icalendar is imported when a file is written: most runs write none
    from icalendar import Event

PRODID = "-//mailbot//Консультации и семинары по ЭЖ//RU"
Method = Literal["PUBLISH", "REQUEST"]


def slot_uid(slot: Slot, uid_domain: str) -> str:
    """The same slot (even after a move) always gets the same UID."""
    return f"{slot.key}@{uid_domain}"


def slot_sequence(slot: Slot) -> int:
    """0 as planned, 1 once moved; a cancellation is one more than that."""
    return 1 if slot.moved_from else 0


def slot_ics(
    slots: Iterable[Slot],
    *,
    organizer_addr: str,
    uid_domain: str,
    stamp: datetime,
    method: Method = "PUBLISH",
    organizer_name: str = "",
    attendees: Sequence[str] = (),
    revision: int = 0,
) -> bytes:
    """An iCalendar file with one event per slot (a digest's week, or upcoming slots).

    `revision` raises SEQUENCE for a person's later copies of the same event (signed up
    again after cancelling), so their calendar takes the new one over the cancellation."""
    if method not in ("PUBLISH", "REQUEST"):
        raise ValueError(f'method must be "PUBLISH" or "REQUEST", got {method!r}')
    events = [
        _event(slot, organizer_addr, organizer_name, uid_domain, stamp, attendees,
               cancelled=slot.cancelled, revision=revision)
        for slot in slots
    ]
    return _calendar(events, method)


def invitation_ics(
    slot: Slot,
    *,
    organizer_addr: str,
    attendee_addr: str,
    uid_domain: str,
    stamp: datetime,
    organizer_name: str = "",
) -> bytes:
    """A single-event invitation (METHOD:REQUEST), e.g. the answer to «Запись на семинар 3»."""
    return slot_ics([slot], organizer_addr=organizer_addr, uid_domain=uid_domain, stamp=stamp,
                    method="REQUEST", organizer_name=organizer_name, attendees=[attendee_addr])


def cancel_ics(
    slots: Iterable[Slot],
    *,
    organizer_addr: str,
    uid_domain: str,
    stamp: datetime,
    organizer_name: str = "",
    attendees: Sequence[str] = (),
    revision: int = 0,
) -> bytes:
    """METHOD:CANCEL for slots sent before: same UIDs, STATUS:CANCELLED, a higher SEQUENCE."""
    events = [
        _event(slot, organizer_addr, organizer_name, uid_domain, stamp, attendees,
               cancelled=True, revision=revision)
        for slot in slots
    ]
    return _calendar(events, "CANCEL")


def _calendar(events: list[Event], method: str) -> bytes:
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    for event in events:
        calendar.add_component(event)
    if events:
        starts = [e.decoded("dtstart") for e in events]
        calendar.add_missing_timezones(
            first_date=min(starts).date() - timedelta(days=366),
            last_date=max(starts).date() + timedelta(days=366),
        )
    return calendar.to_ical()


def _event(
    slot: Slot,
    organizer_addr: str,
    organizer_name: str,
    uid_domain: str,
    stamp: datetime,
    attendees: Sequence[str],
    *,
    cancelled: bool,
    revision: int = 0,
) -> Event:
    from icalendar import Event, vCalAddress

    event = Event()
    event.add("uid", slot_uid(slot, uid_domain))
    event.add("dtstamp", _as_utc(stamp))
    event.add("dtstart", slot.start)
    event.add("dtend", slot.end)
    event.add("sequence", slot_sequence(slot) + revision + (1 if cancelled else 0))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", _summary(slot))
    event.add("location", _location(slot))
    event.add("description", _description(slot))
    if slot.link:
        event.add("url", slot.link)
    organizer = vCalAddress(f"mailto:{organizer_addr}")
    if organizer_name:
        organizer.params["cn"] = organizer_name
    event.add("organizer", organizer)
    for address in attendees:
        attendee = vCalAddress(f"mailto:{address}")
        attendee.params["role"] = "REQ-PARTICIPANT"
        attendee.params["partstat"] = "NEEDS-ACTION"
        event.add("attendee", attendee)
    event.add("transp", "OPAQUE")
    return event


def _summary(slot: Slot) -> str:
    if slot.kind == "seminar":
        return f"Семинар № {slot.number}: {slot.title}"
    return slot.title


def _location(slot: Slot) -> str:
    if slot.link and slot.place == "онлайн":
        return f"онлайн: {slot.link}"
    return slot.place


def _description(slot: Slot) -> str:
    lines = []
    if slot.note:
        lines.append(_first_upper(slot.note) + ".")
    lines.append(f"Для кого: {AUDIENCES.get(slot.audience, slot.audience)}.")
    if slot.seats:
        lines.append(f"Мест: {slot.seats}.")
    if slot.link:
        lines.append(f"Ссылка для подключения: {slot.link}")
    if slot.kind == "seminar":
        lines.append(f"Чтобы записаться, напишите в службу помощи: «Запись на семинар "
                     f"{slot.number}».")
    return "\n".join(lines)


def _first_upper(text: str) -> str:
    text = text.rstrip(".")
    return text[:1].upper() + text[1:]


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
