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
from mailbot.storage.models import Attachment, Case, Outbox


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

    def log(self, event: str, case: Case | None, actor: str = "mailbot", /,
            **detail: object) -> None:
        store.log(self.session, event, at=self.now, mailbox_id=self.mailbox_id,
                  case_id=case.id if case else None, actor=actor, **detail)


def queue(tx: Tx, case: Case | None, mail: OutgoingMail) -> None:
    """Write the mail to the outbox; the send job delivers it after the commit."""
    tx.session.add(
        Outbox(
            mailbox_id=tx.mailbox_id, case_id=case.id if case else None, kind=mail.kind,
            automatic=mail.automatic, message_id=mail.message_id,
            mail_from=tx.app.config.helpdesk.address, rcpt_to=", ".join(mail.rcpt),
            raw=mail.raw, next_attempt_at=tx.now, created_at=tx.now,
        )
    )
    tx.log("mail_queued", case, kind=mail.kind, to=", ".join(mail.rcpt))
