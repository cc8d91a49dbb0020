"""One worker at a time polls a mailbox: a PostgreSQL advisory lock held for the poller's life.

Several workers may share one PostgreSQL database, on one machine or several. Each holds a
connection of its own and asks `pg_try_advisory_lock(key)` with a key derived from the
mailbox name; the one that gets it polls, the others skip polling that mailbox and ask again
on their next tick. The lock belongs to the database session, so a worker that dies (even
SIGKILL) frees it the moment its connection closes, and another worker takes over on its
next tick. The connection asks the server for TCP keepalives every few seconds, so a worker
whose machine vanished without closing its connection loses the lock within about
`KEEPALIVE_IDLE + KEEPALIVE_INTERVAL * KEEPALIVE_COUNT` seconds rather than hours.

The lock only saves work: correctness never rests on it. The ledger's unique key makes a
mail polled by two workers at once recorded once all the same (pipeline.ingest).

On SQLite one process writes at a time anyway and all workers share one machine: there is
no lease (`held` is always true), and two workers on one SQLite file simply take turns.
"""

from __future__ import annotations

import logging
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from mailbot.storage import db

log = logging.getLogger("mailbot")

KEEPALIVE_IDLE, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT = 5, 2, 3


class Lease(Protocol):
    holding: bool  # as of the last `held()`: this worker polls the mailbox

    def held(self) -> bool: ...

    def release(self) -> None: ...


class NoLease:
    """SQLite: every worker may poll (the database lets one write at a time)."""

    holding = True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        return None


class AdvisoryLease:
    """The right to poll one mailbox, as a session-level PostgreSQL advisory lock."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine, self.name = engine, name
        self.key = db.advisory_key(f"mailbox {name}")
        self.connection: Connection | None = None
        self.holding = False
        self.told_waiting = False

    def held(self) -> bool:
        """True if this worker may poll now: the lock is ours (checked to be still alive) or
        was just taken. Raises SQLAlchemyError when the database cannot be reached."""
        try:
            if self.holding:
                self._alive()
                return True
            return self._take()
        except SQLAlchemyError:
            self._drop()
            raise

    def _alive(self) -> None:
        assert self.connection is not None
        self.connection.execute(text("SELECT 1"))

    def _take(self) -> bool:
        if self.connection is None:
            self.connection = self.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT")
            self.connection.execute(text(
                f"SET tcp_keepalives_idle = {KEEPALIVE_IDLE}; "
                f"SET tcp_keepalives_interval = {KEEPALIVE_INTERVAL}; "
                f"SET tcp_keepalives_count = {KEEPALIVE_COUNT}"))
        got = self.connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                      {"key": self.key}).scalar()
        self.holding = bool(got)
        if self.holding:
            log.info("mailbox %s: this worker polls it now", self.name)
            self.told_waiting = False
        elif not self.told_waiting:
            log.info("mailbox %s: another worker polls it; this one stands by", self.name)
            self.told_waiting = True
        return self.holding

    def _drop(self) -> None:
        connection, self.connection, self.holding = self.connection, None, False
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except SQLAlchemyError:
                pass

    def release(self) -> None:
        """Give the mailbox up (a clean stop): the next worker's tick takes it at once."""
        if self.connection is not None and self.holding:
            try:
                self.connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                        {"key": self.key})
            except SQLAlchemyError:
                pass
        if self.connection is not None:
            try:
                self.connection.close()
            except SQLAlchemyError:
                pass
        self.connection, self.holding = None, False


def for_mailbox(engine: Engine, name: str) -> Lease:
    """The lease a worker needs before polling mailbox `name` on this database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLease(engine, name)
    return NoLease()
