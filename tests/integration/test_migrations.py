"""The Alembic migrations build exactly the schema the models describe, on both databases,
so a model change without its migration fails here rather than in a school's database."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

from mailbot.storage import db, models  # noqa: F401 — registers every table


def _differences(url: str) -> list[object]:
    engine = db.make_engine(url)
    try:
        db.migrate(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def test_migrations_match_the_models(db_url: str) -> None:
    assert _differences(db_url) == []


def test_migrating_twice_changes_nothing(db_url: str) -> None:
    engine = db.make_engine(db_url)
    try:
        db.migrate(engine)
        db.migrate(engine)
    finally:
        engine.dispose()
    assert _differences(db_url) == []

