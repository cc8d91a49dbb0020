"""Mail that time, not a message, calls for: response-time reminders, the vendor reminder,
seminar reminders and the two weekly digests.

Every such mail is keyed in the `periodic` table (kind, key) in the same transaction as its
outbox row, so a job that runs twice, two workers, or a worker catching up after downtime can
never send it twice; and each job looks at what is *due* now rather than at what the
scheduler happened to fire, so a run missed while the worker was down is made up once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from mailbot.adapters.clock import to_local
from mailbot.app import App
from mailbot.desk.casework import Tx, queue
from mailbot.jobs.figures import days_ru, hours_ru
from mailbot.outgoing.compose import FileAttachment
from mailbot.outgoing.replies import OutgoingMail, local_time, to_helper, to_others
from mailbot.school.ics import slot_ics
from mailbot.school.people import Person
from mailbot.school.schedule import Slot, slot_line, slots_between
from mailbot.school.workcal import WorkCalendar
from mailbot.storage import db
from mailbot.storage.models import Case, Periodic, Registration

log = logging.getLogger("mailbot.jobs.periodic")


Maker = Callable[[Tx], list[OutgoingMail]]


def once(app: App, box_id: int, kind: str, key: str, case: Case | None, make: Maker) -> bool:
    """Produce the mails of (kind, key) unless they were produced before; True if now."""
    with db.session(app.engine) as session:
        if _done(session, box_id, kind, key):
            return False
        tx = Tx(session, app, box_id, app.clock.now())
        session.add(Periodic(mailbox_id=box_id, kind=kind, key=key,
                             case_id=case.id if case else None, at=tx.now))
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


def _done(session: Session, box_id: int, kind: str, key: str) -> bool:
    return session.exec(
        select(Periodic.id).where(Periodic.mailbox_id == box_id, Periodic.kind == kind,
                                  Periodic.key == key)
    ).first() is not None


# ----------------------------------------------------------------------- response times


def response_times(app: App, box_id: int) -> int:
    """Reminders for cases without a first answer, counted in working hours."""
    calendar, people = app.rules.calendar, app.rules.people
    if calendar is None or people is None:
        return 0
    now = app.clock.now()
    with db.session(app.engine) as session:
        waiting = list(session.exec(
            select(Case).where(Case.mailbox_id == box_id, Case.first_response_at.is_(None),
                               Case.status.in_(("new", "assigned")), Case.assignee != "")
        ).all())
    made = 0
    for case in waiting:
        helper = people.persons.get(case.assignee)
        if helper is None:
            continue
        hours = calendar.working_seconds_between(case.created_at, now) / 3600
        remind_after, tell_after = app.config.sla.targets(case.category)
        if hours >= remind_after:
            made += once(app, box_id, "sla_reminder", f"case {case.id} {helper.id}", case,
                         _sla_reminder(case, helper, hours, remind_after))
        supervisor = people.supervisor_of(helper.id)
        if hours >= tell_after and supervisor is not None:
            made += once(app, box_id, "sla_supervisor", f"case {case.id}", case,
                         _sla_supervisor(case, helper, supervisor, hours, tell_after))
    return made


def _sla_reminder(case: Case, helper: Person, hours: float, limit: float) -> Maker:
    def make(tx: Tx) -> list[OutgoingMail]:
        return [to_helper(tx.app, case, helper, "sla_reminder", kind="sla_reminder",
                          hours=hours_ru(hours), limit=hours_ru(limit))]
    return make


def _sla_supervisor(case: Case, helper: Person, supervisor: Person, hours: float,
                    limit: float) -> Maker:
    def make(tx: Tx) -> list[OutgoingMail]:
        return [to_helper(tx.app, case, supervisor, "sla_supervisor", kind="sla_supervisor",
                          helper_name=helper.name,
                          helper_position=helper.position, hours=hours_ru(hours),
                          limit=hours_ru(limit),
                          opened_local=local_time(tx.app, case.created_at))]
    return make


def vendor_waits(app: App, box_id: int) -> int:
    """A reminder to the case's helper when the vendor has not answered in N working days."""
    calendar, people = app.rules.calendar, app.rules.people
    vendor = people.vendor if people else None
    if calendar is None or people is None or vendor is None:
        return 0
    now = app.clock.now()
    with db.session(app.engine) as session:
        waiting = list(session.exec(
            select(Case).where(Case.mailbox_id == box_id, Case.status == "waiting_vendor",
                               Case.escalated_at.is_not(None))
        ).all())
    made = 0
    for case in waiting:
        helper = people.persons.get(case.assignee)
        assert case.escalated_at is not None
        due_at = calendar.add_working_days(case.escalated_at, vendor.reminder_working_days)
        if helper is None or now < due_at or not _in_hours(calendar, now):
            continue  # not yet, or outside working hours (no reminder at midnight)
        days = calendar.working_days_between(case.escalated_at, now)
        key = f"case {case.id} since {case.escalated_at:%Y-%m-%dT%H:%M}"
        made += once(app, box_id, "vendor_reminder", key, case,
                     _vendor_reminder(case, helper, days, vendor.name))
    return made


def _vendor_reminder(case: Case, helper: Person, days: int, vendor_name: str) -> Maker:
    def make(tx: Tx) -> list[OutgoingMail]:
        assert case.escalated_at is not None
        return [to_helper(tx.app, case, helper, "vendor_reminder", kind="vendor_reminder",
                          days=days_ru(days), vendor_name=vendor_name, ticket=case.vendor_ticket,
                          escalated_local=local_time(tx.app, case.escalated_at))]
    return make


# ----------------------------------------------------------------------------- seminars


def seminar_reminders(app: App, box_id: int) -> int:
    """The day before a seminar, from the configured hour: a reminder to each participant."""
    schedule, calendar = app.rules.schedule, app.rules.calendar
    if schedule is None or calendar is None:
        return 0
    local = to_local(app.clock.now(), app.config.helpdesk.timezone)
    if local.time() < _clock(app.config.digests.seminar_reminder_time):
        return 0
    tomorrow = local.date() + timedelta(days=1)
    slots = {s.key: s for s in slots_between(schedule, calendar, tomorrow, tomorrow)
             if s.kind == "seminar" and not s.cancelled}
    if not slots:
        return 0
    with db.session(app.engine) as session:
        seats = list(session.exec(
            select(Registration).where(Registration.mailbox_id == box_id,
                                       Registration.status == "registered",
                                       Registration.seminar_key.in_(list(slots)))
        ).all())
    made = 0
    for seat in seats:
        made += once(app, box_id, "seminar_reminder", f"{seat.seminar_key} {seat.addr}", None,
                     _seminar_reminder(slots[seat.seminar_key], seat))
    return made


def _seminar_reminder(slot: Slot, seat: Registration) -> Maker:
    def make(tx: Tx) -> list[OutgoingMail]:
        return [seminar_mail(tx.app, "seminar_reminder", slot, seat.addr, seat.name,
                             kind="seminar_reminder")]
    return make


def seminar_mail(app: App, template: str, slot: Slot, addr: str, name: str, *, kind: str,
                 ics: bytes | None = None, revision: int = 0,
                 **context: object) -> OutgoingMail:
    """A mail about one seminar to one person, with the invitation attached."""
    helpdesk = app.config.helpdesk
    if ics is None:
        # PUBLISH, not REQUEST: clients then offer «add to calendar» instead of «accept»,
        # whose iTIP reply would come back to the help address as a new mail.
        ics = slot_ics([slot], organizer_addr=helpdesk.address, uid_domain=helpdesk.domain,
                       stamp=app.clock.now(), organizer_name=helpdesk.name, revision=revision)
    return to_others(
        app, None, template, kind=kind, to=[(name, addr)],
        attachments=[FileAttachment("seminar.ics", "text/calendar", ics)],
        automatic=True, person_name=name, slot=slot_line(slot, signup_hint=False),
        slot_number=slot.number,
        slot_title=slot.title, **context,
    )


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
                      ("seminar_reminders", seminar_reminders)):
        try:
            report[name] = job(app, box_id)
        except Exception:
            log.exception("periodic job %s failed", name)
            report[name] = -1
    return report

