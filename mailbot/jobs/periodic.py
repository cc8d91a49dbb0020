"""Mail that time, not a message, calls for: response-time reminders, the vendor reminder,
seminar reminders and the two weekly digests.

Every such mail is keyed in the `periodic` table (kind, key) in the same transaction as its
outbox row, so a job that runs twice, two workers, or a worker catching up after downtime can
never send it twice; and each job looks at what is *due* now rather than at what the
scheduler happened to fire, so a run missed while the worker was down is made up once.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlmodel import Session, select
from sqlmodel.sql.expression import SelectOfScalar

from mailbot.adapters.clock import local_text, to_local
from mailbot.app import App
from mailbot.config import Config
from mailbot.desk import states
from mailbot.desk.casework import Tx, queue
from mailbot.desk.plan import MailSpec
from mailbot.flows.seminars import invitation, seminar_spec
from mailbot.jobs import retention
from mailbot.jobs.figures import days_ru, hours_ru
from mailbot.outgoing.replies import OutgoingMail, ThreadPoint, from_spec
from mailbot.school.rulebook import Rulebook
from mailbot.school.schedule import Slot, slot_line, slots_between
from mailbot.school.workcal import WorkCalendar
from mailbot.storage import db
from mailbot.storage.models import Case, Event, Periodic, Registration

log = logging.getLogger("mailbot.jobs.periodic")


Maker = Callable[[Tx], list[OutgoingMail]]


def once(app: App, box_id: int, kind: str, key: str, case: Case | None, make: Maker, *,
         ledger: int | None = None) -> bool:
    """Produce the mails of (kind, key) unless they were produced before; True if now.

    The mails are queued in mailbox `box_id`; the key is kept under `ledger` when given (the
    district digest's own row, so no school's ledger decides it), else under `box_id`."""
    ledger = box_id if ledger is None else ledger
    with db.session(app.engine) as session:
        if _done(session, ledger, kind, key):
            return False
        tx = Tx(session, app, box_id, app.clock.now())
        session.add(Periodic(mailbox_id=ledger, kind=kind, key=key,
                             case_id=case.id if case else None, at=tx.now))
        try:
            # The key first, alone in the transaction: a second worker doing the same waits
            # here for the first one's commit (PostgreSQL's unique index, SQLite's write
            # lock) and then finds it done, before anything else of its is written.
            session.flush()
        except IntegrityError:
            session.rollback()
            return False
        mails = make(tx)
        for mail in mails:
            queue(tx, case, mail)
        tx.log(kind, case, key=key, mails=len(mails))
        try:
            session.commit()
        except IntegrityError:  # another worker made it a moment ago
            session.rollback()
            return False
    return True


INSTALLED = "installed"


def installed_at(app: App, box_id: int) -> datetime:
    """When this mailbot began to serve the mailbox: periodic mail starts from here, so a
    first start mails no digest of the weeks before it.

    Recorded once, at the first start, as a `periodic` row of kind "installed". A database
    older than this record takes its first event's moment instead, so an upgrade does not
    lose a digest that fell due while the worker was down for it.
    """
    with db.session(app.engine) as session:
        row = session.exec(select(Periodic).where(
            Periodic.mailbox_id == box_id, Periodic.kind == INSTALLED)).first()
        if row is not None:
            return _aware(row.at)
        first = session.exec(select(func.min(Event.at)).where(Event.mailbox_id == box_id)).one()
        at = _aware(first) if first is not None else app.clock.now()
        session.add(Periodic(mailbox_id=box_id, kind=INSTALLED, key="first start", at=at))
        try:
            session.commit()
        except IntegrityError:  # another worker recorded it a moment ago
            session.rollback()
            return installed_at(app, box_id)
    return at


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _done(session: Session, box_id: int, kind: str, key: str) -> bool:
    return session.exec(
        select(Periodic.id).where(Periodic.mailbox_id == box_id, Periodic.kind == kind,
                                  Periodic.key == key)
    ).first() is not None


# The due work of each job is decided by a pure function over rows read beforehand (`*_due`),
# as a list of `Due`: the mails as plans (desk/plan.py MailSpec), keyed so they go once.


@dataclass(frozen=True)
class Due:
    kind: str
    key: str
    case: Case | None
    mails: tuple[MailSpec, ...]


def send_due(app: App, box_id: int, due: Due) -> bool:
    """Render and queue a Due's mails unless its (kind, key) was done before."""
    def make(tx: Tx) -> list[OutgoingMail]:
        return [from_spec(tx.app, due.case if spec.about_case else None, spec,
                          thread=ThreadPoint(), files=spec.attachments) for spec in due.mails]
    return once(app, box_id, due.kind, due.key, due.case, make)


# ----------------------------------------------------------------------- response times


def response_times(app: App, box_id: int) -> int:
    """Reminders for cases without a first answer, counted in working hours."""
    if app.rules.calendar is None or app.rules.people is None:
        return 0
    waiting = select(Case).where(Case.mailbox_id == box_id, Case.first_response_at.is_(None),
                                 Case.status.in_(("new", "assigned")), Case.assignee != "")
    now = app.clock.now()
    dues = [due for cases in _in_chunks(app, waiting)
            for due in sla_due(app.config, app.rules, now, cases)]
    return sum(send_due(app, box_id, due) for due in dues)


CHUNK = 500  # cases read at a time by the reminder jobs


def _in_chunks(app: App, query: SelectOfScalar[Case]) -> Iterator[list[Case]]:
    """The cases a query selects, a few hundred at a time in order of id: a district's
    thousands of open cases are never all in memory at once (only the due ones are kept)."""
    after = 0
    while True:
        with db.session(app.engine) as session:
            cases = list(session.exec(query.where(Case.id > after).order_by(Case.id)
                                      .limit(CHUNK)).all())
        if not cases:
            return
        yield cases
        assert cases[-1].id is not None
        after = cases[-1].id


def sla_due(config: Config, rules: Rulebook, now: datetime, waiting: list[Case]) -> list[Due]:
    """Pure: the reminder to the helper and the word to their supervisor that are due."""
    calendar, people = rules.calendar, rules.people
    assert calendar is not None and people is not None
    out: list[Due] = []
    for case in waiting:
        helper = people.persons.get(case.assignee)
        if helper is None:
            continue
        hours = calendar.working_seconds_between(case.created_at, now) / 3600
        remind_after, tell_after = config.sla.targets(case.category)
        if hours >= remind_after:
            out.append(Due("sla_reminder", f"case {case.id} {helper.id}", case, (MailSpec(
                "sla_reminder", "sla_reminder", "helper", person=helper.id,
                context={"hours": hours_ru(hours), "limit": hours_ru(remind_after)}),)))
        supervisor = people.supervisor_of(helper.id)
        if hours >= tell_after and supervisor is not None:
            out.append(Due("sla_supervisor", f"case {case.id}", case, (MailSpec(
                "sla_supervisor", "sla_supervisor", "helper", person=supervisor.id, context={
                    "helper_name": helper.name, "helper_position": helper.position,
                    "hours": hours_ru(hours), "limit": hours_ru(tell_after),
                    "opened_local": local_text(case.created_at, config.helpdesk.timezone)}),)))
    return out


def vendor_waits(app: App, box_id: int) -> int:
    """A reminder to the case's helper when the vendor has not answered in N working days."""
    people = app.rules.people
    if app.rules.calendar is None or people is None or people.vendor is None:
        return 0
    waiting = select(Case).where(Case.mailbox_id == box_id, Case.status == "waiting_vendor",
                                 Case.escalated_at.is_not(None))
    now = app.clock.now()
    dues = [due for cases in _in_chunks(app, waiting)
            for due in vendor_due(app.config, app.rules, now, cases)]
    return sum(send_due(app, box_id, due) for due in dues)


def vendor_due(config: Config, rules: Rulebook, now: datetime, waiting: list[Case]) -> list[Due]:
    """Pure: the vendor reminders due now, in working hours only (none at midnight)."""
    calendar, people = rules.calendar, rules.people
    assert calendar is not None and people is not None and people.vendor is not None
    vendor = people.vendor
    out: list[Due] = []
    for case in waiting:
        helper = people.persons.get(case.assignee)
        assert case.escalated_at is not None
        due_at = calendar.add_working_days(case.escalated_at, vendor.reminder_working_days)
        if helper is None or now < due_at or not _in_hours(calendar, now):
            continue
        days = calendar.working_days_between(case.escalated_at, now)
        spec = MailSpec("vendor_reminder", "vendor_reminder", "helper", person=helper.id,
                        context={"days": days_ru(days), "vendor_name": vendor.name,
                                 "ticket": case.vendor_ticket,
                                 "escalated_local": local_text(case.escalated_at,
                                                               config.helpdesk.timezone)})
        key = f"case {case.id} since {case.escalated_at:%Y-%m-%dT%H:%M}"
        out.append(Due("vendor_reminder", key, case, (spec,)))
    return out


# ----------------------------------------------------------------------------- seminars


def seminar_reminders(app: App, box_id: int) -> int:
    """The day before a seminar, from the configured hour: a reminder to each participant."""
    now = app.clock.now()
    slots = tomorrows_seminars(app.config, app.rules, now)
    if not slots:
        return 0
    with db.session(app.engine) as session:
        seats = list(session.exec(
            select(Registration).where(Registration.mailbox_id == box_id,
                                       Registration.status == "registered",
                                       Registration.seminar_key.in_(list(slots)))
        ).all())
    return sum(send_due(app, box_id, due) for due in reminders_due(app.config, slots, seats, now))


def tomorrows_seminars(config: Config, rules: Rulebook, now: datetime) -> dict[str, Slot]:
    """Tomorrow's seminars by key, once the reminder hour has come today."""
    if rules.schedule is None or rules.calendar is None:
        return {}
    local = to_local(now, config.helpdesk.timezone)
    if local.time() < _clock(config.digests.seminar_reminder_time):
        return {}
    tomorrow = local.date() + timedelta(days=1)
    return {s.key: s for s in slots_between(rules.schedule, rules.calendar, tomorrow, tomorrow)
            if s.kind == "seminar" and not s.cancelled}


def reminders_due(config: Config, slots: dict[str, Slot], seats: list[Registration],
                  now: datetime) -> list[Due]:
    """Pure: one reminder (with the invitation again) per registered seat."""
    out = []
    for seat in seats:
        slot = slots[seat.seminar_key]
        spec = seminar_spec("seminar_reminder", slot, seat.addr, seat.name,
                            invitation(config, slot, now))
        out.append(Due("seminar_reminder", f"{seat.seminar_key} {seat.addr}", None, (spec,)))
    return out


def consultation_cancellations(app: App, box_id: int) -> int:
    """A consultation cancelled in schedule.toml for the rest of this week: each user whose
    open case was offered it (the acknowledgement listed it) is told, once."""
    slots = cancelled_this_week(app.config, app.rules, app.clock.now())
    if not slots:
        return 0
    with db.session(app.engine) as session:
        offered = list(session.exec(
            select(Case, Event.detail).join(Event, Event.case_id == Case.id).where(
                Case.mailbox_id == box_id, Case.status.in_(sorted(states.OPEN_STATES)),
                Event.kind == "consultations_offered")).all())
    names = {p.id: p.short_name for p in app.rules.people.persons.values()} \
        if app.rules.people else {}
    return sum(send_due(app, box_id, due)
               for due in cancellations_due(slots, offered, names))


def cancelled_this_week(config: Config, rules: Rulebook, now: datetime) -> dict[str, Slot]:
    """Consultations from now to Sunday that schedule.toml cancels, by key."""
    if rules.schedule is None or rules.calendar is None:
        return {}
    today = to_local(now, config.helpdesk.timezone).date()
    sunday = today + timedelta(days=6 - today.weekday())
    return {s.key: s for s in slots_between(rules.schedule, rules.calendar, today, sunday,
                                            include_cancelled=True)
            if s.kind == "consultation" and s.cancelled and s.start > now}


def cancellations_due(slots: dict[str, Slot], offered: list[tuple[Case, str]],
                      names: dict[str, str]) -> list[Due]:
    """Pure: one mail per open case and cancelled consultation its acknowledgement offered."""
    out = []
    for case, detail in offered:
        keys = json.loads(detail).get("keys", []) if detail else []
        for key in keys:
            if key in slots:
                spec = MailSpec("consultation_cancelled", "consultation_cancelled", "user",
                                automatic=True,
                                context={"slot": slot_line(slots[key], names, signup_hint=False),
                                         "note": slots[key].note})
                out.append(Due("consultation_cancelled", f"{key} case {case.id}", case, (spec,)))
    return out


# ------------------------------------------------------------------------------ helpers


def _in_hours(calendar: WorkCalendar, now: datetime) -> bool:
    local = now.astimezone(calendar.zone)
    hours = calendar.working_hours(local.date())
    return hours is not None and hours[0] <= local.time() < hours[1]


def _clock(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def last_due(now_local: datetime, weekday: str, at: str) -> datetime:
    """The latest moment ≤ now that falls on `weekday` at `at` (school time)."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    target = days.index(weekday)
    moment = datetime.combine(now_local.date(), _clock(at), tzinfo=now_local.tzinfo)
    moment -= timedelta(days=(now_local.weekday() - target) % 7)
    if moment > now_local:
        moment -= timedelta(days=7)
    return moment


def run_all(app: App, box_id: int) -> dict[str, int]:
    """Everything time-driven that is due now (the scheduler calls this every few minutes)."""
    report = {}
    for name, job in (("response_times", response_times), ("vendor_waits", vendor_waits),
                      ("seminar_reminders", seminar_reminders),
                      ("consultation_cancellations", consultation_cancellations),
                      ("retention", retention.daily)):
        try:
            report[name] = job(app, box_id)
        except SQLAlchemyError:
            raise  # the database itself: the worker's outage handling, one line, a backoff
        except Exception:
            log.exception("periodic job %s failed", name)
            report[name] = -1
    return report

