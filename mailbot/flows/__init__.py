"""What an incoming mail does, by who wrote it: a user (user.py), a helper (helper.py) or
the vendor's support (vendor.py). pipeline.py decides which, inside the mail's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mailbot.desk.casework import Tx
from mailbot.desk.decide import MailFacts
from mailbot.desk.sender import Sender
from mailbot.outgoing.compose import FileAttachment
from mailbot.outgoing.replies import ThreadPoint
from mailbot.reading.parsing import ParsedMail
from mailbot.storage import store
from mailbot.storage.models import Case, Message

OutcomeKind = Literal["opened", "joined", "duplicate", "already", "quarantined"]


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    case_id: int | None = None
    acked: bool = False
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Incoming:
    """One mail on its way in, with everything decided about it so far."""

    parsed: ParsedMail
    facts: MailFacts
    sender: Sender
    raw: bytes
    source_key: str

    @property
    def actor(self) -> str:
        return self.sender.person_id if self.sender.role == "helper" else self.parsed.from_addr

    def files(self, limit: int) -> list[FileAttachment]:
        """The attachments small enough to pass on to a helper or the vendor."""
        return [FileAttachment(a.filename, a.content_type, a.data)
                for a in self.parsed.attachments if a.size <= limit]

    @property
    def thread_point(self) -> ThreadPoint:
        return ThreadPoint(self.parsed.message_id, self.parsed.references)


def record_message(tx: Tx, case: Case, mail: Incoming, *, kind: str, text: str | None = None,
                   ) -> Message:
    """Store the mail (raw bytes, message, references, attachments) in the case."""
    parsed = mail.parsed
    raw_row = store.store_raw(tx.session, mail.raw)
    message = Message(
        mailbox_id=tx.mailbox_id,
        case_id=case.id,
        direction="in",
        message_id=parsed.message_id[:998],
        in_reply_to=(parsed.in_reply_to[0] if parsed.in_reply_to else "")[:998],
        subject=parsed.subject,
        from_addr=parsed.from_addr[:320],
        from_name=parsed.from_name[:300],
        to_addrs=", ".join(parsed.to),
        cc_addrs=", ".join(parsed.cc),
        sent_at=parsed.date,
        received_at=tx.now,
        auto_kind=mail.facts.auto.kind,
        body_text=parsed.text,
        new_text=mail.facts.new_text if text is None else text,
        raw_id=raw_row.id,
        source_key=mail.source_key,
        sender_role=mail.sender.role,
        person_id=mail.sender.person_id,
        kind=kind,
    )
    tx.session.add(message)
    tx.session.flush()
    assert message.id is not None
    tx.recorded.append(message.id)
    store.add_refs(tx.session, message.id, parsed.thread_ids)
    for part in parsed.attachments:
        store.add_attachment(tx.session, message.id, part.filename, part.content_type,
                             part.data, tx.app.config.limits.max_attachment_bytes)
    return message


def last_user_point(tx: Tx, case: Case) -> ThreadPoint:
    """Where an answer to the user threads: their latest mail in the case."""
    message = store.last_user_message(tx.session, case.id)
    if message is None:
        return ThreadPoint()
    refs = store.refs_of(tx.session, message.id)
    return ThreadPoint(message.message_id, tuple(reversed(refs)))


def stored_files(tx: Tx, message_ids: list[int | None]) -> list[FileAttachment]:
    """The stored attachments of some messages, to pass on (to a new helper, the vendor)."""
    return [FileAttachment(a.filename, a.content_type, a.data)
            for a in store.attachments_of(tx.session, message_ids)
            if a.stored and a.data is not None]
