"""One unit of work in the database (a mail's transaction, or a periodic job's): the
session, the app, the mailbox and the moment; its event log and its outbox writer. Nothing
here commits: the caller commits the whole unit at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from mailbot.app import App
from mailbot.outgoing.replies import OutgoingMail
from mailbot.storage import store
from mailbot.storage.models import Attachment, Case, Event, Outbox


@dataclass
class Pending:
    """Event and outbox rows a unit of work has not written yet. The ORM writes a table with
    an autoincrement key one INSERT per row on SQLite (it must read each id back); these
    rows' ids are never read, so `write` sends each table's rows in one executemany, in the
    order they were logged (the same ids)."""

    events: list[dict[str, object]] = field(default_factory=list)
    outbox: list[dict[str, object]] = field(default_factory=list)

    def write(self, session: Session) -> None:
        store.insert_rows(session, Event, self.events)
        store.insert_rows(session, Outbox, self.outbox)
        self.events, self.outbox = [], []


@dataclass(frozen=True)
class Tx:
    """A unit of work: the session, the app, the mailbox and the moment."""

    session: Session
    app: App
    mailbox_id: int
    now: datetime
    recorded: list[int] = field(default_factory=list)  # messages stored by this mail
    # Their attachments as stored, so no query (and no early flush) reads them back.
    stored: dict[int, list[Attachment]] = field(default_factory=dict)
    # Set (flows/apply.py): events and outbox rows wait here until `pending.write`, which
    # the owner of the Tx calls before anything reads them; None: each is added at once.
    pending: Pending | None = None

    def log(self, event: str, case: Case | None, actor: str = "mailbot", /,
            **detail: object) -> None:
        row = store.event_row(event, at=self.now, mailbox_id=self.mailbox_id,
                              case_id=case.id if case else None, actor=actor, **detail)
        if self.pending is not None:
            self.pending.events.append(row)
        else:
            self.session.add(Event(**row))


def queue(tx: Tx, case: Case | None, mail: OutgoingMail) -> None:
    """Write the mail to the outbox; the send job delivers it after the commit."""
    row = store.outbox_row(
        mailbox_id=tx.mailbox_id, case_id=case.id if case else None, kind=mail.kind,
        automatic=mail.automatic, message_id=mail.message_id,
        mail_from=tx.app.config.helpdesk.address, rcpt_to=", ".join(mail.rcpt),
        raw=mail.raw, next_attempt_at=tx.now, created_at=tx.now,
    )
    if tx.pending is not None:
        tx.pending.outbox.append(row)
    else:
        tx.session.add(Outbox(**row))
    tx.log("mail_queued", case, kind=mail.kind, to=", ".join(mail.rcpt))
