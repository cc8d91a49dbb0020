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
