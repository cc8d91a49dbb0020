"""One incoming mail, from raw bytes to a committed case: the heart of mailbot.

`ingest` runs one transaction per mail. Everything the mail causes — the raw bytes, the
message, the case change, the acknowledgement in the outbox, the events and the ledger row —
is committed together or not at all. A mail that fails any step is rolled back and kept in
quarantine with the reason; the caller marks the mail on the server only after `ingest`
returns, so a crash at any point loses nothing and duplicates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from mailbot import db, store
from mailbot.app import App
from mailbot.decide import MailFacts, ack_decision, analyse, tagged_case
from mailbot.models import Case, Message, Outbox
from mailbot.parsing import MailError, ParsedMail, parse
from mailbot.replies import ack_mail

OutcomeKind = Literal["opened", "joined", "duplicate", "already", "quarantined"]


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    case_id: int | None = None
    acked: bool = False
    reasons: tuple[str, ...] = ()


def ingest(app: App, mailbox_id: int, source_key: str, raw: bytes) -> Outcome:
    """Record one server message; safe to call again for the same key."""
    for attempt in (1, 2):
        with db.session(app.engine) as session:
            if store.ingested(session, mailbox_id, [source_key]):
                return Outcome("already")
            try:
                outcome = _record(session, app, mailbox_id, source_key, raw)
                session.commit()
                return outcome
            except IntegrityError:
                # Another worker recorded the same key or Message-ID first: look again.
                session.rollback()
                if attempt == 2:
                    return _quarantine(app, mailbox_id, source_key, raw, "conflicting record")
            except OperationalError:
                raise  # the database itself is unwell: stop the batch, mark nothing
            except MailError as exc:
                session.rollback()
                return _quarantine(app, mailbox_id, source_key, raw, f"unusable mail: {exc}")
            except Exception as exc:  # noqa: BLE001 — any bug in one mail must not stop the batch
                session.rollback()
                return _quarantine(
                    app, mailbox_id, source_key, raw, f"{type(exc).__name__}: {exc}"
                )
    raise AssertionError("unreachable")


def _quarantine(app: App, mailbox_id: int, key: str, raw: bytes, reason: str) -> Outcome:
    with db.session(app.engine) as session:
        if store.ingested(session, mailbox_id, [key]):
            return Outcome("already")
        store.quarantine(session, mailbox_id, key, raw, reason, app.clock.now())
        session.commit()
    return Outcome("quarantined", reasons=(reason,))


def _record(
    session: Session, app: App, mailbox_id: int, source_key: str, raw: bytes
) -> Outcome:
    now = app.clock.now()
    parsed = parse(raw)
    existing = store.message_by_id(session, mailbox_id, parsed.message_id)
    if existing is not None:
        store.record_ingested(session, mailbox_id, source_key, "duplicate", now, existing.id)
        store.log(session, "duplicate", at=now, mailbox_id=mailbox_id, case_id=existing.case_id,
                  message_id=parsed.message_id, source=source_key)
        return Outcome("duplicate", existing.case_id, reasons=("Message-ID already stored",))

    facts = analyse(parsed, app.config, store.thread_facts(
        session, mailbox_id, parsed.message_id, parsed.thread_ids,
        tagged_case(parsed, app.config)))
    case, opened = _case_for(session, mailbox_id, parsed, facts, now)
    message = _store_message(session, app, mailbox_id, case, parsed, facts, raw, source_key)
    store.record_ingested(session, mailbox_id, source_key, "message", now, message.id)
    store.log(session, "case_opened" if opened else "message_added", at=now,
              mailbox_id=mailbox_id, case_id=case.id, actor=parsed.from_addr,
              message_id=parsed.message_id, auto=facts.auto.kind,
              reasons=list(facts.thread.reasons))

    acked = False
    if opened:
        recent = store.auto_replies_since(
            session, mailbox_id, facts.reply_to,
            store.period_start(now, app.config.limits.auto_reply_period_minutes),
        )
        decision = ack_decision(facts, recent, app.config.limits.auto_replies_per_sender)
        if decision.send:
            _queue_ack(session, app, mailbox_id, case, parsed, facts)
            acked = True
        store.log(session, "ack_queued" if acked else "ack_skipped", at=now,
                  mailbox_id=mailbox_id, case_id=case.id, reasons=list(decision.reasons))
    return Outcome("opened" if opened else "joined", case.id, acked,
                   facts.thread.reasons + facts.auto.reasons)


def _case_for(
    session: Session, mailbox_id: int, parsed: ParsedMail, facts: MailFacts, now
) -> tuple[Case, bool]:  # type: ignore[no-untyped-def]
    if facts.thread.case is not None:
        case = session.get(Case, facts.thread.case)
        if case is not None:
            case.updated_at = now
            session.add(case)
            return case, False
    case = Case(
        mailbox_id=mailbox_id,
        subject=parsed.subject[:2000],
        requester_addr=facts.reply_to,
        requester_name=parsed.from_name[:300],
        status="new",
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    session.flush()
    return case, True


def _store_message(
    session: Session, app: App, mailbox_id: int, case: Case, parsed: ParsedMail,
    facts: MailFacts, raw: bytes, source_key: str,
) -> Message:
    raw_row = store.store_raw(session, raw)
    message = Message(
        mailbox_id=mailbox_id,
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
        received_at=app.clock.now(),
        auto_kind=facts.auto.kind,
        body_text=parsed.text,
        new_text=facts.new_text,
        raw_id=raw_row.id,
        source_key=source_key,
    )
    session.add(message)
    session.flush()
    store.add_refs(session, message.id, parsed.thread_ids)
    for part in parsed.attachments:
        store.add_attachment(session, message.id, part.filename, part.content_type, part.data,
                             app.config.limits.max_attachment_bytes)
    return message


def _queue_ack(
    session: Session, app: App, mailbox_id: int, case: Case, parsed: ParsedMail,
    facts: MailFacts,
) -> None:
    now = app.clock.now()
    mail = ack_mail(app, case, parsed, facts.reply_to)
    session.add(
        Outbox(
            mailbox_id=mailbox_id, case_id=case.id, kind="ack", automatic=True,
            message_id=mail.message_id, mail_from=app.config.helpdesk.address,
            rcpt_to=facts.reply_to, raw=mail.raw, next_attempt_at=now, created_at=now,
        )
    )


def replay(app: App, quarantine_id: int) -> Outcome | None:
    """Process a quarantined mail again (after a fix); it stays held if it fails again."""
    from mailbot.models import Quarantine

    with db.session(app.engine) as session:
        held = session.get(Quarantine, quarantine_id)
        if held is None:
            return None
        if held.status == "replayed":
            return Outcome("already", reasons=("already replayed",))
        try:
            outcome = _record(session, app, held.mailbox_id, f"replay:{held.id}", held.raw)
        except Exception as exc:  # noqa: BLE001 — report, keep it held
            session.rollback()
            held = session.get(Quarantine, quarantine_id)
            assert held is not None
            held.reason = f"{type(exc).__name__}: {exc}"[:2000]
            session.add(held)
            session.commit()
            return Outcome("quarantined", reasons=(held.reason,))
        held.status, held.replayed_at = "replayed", app.clock.now()
        session.add(held)
        store.log(session, "quarantine_replayed", at=app.clock.now(), mailbox_id=held.mailbox_id,
                  case_id=outcome.case_id, quarantine_id=held.id)
        session.commit()
        return outcome
