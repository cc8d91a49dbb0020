"""Outages the help desk must survive without failing, losing or doubling mail (issue 14).

Real servers throughout: the SMTP capture stopped in the middle of a backlog and started
again on the same port, PostgreSQL connections cut with pg_terminate_backend, an SQLite file
opened read-only. After each, every mail is answered exactly once and nothing is stuck; the
log says so in two lines (down, back), never a traceback.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import psycopg2
import pytest
from sqlalchemy import create_engine, event, text
from sqlmodel import func, select

from mailbot import app as app_module
from mailbot import cli, worker
from mailbot.adapters import connectors
from mailbot.adapters.clock import FixedClock, local_text
from mailbot.adapters.transport import Item, OnResult, Result, Transport
from mailbot.config import load
from mailbot.outgoing import outbox
from mailbot.storage import db
from mailbot.storage.models import Event, Outbox
from tests.integration.conftest import Desk, write_config
from tests.mailfactory import make_mail


def requests(count: int, first: int = 0) -> list[bytes]:
    """New questions from different parents (the auto-reply cap counts per sender)."""
    return [make_mail(subject=f"Вопрос {n}", sender=(f"Родитель {n}", f"parent{n}@mail.example"),
                      message_id=f"req{n}@mail.example") for n in range(first, first + count)]


def rows(desk: Desk | app_module.App) -> list[Outbox]:
    engine = desk.app.engine if isinstance(desk, Desk) else desk.engine
    with db.session(engine) as session:
        return list(session.exec(select(Outbox).order_by(Outbox.id)).all())


def assert_each_sent_once(desk: Desk, acks: int) -> None:
    """Every row sent, every row delivered once; one acknowledgement per request."""
    found = rows(desk)
    assert [r.status for r in found] == ["sent"] * len(found)
    assert len([r for r in found if r.kind == "ack"]) == acks
    delivered = Counter(m.message["Message-ID"].strip() for m in desk.smtp.messages)
    assert set(delivered) == {f"<{r.message_id}>" for r in found}
    assert max(delivered.values()) == 1, [k for k, n in delivered.items() if n > 1]


def warnings(caplog: pytest.LogCaptureFixture, start: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.levelno == logging.WARNING and r.getMessage().startswith(start)]


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    assert not [r.getMessage() for r in caplog.records if r.exc_info]


class StopsTheServer:
    """The real transport, and the SMTP server goes down the moment it has accepted
    `after` mails: the connection drops in the middle of a batch."""

    def __init__(self, inner: Transport, smtp: object, after: int) -> None:
        self.inner, self.smtp, self.after = inner, smtp, after
        self.description = inner.description
        self.accepted = 0

    def send(self, items: list[Item], on_result: OnResult) -> None:
        def seen(item: Item, result: Result) -> None:
            on_result(item, result)
            if result.status == "sent":
                self.accepted += 1
                if self.accepted == self.after:
                    self.smtp.stop()  # type: ignore[attr-defined]
        self.inner.send(items, seen)

    def check(self) -> str:
        return self.inner.check()


# ------------------------------------------------------------------------- the SMTP server


def test_smtp_down_mid_backlog_fails_nothing_and_sends_each_once(
        make_desk: Callable[..., Desk], caplog: pytest.LogCaptureFixture) -> None:
    desk = make_desk(rules=False)
    desk.imap.append_many(requests(30))
    assert desk.poll().acks == 30
    inner = desk.worker.transport.inner
    desk.worker.transport.inner = StopsTheServer(inner, desk.smtp, after=7)
    caplog.set_level(logging.INFO, logger="mailbot")

    first = desk.worker.send_job()
    assert first is not None and (first.sent, first.failed) == (7, 0) and first.unreachable
    # Ten hours of outage: more tries than max_attempts, every one of them unanswered.
    for _ in range(20):
        desk.clock.advance(minutes=30)
        report = desk.worker.send_job()
        assert report is not None and report.sent == report.failed == 0
    waiting = [r for r in rows(desk) if r.status != "sent"]
    assert len(waiting) == 23 and {r.status for r in waiting} == {"pending"}
    assert {r.attempts for r in waiting} == {0}, "no answer, no attempt used up"
    assert waiting[0].last_error.startswith("SMTP 127.0.0.1:")

    desk.smtp.restart()
    desk.worker.transport.inner = inner
    desk.clock.advance(minutes=30)
    report = desk.worker.send_job()
    assert report is not None and (report.sent, report.failed) == (23, 0)
    assert_each_sent_once(desk, acks=30)
    assert {r.attempts for r in rows(desk)} == {1}
    assert len(warnings(caplog, "outgoing mail unreachable: SMTP 127.0.0.1:")) == 1
    assert len(warnings(caplog, "outgoing mail is back after 630 min")) == 1
    no_tracebacks(caplog)


def test_the_servers_answers_count_4xx_retried_5xx_permanent(
        make_desk: Callable[..., Desk]) -> None:
    desk = make_desk(rules=False)
    desk.imap.append_many(requests(1))
    desk.poll()
    max_attempts = desk.config.worker.max_attempts
    desk.smtp.fail_next(max_attempts - 1, code=451, text="Greylisted, try later")
    for tries in range(1, max_attempts):
        report = desk.send()
        [row] = rows(desk)
        assert (report.retrying, row.status, row.attempts) == (1, "pending", tries)
        assert "451" in row.last_error
        assert desk.send().retrying == 0, "not before its delay"
        desk.clock.advance(seconds=desk.config.worker.retry_delays[-1] + 1)
    assert desk.send().sent == 1 and rows(desk)[0].attempts == max_attempts
    assert desk.smtp.data_attempts == max_attempts

    desk.smtp.clear()
    desk.smtp.fail_next(max_attempts, code=452, text="Mailbox busy")
    desk.imap.append_many(requests(1, first=1))
    desk.poll()
    for _ in range(max_attempts):
        desk.send()
        desk.clock.advance(seconds=desk.config.worker.retry_delays[-1] + 1)
    assert (rows(desk)[1].status, rows(desk)[1].attempts) == ("failed", max_attempts)

    desk.smtp.fail_next(1, code=554, text="Message rejected as spam")
    desk.imap.append_many(requests(1, first=2))
    desk.poll()
    assert desk.send().failed == 1
    row = rows(desk)[2]
    assert (row.status, row.attempts) == ("failed", 1) and "554" in row.last_error
    with db.session(desk.app.engine) as session:
        failed = session.exec(select(Event).where(Event.kind == "send_failed")).all()
    assert len(failed) == 2


# ------------------------------------------------------------------- `mailbot outbox`


def test_outbox_lists_waiting_and_failed_mail_and_retry_requeues_it(
        tmp_path: Path, sqlite_url: str, imap_account, smtp_server,  # type: ignore[no-untyped-def]
        capsys: pytest.CaptureFixture[str], root_logging: None) -> None:
    path = write_config(tmp_path, db_url=sqlite_url, imap=imap_account, smtp=smtp_server,
                        rules=False)
    config = load(path)
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    app = app_module.build(config, clock)
    job = worker.Worker(app, connectors.source(config), connectors.transport(config))
    try:
        imap_account.append_many(requests(3))
        worker.poll(app, job.source)
        smtp_server.reject_recipient("parent0@mail.example", code=550, text="No such user")
        smtp_server.reject_recipient("parent1@mail.example", code=450, text="Try later")
        assert outbox.drain(app, job.transport).sent == 1
    finally:
        job.close()
    failed, waiting, sent = rows_of(app)

    def mailbot(*args: str) -> tuple[int, str, str]:
        code = cli.main(["--config", str(path), "outbox", *args])
        out, err = capsys.readouterr()
        return code, out, err

    code, out, _ = mailbot()
    lines = out.splitlines()
    assert code == 0 and len(lines) == 3 and lines[0].split()[:3] == ["id", "status", "case"]
    assert f"{failed.id}  failed" in out and "550 No such user" in out
    assert f"{waiting.id}  pending" in out and "450 Try later" in out
    due = local_text(waiting.next_attempt_at, config.helpdesk.timezone)
    assert due in out, "the next attempt in the school's time"
    assert str(sent.rcpt_to) not in out
    code, out, _ = mailbot("--status", "failed")
    assert code == 0 and len(out.splitlines()) == 2 and "parent0@" in out

    assert mailbot("retry")[0] == 2
    code, _, err = mailbot("retry", "999")
    assert code == 1 and err.strip() == "mailbot: no outgoing mail 999"
    code, out, _ = mailbot("retry", str(waiting.id))
    assert code == 0
    assert out.strip() == f"Outgoing mail {waiting.id} is pending, not failed: nothing to retry."
    code, out, _ = mailbot("retry", "--all")
    assert code == 0 and out.startswith("Requeued 1 failed mail(s);")
    again = next(r for r in rows(app) if r.id == failed.id)
    assert (again.status, again.attempts) == ("pending", 0)
    with db.session(app.engine) as session:
        [requeued] = session.exec(select(Event).where(Event.kind == "send_requeued")).all()
    assert str(failed.id) in requeued.detail and "550" in requeued.detail
    assert mailbot("retry", "--all")[1].startswith("No failed outgoing mail")

    smtp_server.clear()
    clock.advance(hours=1)
    job = worker.Worker(app, connectors.source(config), connectors.transport(config))
    try:
        assert outbox.drain(app, job.transport).sent == 2
    finally:
        job.close()
        app.engine.dispose()
    assert mailbot()[1].strip() == "No unsent outgoing mail."

    with db.session(app.engine) as session:  # as retention or `mailbot forget` leave it
        erased = session.get(Outbox, failed.id)
        assert erased is not None
        erased.status, erased.raw = "failed", b""
        session.add(erased)
        session.commit()
    code, out, _ = mailbot("retry", str(failed.id))
    assert code == 0 and "was erased" in out
    assert mailbot("retry", "--all")[1].startswith("No failed outgoing mail")
    assert next(r for r in rows(app) if r.id == failed.id).status == "failed"


def rows_of(app: app_module.App) -> tuple[Outbox, Outbox, Outbox]:
    found = {r.rcpt_to: r for r in rows(app)}
    return (found["parent0@mail.example"], found["parent1@mail.example"],
            found["parent2@mail.example"])


@pytest.fixture
def root_logging() -> Iterator[None]:
    """`mailbot.cli.main` sets up logging for a process: put the test's back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


# ------------------------------------------------------------------------- PostgreSQL


@pytest.fixture
def pg_desk(tmp_path: Path, postgres_url: str, imap_account, smtp_server  # type: ignore[no-untyped-def]
            ) -> Iterator[Desk]:
    path = write_config(tmp_path, db_url=postgres_url, imap=imap_account, smtp=smtp_server,
                        rules=False)
    path.write_text(path.read_text().replace("[database]\n", "[database]\nlock_timeout = 2\n"))
    config = load(path)
    app = app_module.build(config, FixedClock(datetime(2026, 11, 23, 5, 0, tzinfo=UTC)))
    job = worker.Worker(app, connectors.source(config), connectors.transport(config))
    yield Desk(app, config, app.clock, imap_account, smtp_server, job)  # type: ignore[arg-type]
    job.close()
    app.engine.dispose()


def test_two_senders_drain_one_postgres_outbox_each_row_once(pg_desk: Desk) -> None:
    pg_desk.imap.append_many(requests(60))
    assert pg_desk.poll().acks == 60
    start = threading.Barrier(2)
    reports: list[outbox.SendReport] = []

    def sender() -> None:
        transport = connectors.transport(pg_desk.config)
        start.wait()
        reports.append(outbox.drain(pg_desk.app, transport, limit=3))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in reports) == 60 and not any(r.failed for r in reports)
    assert_each_sent_once(pg_desk, acks=60)


def test_a_row_another_worker_holds_is_skipped_not_waited_for(pg_desk: Desk) -> None:
    pg_desk.imap.append_many(requests(5))
    pg_desk.poll()
    held = rows(pg_desk)[0].id
    other = create_engine(pg_desk.config.database_url)
    try:
        with other.begin() as connection:  # another worker's claim, still open
            connection.execute(text("SELECT id FROM outbox WHERE id = :id FOR UPDATE"),
                               {"id": held})
            report = pg_desk.send()  # lock_timeout is 2 s: a wait would fail the claim
            assert report.sent == 4
        assert [r.id for r in rows(pg_desk) if r.status == "pending"] == [held]
    finally:
        other.dispose()
    assert pg_desk.send().sent == 1
    assert_each_sent_once(pg_desk, acks=5)


def terminate_all(url: str) -> int:
    """pg_terminate_backend on every connection to the test database but this one."""
    name = url.rsplit("/", 1)[1]
    with closing(psycopg2.connect(host="127.0.0.1", user="postgres", dbname=name)) as admin:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            return len(cursor.fetchall())


def cut_connections_at(desk: Desk, marker: str, nth: int = 1) -> list[int]:
    """Terminate the database's connections just before the nth statement containing
    `marker` runs (once): the statement meets a connection the server has closed."""
    seen: list[int] = []

    def before(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if marker in statement and len(seen) < nth:
            seen.append(1)
            if len(seen) == nth:
                terminate_all(desk.config.database_url)

    event.listen(desk.app.engine, "before_cursor_execute", before)
    return seen


def until_it_works(desk: Desk, job: Callable[[], object]) -> object:
    """Run a job as the scheduler would, minutes apart, until it does its work."""
    for _ in range(5):
        desk.clock.advance(minutes=1)
        done = job()
        if done is not None:
            return done
    raise AssertionError("the job never recovered")


def test_postgres_connections_cut_mid_run(pg_desk: Desk, caplog: pytest.LogCaptureFixture
                                          ) -> None:
    caplog.set_level(logging.INFO, logger="mailbot")
    job = pg_desk.worker
    pg_desk.imap.append_many(requests(12))
    cut_connections_at(pg_desk, "INSERT INTO message", nth=5)  # the fifth mail, mid-poll
    assert job.poll_job() is None
    assert len(warnings(caplog, "database unreachable: ")) == 1
    assert job.poll_job() is None, "the poll waits out its backoff"
    until_it_works(pg_desk, job.poll_job)  # and sends the acknowledgements at once
    assert len(warnings(caplog, "database is back")) == 1

    pg_desk.imap.append_many(requests(3, first=12))
    cut_connections_at(pg_desk, "FOR UPDATE SKIP LOCKED")  # the send's claim
    report = job.poll_job()
    assert report is not None and report.acks == 3
    assert len(warnings(caplog, "database unreachable: ")) == 2
    sent = until_it_works(pg_desk, job.send_job)
    assert isinstance(sent, outbox.SendReport) and sent.sent == 3
    assert len(warnings(caplog, "database is back")) == 2

    # Idle connections cut between jobs: the pool's pre-ping replaces them, nobody notices.
    assert terminate_all(pg_desk.config.database_url) >= 1
    assert job.send_job() is not None
    assert len(warnings(caplog, "database")) == 4
    no_tracebacks(caplog)
    assert_each_sent_once(pg_desk, acks=15)
    assert pg_desk.imap.uids(criteria="UNSEEN") == [], "every mail marked"


# ------------------------------------------------------------------------------- SQLite


def test_a_read_only_sqlite_file_is_one_line_then_recovery(
        tmp_path: Path, imap_account, smtp_server,  # type: ignore[no-untyped-def]
        caplog: pytest.LogCaptureFixture) -> None:
    path = write_config(tmp_path, db_url=f"sqlite:///{tmp_path / 'mailbot.db'}",
                        imap=imap_account, smtp=smtp_server, rules=False)
    config = load(path)
    app = app_module.build(config, FixedClock(datetime(2026, 11, 23, 5, 0, tzinfo=UTC)))
    imap_account.append_many(requests(2))
    job = worker.Worker(app, connectors.source(config), connectors.transport(config))
    assert job.poll_job() is not None  # two acknowledgements queued (and sent at once)
    before = len(smtp_server.messages)
    # The file opened read-only, as on a read-only file system (root ignores file modes).
    read_only = create_engine(f"sqlite:///file:{tmp_path / 'mailbot.db'}?mode=ro&uri=true")
    job.app = replace(app, engine=read_only)
    imap_account.append_many(requests(2, first=2))
    caplog.set_level(logging.INFO, logger="mailbot")
    try:
        for _ in range(10):
            job.poll_job()
            job.send_job()
            job.time_job()
            job.app.clock.advance(minutes=10)  # type: ignore[attr-defined]
        said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert said == [("database unreachable: attempt to write a readonly database; "
                         "retrying quietly until it is back")]
        no_tracebacks(caplog)
        assert len(smtp_server.messages) == before
        job.app = app
        assert job.poll_job() is not None and job.send_job() is not None
        job.time_job()
        assert len(warnings(caplog, "database is back after 100 min")) == 1
    finally:
        job.close()
        read_only.dispose()
        app.engine.dispose()
    desk = Desk(app, config, app.clock, imap_account, smtp_server, job)  # type: ignore[arg-type]
    assert_each_sent_once(desk, acks=4)
    with db.session(app.engine) as session:
        assert session.exec(select(func.count()).select_from(Outbox)).one() == 4
