"""The start-up check «is the schema at head?» answers as Alembic does, without Alembic
when the database is current (db.pending's quick path)."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from mailbot.storage import db


def _alembic_head() -> str | None:
    engine = db.make_engine("sqlite://")
    with db.migrations_folder() as location:
        return ScriptDirectory.from_config(db.alembic_config(engine, location)).get_current_head()


def test_head_read_from_the_files_is_alembics_head() -> None:
    assert db.head_revision() == _alembic_head()


def test_pending_on_new_half_and_current_databases(tmp_path: Path) -> None:
    engine = db.make_engine(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    everything = db._pending_by_alembic(engine)
    assert everything and db.pending(engine) == everything
    assert db.stored_revisions(engine) == set()
    db.migrate(engine)
    assert db.stored_revisions(engine) == {db.head_revision()}
    assert db.pending(engine) == [] == db._pending_by_alembic(engine)
    with engine.begin() as connection:  # as if the last migration were new
        connection.exec_driver_sql("UPDATE alembic_version SET version_num = :v",
                                   (everything[-2],))
    assert db.pending(engine) == [everything[-1]] == db._pending_by_alembic(engine)


@pytest.mark.parametrize("header", [
    'revision = "0002"\ndown_revision = ("0001", "0003")\n',  # a merge
    'revision = "0002"\ndown_revision = "0001"\nbranch_labels = ("x",)\n',
    'revision = "0002"\ndown_revision = "0001"\ndepends_on = "0009"\n',
    'revision = "0002"\n',  # no parent named
    'revision = REV\ndown_revision = "0001"\n',  # not a literal
    'revision = "0002"\nrevision = "0003"\ndown_revision = "0001"\n',
])
def test_anything_but_a_plain_header_is_left_to_alembic(header: str) -> None:
    assert db._revision_header(header) is None


def test_plain_header() -> None:
    assert db._revision_header("revision = '0002'\ndown_revision = '0001'\n"
                               "branch_labels = None\ndepends_on = None\n") == ("0002", "0001")
    assert db._revision_header('revision = "0001"\ndown_revision = None\n') == ("0001", None)
