"""The facts a flow decides from, read from the database before it decides.

This is the only place a mail's flow reads the database: the case the mail belongs to (by
thread, by a helper's token, or by the vendor's reference, ticket or tag) with its stored
mails and the log entries flows ask about, the open cases per helper, recent automatic
replies to the writer and whether mail to them bounced lately, a case of theirs stopped
lately under clause 5, seminar seats, and for a bounce the outgoing mail it returns.
`mailbot explain` reads the same facts, so it shows the plan the worker would make.
"""

from __future__ import annotations

import zlib
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlmodel import Session, func, select

from mailbot.app import App
from mailbot.desk.plan import MessageView, detached
from mailbot.desk.threads import case_name, find_tag
from mailbot.flows import (
    Facts,
    Incoming,
    Returned,
    SeatFacts,
    StoredFile,
    VendorMatch,
    machine,
    seminars,
    user,
)
from mailbot.reading.bounces import BounceReport, read_bounce
from mailbot.reading.risky import risk
from mailbot.storage import store
from mailbot.storage.models import Case, Event, Outbox, Registration

# The log entries flows ask about: a complaint already sent on, an answer already approved,
# whom a stopped case was reported to.
_ASKED_EVENTS = ("complaint_forwarded", "vendor_answer_approved", "help_stopped",
                 "unverified_owner_told")


def read_facts(session: Session, app: App, mailbox_id: int, mail: Incoming,
               now: datetime) -> Facts:
    role = mail.sender.role
    if role == "helper":
        case = _own_case(session, mailbox_id, mail.sender.token_case)
        return Facts(**_case_facts(session, case), files=_case_files(session, case))
    if role == "vendor":
        case, match = _vendor_case(session, app, mailbox_id, mail)
        return Facts(vendor=match, **_case_facts(session, case))
    if machine.is_machine(mail):
        return _machine_facts(session, app, mailbox_id, mail, now)
    case = user.case_of(mail, _own_case(session, mailbox_id, user.cited_case(mail)))
    limits = app.config.limits
    request = user.service_request(mail, case)
    addr = mail.parsed.from_addr if request is not None else user.requester(mail).addr
    known = store.sender_facts(
        session, mailbox_id, addr,
        auto_since=store.period_start(now, limits.auto_reply_period_minutes),
        bounce_since=now - timedelta(days=limits.bounce_quiet_days),
        stopped_since=now - timedelta(days=app.config.conversation.reopen_days))
    hard_bounced = frozenset({addr}) if known.hard_bounced else frozenset()
    if request is not None:
        return Facts(
            auto_replies={addr: known.auto_replies}, hard_bounced=hard_bounced,
            seats=_seats(session, app, mailbox_id, addr, seminars.requested_numbers(request),
                         now))
    stopped = session.get(Case, known.stopped_case_id) if known.stopped_case_id else None
    return Facts(
        open_counts=store.open_counts(session, mailbox_id),
        auto_replies={addr: known.auto_replies},
        stopped=detached(stopped) if stopped is not None else None,
        hard_bounced=hard_bounced,
        **_case_facts(session, case),
    )


def _machine_facts(session: Session, app: App, mailbox_id: int, mail: Incoming,
                   now: datetime) -> Facts:
    """A bounce's facts are about the mail of ours it returns; other machine mail's about
    the case it threads to."""
    case = user.thread_case(_own_case(session, mailbox_id, mail.facts.thread.case))
    report = read_bounce(mail.parsed) if mail.facts.auto.kind in ("bounce", "delay") else None
    tag = app.config.helpdesk.tag
    returned = _returned(session, mailbox_id, mail, report, tag, now) if report else None
    if returned is not None:
        row = session.get(Outbox, returned.outbox_id)
        case = _own_case(session, mailbox_id, row.case_id if row else None) or case
    return Facts(returned=returned, **_case_facts(session, case))


def _returned(session: Session, mailbox_id: int, mail: Incoming, report: BounceReport,
              tag: str, now: datetime) -> Returned | None:
    """Our outbox row a bounce is about: by the returned Message-ID (or the bounce's own
    references), else by our tag in the returned subject and a failed address, else by the
    failed address alone among the last week's mail."""
    ids = [i for i in (report.original_message_id, *report.original_references,
                       *mail.parsed.thread_ids) if i]
    rows = session.exec(select(Outbox).where(Outbox.mailbox_id == mailbox_id,
                                             Outbox.message_id.in_(ids[:200]))).all() if ids else []
    if rows:
        return _as_returned(rows[0], "the returned Message-ID")
    addrs = [a for a in report.recipients if a]
    if not addrs:
        return None
    number = find_tag(report.original_subject, tag)
    query = select(Outbox).where(Outbox.mailbox_id == mailbox_id, Outbox.status == "sent",
                                 Outbox.rcpt_to.in_(addrs),
                                 Outbox.created_at >= now - timedelta(days=7))
    if number is not None:
        tagged = store.case_by_number(session, mailbox_id, number)
        query = query.where(Outbox.case_id == (tagged.id if tagged else None))
    row = session.exec(query.order_by(Outbox.id.desc())).first()
    return _as_returned(row, "the failed address") if row is not None else None


def _as_returned(row: Outbox, how: str) -> Returned:
    assert row.id is not None
    return Returned(row.id, row.kind, row.rcpt_to, row.automatic, how)


def _own_case(session: Session, mailbox_id: int, number: int | None) -> Case | None:
    case = session.get(Case, number) if number is not None else None
    return case if case is not None and case.mailbox_id == mailbox_id else None


def _case_facts(session: Session, case: Case | None) -> dict[str, object]:
    if case is None or case.id is None:
        return {}
    messages = tuple(
        MessageView(m.id, m.sender_role, m.kind, m.new_text, m.from_name, m.from_addr,
                    m.received_at, m.message_id)
        for m in store.case_messages(session, case.id))
    undelivered = tuple(dict.fromkeys(
        f"{rcpt}: {error}" for rcpt, error in session.exec(
            select(Outbox.rcpt_to, Outbox.last_error).where(
                Outbox.case_id == case.id, Outbox.status == "bounced")).all()))
    events = tuple(session.exec(
        select(Event.kind, Event.detail).where(Event.case_id == case.id,
                                               Event.kind.in_(_ASKED_EVENTS))
        .order_by(Event.id)).all())
    return {"case": detached(case), "messages": messages, "events": events,
            "undelivered": undelivered}


def _case_files(session: Session, case: Case | None) -> tuple[StoredFile, ...]:
    """The case's stored attachments, each judged by reading/risky.py (a helper's command
    may pass them on: #передать, #сэдиж)."""
    if case is None or case.id is None:
        return ()
    ids = [m.id for m in store.case_messages(session, case.id)]
    return tuple(StoredFile(a.message_pk, a.filename, risk(a.filename, a.content_type, a.data),
                            a.stored) for a in store.attachments_of(session, ids))


def _vendor_case(session: Session, app: App, mailbox_id: int, mail: Incoming,
                 ) -> tuple[Case | None, VendorMatch | None]:
    """The case a vendor mail is about, and how far that is proven.

    "reference": it cites our request to the vendor (a Message-ID only they received);
    "ticket": the vendor's ticket number, learnt from such a mail; "tag": only our subject
    tag, from the vendor's own address — anyone could write that, so it is never relayed.
    """
    vendor = app.rules.people.vendor if app.rules.people else None
    assert vendor is not None
    parsed = mail.parsed
    cited = store.cases_of_outbox_ids(session, mailbox_id, parsed.thread_ids,
                                      kind="vendor_request")
    if cited:
        case = session.get(Case, cited[0])
        shown = case_name(cited[0], case.number if case is not None else None)
        return case, VendorMatch("reference", f"cites our request to the vendor in case {shown}")
    ticket = vendor.ticket_in(parsed.subject)
    if ticket:
        case = store.case_by_vendor_ticket(session, mailbox_id, ticket)
        if case is not None:
            return case, VendorMatch("ticket", f"the vendor's ticket {ticket}")
    number = find_tag(parsed.subject, app.config.helpdesk.tag)
    if number is not None and parsed.from_addr in vendor.emails:
        case = store.case_by_number(session, mailbox_id, number)
        if case is not None and case.escalated_at:
            return case, VendorMatch(
                "tag", f"only our tag of case #{number}, which was sent to the vendor")
    return None, None


def _seats(session: Session, app: App, mailbox_id: int, addr: str, numbers: list[int],
           now: datetime) -> dict[int, SeatFacts]:
    out: dict[int, SeatFacts] = {}
    for number in numbers:
        slot = seminars.seminar_slot(app.rules, now, number)
        if slot is None:
            continue
        _lock_seats(session, slot.key)
        seat = session.exec(select(Registration.status).where(
            Registration.mailbox_id == mailbox_id, Registration.seminar_key == slot.key,
            Registration.addr == addr)).first()
        taken = session.exec(select(func.count(Registration.id)).where(
            Registration.mailbox_id == mailbox_id, Registration.seminar_key == slot.key,
            Registration.status == "registered")).one()
        cancellations = store.count_events_of(session, mailbox_id, "seminar_cancelled", addr,
                                              f'"seminar": {number}}}')
        out[number] = SeatFacts(seat, taken, cancellations)
    return out


def _lock_seats(session: Session, key: str) -> None:
    """Two workers must not both take the last seat. SQLite writes one transaction at a
    time already; on PostgreSQL a transaction lock per seminar serialises the count."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(
            key=zlib.crc32(key.encode())))
