"""Incoming mail, from raw bytes to committed cases: the heart of mailbot.

`ingest_batch` records one fetched batch of mails in ONE transaction, each mail inside a
savepoint of its own: parse, read the facts (flows/facts.py), let the mail's flow make its
plan (flows/choose.py), apply the plan (flows/apply.py), record the ledger row. Everything
a mail causes — the raw bytes, the message, the case change, the acknowledgement in the
outbox, the events and the ledger row — is kept together or not at all: a mail that fails
any step is rolled back to its savepoint and kept in quarantine with the reason (its
quarantine row in the same transaction), and the others of the batch stay. The batch
commits once; the caller marks its mails on the server only after that, so a crash at any
point loses nothing (the next poll sees the mails again) and duplicates nothing (the ledger
and the Message-ID). A mail later in a batch sees the rows of the earlier ones: a reply
threads to the mail it answers, a second copy of a Message-ID is a duplicate.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session

from mailbot.app import App
from mailbot.desk.casework import Tx
from mailbot.desk.decide import analyse, tagged_case
from mailbot.desk.plan import Outcome
from mailbot.desk.sender import identify
from mailbot.desk.threads import ThreadFacts
from mailbot.flows import Incoming, Situation
from mailbot.flows.apply import apply
from mailbot.flows.choose import plan_for
from mailbot.flows.facts import read_facts
from mailbot.reading.parsing import MailError, ParsedMail, parse
from mailbot.storage import db, store

__all__ = ["Outcome", "ingest", "ingest_batch", "replay"]


Each = Callable[[str, Outcome], None]


def ingest(app: App, mailbox_id: int, source_key: str, raw: bytes) -> Outcome:
    """Record one server message; safe to call again for the same key."""
    return ingest_batch(app, mailbox_id, [(source_key, raw)])[0][1]


def ingest_batch(app: App, mailbox_id: int, mails: Sequence[tuple[str, bytes]], *,
                 each: Each | None = None, stop: threading.Event | None = None,
                 ) -> list[tuple[str, Outcome]]:
    """Record server messages in one transaction, a savepoint each; safe to call again.

    Returns the (key, outcome) of the mails dealt with, in order: all of them, or those
    before a stop was asked for (the rest are left for the next poll). `each` hears of every
    mail as it is done (counts, a progress bar). An OperationalError (the database itself is
    unwell) rolls back the whole batch and is raised: nothing may be marked.
    """
    done: list[tuple[str, Outcome]] = []
    with db.session(app.engine) as session:
        _begin(session)
        already = store.ingested(session, mailbox_id, [key for key, _raw in mails])
        for key, raw in mails:
            if key in already:
                outcome = Outcome("already")
            else:
                outcome = _one(session, app, mailbox_id, key, raw)
                already.add(key)  # the same key twice in a batch is recorded once
            done.append((key, outcome))
            if each is not None:
                each(key, outcome)
            if stop is not None and stop.is_set():
                break
        session.commit()
    return done


def _begin(session: Session) -> None:
    """Open the transaction for real before the first savepoint. The pysqlite driver
    begins one only before a write, so a SAVEPOINT would open a transaction of its own
    that its RELEASE commits; BEGIN IMMEDIATE also takes SQLite's write lock now (waiting
    for it as long as the engine's timeout), rather than failing to upgrade a read later."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    driver = connection.connection.dbapi_connection
    if driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def _one(session: Session, app: App, mailbox_id: int, key: str, raw: bytes) -> Outcome:
    """One mail in a savepoint of the batch; a failure is rolled back to the savepoint and
    the mail quarantined, in the batch's transaction."""
    for attempt in (1, 2):
        savepoint = session.begin_nested()
        try:
            outcome = _record(session, app, mailbox_id, key, raw)
            session.flush()  # a refused row fails here, inside this mail's savepoint
            savepoint.commit()
            return outcome
        except IntegrityError:
            # Another worker recorded the same key or Message-ID first: look again.
            savepoint.rollback()
            if store.ingested(session, mailbox_id, [key]):
                return Outcome("already")
            if attempt == 2:
                reason = "conflicting record"
        except OperationalError:
            raise  # the database itself is unwell: the whole batch is rolled back
        except MailError as exc:
            savepoint.rollback()
            reason = f"unusable mail: {exc}"
            break
        except Exception as exc:  # noqa: BLE001 — any bug in one mail must not stop the batch
            savepoint.rollback()
            reason = f"{type(exc).__name__}: {exc}"
            break
    return _quarantine(session, app, mailbox_id, key, raw, reason)


def _quarantine(session: Session, app: App, mailbox_id: int, key: str, raw: bytes,
                reason: str) -> Outcome:
    with session.begin_nested():
        store.quarantine(session, mailbox_id, key, raw, reason, app.clock.now())
    return Outcome("quarantined", reasons=(reason,))


def _record(
    session: Session, app: App, mailbox_id: int, source_key: str, raw: bytes
) -> Outcome:
    now = app.clock.now()
    parsed = parse(raw)
    # The stored copy of its Message-ID and its thread's facts, read together.
    existing, thread = store.arrival(session, mailbox_id, parsed.message_id, parsed.thread_ids,
                                     tagged_case(parsed, app.config))
    if existing is not None:
        pk, case_id = existing
        store.record_ingested(session, mailbox_id, source_key, "duplicate", now, pk)
        store.log(session, "duplicate", at=now, mailbox_id=mailbox_id, case_id=case_id,
                  message_id=parsed.message_id, source=source_key)
        return Outcome("duplicate", case_id, reasons=("Message-ID already stored",))

    mail = incoming(session, app, mailbox_id, parsed, raw, source_key, thread)
    situation = Situation(mail, read_facts(session, app, mailbox_id, mail, now), app.config,
                          app.rules, now)
    tx = Tx(session, app, mailbox_id, now)
    return apply(tx, plan_for(situation), mail)


def incoming(session: Session, app: App, mailbox_id: int, parsed: ParsedMail, raw: bytes,
             source_key: str, thread: ThreadFacts | None = None) -> Incoming:
    """What is known of a mail before its flow: its thread, new text, and who wrote it.
    `thread`: its ThreadFacts when the caller has read them already (store.arrival)."""
    if thread is None:
        thread = store.thread_facts(session, mailbox_id, parsed.message_id, parsed.thread_ids,
                                    tagged_case(parsed, app.config))
    facts = analyse(parsed, app.config, thread)
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
