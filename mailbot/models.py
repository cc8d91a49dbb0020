"""Database tables.

Every case and message belongs to a mailbox, so one installation can later serve several
schools with several workers on PostgreSQL. Raw mail bytes live in their own table so that
listing messages never drags megabytes along. Times are aware UTC (see clock.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Mailbox(SQLModel, table=True):
    """One help address and the fetch state of its server folder."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)
    # UIDVALIDITY and UIDs are unsigned 32-bit on the wire: too big for a signed INTEGER.
    uidvalidity: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    last_uid: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


class Case(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    mailbox_id: int = Field(foreign_key="mailbox.id", index=True)
    subject: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    requester_addr: str = Field(default="", max_length=320, index=True)
    requester_name: str = Field(default="", max_length=300)
    status: str = Field(default="new", max_length=20, index=True)
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None


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
    case_id: int = Field(foreign_key="case.id", index=True)
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
