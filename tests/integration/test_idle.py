"""IMAP IDLE through the real `mailbot run`, real Dovecot and a real SMTP server.

Every worker here polls and sends on a schedule of one hour: an acknowledgement that
arrives within the test's patience came through IDLE (and the send right after the poll's
commit), not through the schedule.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import func, select

from mailbot.storage import db
from mailbot.storage.models import Message
from tests.integration.workers import (
    WorkerProcess,
    acks_sent,
    answered_once,
    questions,
    wait_until,
    worker_config,
)
from tests.servers import Dovecot

HOURLY = "poll_seconds = 3600\nrescan_seconds = 3600\nsend_seconds = 3600\n"
UP = "new mail is taken the moment it arrives"


@pytest.fixture
def own_dovecot() -> Iterator[Dovecot]:
    """A Dovecot of this test's own, since the test kills it."""
    server = Dovecot().start()
    try:
        yield server
    finally:
        server.stop()


def test_an_append_wakes_the_worker_and_the_ack_goes_at_once(
        tmp_path: Path, sqlite_url: str, imap_account, smtp_server) -> None:  # type: ignore[no-untyped-def]
    config = worker_config(tmp_path, db_url=sqlite_url, imap=imap_account, smtp=smtp_server,
                           worker=HOURLY)
    worker = WorkerProcess(config, tmp_path / "worker.log").start()
    try:
        worker.wait_for_line(UP)
        for n in range(3):  # each one wakes the worker again
            imap_account.append(questions(1, start=n)[0])
            wait_until(lambda n=n: acks_sent(sqlite_url) == n + 1, 30, f"acknowledgement {n}")
        assert worker.terminate() == 0
    finally:
        worker.kill()
    answered_once(sqlite_url, imap_account, smtp_server,
                  {f"q{n}@mail.example" for n in range(3)})
    assert "poll: 1 new mail" in worker.log()


def test_idle_off_leaves_the_mail_to_the_scheduled_poll(
        tmp_path: Path, sqlite_url: str, imap_account, smtp_server) -> None:  # type: ignore[no-untyped-def]
    config = worker_config(tmp_path, db_url=sqlite_url, imap=imap_account, smtp=smtp_server,
                           worker="idle = false\npoll_seconds = 0.5\nsend_seconds = 3600\n")
    worker = WorkerProcess(config, tmp_path / "worker.log").start()
    try:
        worker.wait_for_line("started")
        imap_account.append(questions(1)[0])
        wait_until(lambda: acks_sent(sqlite_url) == 1, 30, "acknowledgement by polling")
        assert worker.terminate() == 0
    finally:
        worker.kill()
    assert UP not in worker.log()


def test_a_server_without_idle_is_polled_as_before(
        tmp_path: Path, sqlite_url: str, smtp_server) -> None:  # type: ignore[no-untyped-def]
    with Dovecot(extra_conf="protocol imap {\n  imap_capability = IMAP4rev1 UIDPLUS\n}\n") \
            as plain:
        imap = plain.new_account()
        config = worker_config(tmp_path, db_url=sqlite_url, imap=imap, smtp=smtp_server,
                               worker="poll_seconds = 0.5\nrescan_seconds = 3600\n")
        worker = WorkerProcess(config, tmp_path / "worker.log").start()
        try:
            worker.wait_for_line("does not offer IDLE")
            imap.append(questions(1)[0])
            wait_until(lambda: acks_sent(sqlite_url) == 1, 30, "acknowledgement by polling")
            assert worker.terminate() == 0
        finally:
            worker.kill()
    assert UP not in worker.log()


def _stored(url: str) -> int:
    engine = db.make_engine(url)
    try:
        with db.session(engine) as session:
            return int(session.exec(select(func.count()).select_from(Message)).one())
    except Exception:  # noqa: BLE001 — the schema may not exist yet
        return 0
    finally:
        engine.dispose()


def test_dovecot_killed_mid_idle_and_mid_poll_reconnects_and_loses_nothing(
        tmp_path: Path, db_url: str, own_dovecot: Dovecot, smtp_server) -> None:  # type: ignore[no-untyped-def]
    imap = own_dovecot.new_account()
    config = worker_config(tmp_path, db_url=db_url, imap=imap, smtp=smtp_server,
                           worker=HOURLY, mailbox="batch_size = 5")
    worker = WorkerProcess(config, tmp_path / "worker.log").start()
    backlog = 80
    try:
        worker.wait_for_line(UP)
        imap.append(questions(1)[0])
        wait_until(lambda: acks_sent(db_url) == 1, 30, "first acknowledgement")

        own_dovecot.kill()  # mid-IDLE: the worker only listens now
        time.sleep(1.0)
        own_dovecot.revive()
        worker.wait_for_line("back: " + UP, timeout=60)

        imap.append_many(questions(backlog, start=1))
        wait_until(lambda: _stored(db_url) >= 10, 60, "the poll under way")
        own_dovecot.kill()  # mid-poll: fetched, some recorded, few marked
        time.sleep(1.0)
        own_dovecot.revive()
        wait_until(lambda: acks_sent(db_url) == backlog + 1, 90, "every acknowledgement")
        assert worker.terminate() == 0
    finally:
        worker.kill()
    found = answered_once(db_url, imap, smtp_server,
                          {f"q{n}@mail.example" for n in range(backlog + 1)})
    print(f"sent twice: {found.duplicates}, interrupted sends logged: {found.interrupted}")
    assert worker.log().count("back: " + UP) >= 2
    assert "Traceback" not in worker.log()
