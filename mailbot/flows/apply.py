"""Carry out a Plan inside the mail's transaction: the one place a flow's decisions are written.

Each step is small and says everything it needs: a case opened or changed, the mail stored,
an event logged, a mail rendered and put in the outbox, a seat or a subscription. Nothing here
decides anything and nothing commits: the pipeline commits the whole mail at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlmodel import select

from mailbot.desk.casework import Pending, Tx, queue
from mailbot.desk.plan import (
    USER_THREAD,
    Event,
    Mail,
    MailSpec,
    Mark,
    Open,
    Outcome,
    Plan,
    Record,
    Seat,
    Set,
    Step,
    Subscribe,
    Undelivered,
)
from mailbot.flows import Incoming
from mailbot.outgoing.compose import FileAttachment
from mailbot.outgoing.replies import OutgoingMail, ThreadPoint, from_spec
from mailbot.reading.risky import risk
from mailbot.storage import store
from mailbot.storage.models import Case, Outbox, Registration, Subscription


class _Applying:
    def __init__(self, tx: Tx, plan: Plan, mail: Incoming | None) -> None:
        self.tx, self.mail = tx, mail
        self.case = tx.session.get(Case, plan.case_id) if plan.case_id is not None else None
        self.message: int | None = None  # the id of the mail as stored (Record)

    def step(self, step: Step) -> None:
        session = self.tx.session
        if isinstance(step, Open):
            self.case = store.open_case(session, self.tx.mailbox_id, step.fields)
        elif isinstance(step, Set):
            assert self.case is not None
            for key, value in step.fields.items():
                setattr(self.case, key, value)
            session.add(self.case)
        elif isinstance(step, Record):
            assert self.mail is not None
            self.message = record_message(self.tx, self.case, self.mail, kind=step.kind,
                                          text=step.text)
        elif isinstance(step, Mark):
            assert self.message is not None
            store.set_message_kind(session, self.message, step.kind)
        elif isinstance(step, Event):
            self.tx.log(step.name, self.case if step.about_case else None, step.actor,
                        **step.detail)
        elif isinstance(step, Mail):
            queue(self.tx, self.case if step.spec.about_case else None, self.render(step.spec))
        elif isinstance(step, Seat):
            self.seat(step)
        elif isinstance(step, Undelivered):
            row = session.get(Outbox, step.outbox_id)
            if row is not None:
                row.status, row.last_error = "bounced", step.detail[:2000]
                session.add(row)
        else:
            self.subscription(step)

    def render(self, spec: MailSpec) -> OutgoingMail:
        thread = spec.thread
        if thread == USER_THREAD:
            thread = last_user_point(self.tx, self.case)
        files = stored_files(self.tx, list(spec.stored_files)) + list(spec.attachments)
        return from_spec(self.tx.app, self.case, spec, files=files,
                         thread=thread if isinstance(thread, ThreadPoint) else ThreadPoint())

    def seat(self, step: Seat) -> None:
        tx = self.tx
        row = tx.session.exec(select(Registration).where(
            Registration.mailbox_id == tx.mailbox_id, Registration.seminar_key == step.key,
            Registration.addr == step.addr)).first()
        if row is None:
            row = Registration(mailbox_id=tx.mailbox_id, seminar_key=step.key,
                               number=step.number, addr=step.addr, name=step.name,
                               created_at=tx.now, changed_at=tx.now)
        row.status, row.changed_at = step.status, tx.now
        tx.session.add(row)
        tx.session.flush()

    def subscription(self, step: Subscribe) -> None:
        tx = self.tx
        row = tx.session.exec(select(Subscription).where(
            Subscription.mailbox_id == tx.mailbox_id, Subscription.addr == step.addr)).first()
        if row is None:
            row = Subscription(mailbox_id=tx.mailbox_id, addr=step.addr, name=step.name,
                               changed_at=tx.now)
        row.subscribed, row.changed_at = step.subscribed, tx.now
        tx.session.add(row)


def apply(tx: Tx, plan: Plan, mail: Incoming | None) -> Outcome:
    """Write the plan's steps in order, then the mail's ledger row; the outcome names the
    case the steps ended on."""
    # The plan's events and outbox rows are written together after its last step (no step
    # reads them back): one statement per table rather than one per row.
    tx = replace(tx, pending=Pending())
    applying = _Applying(tx, plan, mail)
    for step in plan.steps:
        applying.step(step)
    assert tx.pending is not None
    tx.pending.write(tx.session)
    if mail is not None:
        store.record_ingested(tx.session, tx.mailbox_id, mail.source_key, plan.ledger, tx.now,
                              tx.recorded[0] if tx.recorded else None)
    case = applying.case
    return replace(plan.outcome, case_id=case.id if case is not None else plan.outcome.case_id)


def record_message(tx: Tx, case: Case | None, mail: Incoming, *, kind: str,
                   text: str | None = None) -> int:
    """Store the mail (raw bytes, message, references, attachments) in the case, or in no
    case (machine mail about nothing of ours); the message's id."""
    parsed = mail.parsed
    raw_id = store.insert_raw(tx.session, mail.raw)
    message_pk = store.insert_message(tx.session, {
        "mailbox_id": tx.mailbox_id, "case_id": case.id if case else None, "direction": "in",
        "message_id": parsed.message_id,  # ids are cut to the column's length when parsed
        "in_reply_to": parsed.in_reply_to[0] if parsed.in_reply_to else "",
        "subject": parsed.subject, "from_addr": parsed.from_addr[:320],
        "from_name": parsed.from_name[:300], "to_addrs": ", ".join(parsed.to),
        "cc_addrs": ", ".join(parsed.cc), "sent_at": parsed.date, "received_at": tx.now,
        "auto_kind": mail.facts.auto.kind, "body_text": parsed.text,
        "new_text": mail.facts.new_text if text is None else text, "raw_id": raw_id,
        "source_key": mail.source_key, "sender_role": mail.sender.role,
        "person_id": mail.sender.person_id, "kind": kind,
    })
    tx.recorded.append(message_pk)
    store.add_refs(tx.session, message_pk, parsed.thread_ids)
    tx.stored[message_pk] = [
        store.add_attachment(tx.session, message_pk, part.filename, part.content_type,
                             part.data, tx.app.config.limits.max_attachment_bytes)
        for part in parsed.attachments]
    return message_pk


def last_user_point(tx: Tx, case: Case | None) -> ThreadPoint:
    """Where an answer to the user threads: their latest mail in the case."""
    message = store.last_user_message(tx.session, case.id if case else None)
    if message is None:
        return ThreadPoint()
    refs = store.refs_of(tx.session, message.id)
    return ThreadPoint(message.message_id, tuple(reversed(refs)))


def stored_files(tx: Tx, message_ids: Sequence[int | None]) -> list[FileAttachment]:
    """The stored attachments of some messages, to pass on (to a new helper, the vendor):
    never a risky one (reading/risky.py; the flow told the helper which stay behind)."""
    if not message_ids:
        return []
    # Those of a mail this unit of work stored come from `tx.stored` (newest ids, so last).
    older = [i for i in message_ids if i not in tx.stored]
    rows = store.attachments_of(tx.session, older) if older else []
    rows += [a for i in sorted({i for i in message_ids if i in tx.stored}) for a in tx.stored[i]]
    return [FileAttachment(a.filename, a.content_type, a.data) for a in rows
            if a.stored and a.data is not None and not risk(a.filename, a.content_type, a.data)]
