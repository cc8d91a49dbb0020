"""mailbot as a school's service, through the real command: check changes nothing and
counts what really waits, status answers monitoring, the log is readable, signals stop it
cleanly after the current mail."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.conftest import write_config
from tests.mailfactory import make_mail
from tests.servers import free_port


def mailbot(*args: str, env: dict[str, str] | None = None,
            timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailbot", *args], capture_output=True,
                          text=True, timeout=timeout, check=False,
                          env={**os.environ, **(env or {})})


def state_config(tmp_path: Path, **kw: object) -> Path:
    """A test config whose state folder is the test's own."""
    path = write_config(tmp_path, db_url="", **kw)  # type: ignore[arg-type]
    text = path.read_text(encoding="utf-8").replace('[database]\nurl = ""\n', "")
    path.write_text(f'state_dir = "{tmp_path / "state"}"\n' + text, encoding="utf-8")
    return path


def test_check_counts_unread_mail_above_the_last_uid_and_changes_nothing(
        tmp_path: Path, imap_account, smtp_server) -> None:  # type: ignore[no-untyped-def]
    imap_account.append_many([make_mail(message_id=f"old{n}@mail.example") for n in range(3)],
                             flags=[b"\\Seen"])
    imap_account.append(make_mail(message_id="new1@mail.example"))
    config = state_config(tmp_path, imap=imap_account, smtp=smtp_server)
    before = imap_account.flags()

    result = mailbot("--config", str(config), "check")

    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "mailbox: IMAP 127.0.0.1:" in out and "1 unread message(s) waiting above UID 0" in out
    assert "3 read one(s) above UID 0 will be taken too" in out
    assert "templates: " in out and "rendered with sample data" in out
    assert "not created yet" in out and "outgoing mail: SMTP 127.0.0.1:" in out
    assert not (tmp_path / "state").exists(), "no database, no secret, no folder"
    assert imap_account.flags() == before, "nothing marked on the server"

    assert mailbot("--config", str(config), "run", "--once").returncode == 0
    imap_account.append(make_mail(message_id="new2@mail.example"))
    again = mailbot("--config", str(config), "check")
    assert "1 unread message(s) waiting above UID 4" in again.stdout, again.stdout
    assert "schema up to date" in again.stdout


def test_status_tells_monitoring_ok_warning_critical(tmp_path: Path) -> None:
    inbox = tmp_path / "state" / "mailbox"
    for sub in ("cur", "new", "tmp"):
        (inbox / sub).mkdir(parents=True)
    (inbox / "new" / "1.eml").write_bytes(make_mail())
    config = state_config(tmp_path)

    never = mailbot("--config", str(config), "status")
    assert never.returncode == 2 and "CRITICAL" in never.stdout
    assert mailbot("--config", str(config), "run", "--once").returncode == 0
    ran = mailbot("--config", str(config), "status", "--json")
    found = json.loads(ran.stdout)
    names = {c["name"]: c for c in found["checks"]}
    assert {"poll", "send", "outbox", "failed", "cases", "quarantine", "next"} <= set(names)
    assert names["poll"]["level"] == "ok" and names["outbox"]["text"].startswith("0 unsent")
    assert names["cases"]["text"].startswith("oldest unanswered: case 1")
    assert found["status"] == "ok" and ran.returncode == 0, ran.stdout

    (inbox / "new" / "2.eml").write_bytes(b"Subject: no sender\r\n\r\ntext\r\n")
    mailbot("--config", str(config), "run", "--once")
    held = mailbot("--config", str(config), "status")
    assert held.returncode == 1 and "quarantine: 1 mail(s) held" in held.stdout, held.stdout
    replay = mailbot("--config", str(config), "quarantine", "replay", "--all")
    assert replay.returncode == 0 and "Replayed 1 held mail(s): still held 1" in replay.stdout


def test_worker_log_is_quiet_and_signals_stop_it_cleanly(tmp_path: Path) -> None:
    class Nowhere:
        port, username, password = free_port(), "u", "p"

    config = state_config(tmp_path, imap=Nowhere())
    text = config.read_text(encoding="utf-8").replace(
        "[worker]", "[worker]\npoll_seconds = 0.2\nsend_seconds = 0.2")
    config.write_text(text, encoding="utf-8")
    worker = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config),
                               "run"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    # Wait for the first failed poll: by then the signal handlers are in place, however
    # slowly the rule files and dictionaries loaded on this machine.
    assert worker.stderr is not None
    early = []
    while not early or "unreachable" not in early[-1]:
        line = worker.stderr.readline()
        assert line, "".join(early)
        early.append(line)
    time.sleep(2)  # a few more failed polls, which must not be logged again
    worker.send_signal(signal.SIGTERM)
    time.sleep(0.05)  # two signals at once are one pending signal to the kernel
    worker.send_signal(signal.SIGTERM)
    _out, rest = worker.communicate(timeout=30)
    err = "".join(early) + rest
    assert worker.returncode == 0, err
    lines = err.splitlines()
    assert any(" mailbot 0" in line and "started: mailbox IMAP 127.0.0.1" in line
               and "next digest" in line for line in lines), err
    unreachable = [line for line in lines if "unreachable" in line]
    assert len(unreachable) == 1 and " WARNING " in unreachable[0], err
    assert not any(word in err for word in ("apscheduler", "Running job", "pymorphy",
                                            "Traceback"))
    assert lines[-1].endswith("mailbot stopped")


def test_json_log_lines(tmp_path: Path) -> None:
    inbox = tmp_path / "state" / "mailbox"
    for sub in ("cur", "new", "tmp"):
        (inbox / sub).mkdir(parents=True)
    config = state_config(tmp_path)
    result = mailbot("--config", str(config), "--log-format", "json", "run", "--once")
    assert result.returncode == 0, result.stderr
    assert all(json.loads(line)["level"] for line in result.stderr.splitlines())


def test_sigterm_twice_finishes_the_current_mail_and_exits_0(tmp_path: Path) -> None:
    inbox = tmp_path / "state" / "mailbox"
    for sub in ("cur", "new", "tmp"):
        (inbox / sub).mkdir(parents=True)
    for n in range(300):
        (inbox / "new" / f"{n:04d}.mailbot").write_bytes(make_mail(
            subject=f"Вопрос {n}", message_id=f"q{n}@mail.example",
            sender=(f"Родитель {n}", f"parent{n}@mail.example")))
    config = state_config(tmp_path)
    worker = subprocess.Popen([sys.executable, "-m", "mailbot", "--config", str(config),
                               "run", "--once"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list((inbox / "cur").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)  # the first mails are marked in a batch of 50: it is working
    worker.send_signal(signal.SIGINT)
    time.sleep(0.05)
    worker.send_signal(signal.SIGTERM)
    out, err = worker.communicate(timeout=60)
    assert worker.returncode == 0, err
    assert "Stopped on a signal" in out and "Traceback" not in err
    marked = len(list((inbox / "cur").iterdir()))
    cases = mailbot("--config", str(config), "cases", "--limit", "1000")
    assert 50 <= marked < 300
    assert len(cases.stdout.splitlines()) - 1 == marked, "every mail taken was committed"


def test_a_database_outage_is_one_warning_not_a_traceback_per_job(
        desk, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging
    from dataclasses import replace

    from sqlalchemy import create_engine

    from mailbot import worker as worker_module

    nowhere = create_engine(f"postgresql+psycopg2://mailbot@127.0.0.1:{free_port()}/none")
    job = worker_module.Worker(replace(desk.app, engine=nowhere), desk.worker.source,
                               desk.worker.transport.inner)
    caplog.set_level(logging.INFO)
    for _ in range(3):
        job.poll_backoff.ok()
        job.send_backoff.ok()
        assert job.poll_job() is None and job.send_job() is None
        assert job.time_job() == {} and job.digest_job() == {}
    said = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(said) == 1 and said[0].getMessage().startswith("database unreachable: ")
    assert not any(r.exc_info for r in caplog.records)
