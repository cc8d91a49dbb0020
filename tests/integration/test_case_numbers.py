"""Case numbers count per mailbox (several schools in one database): the migration gives
existing cases their id as number, new cases take the next number of their own mailbox,
and on PostgreSQL two transactions opening cases in one mailbox at once never take the
same number."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text
from sqlmodel import Session

from mailbot.storage import db, store
from mailbot.storage.models import Case

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)


def _case(session: Session, box: int) -> Case:
    return store.open_case(session, box, {"subject": "x", "requester_addr": "a@mail.example",
                                          "status": "new", "created_at": NOW,
                                          "updated_at": NOW})


def test_the_migration_keeps_old_numbers_and_new_cases_count_per_mailbox(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        with db.migrations_folder() as location:
            command.upgrade(db.alembic_config(engine, location), "0005")
        with engine.begin() as connection:
            for box in ("help@a.example", "help@b.example"):
                connection.execute(text("INSERT INTO mailbox (name, last_uid) VALUES (:n, 0)"),
                                   {"n": box})
            for box in (1, 1, 2):
                connection.execute(text(
                    'INSERT INTO "case" (mailbox_id, subject, requester_addr, requester_name, '
                    "status, created_at, updated_at) VALUES (:box, 's', 'a@mail.example', '', "
                    "'new', :now, :now)"), {"box": box, "now": NOW})
        db.migrate(engine)
        with db.session(engine) as session:
            old = {c.id: (c.mailbox_id, c.number) for c in store.cases(session)}
            assert old == {1: (1, 1), 2: (1, 2), 3: (2, 3)}  # tags already sent stay valid
            assert (_case(session, 1).number, _case(session, 2).number) == (3, 4)
            session.commit()
            assert store.case_by_number(session, 2, 4) is not None
            assert store.case_by_number(session, 1, 4) is None
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
        taken = _case(first, box)  # holds the mailbox's number lock until it commits
        got: list[int] = []

        def second() -> None:
            with db.session(engine) as session:
                got.append(_case(session, box).number or 0)
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
