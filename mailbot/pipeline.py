"""One incoming mail, from raw bytes to a committed case: the heart of mailbot.

`ingest` runs one transaction per mail: parse, read the facts (flows/facts.py), let the
mail's flow make its plan (flows/choose.py), apply the plan (flows/apply.py), record the
ledger row. Everything the mail causes — the raw bytes, the
message, the case change, the acknowledgement in the outbox, the events and the ledger row —
is committed together or not at all. A mail that fails any step is rolled back and kept in
quarantine with the reason; the caller marks the mail on the server only after `ingest`
returns, so a crash at any point loses nothing and duplicates nothing.
"""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from mailbot.app import App
from mailbot.desk.casework import Tx
from mailbot.desk.decide import analyse, tagged_case
from mailbot.desk.plan import Outcome
from mailbot.desk.sender import identify
from mailbot.flows import Incoming, Situation
from mailbot.flows.apply import apply
from mailbot.flows.choose import plan_for
from mailbot.flows.facts import read_facts
from mailbot.reading.parsing import MailError, ParsedMail, parse
from mailbot.storage import db, store

__all__ = ["Outcome", "ingest", "replay"]


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

    mail = incoming(session, app, mailbox_id, parsed, raw, source_key)
    situation = Situation(mail, read_facts(session, app, mailbox_id, mail, now), app.config,
                          app.rules, now)
    tx = Tx(session, app, mailbox_id, now)
    return apply(tx, plan_for(situation), mail)


def incoming(session: Session, app: App, mailbox_id: int, parsed: ParsedMail, raw: bytes,
             source_key: str) -> Incoming:
    """What is known of a mail before its flow: its thread, new text, and who wrote it."""
    facts = analyse(parsed, app.config, store.thread_facts(
        session, mailbox_id, parsed.message_id, parsed.thread_ids,
        tagged_case(parsed, app.config)))
    sender = identify(parsed, facts.auto, app.rules.people, app.secret, app.clock.now(),
                      app.config.security.authserv_id)
    return Incoming(parsed, facts, sender, raw, source_key)


def replay(app: App, quarantine_id: int) -> Outcome | None:
    """Process a quarantined mail again (after a fix); it stays held if it fails again."""
    from mailbot.storage.models import Quarantine

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
