"""Worker processes (`mailbot run`) on the real servers, for the IDLE, several-workers and
kill tests, and for the latency and scale benchmarks: start, watch the log, kill, and check
that every mail was answered exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from sqlmodel import func, select

from mailbot.storage import db
from mailbot.storage.models import Case, Event, Message, Outbox
from tests.integration.conftest import write_config
from tests.mailfactory import make_mail
from tests.servers import is_running


def worker_config(folder: Path, *, db_url: str, imap: object, smtp: object,
                  worker: str = "", mailbox: str = "", extra: str = "",
                  rules: bool = True) -> Path:
    """A config on the test servers; `worker` and `mailbox` lines join those sections."""
    folder.mkdir(parents=True, exist_ok=True)
    path = write_config(folder, db_url=db_url, imap=imap, smtp=smtp, rules=rules,
                        extra="[limits]\nauto_replies_per_sender = 100000\n" + extra)
    text = path.read_text(encoding="utf-8")
    text = text.replace("[worker]", "[worker]\n" + worker, 1)
    text = text.replace("[mailbox]", "[mailbox]\n" + mailbox, 1)
    path.write_text(text, encoding="utf-8")
    return path


@dataclass
class WorkerProcess:
    """One `mailbot run`, its log in a file of its own."""

    config: Path
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    log_file: IO[bytes] | None = None

    def start(self) -> WorkerProcess:
        self.log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mailbot", "--config", str(self.config), "run"],
            stdout=self.log_file, stderr=self.log_file)
        return self

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_line(self, text: str, timeout: float = 30, count: int = 1) -> None:
        """Until `text` is in the log `count` times; fails with the log if the worker exits."""
        deadline = time.monotonic() + timeout
        while self.log().count(text) < count:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited ({self.process.returncode}):\n{self.log()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in the log within {timeout} s:\n{self.log()}")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.wait()

    def terminate(self, timeout: float = 30) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        finally:
            self.kill()

    def wait(self) -> None:
        if self.process is not None:
            self.process.wait()
        if self.log_file is not None:
            self.log_file.close()
            self.log_file = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


ZYGOTE = r"""
import os, signal, sys
import mailbot.cli

children = []
signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps them
for line in sys.stdin:
    log, *args = line.rstrip("\n").split("\t")
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.close(fd)
        code = 1
        try:
            code = mailbot.cli.main(args)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code or 0)
    children.append(pid)
    print(pid, flush=True)
for pid in children:  # the test ended: nothing of ours stays behind
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
"""


class Zygote:
    """One process that imported mailbot and forks a worker on request: a worker then starts
    in a fraction of a second instead of paying the imports every time, which lets a test
    kill and restart workers dozens of times. Each worker is still a process of its own
    with its own connections, killed with a real SIGKILL."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, "-c", ZYGOTE], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def spawn(self, config: Path, log_path: Path) -> ForkedWorker:
        assert self.process.stdin is not None and self.process.stdout is not None
        args = [str(log_path), "--config", str(config), "run"]
        self.process.stdin.write("\t".join(args) + "\n")
        self.process.stdin.flush()
        return ForkedWorker(log_path, int(self.process.stdout.readline()))

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


@dataclass
class ForkedWorker:
    """A worker forked by the Zygote: the same checks as WorkerProcess, by pid."""

    log_path: Path
    pid: int

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") \
            if self.log_path.exists() else ""

    @property
    def alive(self) -> bool:
        return is_running(self.pid)

    def kill(self) -> None:
        if self.alive:
            with suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        while self.alive:
            time.sleep(0.01)

    def terminate(self, timeout: float = 60) -> bool:
        """SIGTERM; True if it stopped cleanly (its last line says so)."""
        with suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while self.alive and time.monotonic() < deadline:
            time.sleep(0.05)
        self.kill()
        return self.log().rstrip().endswith("mailbot stopped")


def questions(count: int, start: int = 0, tag: str = "q") -> list[bytes]:
    return [make_mail(subject=f"Вопрос {n}: не открывается дневник",
                      body=f"Здравствуйте! Обращение номер {n}. Не могу открыть дневник.",
                      sender=(f"Родитель {n}", f"parent{n}@mail.example"),
                      message_id=f"{tag}{n}@mail.example")
            for n in range(start, start + count)]


def acks_sent(db_url: str) -> int:
    """Acknowledgements the database records as sent (0 before the schema exists)."""
    engine = db.make_engine(db_url)
    try:
        with db.session(engine) as session:
            return int(session.exec(select(func.count()).select_from(Outbox).where(
                Outbox.kind == "ack", Outbox.status == "sent")).one())
    except Exception:  # noqa: BLE001 — the schema may not exist yet
        return 0
    finally:
        engine.dispose()


def wait_until(check: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.2)


@dataclass(frozen=True)
class Answered:
    cases: int
    acks: int
    duplicates: int
    interrupted: int


def answered_once(db_url: str, imap: object, smtp: object, ids: set[str]) -> Answered:
    """Every mail of `ids` stored once, one case and one sent acknowledgement each, all
    marked on the server, every outgoing row sent and delivered; a mail delivered twice
    only as often as a resend was logged as `send_interrupted`."""
    engine = db.make_engine(db_url)
    try:
        with db.session(engine) as session:
            stored = session.exec(select(Message.message_id)).all()
            cases = int(session.exec(select(func.count()).select_from(Case)).one())
            outgoing = session.exec(select(Outbox)).all()
            interrupted = int(session.exec(select(func.count()).select_from(Event).where(
                Event.kind == "send_interrupted")).one())
    finally:
        engine.dispose()
    assert set(stored) == ids, f"lost: {sorted(ids - set(stored))[:5]}"
    assert len(stored) == len(ids), "no message stored twice"
    assert cases == len(ids), "no case doubled"
    acks = [row for row in outgoing if row.kind == "ack"]
    assert len(acks) == len(ids) and len({a.case_id for a in acks}) == len(ids)
    stuck = [(row.id, row.status) for row in outgoing if row.status != "sent"]
    assert not stuck, f"every outgoing mail sent, not stuck: {stuck[:5]}"
    flags = imap.flags()  # type: ignore[attr-defined]
    assert len(flags) == len(ids) and all("\\Seen" in f for f in flags.values()), \
        "every mail marked on the server after its commit"
    delivered = Counter(m.message["Message-ID"].strip()
                        for m in smtp.messages)  # type: ignore[attr-defined]
    assert set(delivered) == {f"<{row.message_id}>" for row in outgoing}, "all delivered"
    duplicates = sum(n - 1 for n in delivered.values())
    assert duplicates <= interrupted, (
        f"{duplicates} mail(s) delivered twice, only {interrupted} send_interrupted logged")
    return Answered(cases, len(acks), duplicates, interrupted)
