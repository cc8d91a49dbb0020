"""What several workers on one database rely on, in process: the mailbox lease (PostgreSQL
advisory lock), the periodic ledger under two workers at the same moment, and when a worker
with IDLE up still polls on its schedule."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import func, select

from mailbot import app as app_module
from mailbot import worker
from mailbot.adapters.clock import FixedClock
from mailbot.config import load
from mailbot.desk.casework import Tx
from mailbot.jobs import periodic
from mailbot.outgoing.replies import OutgoingMail
from mailbot.service import lease
from mailbot.storage import db
from mailbot.storage.models import Periodic
from tests.integration.conftest import write_config
from tests.integration.workers import questions

BOX = "help@school.example"


def test_one_worker_holds_a_mailbox_and_a_dead_holders_lease_is_free_at_once(
        postgres_url: str) -> None:
    db.migrate(first := db.make_engine(postgres_url))
    second, admin = db.make_engine(postgres_url), db.make_engine(postgres_url)
    try:
        a, b = lease.for_mailbox(first, BOX), lease.for_mailbox(second, BOX)
        assert a.held() and a.held(), "taken, and still ours at the next tick"
        assert not b.held(), "the other worker stands by"
        assert lease.for_mailbox(second, "other@school.example").held(), "per mailbox"

        assert isinstance(a, lease.AdvisoryLease) and a.connection is not None
        pid = a.connection.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as connection:  # the holder's session ends, as on SIGKILL
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            connection.commit()
            for _ in range(500):  # the signal is asynchronous: until the session is gone
                gone = connection.execute(text(
                    "SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": pid}).scalar()
                connection.commit()
                if gone:
                    break
                time.sleep(0.01)
        assert b.held(), "taken over at the next tick"
        with pytest.raises(SQLAlchemyError):
            a.held()  # the dead connection is noticed, not trusted
        assert not a.held()

        b.release()
        assert a.held(), "a clean stop hands the mailbox on at once"
        a.release()
    finally:
        for engine in (first, second, admin):
            engine.dispose()


def test_sqlite_has_no_lease(sqlite_url: str) -> None:
    engine = db.make_engine(sqlite_url)
    assert lease.for_mailbox(engine, BOX).held() and lease.for_mailbox(engine, BOX).held()
    engine.dispose()


def test_two_workers_making_one_periodic_mail_at_once_make_it_once(
        tmp_path: Path, db_url: str) -> None:
    config = load(write_config(tmp_path, db_url=db_url, rules=False))
    first = app_module.build(config, FixedClock())
    second = app_module.build(config, FixedClock())
    box = worker.mailbox_id(first)
    first_in, second_going = threading.Event(), threading.Event()
    made: list[str] = []
    results: dict[str, bool | BaseException] = {}

    def make_first(_tx: Tx) -> list[OutgoingMail]:
        made.append("first")
        first_in.set()  # the key is written, not committed: the second one starts now
        second_going.wait(10)
        time.sleep(0.3)  # let it reach its own insert, and wait there for this commit
        return []

    def make_second(_tx: Tx) -> list[OutgoingMail]:
        made.append("second")
        return []

    def run(name: str) -> None:
        try:
            if name == "second":
                first_in.wait(10)
                second_going.set()
            app, make = (first, make_first) if name == "first" else (second, make_second)
            results[name] = periodic.once(app, box, "sla_reminder", "case 1 helper", None, make)
        except BaseException as exc:  # noqa: BLE001 — the test reports it
            results[name] = exc

    threads = [threading.Thread(target=run, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    try:
        assert results == {"first": True, "second": False}, results
        assert made == ["first"], "the second worker wrote nothing of its own"
        with db.session(first.engine) as session:
            rows = session.exec(select(func.count()).select_from(Periodic).where(
                Periodic.kind == "sla_reminder")).one()
        assert rows == 1
    finally:
        first.engine.dispose()
        second.engine.dispose()


def test_with_idle_up_the_scheduled_poll_is_only_the_rescan(make_desk) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(rules=False)
    job, now = desk.worker, desk.clock.now()
    assert job.poll_due(now), "no IDLE: every tick polls"

    class Up:
        active = True

    job.idle = Up()  # type: ignore[assignment]
    assert job.poll_due(now), "IDLE up but no poll yet"
    desk.imap.append(questions(1)[0])
    assert job.poll_job(woken=True) is not None and job.last_poll is not None
    assert desk.smtp.wait_for(1), "the poll sent its acknowledgement at once"
    assert not job.poll_due(now), "IDLE wakes the worker; the schedule waits for the rescan"
    job.last_poll -= desk.config.worker.rescan_seconds
    assert job.poll_due(now), "the full re-scan is due"
    Up.active = False
    job.last_poll = None
    assert job.poll_due(now), "IDLE down: polling every tick again"
