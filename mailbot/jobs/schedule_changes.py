"""Seminars the school moved or cancelled in schedule.toml after people signed up.

Every registered seat remembers in the `periodic` ledger the time and place its person was
last told (kind "seminar_told", key "<seminar key> <address> <start>|<place>"); the first
look at a seat only records them. When schedule.toml changes and mailbot starts again, the
next check (at start, then every few minutes) finds the difference: a seminar at a new time
or place sends its person the updated invitation (the same UID, a higher SEQUENCE); a
seminar no longer in the file, still ahead when it was last told, sends a cancelling .ics.
One mail per person and change, however often the check runs (periodic.once).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from mailbot.adapters.clock import local_text
from mailbot.app import App
from mailbot.desk.casework import Tx
from mailbot.desk.plan import MailSpec
from mailbot.flows.seminars import cancellation, invitation, seminar_spec
from mailbot.jobs import periodic
from mailbot.outgoing.compose import FileAttachment
from mailbot.outgoing.replies import OutgoingMail, ThreadPoint, from_spec
from mailbot.school.schedule import Slot, slots_between
from mailbot.storage import db, store
from mailbot.storage.models import Periodic, Registration

TOLD, DROPPED = "seminar_told", "seminar_dropped"


def fingerprint(slot: Slot) -> str:
    return f"{slot.start.isoformat(timespec='minutes')}|{slot.place[:80]}"


def check(app: App, box_id: int) -> int:
    """Tell everyone signed up for a moved or cancelled seminar; returns the mails queued."""
    if app.rules.schedule is None or app.rules.calendar is None:
        return 0
    now = app.clock.now()
    with db.session(app.engine) as session:
        seats = list(session.exec(select(Registration).where(
            Registration.mailbox_id == box_id, Registration.status == "registered")).all())
        told: dict[tuple[str, str], list[str]] = {}
        for key in session.exec(select(Periodic.key).where(
                Periodic.mailbox_id == box_id, Periodic.kind == TOLD)
                .order_by(Periodic.id)).all():
            seminar_key, addr, said = key.split(" ", 2)
            told.setdefault((seminar_key, addr), []).append(said)
    sent = 0
    for seat in seats:
        slot = current_slot(app, seat)
        said = told.get((seat.seminar_key, seat.addr), [])
        if not said:
            if slot is not None:
                _remember(app, box_id, seat, slot)
            continue
        if slot is not None and fingerprint(slot) != said[-1] and slot.start > now:
            sent += _moved(app, box_id, seat, slot, said)
        elif slot is None and _start(said[-1]) > now:
            sent += _dropped(app, box_id, seat, said)
    return sent


def current_slot(app: App, seat: Registration) -> Slot | None:
    """The seminar of a seat as schedule.toml has it now; None when it is gone."""
    schedule, calendar = app.rules.schedule, app.rules.calendar
    assert schedule is not None and calendar is not None
    seminar = schedule.seminars.get(seat.number)
    if seminar is None:
        return None
    return next((s for s in slots_between(schedule, calendar, seminar.date, seminar.date)
                 if s.number == seat.number and s.key == seat.seminar_key), None)


def _remember(app: App, box_id: int, seat: Registration, slot: Slot) -> None:
    with db.session(app.engine) as session:
        session.add(Periodic(mailbox_id=box_id, kind=TOLD, at=app.clock.now(),
                             key=f"{seat.seminar_key} {seat.addr} {fingerprint(slot)}"))
        try:
            session.commit()
        except IntegrityError:  # another worker recorded it a moment ago
            session.rollback()


def _start(said: str) -> datetime:
    return datetime.fromisoformat(said.partition("|")[0])


def _revision(app: App, box_id: int, seat: Registration, told: int) -> int:
    """The SEQUENCE the person's calendar holds now: 2 per cancellation by the person (as
    flows/seminars counts them), one more per schedule change they were told of."""
    with db.session(app.engine) as session:
        cancellations = store.count_events_of(session, box_id, "seminar_cancelled", seat.addr,
                                              f'"seminar": {seat.number}}}')
    return 2 * cancellations + told - 1


def _moved(app: App, box_id: int, seat: Registration, slot: Slot, said: list[str]) -> int:
    was = _was(app, said[-1])
    revision = _revision(app, box_id, seat, len(said)) + 1

    def make(tx: Tx) -> list[OutgoingMail]:
        spec = seminar_spec("seminar_changed", slot, seat.addr, seat.name,
                            invitation(tx.app.config, slot, tx.now, revision),
                            cancelled=False, was=was)
        return [_render(tx, spec)]
    key = f"{seat.seminar_key} {seat.addr} {fingerprint(slot)}"
    return int(periodic.once(app, box_id, TOLD, key, None, make))


def _dropped(app: App, box_id: int, seat: Registration, said: list[str]) -> int:
    start, _, place = said[-1].partition("|")
    moment = datetime.fromisoformat(start)
    gone = Slot(kind="seminar", start=moment, end=moment, helper_id=None,
                title=f"Семинар № {seat.number}", place=place, topics=(), number=seat.number,
                seats=None, audience="all", note="", key=seat.seminar_key)
    revision = _revision(app, box_id, seat, len(said))

    def make(tx: Tx) -> list[OutgoingMail]:
        ics = cancellation(tx.app.config, gone, seat.addr, tx.now, revision)
        spec = MailSpec("seminar_changed", "seminar_changed", "others",
                        recipients=((seat.name, seat.addr),), automatic=True,
                        attachments=(FileAttachment("seminar.ics", "text/calendar", ics),),
                        about_case=False,
                        context={"person_name": seat.name, "slot_number": seat.number,
                                 "slot_title": "", "slot": "", "cancelled": True,
                                 "was": _was(app, said[-1])})
        return [_render(tx, spec)]
    return int(periodic.once(app, box_id, DROPPED, f"{seat.seminar_key} {seat.addr}", None,
                             make))


def _render(tx: Tx, spec: MailSpec) -> OutgoingMail:
    return from_spec(tx.app, None, spec, thread=ThreadPoint(), files=spec.attachments)


def _was(app: App, said: str) -> str:
    start, _, place = said.partition("|")
    when = local_text(datetime.fromisoformat(start), app.config.helpdesk.timezone)
    return f"{when}, {place}" if place else when
