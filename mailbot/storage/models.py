"""Database tables.

Every case and message belongs to a mailbox, so one installation can later serve several
schools with several workers on PostgreSQL. Raw mail bytes live in their own table so that
listing messages never drags megabytes along. Times are aware UTC (see clock.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Mailbox(SQLModel, table=True):
    """One help address and the fetch state of its server folder."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    # UIDVALIDITY and UIDs are unsigned 32-bit on the wire: too big for a signed INTEGER.
    uidvalidity: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class Case(SQLModel, table=True):
    # A case's number counts within its mailbox (its school): what people see in the subject
    # tag and in every mail. The id stays the internal key (tokens, foreign keys).
    # ix_case_open_counts: the open cases per helper (store.open_counts, every user's mail)
    # are counted in the index alone, not by reading every case the school ever had.
    # ix_case_requester: a writer's cases in their school (store.sender_facts, every user's
    # mail), rather than every case of the school (migration 0008).
    __table_args__ = (UniqueConstraint("mailbox_id", "number", name="uq_case_mailbox_number"),
                      Index("ix_case_open_counts", "mailbox_id", "status", "assignee"),
                      Index("ix_case_requester", "mailbox_id", "requester_addr", "status"))

    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    # Given by store.next_case_number when the case is written; None only on a case not
    # stored yet (a plan's draft), which shows its id instead.
    number: int | None = Field(default=None, sa_column=Column(Integer, nullable=False))
    subject: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    requester_addr: str = Field(default="", max_length=320, index=True)
    requester_name: str = Field(default="", max_length=300)
    status: str = Field(default="new", max_length=20, index=True)  # see states.py
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    category: str = Field(default="", max_length=30, index=True)
    role: str = Field(default="", max_length=20)  # parent | student | teacher | staff | unknown
    assignee: str = Field(default="", max_length=64, index=True)  # a person id of people.toml
    route: str = Field(default="", max_length=100)  # "person:<id>" or "vendor"
    # Why the case was classified and routed so: JSON, shown by `mailbot case N`.
    analysis: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    flagged: bool = False  # the user's text broke the etiquette rules (clause 5)
    about: str = Field(default="", max_length=64)  # a complaint: the person it is about
    linked_case_id: int | None = None  # the closed case this one continues
    vendor_ticket: str = Field(default="", max_length=100, index=True)
    escalated_at: datetime | None = None
    first_response_at: datetime | None = None


class RawMail(SQLModel, table=True):
    __tablename__ = "raw_mail"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Message(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("mailbox_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    # Empty for machine mail that belongs to no case (a bounce of nothing we sent, say).
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    direction: str = Field(max_length=3)  # "in" | "out"
    message_id: str = Field(max_length=998)
    in_reply_to: str = Field(default="", max_length=998)
    subject: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    from_addr: str = Field(default="", max_length=320, index=True)
    from_name: str = Field(default="", max_length=300)
    to_addrs: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    cc_addrs: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sent_at: datetime | None = None
    received_at: datetime
    auto_kind: str = Field(default="none", max_length=20)
    body_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    new_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    raw_id: int | None = Field(default=None, foreign_key="raw_mail.id")
    source_key: str = Field(default="", max_length=200)
    sender_role: str = Field(default="user", max_length=10)  # user | helper | vendor | system
    person_id: str = Field(default="", max_length=64)  # the helper who wrote it
    # What became of it: question, reply, note, command, held, auto, vendor, unverified, ...
    kind: str = Field(default="question", max_length=20)


class MessageRef(SQLModel, table=True):
    """A Message-ID that a message names in In-Reply-To or References.

    Kept as rows so threading can look both ways: which case holds the mail I answer, and
    which stored mail answers me (a reply can arrive before the mail it answers).
    """

    __tablename__ = "message_ref"

    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="message.id", index=True)
    ref: str = Field(max_length=998, index=True)


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    message_pk: int = Field(foreign_key="message.id", index=True)
    filename: str = Field(default="", max_length=500)
    content_type: str = Field(default="application/octet-stream", max_length=200)
    size: int = 0
    sha256: str = Field(default="", max_length=64)
    stored: bool = True
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class Ingested(SQLModel, table=True):
    """The ledger: every server message we have dealt with, by its place on the server.

    The unique key makes a second worker (or a re-run after a crash) unable to record the
    same server message twice.
    """

    __table_args__ = (UniqueConstraint("mailbox_id", "source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    source_key: str = Field(max_length=200)
    outcome: str = Field(max_length=20)  # "message" | "duplicate" | "quarantine"
    message_pk: int | None = None
    quarantine_id: int | None = None
    at: datetime


class Outbox(SQLModel, table=True):
    """Every mail mailbot sends, written here before any attempt to send it."""

    # The cap on automatic replies and the check for a hard bounce read rows per recipient and
    # period for every user's mail (store.sender_facts): in the index alone, status and all,
    # never the rows with their raw bytes (migration 0008).
    __table_args__ = (Index("ix_outbox_rcpt_facts", "mailbox_id", "rcpt_to", "created_at",
                            "status", "automatic"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    kind: str = Field(max_length=30)  # "ack", ...
    automatic: bool = True
    message_id: str = Field(max_length=998, index=True)
    mail_from: str = Field(max_length=320)
    rcpt_to: str = Field(max_length=2000)  # comma-separated
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    next_attempt_at: datetime
    claimed_at: datetime | None = None
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime
    sent_at: datetime | None = None


class Quarantine(SQLModel, table=True):
    """Mail that could not be processed, kept whole with the reason, for an operator."""

    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    source_key: str = Field(max_length=200)
    reason: str = Field(sa_column=Column(Text, nullable=False))
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    status: str = Field(default="held", max_length=20, index=True)  # held | replayed
    created_at: datetime
    replayed_at: datetime | None = None


class Event(SQLModel, table=True):
    """The event log: who did what to which case, and why."""

    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int | None = Field(default=None, foreign_key="mailbox.id", index=True)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    at: datetime = Field(index=True)
    actor: str = Field(default="mailbot", max_length=320)
    kind: str = Field(max_length=40, index=True)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Periodic(SQLModel, table=True):
    """A periodic mail or reminder already produced, by its key: what makes a digest missed
    while the worker was down go out once when it is back, and never twice.

    kind: "admin_digest" | "schedule_digest" | "sla_reminder" | "sla_supervisor" |
    "vendor_reminder" | "seminar_reminder"; key: "2026-W48", "case 42", "seminar 3 a@b" ...
    """

    __table_args__ = (UniqueConstraint("mailbox_id", "kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    kind: str = Field(max_length=30)
    key: str = Field(max_length=200)
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    at: datetime


class Registration(SQLModel, table=True):
    """A seat at a seminar, taken or given back by mail."""

    __table_args__ = (UniqueConstraint("mailbox_id", "seminar_key", "addr"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    seminar_key: str = Field(max_length=100, index=True)  # schedule.Slot.key: stable per year
    number: int
    addr: str = Field(max_length=320)
    name: str = Field(default="", max_length=300)
    status: str = Field(default="registered", max_length=20)  # registered | cancelled
    created_at: datetime
    changed_at: datetime


class Subscription(SQLModel, table=True):
    """Who receives the weekly schedule digest besides the staff, and who asked not to."""

    __table_args__ = (UniqueConstraint("mailbox_id", "addr"),)

    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    addr: str = Field(max_length=320)
    name: str = Field(default="", max_length=300)
    subscribed: bool = True
    changed_at: datetime
