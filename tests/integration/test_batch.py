"""One poll's batch in one transaction, a savepoint per mail (pipeline.ingest_batch).

Real Dovecot, real SMTP, SQLite and PostgreSQL: a mail that fails mid-batch is rolled back
to its savepoint and quarantined while the others of the batch become cases; mails of one
batch see each other (a reply threads to its original, a second copy is a duplicate); a
stop ends the batch after the mail at hand with that much committed and marked; a worker
killed mid-batch loses and doubles nothing.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import event, text
from sqlmodel import func, select

from mailbot import app as app_module
from mailbot import worker
from mailbot.adapters import connectors
from mailbot.adapters.clock import FixedClock
from mailbot.config import load
from mailbot.storage import db
from mailbot.storage.models import Case, Ingested, Message, Outbox, Quarantine, RawMail
from tests.integration.conftest import ROOT, Desk, write_config
from tests.mailfactory import make_mail

# A school's own acknowledgement that greets by the second word of the writer's name: fine
# for «Анна Петрова», a template error (StrictUndefined) for a one-word name — a real bug
# that only some mails meet, and it strikes after the case and the message are written.
_GREETING = "{{ requester_name | greeting }}"
_POISON = "Здравствуйте, {{ requester_name.split()[1] }}!"


def _school_templates(folder: Path) -> Path:
    folder.mkdir()
    ack = (ROOT / "templates" / "ack.txt.j2").read_text(encoding="utf-8")
    assert _GREETING in ack
    (folder / "ack.txt.j2").write_text(ack.replace(_GREETING, _POISON), encoding="utf-8")
    return folder


def _desk(tmp_path: Path, db_url: str, imap, smtp, *, templates: Path | None = None,  # type: ignore[no-untyped-def]
          batch_size: int = 50) -> Desk:
    path = write_config(tmp_path, db_url=db_url, imap=imap, smtp=smtp)
    config_text = path.read_text(encoding="utf-8").replace(
        "[mailbox]", f"[mailbox]\nbatch_size = {batch_size}")
    if templates is not None:
        config_text = config_text.replace(str(ROOT / "templates"), str(templates))
    path.write_text(config_text, encoding="utf-8")
    config = load(path)
    clock = FixedClock(datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
    app = app_module.build(config, clock)
    job = worker.Worker(app, connectors.source(config), connectors.transport(config))
    return Desk(app, config, clock, imap, smtp, job)


def _count(desk: Desk, model, *where) -> int:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


def test_a_failing_mail_mid_batch_is_quarantined_and_the_others_stay(  # type: ignore[no-untyped-def]
    tmp_path: Path, db_url: str, imap_account, smtp_server
) -> None:
    desk = _desk(tmp_path, db_url, imap_account, smtp_server,
                 templates=_school_templates(tmp_path / "templates"))
    _refuse_subject(desk.app.engine, "Конфликт")  # as if another worker stored it first
    first = make_mail(subject="Не вижу оценки", message_id="first@mail.example")
    mails = [
        first,
        make_mail(subject="Не приходит код", message_id="orig@mail.example",
                  sender=("Иван Сидоров", "ivan@mail.example")),
        make_mail(subject="Пароль", message_id="poison@mail.example",
                  sender=("Директор", "boss@mail.example")),
        make_mail(subject="Re: Не приходит код", message_id="reply@mail.example",
                  in_reply_to="orig@mail.example", body="Код так и не пришёл.",
                  sender=("Иван Сидоров", "ivan@mail.example")),
        first,  # the same mail again in the same batch
        make_mail(subject="Расписание", message_id="x" * 1000 + "@mail.example",
                  sender=("Ольга Лебедева", "olga@mail.example")),  # its id is stored cut
        make_mail(subject="Конфликт", message_id="conflict@mail.example",
                  sender=("Ольга Лебедева", "olga@mail.example")),
        make_mail(subject="Домашнее задание", message_id="last@mail.example",
                  sender=("Мария Волкова", "maria@mail.example")),
    ]
    imap_account.append_many(mails)
    commits: list[object] = []

    def counted(connection: object) -> None:
        commits.append(connection)

    event.listen(desk.app.engine, "commit", counted)
    try:
        report = desk.poll()
    finally:
        event.remove(desk.app.engine, "commit", counted)
        desk.worker.close()

    assert (report.seen, report.opened, report.joined, report.duplicates,
            report.quarantined) == (8, 4, 1, 1, 2)
    assert len(commits) <= 3, "the mailbox row, the one batch, the watermark"
    reasons = {r.split(": ", 1)[1] for r in report.quarantine_reasons}
    assert any("UndefinedError" in r for r in reasons), reasons
    assert "conflicting record" in reasons
    assert _count(desk, Case) == 4
    assert _count(desk, Message) == 5 and _count(desk, RawMail) == 5
    assert _count(desk, Message, Message.from_addr == "boss@mail.example") == 0
    assert _count(desk, Case, Case.requester_addr == "boss@mail.example") == 0
    assert _count(desk, Quarantine) == 2 and _count(desk, Ingested) == 8
    assert _count(desk, Outbox, Outbox.kind == "ack") == 4
    with db.session(desk.app.engine) as session:
        reply = session.exec(select(Message).where(
            Message.message_id == "reply@mail.example")).one()
        orig = session.exec(select(Message).where(
            Message.message_id == "orig@mail.example")).one()
    assert reply.case_id == orig.case_id, "a reply threads to its original in the same batch"
    assert all("\\Seen" in f for f in imap_account.flags().values()), "marked after commit"
    desk.app.engine.dispose()


def _refuse_subject(engine: object, subject: str) -> None:
    """A trigger that refuses a message with this subject as a unique index would: the
    conflict another worker's mail causes, which the pipeline looks into again and then
    holds as a "conflicting record"."""
    with engine.begin() as connection:  # type: ignore[attr-defined]
        if connection.dialect.name == "sqlite":
            connection.execute(text(
                f"CREATE TRIGGER refuse BEFORE INSERT ON message WHEN NEW.subject = "
                f"'{subject}' BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed'); END"))
        else:
            connection.execute(text(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN "
                f"IF NEW.subject = '{subject}' THEN RAISE unique_violation; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"))
            connection.execute(text("CREATE TRIGGER refuse BEFORE INSERT ON message FOR EACH "
                                    "ROW EXECUTE FUNCTION refuse()"))


class _StopAfter:
    """A progress bar that asks the poll to stop after `n` mails, as SIGTERM would."""

    def __init__(self, stop: threading.Event, n: int) -> None:
        self.stop, self.n = stop, n

    def update(self, n: int = 1) -> None:
        self.n -= n
        if self.n <= 0:
            self.stop.set()

    def close(self) -> None:
        pass


def test_a_stop_mid_batch_commits_and_marks_the_mails_done(  # type: ignore[no-untyped-def]
    tmp_path: Path, db_url: str, imap_account, smtp_server
) -> None:
    desk = _desk(tmp_path, db_url, imap_account, smtp_server)
    imap_account.append_many([make_mail(message_id=f"s{n}@mail.example",
                                        sender=(f"Родитель {n}", f"p{n}@mail.example"))
                              for n in range(6)])
    stop = threading.Event()
    report = worker.poll(desk.app, desk.worker.source, stop=stop,
                         bar=lambda _total: _StopAfter(stop, 3))
    assert report.stopped and report.seen == 3
    assert _count(desk, Message) == 3
    assert sorted(len(f) > 0 and "\\Seen" in f for f in imap_account.flags().values()) == \
        [False] * 3 + [True] * 3
    again = worker.poll(desk.app, desk.worker.source)
    assert (again.seen, again.opened) == (3, 3) and _count(desk, Message) == 6
    desk.worker.close()
    desk.app.engine.dispose()


BACKLOG = 50
BATCH = 20


def test_kill_mid_batch_then_rerun_gives_every_mail_once(  # type: ignore[no-untyped-def]
    tmp_path: Path, db_url: str, imap_account, smtp_server
) -> None:
    imap_account.append_many([
        make_mail(subject=f"Вопрос {n}: не открывается дневник", message_id=f"k{n}@mail.example",
                  body=f"Здравствуйте! Обращение {n}. " + "Не могу открыть дневник. " * 40,
                  sender=(f"Родитель {n}", f"parent{n}@mail.example"))
        for n in range(BACKLOG)])
    config = write_config(tmp_path, db_url=db_url, imap=imap_account, smtp=smtp_server,
                          extra="[limits]\nauto_replies_per_sender = 100\n")
    config.write_text(config.read_text(encoding="utf-8").replace(
        "[mailbox]", f"[mailbox]\nbatch_size = {BATCH}"), encoding="utf-8")
    command = [sys.executable, "-m", "mailbot", "--config", str(config), "run", "--once"]
    engine = db.make_engine(db_url)
    busy = _writer_busy(db_url)
    with (tmp_path / "worker.log").open("ab") as log:
        run = subprocess.Popen(command, stdout=log, stderr=log)
        try:
            _wait(lambda: _messages(engine) >= BATCH, run)  # the first batch is committed
            _wait(busy, run)  # and the next one is being written
            run.send_signal(signal.SIGKILL)
        finally:
            run.kill()
            run.wait()
    committed = _messages(engine)
    assert committed % BATCH == 0 and BATCH <= committed < BACKLOG, "whole batches only"
    seen = sum("\\Seen" in f for f in imap_account.flags().values())
    assert seen <= committed, "nothing marked before its batch's commit"

    finish = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert finish.returncode == 0, finish.stderr
    with db.session(engine) as session:
        ids = session.exec(select(Message.message_id)).all()
        cases = session.exec(select(func.count()).select_from(Case)).one()
        ledger = session.exec(select(func.count()).select_from(Ingested)).one()
        acks = session.exec(select(func.count()).select_from(Outbox).where(
            Outbox.kind == "ack")).one()
    engine.dispose()
    assert sorted(ids) == sorted(f"k{n}@mail.example" for n in range(BACKLOG))
    assert cases == acks == ledger == BACKLOG
    assert all("\\Seen" in f for f in imap_account.flags().values())


def _messages(engine) -> int:  # type: ignore[no-untyped-def]
    try:
        with db.session(engine) as session:
            return session.exec(select(func.count()).select_from(Message)).one()
    except Exception:  # noqa: BLE001 — the schema is not there yet
        return 0


def _writer_busy(db_url: str) -> Callable[[], bool]:
    """Whether another connection holds a transaction that has written (a batch is open)."""
    if db_url.startswith("sqlite"):
        path = db_url.split("///", 1)[1]

        def sqlite_busy() -> bool:
            probe = sqlite3.connect(path, timeout=0, isolation_level=None)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.execute("ROLLBACK")
                return False
            except sqlite3.OperationalError:
                return True
            finally:
                probe.close()

        return sqlite_busy
    engine = db.make_engine(db_url)

    def pg_busy() -> bool:
        with engine.connect() as connection:
            return bool(connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL")).scalar())

    return pg_busy


def _wait(condition: Callable[[], bool], run: subprocess.Popen, timeout: float = 120) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while not condition():
        assert run.poll() is None, "the worker ended before it could be killed mid-batch"
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.01)
