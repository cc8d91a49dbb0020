"""Erasing personal data in the database: a case's raw mail, a whole case's pseudonym, and
everything about one person (`forget`). Nothing here commits: the caller owns the
transaction (a retention step per case, the whole of `forget` at once).

What stays of a pseudonymised case is what the digest counts (see scrub.py); the rows stay
too, so the case numbers, the figures of old weeks and other people's threads hold.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, or_
from sqlmodel import Session, select

from mailbot.app import App
from mailbot.privacy.scrub import (
    ERASED_ADDR,
    ERASED_TEXT,
    Keep,
    Marks,
    actor,
    address_list,
    mail_addresses,
    mail_text,
    marks_of,
    replace_addresses,
    scrub_detail,
)
from mailbot.reading.addresses import canonical_address
from mailbot.storage.models import (
    Attachment,
    Case,
    Event,
    Message,
    MessageRef,
    Outbox,
    Periodic,
    Quarantine,
    RawMail,
    Registration,
    Subscription,
)

UNSENT = ("pending", "sending")
CANCELLED = "cancelled"  # an outgoing mail erased before it went: never sent


def keeper(app: App) -> Keep:
    """Addresses that are not a private person's: the desk's own, the staff's, the vendor's."""
    kept = set(app.config.helpdesk.own_addresses)
    people = app.rules.people
    if people is not None:
        kept.update(a.lower() for p in people.persons.values() for a in p.emails)
        if people.vendor is not None:
            kept.update(a.lower() for a in people.vendor.emails)
    kept = {canonical_address(a) or a for a in kept}
    return lambda addr: addr in kept


# ------------------------------------------------------------------------- retention


def drop_raw(session: Session, case_id: int) -> Counter[str]:
    """Delete the raw mail and attachments of a case's messages and the bytes of its sent
    mail (outgoing mail not yet sent keeps them, or it could not go)."""
    messages = list(session.exec(select(Message).where(Message.case_id == case_id)).all())
    counts = _drop_message_files(session, messages)
    for row in session.exec(select(Outbox).where(Outbox.case_id == case_id,
                                                 Outbox.status.not_in(UNSENT))).all():
        if row.raw:
            row.raw = b""
            session.add(row)
            counts["outbox"] += 1
    return counts


def _drop_message_files(session: Session, messages: Iterable[Message]) -> Counter[str]:
    counts: Counter[str] = Counter()
    raw_ids, pks = [], []
    for message in messages:
        pks.append(message.id)
        if message.raw_id is not None:
            raw_ids.append(message.raw_id)
            message.raw_id = None
            session.add(message)
    session.flush()
    if raw_ids:
        counts["raw_mail"] += session.exec(  # type: ignore[call-overload]
            delete(RawMail).where(RawMail.id.in_(raw_ids))).rowcount
    if pks:
        counts["attachments"] += session.exec(  # type: ignore[call-overload]
            delete(Attachment).where(Attachment.message_pk.in_(pks))).rowcount
    return counts


def pseudonymise(session: Session, case: Case, keep: Keep) -> Counter[str]:
    """Replace a case's names, addresses, subjects and texts; keep what the figures count."""
    assert case.id is not None
    counts = drop_raw(session, case.id)
    case.subject = ERASED_TEXT
    case.requester_addr, case.requester_name, case.analysis = ERASED_ADDR, "", ""
    session.add(case)
    for message in session.exec(select(Message).where(Message.case_id == case.id)).all():
        _blank_message(message, keep)
        session.add(message)
        counts["messages"] += 1
    counts["outbox"] = 0  # counted here whole, not only those with bytes
    for row in session.exec(select(Outbox).where(Outbox.case_id == case.id)).all():
        _blank_outbox(row, keep)
        session.add(row)
        counts["outbox"] += 1
    for event in session.exec(select(Event).where(Event.case_id == case.id)).all():
        event.actor, event.detail = actor(event.actor, keep), scrub_detail(event.detail, keep)
        session.add(event)
        counts["events"] += 1
    counts["cases"] += 1
    return counts


def _blank_message(message: Message, keep: Keep) -> None:
    message.subject = ERASED_TEXT if message.subject else ""
    message.body_text = ERASED_TEXT if message.body_text else ""
    message.new_text = ERASED_TEXT if message.new_text else ""
    if not keep(canonical_address(message.from_addr)):
        message.from_addr, message.from_name = ERASED_ADDR, ""
    message.to_addrs = address_list(message.to_addrs, keep)
    message.cc_addrs = address_list(message.cc_addrs, keep)


def _blank_outbox(row: Outbox, keep: Keep) -> None:
    row.raw = b""
    row.rcpt_to = address_list(row.rcpt_to, keep)
    row.last_error = replace_addresses(row.last_error, keep)
    if row.status in UNSENT:
        row.status = CANCELLED


# ------------------------------------------------------------------------------ forget


def forget(session: Session, box_id: int, addr: str, keep: Keep) -> Counter[str]:
    """Erase one person everywhere (see service/privacy.py for what that means); returns
    the counts of rows changed or deleted. The caller commits, or rolls back for a dry run."""
    addr = canonical_address(addr)
    cases = [c for c in session.exec(select(Case).where(Case.mailbox_id == box_id)).all()
             if canonical_address(c.requester_addr) == addr]
    own_case_ids = {c.id for c in cases}
    messages = list(session.exec(select(Message).where(Message.mailbox_id == box_id)).all())
    theirs = [m for m in messages if canonical_address(m.from_addr) == addr]
    marks = marks_of(addr, [c.requester_name for c in cases] + [m.from_name for m in theirs],
                     [m.new_text for m in theirs])
    counts: Counter[str] = Counter()
    for case in cases:
        counts += pseudonymise(session, case, keep)
    others = [m for m in messages if m.case_id not in own_case_ids or m.case_id is None]
    counts += _forget_messages(session, others, marks, keep)
    counts += _forget_outbox(session, box_id, own_case_ids, marks, keep)
    counts += _forget_events(session, box_id, marks)
    counts += _forget_refs(session, box_id, marks)
    counts += _forget_rest(session, box_id, marks)
    return +counts


def _forget_messages(session: Session, messages: list[Message], marks: Marks,
                     keep: Keep) -> Counter[str]:
    """Their own messages in other people's cases blanked; others' messages that name or
    quote them redacted, and their raw mail (which holds the address) dropped."""
    counts: Counter[str] = Counter()
    touched = []
    for m in messages:
        if canonical_address(m.from_addr) == marks.addr:
            _blank_message(m, keep)
        elif any(marks.found_in(v) for v in (m.subject, m.body_text, m.new_text, m.from_name,
                                              m.to_addrs, m.cc_addrs)):
            m.subject, m.body_text = marks.redact(m.subject), marks.redact(m.body_text)
            m.new_text, m.from_name = marks.redact(m.new_text), marks.redact(m.from_name)
            m.to_addrs, m.cc_addrs = marks.redact(m.to_addrs), marks.redact(m.cc_addrs)
        else:
            continue
        touched.append(m)
        session.add(m)
        counts["messages"] += 1
    return counts + _drop_message_files(session, touched)


def _forget_refs(session: Session, box_id: int, marks: Marks) -> Counter[str]:
    """Threading rows whose Message-ID carries their address (some clients put it there)."""
    counts: Counter[str] = Counter()
    refs = session.exec(select(MessageRef).join(Message, Message.id == MessageRef.message_pk)
                        .where(Message.mailbox_id == box_id)).all()
    for ref in refs:
        if marks.addr in ref.ref.casefold():
            session.delete(ref)
            counts["refs"] += 1
    return counts


def _forget_outbox(session: Session, box_id: int, own_case_ids: set[int | None],
                   marks: Marks, keep: Keep) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in session.exec(select(Outbox).where(Outbox.mailbox_id == box_id)).all():
        if row.case_id in own_case_ids and row.case_id is not None:
            continue  # blanked with its case
        if not (marks.found_in(row.rcpt_to) or marks.found_in(row.last_error)
                or (row.raw and marks.found_in(mail_text(row.raw)))):
            continue
        _blank_outbox(row, lambda a: a != marks.addr)
        row.last_error = marks.redact(row.last_error)
        session.add(row)
        counts["outbox"] += 1
    return counts


def _forget_events(session: Session, box_id: int, marks: Marks) -> Counter[str]:
    """Events they caused or that name them (in their own cases too, after the scrub of
    pseudonymising): actor replaced, their marks taken out of the detail."""
    counts: Counter[str] = Counter()
    for event in session.exec(select(Event).where(Event.mailbox_id == box_id)).all():
        if canonical_address(event.actor) != marks.addr and not marks.found_in(event.detail):
            continue
        if canonical_address(event.actor) == marks.addr:
            event.actor = ERASED_ADDR
        event.detail = marks.redact(event.detail)
        session.add(event)
        counts["events"] += 1
    return counts


def _forget_rest(session: Session, box_id: int, marks: Marks) -> Counter[str]:
    """Seats, schedule subscriptions, the periodic ledger's keys and held mail of theirs."""
    counts: Counter[str] = Counter()
    for model, name in ((Registration, "registrations"), (Subscription, "subscriptions")):
        for row in session.exec(select(model).where(model.mailbox_id == box_id)).all():
            if canonical_address(row.addr) == marks.addr:
                session.delete(row)
                counts[name] += 1
    for row in session.exec(select(Periodic).where(Periodic.mailbox_id == box_id)).all():
        if marks.addr in row.key.casefold():  # "seminar 3 their@address", a seat told
            session.delete(row)
            counts["periodic"] += 1
    for held in session.exec(select(Quarantine).where(Quarantine.mailbox_id == box_id)).all():
        if marks.addr in mail_addresses(held.raw) or marks.found_in(held.reason):
            session.delete(held)
            counts["quarantine"] += 1
    return counts


# ------------------------------------------------------- retention outside the cases


def leftovers(session: Session, box_id: int, raw_before: datetime, pseudo_before: datetime,
              keep: Keep) -> Counter[str]:
    """What belongs to no case gets the same treatment by its own moment: machine mail
    (a bounce of nothing we sent), mail sent outside a case (digests, seminar mail), the
    log entries, ledger keys and seminar seats with addresses, quarantined mail already
    replayed or dismissed. Only rows still to do are read, and only changes are counted."""
    counts: Counter[str] = Counter()
    loose = Message.mailbox_id == box_id, Message.case_id.is_(None)
    old = session.exec(select(Message).where(*loose, Message.received_at < raw_before,
                                             Message.raw_id.is_not(None))).all()
    counts["loose_raw"] += _drop_message_files(session, old)["raw_mail"]
    for message in session.exec(select(Message).where(
            *loose, Message.received_at < pseudo_before, Message.subject != ERASED_TEXT)).all():
        _blank_message(message, keep)
        message.subject = ERASED_TEXT  # also marks it done
        session.add(message)
        counts["loose_messages"] += 1
    sent = Outbox.mailbox_id == box_id, Outbox.case_id.is_(None), Outbox.status.not_in(UNSENT)
    for row in session.exec(select(Outbox).where(*sent, Outbox.created_at < raw_before,
                                                 func.length(Outbox.raw) > 0)).all():
        row.raw = b""
        session.add(row)
        counts["loose_outbox"] += 1
    for row in session.exec(select(Outbox).where(*sent, Outbox.created_at < pseudo_before,
                                                 Outbox.rcpt_to.contains("@"))).all():
        before = (row.rcpt_to, row.last_error)
        row.rcpt_to = address_list(row.rcpt_to, keep)
        row.last_error = replace_addresses(row.last_error, keep)
        if (row.rcpt_to, row.last_error) != before:
            session.add(row)
            counts["loose_outbox"] += 1
    counts += _loose_events(session, box_id, pseudo_before, keep)
    counts += _loose_rows(session, box_id, raw_before, pseudo_before)
    return +counts


def _loose_events(session: Session, box_id: int, before: datetime, keep: Keep) -> Counter[str]:
    counts: Counter[str] = Counter()
    for event in session.exec(select(Event).where(
            Event.mailbox_id == box_id, Event.case_id.is_(None), Event.at < before,
            or_(Event.detail != "", Event.actor.contains("@")))).all():
        changed = actor(event.actor, keep), scrub_detail(event.detail, keep)
        if changed != (event.actor, event.detail):
            event.actor, event.detail = changed
            session.add(event)
            counts["loose_events"] += 1
    return counts


def _loose_rows(session: Session, box_id: int, raw_before: datetime,
                pseudo_before: datetime) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in session.exec(select(Periodic).where(
            Periodic.mailbox_id == box_id, Periodic.at < pseudo_before,
            Periodic.key.contains("@"))).all():
        session.delete(row)  # a seat's reminder or notice of a seminar long past
        counts["periodic"] += 1
    for seat in session.exec(select(Registration).where(
            Registration.mailbox_id == box_id, Registration.changed_at < pseudo_before)).all():
        session.delete(seat)
        counts["registrations"] += 1
    for held in session.exec(select(Quarantine).where(
            Quarantine.mailbox_id == box_id, Quarantine.status != "held",
            Quarantine.created_at < raw_before)).all():
        session.delete(held)
        counts["quarantine"] += 1
    return counts
