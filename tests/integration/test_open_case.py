"""store.open_case writes a new case in one INSERT ... RETURNING (its number a subquery):
the case it gives back is the session's own object, with the columns a Case built and
flushed would have; numbers count per mailbox; and on PostgreSQL two transactions opening
cases in one mailbox at once still never take the same number (the same lock as
next_case_number)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import text
from sqlmodel import select

from mailbot.storage import db, store
from mailbot.storage.models import Case

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
FIELDS = {"subject": "x", "requester_addr": "a@mail.example", "status": "new",
          "created_at": NOW, "updated_at": NOW}


def test_an_opened_case_is_the_sessions_object_with_the_usual_columns(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.migrate(engine)
    try:
        with db.session(engine) as session:
            one, two = (store.mailbox(session, f"help@{x}.example").id for x in "ab")
            built = Case(mailbox_id=one, number=1, **FIELDS)
            session.add(built)
            session.flush()
            opened = [store.open_case(session, box, FIELDS) for box in (one, two, one)]
            assert [c.number for c in opened] == [2, 1, 3]
            assert session.get(Case, opened[0].id) is opened[0]
            columns = set(Case.model_fields) - {"id", "number", "mailbox_id"}
            assert {k: getattr(opened[2], k) for k in columns} == {
                k: getattr(built, k) for k in columns}
            opened[0].status = "assigned"  # a later Set step: written at the flush
            session.commit()
        with db.session(engine) as session:
            rows = session.exec(select(Case.mailbox_id, Case.number, Case.status)
                                .order_by(Case.id)).all()
            assert [tuple(r) for r in rows] == [
                (one, 1, "new"), (one, 2, "assigned"), (two, 1, "new"), (one, 3, "new")]
    finally:
        engine.dispose()


def test_two_transactions_never_take_one_number(postgres_url: str) -> None:
    engine = db.make_engine(postgres_url)
    db.migrate(engine)
    try:
        with db.session(engine) as session:
            box = store.mailbox(session, "help@a.example").id
            session.commit()
        first = db.session(engine)
        taken = store.open_case(first, box, FIELDS)  # holds the mailbox's number lock
        got: list[int] = []

        def second() -> None:
            with db.session(engine) as session:
                got.append(store.open_case(session, box, FIELDS).number or 0)
                session.commit()

        thread = threading.Thread(target=second)
        thread.start()
        give_up = time.monotonic() + 30  # a guard only: the assertion below decides
        with engine.connect() as watcher:  # wait until the second one waits for the lock
            while thread.is_alive() and time.monotonic() < give_up and not watcher.execute(
                    text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                         "AND NOT granted")).scalar():
                watcher.rollback()
                time.sleep(0.01)
        first.commit()
        first.close()
        thread.join(timeout=30)
        assert (taken.number, got) == (1, [2])
    finally:
        engine.dispose()
