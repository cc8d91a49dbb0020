"""Several `mailbot run` processes on one PostgreSQL database and one Dovecot mailbox.

One worker at a time polls the mailbox (an advisory lock, taken over when its holder dies),
all of them send, and every mail is answered exactly once: a mail delivered twice only
where a kill fell between the SMTP server's acceptance and the outbox update, each such
resend logged as `send_interrupted`.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from sqlalchemy import text

from mailbot.storage import db
from tests.integration.workers import (
    WorkerProcess,
    Zygote,
    acks_sent,
    answered_once,
    questions,
    wait_until,
    worker_config,
)

QUICK = "poll_seconds = 0.5\nsend_seconds = 0.5\n"
POLLS = "this worker polls it now"


def _workers(tmp_path: Path, config: Path, count: int) -> list[WorkerProcess]:
    return [WorkerProcess(config, tmp_path / f"worker{n}.log") for n in range(count)]


def test_three_workers_started_together_on_an_empty_database_migrate_it_once(
        tmp_path: Path, postgres_url: str, imap_account, smtp_server) -> None:  # type: ignore[no-untyped-def]
    config = worker_config(tmp_path, db_url=postgres_url, imap=imap_account,
                           smtp=smtp_server, worker=QUICK)
    workers = _workers(tmp_path, config, 3)
    try:
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.wait_for_line("started", timeout=60)
        imap_account.append_many(questions(5))
        wait_until(lambda: acks_sent(postgres_url) == 5, 60, "five acknowledgements")
        # Before the stop (a stopping worker hands the mailbox on to the next one).
        assert sum(POLLS in worker.log() for worker in workers) == 1, "one polls the mailbox"
        assert [worker.terminate() for worker in workers] == [0, 0, 0]
    finally:
        for worker in workers:
            worker.kill()
    logs = [worker.log() for worker in workers]
    assert sum("database schema upgraded" in log for log in logs) == 1, "migrated once"
    assert not any("Traceback" in log or "duplicate key" in log for log in logs)
    assert not any("skipped: maximum number" in log for log in logs), "a busy tick is no news"
    engine = db.make_engine(postgres_url)
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT count(*) FROM alembic_version")).scalar()
        assert versions == 1 and db.pending(engine) == []
    finally:
        engine.dispose()
    answered_once(postgres_url, imap_account, smtp_server,
                  {f"q{n}@mail.example" for n in range(5)})


def test_the_polling_worker_killed_mid_backlog_another_takes_over(
        tmp_path: Path, postgres_url: str, imap_account, smtp_server) -> None:  # type: ignore[no-untyped-def]
    backlog = 150
    config = worker_config(tmp_path, db_url=postgres_url, imap=imap_account,
                           smtp=smtp_server, worker=QUICK, mailbox="batch_size = 5")
    workers = _workers(tmp_path, config, 3)
    try:
        workers[0].start().wait_for_line(POLLS, timeout=60)  # the schema, the mailbox row
        for worker in workers[1:]:
            worker.start().wait_for_line("stands by", timeout=60)
        imap_account.append_many(questions(backlog))
        wait_until(lambda: acks_sent(postgres_url) >= 20, 60, "the backlog under way")
        workers[0].kill()
        wait_until(lambda: acks_sent(postgres_url) == backlog, 120, "every acknowledgement")
        assert [worker.terminate() for worker in workers[1:]] == [0, 0]
    finally:
        for worker in workers:
            worker.kill()
    assert any(POLLS in worker.log() for worker in workers[1:]), "taken over"
    found = answered_once(postgres_url, imap_account, smtp_server,
                          {f"q{n}@mail.example" for n in range(backlog)})
    print(f"sent twice: {found.duplicates}, interrupted sends logged: {found.interrupted}")


KILLS = 30
BACKLOG = 300  # the 1,000-mail version: benchmarks/scale.py


def test_thirty_sigkills_through_a_backlog_with_three_workers(
        tmp_path: Path, postgres_url: str, imap_account, smtp_server) -> None:  # type: ignore[no-untyped-def]
    """30 SIGKILLs at random moments of three working workers sharing a 300-mail backlog;
    each killed worker is replaced at once (forked from a process that imported mailbot
    already, so 30 restarts cost seconds, not minutes). The bare desk: delivery is what is
    tested here, not triage."""
    seed = int(os.environ.get("MAILBOT_CRASH_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    print(f"seed {seed} (MAILBOT_CRASH_SEED to repeat)")
    config = worker_config(tmp_path, db_url=postgres_url, imap=imap_account, rules=False,
                           smtp=smtp_server, worker=QUICK, mailbox="batch_size = 7")
    zygote = Zygote()
    workers = [zygote.spawn(config, tmp_path / "worker0.log")]
    try:
        wait_until(lambda: POLLS in workers[0].log(), 60, "the first worker polling")
        workers += [zygote.spawn(config, tmp_path / f"worker{n}.log") for n in (1, 2)]
        imap_account.append_many(questions(BACKLOG))
        for kill in range(KILLS):
            time.sleep(rng.uniform(0.5, 2.0))
            wait_until(lambda: any("started" in w.log() for w in workers), 60, "a worker up")
            slot = rng.choice([n for n, w in enumerate(workers) if "started" in w.log()])
            workers[slot].kill()
            workers[slot] = zygote.spawn(config, tmp_path / f"worker-{kill}.log")
        wait_until(lambda: acks_sent(postgres_url) == BACKLOG, 180, "every acknowledgement")
        time.sleep(2)  # rows a killed worker claimed: their lease runs out, they are resent
        wait_until(lambda: _all_sent(postgres_url), 60, "the outbox drained")
        assert all(worker.terminate() for worker in workers)
    finally:
        for worker in workers:
            worker.kill()
        zygote.close()
    found = answered_once(postgres_url, imap_account, smtp_server,
                          {f"q{n}@mail.example" for n in range(BACKLOG)})
    print(f"kills: {KILLS}; sent twice: {found.duplicates}; "
          f"interrupted sends logged: {found.interrupted}")


def _all_sent(url: str) -> bool:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM outbox WHERE status <> 'sent'")).scalar() == 0
    finally:
        engine.dispose()
