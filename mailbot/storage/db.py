"""The database adapter: engine, sessions and schema migrations.

Nothing here runs at import time; `main` builds one engine from the configuration and
passes it down. The schema is owned by Alembic migrations (mailbot/storage/migrations, package
data read through importlib.resources), applied on every start, so an upgrade never loses
data.

On SQLite the migrations run on a connection of their own in one real transaction: the
pysqlite driver would otherwise commit before every DDL statement, and a worker killed
between the steps of a batch migration (copy a table to `_alembic_tmp_<name>`, drop the old
one, rename) left a half-done schema that the next start could not migrate.

On PostgreSQL several workers may start together on one database: the migration runs under
a session-level advisory lock (`schema_lock`), and whoever gets it second finds nothing left
to do. Without it the second worker died on its own CREATE TABLE («duplicate key value
violates unique constraint "pg_type_typname_nsp_index"»). On SQLite the migration's
BEGIN IMMEDIATE already lets one process in at a time.
"""

from __future__ import annotations

import ast
import hashlib
import logging
import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, create_engine

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

_TMP_PREFIX = "_alembic_tmp_"
log = logging.getLogger("mailbot")


class DatabaseError(Exception):
    """The database cannot be reached or upgraded; phrased as one line."""


def make_engine(url: str, *, create_folder: bool = True, lock_timeout: float = 30) -> Engine:
    """An engine for `url`; for SQLite the file's folder is made unless told not to.
    `lock_timeout`: seconds to wait for a lock another process holds, then fail."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if create_folder and path and path != ":memory:":
            try:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(f"database {url}: cannot create the folder "
                                    f"{Path(path).parent}: {exc.strerror or exc}") from None
        engine = create_engine(url, connect_args={"timeout": lock_timeout})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, connect_args=_pg_timeout(url, lock_timeout))


def _pg_timeout(url: str, seconds: float) -> dict[str, str]:
    if not url.startswith("postgresql"):
        return {}
    return {"options": f"-c lock_timeout={int(seconds * 1000)}"}


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the CLI read while the worker writes; foreign keys are off by default.
    # FULL: a commit is on disk before mailbot marks its mails on the server. With NORMAL a
    # power cut could undo the last batches after their mails were marked read, losing them.
    # It costs a sync of the WAL per commit, once per batch of mail (PostgreSQL syncs each
    # commit too); the outbox's commit per mail sent is spared it (`resend_only`).
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_transactional_ddl(engine: Engine) -> None:
    """SQLAlchemy's documented pysqlite recipe: let SQLAlchemy, not the driver, begin the
    transaction, so DDL takes part in it. Foreign keys are off while tables are rebuilt
    (batch mode copies and drops them), as Alembic advises."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config(engine: Engine, location: Path) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(location))
    cfg.attributes["engine"] = engine
    return cfg


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, the same in every process and
    version (Python's hash() is salted per process)."""
    digest = hashlib.sha256(f"mailbot {name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


SCHEMA_LOCK = advisory_key("schema")


@contextmanager
def schema_lock(engine: Engine, lock_timeout: float = 30) -> Iterator[None]:
    """Only one process at a time changes the schema (PostgreSQL; elsewhere a no-op): a
    session-level advisory lock on a connection of its own, waited for at most
    `lock_timeout` seconds, and freed by PostgreSQL itself if the holder dies."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"SET lock_timeout = {int(lock_timeout * 1000)}"))
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": SCHEMA_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEMA_LOCK})


def migrate(engine: Engine, lock_timeout: float = 30) -> None:
    """Bring the schema to the newest revision, all of it or nothing, once however many
    workers start together."""
    url = engine.url.render_as_string()
    try:
        todo = pending(engine)
        if not todo:
            return
        with schema_lock(engine, lock_timeout):
            if engine.dialect.name == "postgresql":
                todo = pending(engine)  # another worker may have migrated meanwhile
            if not todo:
                return
            _upgrade(engine, lock_timeout)
    except SQLAlchemyError as exc:
        raise DatabaseError(f"database {url}: {short_error(exc)}") from None
    log.info("database schema upgraded to %s (%d migration(s))", todo[-1], len(todo))


def _upgrade(engine: Engine, lock_timeout: float) -> None:
    migrating = engine
    if engine.dialect.name == "sqlite":
        migrating = create_engine(engine.url, connect_args={"timeout": lock_timeout})
        event.listen(migrating, "connect", _sqlite_pragmas)
        _sqlite_transactional_ddl(migrating)
    try:
        if migrating is not engine:
            _recover_batch_leftovers(migrating)
        from alembic import command

        with migrations_folder() as location:
            command.upgrade(alembic_config(migrating, location), "head")
    finally:
        if migrating is not engine:
            migrating.dispose()


def migrations_folder() -> AbstractContextManager[Path]:
    return resources.as_file(resources.files("mailbot.storage") / "migrations")


def pending(engine: Engine) -> list[str]:
    """The revisions the database still lacks, oldest first (read-only; [] when current).
    Raises SQLAlchemyError when the database cannot be read.

    A database at the head revision of the migration files (every start but the first
    after an upgrade) is known so with one query, without importing Alembic (a tenth of a
    second of every start); any other answer is Alembic's own.
    """
    head = head_revision()
    if head is not None and stored_revisions(engine) == {head}:
        return []
    return _pending_by_alembic(engine)


def _pending_by_alembic(engine: Engine) -> list[str]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with migrations_folder() as location:
        script = ScriptDirectory.from_config(alembic_config(engine, location))
        with engine.connect() as connection:
            current = set(MigrationContext.configure(connection).get_current_heads())
        if not current:
            return [rev.revision for rev in reversed(list(script.walk_revisions()))]
        upper = script.get_current_head()
        todo = [rev.revision for rev in script.iterate_revisions(upper, tuple(current))
                if rev.revision not in current]
    return list(reversed(todo))


def stored_revisions(engine: Engine) -> set[str]:
    """The revisions Alembic recorded in the database (none before the first migration)."""
    with engine.connect() as connection:
        if not inspect(connection).has_table(_VERSION_TABLE):
            return set()
        rows = connection.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}"))
        return {row[0] for row in rows}


_VERSION_TABLE = "alembic_version"
_HEADER_RE = re.compile(r"^(revision|down_revision|branch_labels|depends_on)\s*=\s*(.+?)\s*$",
                        re.MULTILINE)


def head_revision() -> str | None:
    """The newest revision the migration files name, read from their text; None unless
    they are one plain line of revisions (each file one revision with one parent, no branch
    labels, no dependencies), when only Alembic can say."""
    parents: dict[str, str | None] = {}
    with migrations_folder() as location:
        for path in (location / "versions").glob("*.py"):
            if path.name.startswith((".", "__init__")):
                continue  # Alembic skips these too
            header = _revision_header(path.read_text(encoding="utf-8"))
            if header is None or header[0] in parents:
                return None
            parents[header[0]] = header[1]
    roots = [rev for rev, parent in parents.items() if parent is None]
    heads = set(parents) - set(parents.values())
    if len(roots) != 1 or len(heads) != 1 or any(
            parent is not None and parent not in parents for parent in parents.values()):
        return None
    return heads.pop()


def _revision_header(source: str) -> tuple[str, str | None] | None:
    """(revision, down_revision) of one migration file, or None when it is not that simple."""
    values: dict[str, object] = {}
    for key, value in _HEADER_RE.findall(source):
        if key in values:
            return None
        try:
            values[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return None
    revision, parent = values.get("revision"), values.get("down_revision", ...)
    if (not isinstance(revision, str) or not (parent is None or isinstance(parent, str))
            or values.get("branch_labels") is not None or values.get("depends_on") is not None):
        return None
    return revision, parent


def read_only_engine(url: str, lock_timeout: float = 5) -> Engine | None:
    """An engine that cannot change the database, for `mailbot check` and `status`: SQLite
    is opened read-only (None when the file does not exist yet)."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, connect_args=_pg_timeout(url, lock_timeout))
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:" or not Path(path).is_file():
        return None
    return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true",
                         connect_args={"timeout": lock_timeout})


def _recover_batch_leftovers(engine: Engine) -> None:
    """A database left by a worker killed inside a batch migration of an older mailbot
    (before the migrations were one transaction): finish or undo the table swap."""
    with engine.begin() as connection:
        names = set(inspect(connection).get_table_names())
        for leftover in sorted(n for n in names if n.startswith(_TMP_PREFIX)):
            table = leftover.removeprefix(_TMP_PREFIX)
            if table in names:  # the copy was not swapped in: the old table is whole
                connection.execute(text(f'DROP TABLE "{leftover}"'))
            else:  # the old table was dropped after the copy was complete
                connection.execute(text(f'ALTER TABLE "{leftover}" RENAME TO "{table}"'))


@contextmanager
def resend_only(engine: Engine) -> Iterator[Connection]:
    """A connection for bookkeeping whose loss could at worst send a mail again: the
    outbox's claims and settles, a commit per mail sent. On SQLite its commits are not
    synced (synchronous=NORMAL): a killed worker still loses none of them, and a power cut
    may undo the last few, which only sends those mails again, as after a kill between the
    server's answer and the settle (the outbox's one window for a double). What a mail's
    case depends on stays FULL (`_sqlite_pragmas`), and so does the connection when it goes
    back to the pool. The caller commits, as with `engine.connect()`."""
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            yield connection
            return
        # SQLite refuses to change the safety level inside a transaction: set it before the
        # first statement, and restore it after the transaction is over, whatever happened.
        # On the driver's connection: a pragma begins no transaction there, and SQLAlchemy's
        # way round costs more than the commit it spares the sync of.
        driver = connection.connection.dbapi_connection
        assert driver is not None
        driver.execute("PRAGMA synchronous=NORMAL")
        try:
            yield connection
        finally:
            try:
                connection.rollback()  # nothing left after the caller's commit
                driver.execute("PRAGMA synchronous=FULL")
            except Exception:
                connection.invalidate()  # closed, never pooled with NORMAL
                raise


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)


def short_error(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
