"""What may happen to a case inside one mail's transaction: a state change, a new owner,
a mail put in the outbox. Each step writes its event, so `mailbot case N` can tell who did
what and why. Nothing here commits: the pipeline commits the whole mail at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from mailbot.app import App
from mailbot.desk import states
from mailbot.desk.decide import AckDecision, MailFacts, ack_decision
from mailbot.outgoing.replies import OutgoingMail
from mailbot.school.people import People, Person
from mailbot.storage import store
from mailbot.storage.models import Case, Outbox


@dataclass(frozen=True)
class Tx:
    """One mail's unit of work: the session, the app, the mailbox and the moment."""

    session: Session
    app: App
    mailbox_id: int
    now: datetime
    recorded: list[int] = field(default_factory=list)  # messages stored by this mail

    @property
    def people(self) -> People | None:
        return self.app.rules.people

    def log(self, event: str, case: Case | None, actor: str = "mailbot", /,
            **detail: object) -> None:
        store.log(self.session, event, at=self.now, mailbox_id=self.mailbox_id,
                  case_id=case.id if case else None, actor=actor, **detail)


def set_state(tx: Tx, case: Case, target: str, *, actor: str, why: str) -> None:
    """Move the case (refused by states.moved if the table forbids it) and log it."""
    before = case.status
    case.status = states.moved(before, target)
    if case.status == before:
        return
    case.updated_at = tx.now
    if case.status in ("closed", "stopped"):
        case.closed_at = tx.now
    elif before in ("closed", "stopped"):
        case.closed_at = None
    tx.session.add(case)
    tx.log("state", case, actor, before=before, after=case.status, why=why)


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


def take(tx: Tx, case: Case, person: Person, *, actor: str, why: str) -> None:
    """Give the case an owner; the caller sends the notice that tells them."""
    before = case.assignee
    case.assignee = person.id
    case.route = f"person:{person.id}"
    case.updated_at = tx.now
    tx.session.add(case)
    tx.log("assigned", case, actor, before=before or None, after=person.id, why=why)
    if case.status in ("new", "waiting_user"):
        set_state(tx, case, "assigned", actor=actor, why=why)


def assignee(tx: Tx, case: Case) -> Person | None:
    people = tx.people
    if people is None or not case.assignee or case.assignee not in people.persons:
        return None
    return people.persons[case.assignee]


def first_response(tx: Tx, case: Case) -> None:
    if case.first_response_at is None:
        case.first_response_at = tx.now
        tx.session.add(case)


def may_auto_reply(tx: Tx, facts: MailFacts, rcpt: str) -> AckDecision:
    """Whether an automatic reply may go to `rcpt` now: loop protection and the cap of
    automatic replies per address and period (decide.ack_decision over the outbox count)."""
    limits = tx.app.config.limits
    recent = store.auto_replies_since(tx.session, tx.mailbox_id, rcpt,
                                      store.period_start(tx.now, limits.auto_reply_period_minutes))
    return ack_decision(facts, recent, limits.auto_replies_per_sender)
