"""A worker killed inside its first migration on SQLite leaves nothing half-done.

The batch migration of 0002 copies `case` into `_alembic_tmp_case`, drops the old table and
renames the copy; a kill between those steps used to leave the copy behind, and the next
start failed with «table _alembic_tmp_case already exists».
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlmodel import SQLModel

from mailbot.storage import db, models  # noqa: F401 — registers every table

KILL_INSIDE_BATCH = """
import os, signal, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
from mailbot.storage import db

def kill(conn, cursor, statement, *args):
    if statement.lstrip().upper().startswith("INSERT INTO _ALEMBIC_TMP_CASE"):
        os.kill(os.getpid(), signal.SIGKILL)

event.listen(Engine, "after_cursor_execute", kill)
db.migrate(db.make_engine(sys.argv[1]))
"""


def _tables(url: str) -> set[str]:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return set(inspect(connection).get_table_names())
    finally:
        engine.dispose()


def _migrates_cleanly(url: str) -> None:
    engine = db.make_engine(url)
    try:
        db.migrate(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            assert list(compare_metadata(context, SQLModel.metadata)) == []
    finally:
        engine.dispose()


def test_killed_inside_the_batch_migration_the_next_start_migrates(sqlite_url: str) -> None:
    killed = subprocess.run([sys.executable, "-c", KILL_INSIDE_BATCH, sqlite_url],
                            capture_output=True, text=True, timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert "_alembic_tmp_case" not in _tables(sqlite_url), "the kill rolled everything back"
    _migrates_cleanly(sqlite_url)
    assert db.pending(db.make_engine(sqlite_url)) == []


def test_a_leftover_of_an_older_mailbot_is_cleaned_up(sqlite_url: str,
                                                      tmp_path: Path) -> None:
    """A database an older, non-transactional mailbot left: 0001 applied, the copy made."""
    engine = db.make_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) "
                                "NOT NULL PRIMARY KEY)"))
    engine.dispose()
    from alembic import command

    with db.migrations_folder() as location:  # bring it to 0001 the old way
        command.upgrade(db.alembic_config(db.make_engine(sqlite_url), location), "0001")
    engine = db.make_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(text('CREATE TABLE "_alembic_tmp_case" (id INTEGER)'))
    engine.dispose()
    _migrates_cleanly(sqlite_url)
    assert "_alembic_tmp_case" not in _tables(sqlite_url)
