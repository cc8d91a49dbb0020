"""From APPEND to the acknowledgement accepted by the SMTP server: how soon a question is
answered, with IMAP IDLE, against baselines measured in the same run.

A real Dovecot, a real SMTP server (aiosmtpd) and `mailbot run` as a school runs it (full
desk, SQLite, the default poll and send intervals). Questions are appended one at a time,
each when the previous one was acknowledged, at a random pause; a question's latency runs
from just before its APPEND to the moment the SMTP server accepted its acknowledgement.

Baselines, same run, same servers:
  - the floor: a bare imapclient connection in IDLE, APPEND on another, until the IDLE
    connection hears EXISTS (Dovecot delays this notice by about half a second itself);
  - `--polling K`: K questions with `[worker] idle = false`, i.e. plain polling every 30 s
    and a send every 10 s, as before IDLE (slow: about 25 s a question).

    .venv/bin/python benchmarks/latency.py [--n 40] [--polling 0]

Target (issue 14): median ≤ 1.5 s.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from imapclient import IMAPClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration.workers import WorkerProcess, questions, worker_config
from tests.servers import Dovecot, ImapAccount, SmtpCapture, sqlite_url

UP = "new mail is taken the moment it arrives"


def bare_wakeups(account: ImapAccount, n: int, rng: random.Random) -> list[float]:
    """APPEND on one connection until the other one, in IDLE, hears about it."""
    found = []
    with IMAPClient(account.host, port=account.port, ssl=False) as idler:
        idler.login(account.username, account.password)
        idler.select_folder("INBOX", readonly=True)
        for raw in questions(n, tag="bare"):
            idler.idle()
            time.sleep(rng.uniform(0.1, 0.5))
            start = time.perf_counter()
            account.append(raw)
            while not any(isinstance(r, tuple) and r[1:2] == (b"EXISTS",)
                          for r in idler.idle_check(timeout=5)):
                pass
            found.append(time.perf_counter() - start)
            idler.idle_done()
    return found


def acknowledged(smtp: SmtpCapture, address: str, timeout: float) -> float:
    """The moment (time.time) the SMTP server accepted the mail to `address`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in smtp.messages:
            if address in message.rcpt_tos:
                return message.received_at
        time.sleep(0.01)
    raise TimeoutError(f"no acknowledgement to {address} within {timeout} s")


def mailbot_latencies(folder: Path, dovecot: Dovecot, n: int, idle: bool,
                      rng: random.Random) -> list[float]:
    account = dovecot.new_account()
    smtp = SmtpCapture().start()
    worker_keys = "" if idle else "idle = false\n"
    config = worker_config(folder, db_url=sqlite_url(folder / "mailbot.sqlite3"),
                           imap=account, smtp=smtp, worker=worker_keys)
    # The defaults of a school (30 s poll, 10 s send), not the tests' quick ones.
    text = config.read_text(encoding="utf-8").replace("send_lease_seconds = 1\n", "")
    config.write_text(text, encoding="utf-8")
    worker = WorkerProcess(config, folder / "worker.log").start()
    found = []
    try:
        worker.wait_for_line(UP if idle else "started", timeout=120)
        time.sleep(1)  # the start-up poll and send are over
        for n_, raw in enumerate(questions(n, tag="lat")):
            time.sleep(rng.uniform(0.2, 1.0))
            start = time.time()
            account.append(raw)
            found.append(acknowledged(smtp, f"parent{n_}@mail.example", 120) - start)
        worker.terminate()
    finally:
        worker.kill()
        smtp.stop()
    return found


def describe(name: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"{name:<44} median {statistics.median(values):6.2f} s   p95 {p95:6.2f} s   "
            f"max {ordered[-1]:6.2f} s   ({len(values)} mails)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="questions with IDLE")
    parser.add_argument("--polling", type=int, default=0,
                        help="questions with IDLE off (about 25 s each)")
    args = parser.parse_args()
    rng = random.Random(14)
    with Dovecot() as dovecot, tempfile.TemporaryDirectory(prefix="mblat-") as tmp:
        floor = bare_wakeups(dovecot.new_account(), args.n, rng)
        idle = mailbot_latencies(Path(tmp) / "idle", dovecot, args.n, True, rng)
        polling = mailbot_latencies(Path(tmp) / "polling", dovecot, args.polling, False, rng) \
            if args.polling else []
    print(describe("bare APPEND -> IDLE wake-up (the floor)", floor))
    print(describe("mailbot, IDLE: APPEND -> ack accepted", idle))
    if polling:
        print(describe("mailbot, polling 30 s / send 10 s", polling))
    ratio = statistics.median(idle) / statistics.median(floor)
    verdict = "met" if statistics.median(idle) <= 1.5 else "NOT met"
    print(f"median with IDLE = {ratio:.1f} x the bare wake-up; target median <= 1.5 s: {verdict}")
    if polling:
        print(f"median with IDLE = {statistics.median(idle) / statistics.median(polling):.2f}"
              f" x plain polling")


if __name__ == "__main__":
    main()
