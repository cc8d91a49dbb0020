"""The two weekly digests, read from the database and sent through the outbox.

- The administrators' digest (digest.py computes it) goes to every person of people.toml
  with `digest = true`, for the week just ended.
- The schedule digest lists next week's consultations and seminars with an .ics file; it
  goes to the staff and to everyone who subscribed, minus those who unsubscribed.

Each is sent through `periodic.once` under its ISO week, so it goes out once whatever
happens; `due` finds the digests whose time has come and that are not yet sent, which is
also how a digest missed while the worker was down is made up when it comes back. A digest
whose moment came before the first start (periodic.installed_at) is never sent: a school
installing mailbot on a Wednesday gets its first digest the next Monday.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from mailbot.adapters.clock import to_local
from mailbot.app import App
from mailbot.desk.casework import Tx
from mailbot.jobs import periodic
from mailbot.jobs.figures import (
    CaseRow,
    Digest,
    DigestInputs,
    compute,
    context,
    iso_week,
    iso_week_bounds,
)
from mailbot.outgoing.compose import FileAttachment, Rendered
from mailbot.outgoing.replies import OutgoingMail, common, rendered_mail
from mailbot.school.ics import slot_ics
from mailbot.school.schedule import slot_line, week_slots
from mailbot.storage import db, store
from mailbot.storage.models import Subscription

ADMIN, SCHEDULE = "admin_digest", "schedule_digest"
log = logging.getLogger("mailbot.jobs.digests")


def admin_figures(app: App, box_id: int, week: str) -> Digest:
    """One ISO week's figures of the mailbox (the district digest sets several side by side)."""
    calendar = app.rules.calendar
    if calendar is None:
        raise ValueError("files.calendar is needed for working hours in the digest")
    start, end = iso_week_bounds(week, calendar.zone)  # the same zone as helpdesk.timezone
    with db.session(app.engine) as session:
        inputs = _inputs(app, session, box_id, week, start, end)
    sla = app.config.sla
    targets = {"default": (sla.reminder_hours, sla.supervisor_hours), **sla.categories}
    return compute(inputs, calendar, targets, app.clock.now())


def admin_rendered(app: App, box_id: int, week: str) -> Rendered:
    """The administrators' digest of one ISO week, as it would be sent now."""
    figures = admin_figures(app, box_id, week)
    helpdesk = app.config.helpdesk
    return app.templates.render(
        "digest", **context(figures, helpdesk_name=helpdesk.name, school=helpdesk.school))


# Mail kept as «не подтверждено»: a staff address without our token, a vendor mail that
# only carries our tag (flows/user.py, flows/vendor.py).
UNVERIFIED_EVENTS = ("unverified_staff_mail", "vendor_unverified")


def _inputs(app: App, session: Session, box_id: int, week: str, start: datetime,
            end: datetime) -> DigestInputs:
    people = app.rules.people
    categories = app.rules.categories
    incidents = {
        "flagged": store.count_events(session, box_id, ["etiquette_flag"], start, end),
        "held": store.count_events(session, box_id, ["helper_reply_held"], start, end),
        "stopped": store.count_events(session, box_id, ["help_stopped"], start, end),
        "complaints": store.count_events(session, box_id, ["complaint_forwarded"], start, end),
    }
    return DigestInputs(
        week=week, start=start, end=end,
        cases=[CaseRow(*row) for row in store.digest_rows(session, box_id, start, end)],
        incidents=incidents,
        undelivered=store.count_failed_mail(session, box_id, start, end),
        quarantined=store.count_held_quarantine(session, box_id),
        unverified=store.count_events(session, box_id, UNVERIFIED_EVENTS, start, end),
        names={p.id: p.short_name for p in people.persons.values()} if people else {},
        category_titles=dict(categories.titles) if categories else {},
    )


def canonical_week(week: str, zone: ZoneInfo) -> str:
    """«2026w48», «2026-W48 » → «2026-W48»: the ledger's key must not depend on spelling."""
    start, _ = iso_week_bounds(week, zone)
    return iso_week(start.date())


def send_admin(app: App, box_id: int, week: str) -> bool:
    """Queue the administrators' digest of a finished `week` unless it was sent before."""
    zone = ZoneInfo(app.config.helpdesk.timezone)
    week = canonical_week(week, zone)
    if iso_week_bounds(week, zone)[1] > app.clock.now():
        raise ValueError(f"week {week} is not over yet: print it with --print, or send it "
                         "when it has ended")
    people = app.rules.people
    recipients = people.digest_recipients() if people else []
    if not recipients:
        return False

    def make(tx: Tx) -> list[OutgoingMail]:
        rendered = admin_rendered(tx.app, box_id, week)
        return [_mail(tx.app, rendered, "admin_digest", [(p.name, p.emails[0])
                                                         for p in recipients])]
    return periodic.once(app, box_id, ADMIN, week, None, make)


def schedule_rendered(app: App, week: str) -> tuple[Rendered, bytes]:
    rules = app.rules
    if rules.schedule is None or rules.calendar is None:
        raise ValueError("files.schedule and files.calendar are needed for the schedule")
    slots = week_slots(rules.schedule, rules.calendar, week, include_cancelled=True)
    names = {p.id: p.short_name for p in rules.people.persons.values()} if rules.people else {}
    helpdesk = app.config.helpdesk
    start, end = iso_week_bounds(week, rules.calendar.zone)
    rendered = app.templates.render(
        "schedule_digest", **common(app), week=week,
        week_label=f"{start:%d.%m} – {(end - timedelta(days=1)):%d.%m.%Y}",
        slots=[{"line": slot_line(s, names), "cancelled": s.cancelled,
                "seminar": s.number} for s in slots],
    )
    held = [s for s in slots if not s.cancelled]
    ics = slot_ics(held, organizer_addr=helpdesk.address, uid_domain=helpdesk.domain,
                   stamp=app.clock.now(), organizer_name=helpdesk.name) if held else b""
    return rendered, ics


def send_schedule(app: App, box_id: int, week: str) -> bool:
    """Queue next week's schedule to the staff and the subscribers, one mail each."""
    people = app.rules.people
    if app.rules.schedule is None or app.rules.calendar is None:
        return False
    week = canonical_week(week, app.rules.calendar.zone)
    with db.session(app.engine) as session:
        choices = {row.addr: row for row in session.exec(
            select(Subscription).where(Subscription.mailbox_id == box_id)).all()}
    readers = {p.emails[0]: p.name for p in people.persons.values()} if people else {}
    readers.update({addr: row.name for addr, row in choices.items() if row.subscribed})
    readers = {addr: name for addr, name in readers.items()
               if addr not in choices or choices[addr].subscribed}
    if not readers:
        return False

    def make(tx: Tx) -> list[OutgoingMail]:
        rendered, ics = schedule_rendered(tx.app, week)
        files = [FileAttachment("raspisanie.ics", "text/calendar", ics)] if ics else []
        return [_mail(tx.app, rendered, "schedule_digest", [(name, addr)], files)
                for addr, name in sorted(readers.items())]
    return periodic.once(app, box_id, SCHEDULE, week, None, make)


def _mail(app: App, rendered: Rendered, kind: str, to: list[tuple[str, str]],
          files: list[FileAttachment] | None = None) -> OutgoingMail:
    return rendered_mail(app, None, rendered, kind=kind, to=to, attachments=files or [])


def due(app: App, box_id: int) -> dict[str, str]:
    """Send every digest whose time has passed and that is not sent yet; returns what went."""
    digests = app.config.digests
    local = to_local(app.clock.now(), app.config.helpdesk.timezone)
    sent: dict[str, str] = {}
    # The admin digest covers the last week that ended before its moment was due.
    admin_moment = periodic.last_due(local, digests.admin_day, digests.admin_time)
    admin_week = iso_week(admin_moment.date() - timedelta(days=admin_moment.weekday()
                                                                    + 7))
    schedule_moment = periodic.last_due(local, digests.schedule_day, digests.schedule_time)
    schedule_week = iso_week((schedule_moment + timedelta(days=7)).date())
    installed = periodic.installed_at(app, box_id)
    for kind, moment, week, send in ((ADMIN, admin_moment, admin_week, send_admin),
                                     (SCHEDULE, schedule_moment, schedule_week, send_schedule)):
        if moment < installed:  # due before mailbot served this mailbox: not its to send
            continue
        try:
            if send(app, box_id, week):
                sent[kind] = week
        except Exception:
            log.exception("%s for %s failed; tried again on the next check", kind, week)
    return sent
