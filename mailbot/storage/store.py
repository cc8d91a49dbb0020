"""Query functions over an explicit session. No commits here: callers own transactions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    CompoundSelect,
    Executable,
    Select,
    bindparam,
    func,
    insert,
    literal_column,
    or_,
    union_all,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.engine import Result
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key
from sqlmodel import Session, SQLModel, select

from mailbot.desk.states import OPEN_STATES
from mailbot.desk.threads import ThreadFacts
from mailbot.storage.models import (
    Attachment,
    Case,
    Event,
    Ingested,
    Mailbox,
    Message,
    MessageRef,
    Outbox,
    Quarantine,
    RawMail,
)


def _core(session: Session, statement: Executable, params: dict[str, object]) -> Result:  # type: ignore[type-arg]
    """Run a Core statement of plain columns (built once) on the session's connection, after
    the flush the session would make first: the same rows without the ORM's handling of a
    statement (about half the cost of these small SELECTs, which run for every mail)."""
    session.flush()
    return session.connection().execute(statement, params)


def mailbox(session: Session, name: str) -> Mailbox:
    """The mailbox row for a help address, created on first use."""
    row = session.exec(select(Mailbox).where(Mailbox.name == name)).first()
    if row is None:
        row = Mailbox(name=name)
        session.add(row)
        session.flush()
    return row


def ingested(session: Session, mailbox_id: int, source_keys: Iterable[str]) -> set[str]:
    keys = list(source_keys)
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found.update(
            session.exec(
                select(Ingested.source_key).where(
                    Ingested.mailbox_id == mailbox_id, Ingested.source_key.in_(chunk)
                )
            ).all()
        )
    return found


def message_by_id(session: Session, mailbox_id: int, message_id: str) -> Message | None:
    return session.exec(
        select(Message).where(Message.mailbox_id == mailbox_id, Message.message_id == message_id)
    ).first()


def _arrival_query(citing: bool) -> CompoundSelect:
    """store.arrival's statement, built once (with or without cited Message-IDs): the
    stored messages with the mail's own or a cited id (0), our outbox mails it cites (1),
    the stored messages that cite it (2)."""
    box = bindparam("box")
    parts = [select(literal_column("0"), Message.id, Message.message_id, Message.case_id)
             .where(Message.mailbox_id == box,
                    Message.message_id.in_(bindparam("ids", expanding=True)))]
    if citing:
        parts.append(
            select(literal_column("1"), Outbox.id, Outbox.message_id, Outbox.case_id)
            .where(Outbox.mailbox_id == box,
                   Outbox.message_id.in_(bindparam("cited", expanding=True))))
    parts.append(
        select(literal_column("2"), Message.id, Message.message_id, Message.case_id)
        .join(MessageRef, MessageRef.message_pk == Message.id)
        .where(Message.mailbox_id == box, MessageRef.ref == bindparam("mine")))
    return union_all(*parts)


_ARRIVAL, _ARRIVAL_CITING = _arrival_query(False), _arrival_query(True)


def thread_facts(
    session: Session, mailbox_id: int, message_id: str, thread_ids: tuple[str, ...],
    tagged: int | None,
) -> ThreadFacts:
    return arrival(session, mailbox_id, message_id, thread_ids, tagged)[1]


def arrival(
    session: Session, mailbox_id: int, message_id: str, thread_ids: tuple[str, ...],
    tagged: int | None,
) -> tuple[tuple[int, int | None] | None, ThreadFacts]:
    """For a mail just fetched: (id, case_id) of the stored message with its Message-ID, if
    any (a duplicate), and its ThreadFacts. One statement (a UNION ALL) reads the stored
    messages with its own or a cited Message-ID, our outbox mails it cites and the stored
    messages that cite it, where there were four; the tagged case costs two more."""
    cited = thread_ids[:200]
    rows = _core(session, _ARRIVAL_CITING if cited else _ARRIVAL, {
        "box": mailbox_id, "mine": message_id, "ids": [message_id, *cited],
        **({"cited": list(cited)} if cited else {})}).all()
    wanted = set(cited)
    existing: tuple[int, int | None] | None = None
    by_reference: dict[str, int] = {}
    for source, pk, mid, case in rows:
        if source == 0 and mid == message_id:
            existing = (pk, case)
        if source == 0 and mid in wanted:
            by_reference[mid] = case
    for source, _pk, mid, case in rows:
        if source == 1 and case is not None:
            by_reference.setdefault(mid, case)
    referencing = [case for source, _pk, _mid, case in rows if source == 2]
    found = {*by_reference.values(), *referencing} - {None}
    numbers: dict[int, int] = dict(session.exec(  # type: ignore[arg-type]
        select(Case.id, Case.number).where(Case.id.in_(found))).all()) if found else {}
    tagged_case, participants = None, frozenset[str]()
    if tagged is not None:
        case = case_by_number(session, mailbox_id, tagged)
        if case is not None and case.id is not None:
            tagged_case, numbers[case.id] = case.id, case.number
            participants = frozenset(
                session.exec(select(Message.from_addr).where(Message.case_id == case.id)).all()
            ) | {case.requester_addr}
    return existing, ThreadFacts(
        by_reference=by_reference,
        referencing_me=tuple(sorted(set(referencing))),
        tagged_case=tagged_case,
        tagged_participants=participants,
        numbers=numbers,
    )


def insert_raw(session: Session, raw: bytes) -> int:
    """Store a mail's bytes; its id. One INSERT on the session's connection, with no flush
    of the unit of work for it (an ORM row would need one just to learn the id)."""
    table = RawMail.__table__
    result = session.connection().execute(insert(table).values(  # type: ignore[arg-type]
        sha256=hashlib.sha256(raw).hexdigest(), size=len(raw), data=raw))
    return result.inserted_primary_key[0]


def insert_message(session: Session, row: dict[str, object]) -> int:
    """Store a message row; its id. One INSERT on the session's connection: no ORM object
    (its construction alone cost more than the statement) and no flush to learn the id."""
    table = Message.__table__
    return session.connection().execute(  # type: ignore[union-attr]
        insert(table), row).inserted_primary_key[0]  # type: ignore[arg-type]


def set_message_kind(session: Session, message_pk: int, kind: str) -> None:
    """What became of a stored message, changed after insert_message (a plan's Mark step); a
    copy the session holds (read back meanwhile) is told too."""
    session.connection().execute(_SET_KIND, {"pk": message_pk, "kind": kind})
    held = session.identity_map.get(identity_key(Message, message_pk))
    if held is not None:
        set_committed_value(held, "kind", kind)


_SET_KIND = (update(Message.__table__)  # type: ignore[arg-type]
             .where(Message.__table__.c.id == bindparam("pk"))  # type: ignore[attr-defined]
             .values(kind=bindparam("kind")))


def add_refs(session: Session, message_pk: int, refs: Iterable[str]) -> None:
    for ref in dict.fromkeys(refs):
        session.add(MessageRef(message_pk=message_pk, ref=ref))  # cut when parsed (MAX_ID)


def add_attachment(
    session: Session, message_pk: int, filename: str, content_type: str, data: bytes,
    limit: int,
) -> Attachment:
    row = Attachment(
        message_pk=message_pk,
        filename=filename[:500],
        content_type=content_type[:200],
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        stored=len(data) <= limit,
        data=data if len(data) <= limit else None,
    )
    session.add(row)
    return row


def log(
    session: Session, event: str, /, *, at: datetime, mailbox_id: int | None = None,
    case_id: int | None = None, actor: str = "mailbot", **detail: object,
) -> None:
    session.add(Event(**event_row(event, at=at, mailbox_id=mailbox_id, case_id=case_id,
                                  actor=actor, **detail)))


def event_row(
    event: str, /, *, at: datetime, mailbox_id: int | None = None, case_id: int | None = None,
    actor: str = "mailbot", **detail: object,
) -> dict[str, object]:
    """The columns of an event row (all of them, so rows of several events share keys)."""
    return {"mailbox_id": mailbox_id, "case_id": case_id, "at": at, "actor": actor,
            "kind": event,
            "detail": json.dumps(detail, ensure_ascii=False, default=str) if detail else ""}


def outbox_row(
    *, mailbox_id: int, case_id: int | None, kind: str, automatic: bool, message_id: str,
    mail_from: str, rcpt_to: str, raw: bytes, next_attempt_at: datetime, created_at: datetime,
) -> dict[str, object]:
    """The columns of a new outbox row, the model's defaults included."""
    return {"mailbox_id": mailbox_id, "case_id": case_id, "kind": kind, "automatic": automatic,
            "message_id": message_id, "mail_from": mail_from, "rcpt_to": rcpt_to, "raw": raw,
            "status": "pending", "attempts": 0, "next_attempt_at": next_attempt_at,
            "claimed_at": None, "last_error": "", "created_at": created_at, "sent_at": None}


def insert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, object]],
                ) -> None:
    """Rows of one table (`event_row`s, `outbox_row`s) in one statement (an executemany), in
    order; their ids are never read. On the session's connection, so no autoflush: the case
    they name is written already."""
    if rows:
        session.connection().execute(insert(model.__table__), rows)  # type: ignore[attr-defined]


def record_ingested(
    session: Session, mailbox_id: int, source_key: str, outcome: str, at: datetime,
    message_pk: int | None = None, quarantine_id: int | None = None,
) -> None:
    """The ledger row: one INSERT on the session's connection (nothing reads it back as an
    object); a second row for the key fails here, inside the mail's savepoint."""
    session.connection().execute(_INSERT_INGESTED, {
        "mailbox_id": mailbox_id, "source_key": source_key, "outcome": outcome, "at": at,
        "message_pk": message_pk, "quarantine_id": quarantine_id})


_INSERT_INGESTED = insert(Ingested.__table__)  # type: ignore[arg-type]


def quarantine(
    session: Session, mailbox_id: int, source_key: str, raw: bytes, reason: str, at: datetime
) -> Quarantine:
    row = Quarantine(
        mailbox_id=mailbox_id, source_key=source_key, raw=raw, reason=reason[:2000], created_at=at
    )
    session.add(row)
    session.flush()
    record_ingested(session, mailbox_id, source_key, "quarantine", at, quarantine_id=row.id)
    log(session, "quarantined", at=at, mailbox_id=mailbox_id, source=source_key, reason=reason)
    return row


def cases(session: Session, limit: int = 50, status: str | None = None,
          mailbox_id: int | None = None) -> list[Case]:
    query = select(Case).order_by(Case.id.desc()).limit(limit)
    if mailbox_id is not None:
        query = query.where(Case.mailbox_id == mailbox_id)
    if status:
        query = query.where(Case.status == status)
    return list(session.exec(query).all())


# A transaction lock's first key for case numbers on PostgreSQL; the second is the mailbox.
_CASE_NUMBER_LOCK = 0x6E756D  # "num"


def open_case(session: Session, mailbox_id: int, fields: dict[str, object]) -> Case:
    """Write a new case, numbered one more than the highest of its mailbox, and return it as
    the session's object. One INSERT ... RETURNING whose number is a subquery, where there
    were a SELECT, the construction of a Case (pydantic's, slow) and a flush; the ORM loads
    the object from the returned row as from a SELECT.

    Two transactions must not take one number. On PostgreSQL a transaction lock per mailbox
    serialises them until commit; SQLite writes one transaction at a time; and the unique
    (mailbox_id, number) key refuses a duplicate whatever happens."""
    if session.get_bind().dialect.name == "postgresql":
        session.exec(sql_text("SELECT pg_advisory_xact_lock(:space, :box)").bindparams(
            space=_CASE_NUMBER_LOCK, box=mailbox_id))
    return session.scalars(_OPEN_CASE, {**fields, "mailbox_id": mailbox_id, "box": mailbox_id}
                           ).one()


_OPEN_CASE = select(Case).from_statement(
    insert(Case.__table__)  # type: ignore[arg-type]
    .values(number=select(func.coalesce(func.max(Case.number), 0) + 1)
            .where(Case.mailbox_id == bindparam("box")).scalar_subquery())
    .returning(*Case.__table__.c))  # type: ignore[attr-defined]


def case_by_number(session: Session, mailbox_id: int, number: int) -> Case | None:
    """A case by the number people see, within its mailbox."""
    return session.exec(
        select(Case).where(Case.mailbox_id == mailbox_id, Case.number == number)).first()


def case_messages(session: Session, case_id: int) -> list[Message]:
    return list(
        session.exec(
            select(Message).where(Message.case_id == case_id).order_by(Message.received_at,
                                                                       Message.id)
        ).all()
    )


def case_events(session: Session, case_id: int) -> list[Event]:
    return list(
        session.exec(select(Event).where(Event.case_id == case_id).order_by(Event.at, Event.id))
        .all()
    )


def case_outbox(session: Session, case_id: int) -> list[Outbox]:
    return list(
        session.exec(select(Outbox).where(Outbox.case_id == case_id).order_by(Outbox.id)).all()
    )


def period_start(now: datetime, minutes: int) -> datetime:
    return now - timedelta(minutes=minutes)


def last_user_message(session: Session, case_id: int | None) -> Message | None:
    return session.exec(
        select(Message)
        .where(Message.case_id == case_id, Message.direction == "in",
               Message.sender_role == "user")
        .order_by(Message.received_at.desc(), Message.id.desc())
    ).first()


def refs_of(session: Session, message_pk: int | None) -> list[str]:
    """The ids a stored message cited, nearest first (as parsing.thread_ids gave them)."""
    return list(
        session.exec(
            select(MessageRef.ref).where(MessageRef.message_pk == message_pk)
            .order_by(MessageRef.id)
        ).all()
    )


def open_counts(session: Session, mailbox_id: int) -> dict[str, int]:
    """Open cases per assignee, for routing to the least busy helper."""
    rows = _core(session, _OPEN_COUNTS, {"box": mailbox_id}).all()
    return {assignee: count for assignee, count in rows}


_OPEN_COUNTS = (  # built once: open_counts runs for every user's mail
    select(Case.assignee, func.count(Case.id))
    .where(Case.mailbox_id == bindparam("box"), Case.assignee != "",
           Case.status.in_(list(OPEN_STATES)))
    .group_by(Case.assignee))


def case_by_vendor_ticket(session: Session, mailbox_id: int, ticket: str) -> Case | None:
    return session.exec(
        select(Case).where(Case.mailbox_id == mailbox_id, Case.vendor_ticket == ticket)
        .order_by(Case.id.desc())
    ).first()


def attachments_of(session: Session, message_pks: list[int | None]) -> list[Attachment]:
    if not message_pks:
        return []
    return list(
        session.exec(
            select(Attachment).where(Attachment.message_pk.in_(message_pks))
            .order_by(Attachment.id)
        ).all()
    )


def digest_rows(session: Session, mailbox_id: int, start: datetime, end: datetime) -> list[tuple]:  # type: ignore[type-arg]
    """The columns of digest.CaseRow (its id is the case's number, which people see) for
    every case that touches [start, end): opened before
    its end and not closed before its start. Service requests (seminar sign-ups) are left
    out. The first vendor answer after the escalation comes from the event log."""
    vendor_at = (
        select(func.min(Event.at))
        .where(Event.case_id == Case.id, Event.kind == "vendor_answer",
               Event.at >= Case.escalated_at)
        .correlate(Case)
        .scalar_subquery()
    )
    query = (
        select(Case.number, Case.created_at, Case.closed_at, Case.status, Case.category,
               Case.role, Case.assignee, Case.first_response_at, Case.escalated_at,
               vendor_at, Case.flagged)
        .where(Case.mailbox_id == mailbox_id, Case.category != "service",
               Case.created_at < end, or_(Case.closed_at.is_(None), Case.closed_at >= start))
        .order_by(Case.id)
    )
    return list(session.exec(query).all())


def count_events(session: Session, mailbox_id: int, kinds: Iterable[str], start: datetime,
                 end: datetime) -> int:
    return session.exec(
        select(func.count(Event.id)).where(
            Event.mailbox_id == mailbox_id, Event.kind.in_(list(kinds)),
            Event.at >= start, Event.at < end)
    ).one()


def count_failed_mail(session: Session, mailbox_id: int, start: datetime, end: datetime) -> int:
    """Undelivered mail of the week: refused by our SMTP server, or bounced later."""
    return session.exec(
        select(func.count(Outbox.id)).where(
            Outbox.mailbox_id == mailbox_id, Outbox.status.in_(("failed", "bounced")),
            Outbox.created_at >= start, Outbox.created_at < end)
    ).one()


def count_held_quarantine(session: Session, mailbox_id: int) -> int:
    return session.exec(
        select(func.count(Quarantine.id)).where(
            Quarantine.mailbox_id == mailbox_id, Quarantine.status == "held")
    ).one()


def cases_of_outbox_ids(session: Session, mailbox_id: int, ids: Iterable[str], *,
                        kind: str) -> list[int]:
    """Cases of our outgoing mails of one kind among the given Message-IDs."""
    wanted = list(ids)[:200]
    if not wanted:
        return []
    rows = session.exec(
        select(Outbox.case_id).where(Outbox.mailbox_id == mailbox_id, Outbox.kind == kind,
                                     Outbox.message_id.in_(wanted))
    ).all()
    return [case for case in rows if case is not None]


def has_event(session: Session, case_id: int | None, kind: str, text: str) -> bool:
    """Whether the case's log holds an event of this kind mentioning `text`."""
    details = session.exec(
        select(Event.detail).where(Event.case_id == case_id, Event.kind == kind)
    ).all()
    return any(text in detail for detail in details)


@dataclass(frozen=True)
class SenderFacts:
    """What the desk knows of one writer, read in one statement (sender_facts)."""

    auto_replies: int  # automatic mails to them since the cap's period began
    hard_bounced: bool  # mail to them came back undeliverable (5.x.x) lately
    stopped_case_id: int | None  # their latest case stopped under clause 5 lately


def _sender_facts_query() -> Select:  # type: ignore[type-arg]
    """The writer's automatic replies since the cap's period began, a hard bounce (5.x.x) of
    mail to them lately and their latest case stopped under clause 5 lately, as scalar
    subqueries of one SELECT (built once, by parameter)."""
    box, addr = bindparam("box"), bindparam("addr")
    auto = select(func.count(Outbox.id)).where(
        Outbox.mailbox_id == box, Outbox.automatic.is_(True), Outbox.rcpt_to == addr,
        Outbox.created_at >= bindparam("auto_since")).scalar_subquery()
    bounced = select(Outbox.id).where(
        Outbox.mailbox_id == box, Outbox.status == "bounced", Outbox.rcpt_to == addr,
        Outbox.created_at >= bindparam("bounce_since"),
        func.substr(Outbox.last_error, 1, 1) == "5").limit(1).scalar_subquery()
    stopped = select(Case.id).where(
        Case.mailbox_id == box, Case.requester_addr == addr, Case.status == "stopped",
        Case.closed_at >= bindparam("stopped_since")).order_by(Case.id.desc()).limit(1)
    return select(auto, bounced, stopped.scalar_subquery())


_SENDER_FACTS = _sender_facts_query()


def sender_facts(session: Session, mailbox_id: int, addr: str, *, auto_since: datetime,
                 bounce_since: datetime, stopped_since: datetime) -> SenderFacts:
    """The writer's recent automatic replies, a hard bounce of mail to them and a case of
    theirs stopped lately: one statement where there were three."""
    auto, bounced, stopped = _core(session, _SENDER_FACTS, {
        "box": mailbox_id, "addr": addr, "auto_since": auto_since,
        "bounce_since": bounce_since, "stopped_since": stopped_since}).one()
    return SenderFacts(auto, bounced is not None, stopped)


def count_events_of(session: Session, mailbox_id: int, kind: str, actor: str, text: str) -> int:
    """How many events of a kind one person caused whose detail mentions `text`."""
    details = session.exec(
        select(Event.detail).where(Event.mailbox_id == mailbox_id, Event.kind == kind,
                                   Event.actor == actor)
    ).all()
    return sum(text in detail for detail in details)


# ------------------------------------------------------------------ for `mailbot status`


def outbox_counts(session: Session, mailbox_id: int) -> dict[str, int]:
    """Outgoing mail per status (pending, sending, sent, failed)."""
    rows = session.exec(
        select(Outbox.status, func.count(Outbox.id)).where(Outbox.mailbox_id == mailbox_id)
        .group_by(Outbox.status)
    ).all()
    return {status: count for status, count in rows}


def oldest_unsent(session: Session, mailbox_id: int) -> datetime | None:
    return session.exec(
        select(func.min(Outbox.created_at)).where(
            Outbox.mailbox_id == mailbox_id, Outbox.status.in_(("pending", "sending")))
    ).one()


def failed_since(session: Session, mailbox_id: int, since: datetime) -> int:
    return session.exec(
        select(func.count(Outbox.id)).where(
            Outbox.mailbox_id == mailbox_id, Outbox.status == "failed",
            Outbox.created_at >= since)
    ).one()


def last_sent_at(session: Session, mailbox_id: int) -> datetime | None:
    return session.exec(
        select(func.max(Outbox.sent_at)).where(Outbox.mailbox_id == mailbox_id)
    ).one()


def oldest_unanswered(session: Session, mailbox_id: int) -> Case | None:
    """The open case waiting longest for its first answer."""
    return session.exec(
        select(Case).where(Case.mailbox_id == mailbox_id, Case.first_response_at.is_(None),
                           Case.status.in_(("new", "assigned")))
        .order_by(Case.created_at, Case.id).limit(1)
    ).first()


def mailbox_row(session: Session, name: str) -> Mailbox | None:
    """The mailbox row of a help address, if mail was ever processed (never creates it)."""
    return session.exec(select(Mailbox).where(Mailbox.name == name)).first()
