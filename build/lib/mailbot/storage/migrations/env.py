"""Alembic environment: the engine is handed in by mailbot.storage.db.migrate, never built here."""

from alembic import context
from sqlmodel import SQLModel

from mailbot.storage import models  # noqa: F401  (registers the tables)

target_metadata = SQLModel.metadata
engine = context.config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
