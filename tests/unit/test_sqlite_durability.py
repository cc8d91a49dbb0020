"""SQLite as mailbot opens it: a committed batch survives a power cut, so marking its mails
on the server afterwards loses nothing (synchronous=FULL syncs the WAL at each commit)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from mailbot.storage import db


def test_every_connection_syncs_its_commits(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'mailbot.sqlite3'}")
    try:
        for _ in range(2):  # a second connection of the pool is set up alike
            with engine.connect() as connection:
                assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
                assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
                assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            engine.dispose()
    finally:
        engine.dispose()


def _synchronous(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return connection.execute(text("PRAGMA synchronous")).scalar()


def test_outbox_bookkeeping_is_unsynced_and_the_pool_gets_full_back(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'mailbot.sqlite3'}")
    try:
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (x INTEGER)"))
        with db.resend_only(engine) as connection:
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            connection.execute(text("INSERT INTO t VALUES (1)"))
            connection.commit()
        assert _synchronous(engine) == 2  # the same pooled connection, FULL again
        try:
            with db.resend_only(engine) as connection:
                connection.execute(text("INSERT INTO t VALUES (2)"))
                raise RuntimeError("mid-transaction")
        except RuntimeError:
            pass
        assert _synchronous(engine) == 2
        with engine.connect() as connection:  # the failed one was rolled back, not kept
            assert connection.execute(text("SELECT x FROM t")).scalars().all() == [1]
    finally:
        engine.dispose()
