"""Shared pytest fixtures: real Dovecot, a real SMTP capture server, real databases.

``tests.servers`` is imported inside the fixtures so that unit-test runs, which never ask
for a server, do not pay for importing aiosmtpd, imapclient and psycopg2.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.servers import Dovecot, ImapAccount, SmtpCapture


@pytest.fixture(autouse=True)
def _root_logger_as_it_was() -> Iterator[None]:
    """A test that runs the command line in-process gets mailbot's stderr handler on the root
    logger (service/logs.setup), bound to that test's captured stderr, which pytest closes
    after it. Removed after the test, so that an SMTP server thread of a later test does not
    log into a closed file ("--- Logging error --- I/O operation on closed file")."""
    root = logging.getLogger()
    before, level = set(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in before and type(handler) is logging.StreamHandler:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """One Dovecot for the whole session; tests stay isolated through fresh accounts."""
    from tests.servers import Dovecot

    server = Dovecot().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def imap_account(dovecot: Dovecot) -> ImapAccount:
    """A fresh, empty mailbox on the session's Dovecot."""
    return dovecot.new_account()


@pytest.fixture
def smtp_server() -> Iterator[SmtpCapture]:
    """A fresh SMTP capture server per test: no message or failure leaks between tests."""
    from tests.servers import SmtpCapture

    server = SmtpCapture().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A new PostgreSQL database for this test, dropped afterwards; fails if PG is down."""
    from tests.servers import ServerError, temporary_postgres_database

    try:
        with temporary_postgres_database() as url:
            yield url
    except ServerError as error:  # PostgreSQL down or refusing: one clear line, no skip
        pytest.fail(str(error), pytrace=False)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """An SQLite file in the test's own temporary folder (not created yet)."""
    from tests.servers import sqlite_url as url_for

    return url_for(tmp_path / "mailbot.db")


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> str:
    """Run a storage test on both back ends: SQLite (the default) and PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(fixture))
