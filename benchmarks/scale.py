"""Several workers on one PostgreSQL database and one mailbox: a large backlog answered, with
throughput per worker and memory, against one worker on the same backlog in the same run.

Real Dovecot, aiosmtpd and PostgreSQL (127.0.0.1:5432, user postgres; a database of its own,
dropped afterwards); the full desk. N short questions are appended before the workers start;
a run ends when every mail is recorded and every outgoing mail sent. One mailbox is polled
by one worker at a time (service/lease.py), so more workers buy availability and sending
hands, not a faster poll: expect about the single worker's rate, not three times it.

`--kills K` SIGKILLs a random working worker K times through the several-workers run (each
replaced at once) and then checks every mail answered exactly once: one case, one
acknowledgement sent, marked on the server; a mail delivered twice only as often as a resend
was logged as `send_interrupted` (the 1,000-mail version of the kill test:
`--n 1000 --kills 30`).

    .venv/bin/python benchmarks/scale.py [--n 10000] [--workers 3] [--kills 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailbot.storage import db
from tests.integration.workers import (
    ForkedWorker,
    Zygote,
    answered_once,
    questions,
    worker_config,
)
from tests.servers import Dovecot, SmtpCapture, temporary_postgres_database

SCHOOL = "poll_seconds = 5\nsend_seconds = 2\n"


def done(url: str, n: int) -> bool:
    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            recorded = connection.execute(text("SELECT count(*) FROM ingested")).scalar()
            unsent = connection.execute(
                text("SELECT count(*) FROM outbox WHERE status <> 'sent'")).scalar()
        return recorded == n and unsent == 0
    except Exception:  # noqa: BLE001 — the schema may not exist yet
        return False
    finally:
        engine.dispose()


def peak_mib(worker: ForkedWorker) -> float:
    """The worker's peak resident memory (VmHWM), before it ends."""
    for line in Path(f"/proc/{worker.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(folder: Path, dovecot: Dovecot, n: int, count: int, kills: int,
        rng: random.Random) -> tuple[float, list[float], str]:
    account = dovecot.new_account()
    account.append_many(questions(n))
    with SmtpCapture() as smtp, temporary_postgres_database() as url:
        config = worker_config(folder, db_url=url, imap=account, smtp=smtp, worker=SCHOOL)
        zygote = Zygote()
        start = time.monotonic()
        workers = [zygote.spawn(config, folder / f"worker{i}.log") for i in range(count)]
        peaks: list[float] = []
        try:
            for kill in range(kills):
                time.sleep(rng.uniform(0.5, 4.0))
                ready = [i for i, w in enumerate(workers) if "started" in w.log()]
                if ready:
                    slot = rng.choice(ready)
                    workers[slot].kill()
                    workers[slot] = zygote.spawn(config, folder / f"worker-{kill}.log")
            while not done(url, n):
                time.sleep(1)
            elapsed = time.monotonic() - start
            peaks = [peak_mib(w) for w in workers]
            for worker in workers:
                worker.terminate()
        finally:
            for worker in workers:
                worker.kill()
            zygote.close()
        checked = ""
        if kills:
            found = answered_once(url, account, smtp, {f"q{i}@mail.example" for i in range(n)})
            checked = (f"; after {kills} kills every mail answered once, {found.duplicates} "
                       f"sent twice, {found.interrupted} interrupted sends logged")
    return elapsed, peaks, checked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--kills", type=int, default=0)
    args = parser.parse_args()
    rng = random.Random(14)
    with Dovecot() as dovecot, tempfile.TemporaryDirectory(prefix="mbscale-") as tmp:
        one, one_peak, _ = run(Path(tmp) / "one", dovecot, args.n, 1, 0, rng)
        many, peaks, checked = run(Path(tmp) / "many", dovecot, args.n, args.workers,
                                   args.kills, rng)
    print(f"{args.n} questions, PostgreSQL, full desk (recorded, acknowledged, every mail sent)")
    print(f"1 worker:  {one:7.1f} s  {args.n / one:6.1f} mails/s   peak {one_peak[0]:.0f} MiB")
    print(f"{args.workers} workers: {many:7.1f} s  {args.n / many:6.1f} mails/s "
          f"({args.n / many / args.workers:.1f} per worker)   peak "
          f"{', '.join(f'{p:.0f}' for p in peaks)} MiB{checked}")
    print(f"ratio {args.workers} workers / 1 worker: {one / many:.2f}")


if __name__ == "__main__":
    main()
