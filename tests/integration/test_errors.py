"""No tracebacks for operational problems: every command, faced with a missing template, an
unreachable server, a locked or read-only database or a broken rule file, says what is wrong
in one line and exits non-zero."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.integration.conftest import ROOT, write_config
from tests.mailfactory import make_mail
from tests.servers import free_port

# Every command loads the configuration and the rule files the same way first.
ALL = [("run", "--once"), ("check",), ("status",), ("cases",),
       ("schedule", "--week", "2026-W49"), ("explain", "MAIL")]


def mailbot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mailbot", "--config", str(config), *args],
                          capture_output=True, text=True, timeout=120, check=False)


def local_boxes(tmp_path: Path) -> str:
    inbox = tmp_path / "in"
    for sub in ("cur", "new", "tmp"):
        (inbox / sub).mkdir(parents=True, exist_ok=True)
    (inbox / "new" / "1.eml").write_bytes(make_mail())
    return (f'[mailbox]\nkind = "maildir"\npath = "{inbox}"\n'
            f'[smtp]\nkind = "maildir"\npath = "{tmp_path / "out"}"\n')


def assert_one_line(result: subprocess.CompletedProcess[str], *words: str) -> None:
    everything = result.stdout + result.stderr
    assert result.returncode != 0, everything
    assert "Traceback" not in everything, everything
    said = result.stderr.strip() or result.stdout.strip()
    failing = [line for line in said.splitlines()
               if line.startswith("mailbot:") or "FAILED" in line or "CRITICAL" in line]
    assert failing, everything
    assert all(w in "\n".join(failing) for w in words), everything


def run(config: Path, command: tuple[str, ...], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    mail = tmp_path / "q.eml"
    mail.write_bytes(make_mail())
    return mailbot(config, *[str(mail) if a == "MAIL" else a for a in command])


# ---------------------------------------------------------------------- a broken rule file


@pytest.fixture(scope="module")
def broken_rules(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("rules")
    people = folder / "people.toml"
    source = (ROOT / "config" / "people.toml").read_text(encoding="utf-8")
    people.write_text(source.replace('supervisor = "petrova"', 'supervisor = "nobody"', 1),
                      encoding="utf-8")
    config = write_config(folder, db_url=f"sqlite:///{folder / 'db.sqlite3'}",
                          files={"people": people}, extra=local_boxes(folder))
    return config, people


@pytest.mark.parametrize("command", ALL, ids=" ".join)
def test_broken_rule_file(command: tuple[str, ...], broken_rules: tuple[Path, Path],
                          tmp_path: Path) -> None:
    config, people = broken_rules
    result = run(config, command, tmp_path)
    assert result.returncode == 2
    assert_one_line(result, str(people), "nobody")
    assert result.stderr.strip().count("\n") == 0


# ------------------------------------------------------------------------ a missing template

TEMPLATE_COMMANDS = [("run", "--once"), ("check",), ("digest", "--print", "--week", "2026-W48"),
                     ("schedule", "--week", "2026-W49"), ("guide",)]


@pytest.fixture(scope="module")
def broken_templates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("templates")
    own = folder / "templates"
    own.mkdir()
    broken = '{% include "_шапка.txt.j2" %}\n'
    for name in ("ack", "digest", "schedule_digest", "guide"):
        (own / f"{name}.txt.j2").write_text(broken, encoding="utf-8")
    config = write_config(folder, db_url=f"sqlite:///{folder / 'db.sqlite3'}",
                          extra=local_boxes(folder))
    text_ = config.read_text(encoding="utf-8")
    config.write_text(text_.replace(f'templates_path = "{ROOT / "templates"}"',
                                    f'templates_path = "{own}"'), encoding="utf-8")
    return config


@pytest.mark.parametrize("command", TEMPLATE_COMMANDS, ids=" ".join)
def test_missing_template(command: tuple[str, ...], broken_templates: Path,
                          tmp_path: Path) -> None:
    assert_one_line(run(broken_templates, command, tmp_path), "_шапка.txt.j2")


def test_a_template_folder_that_is_not_there(tmp_path: Path, sqlite_url: str) -> None:
    config = write_config(tmp_path, db_url=sqlite_url, extra=local_boxes(tmp_path))
    text_ = config.read_text(encoding="utf-8")
    config.write_text(text_.replace(f'templates_path = "{ROOT / "templates"}"',
                                    f'templates_path = "{tmp_path / "нет"}"'), encoding="utf-8")
    result = mailbot(config, "run", "--once")
    assert result.returncode == 2
    assert_one_line(result, "worker.templates_path: no such folder")


# -------------------------------------------------------------------- an unreachable server


@pytest.mark.parametrize("command", [("run", "--once"), ("check",),
                                     ("digest", "--send", "--week", "2026-W48")], ids=" ".join)
def test_unreachable_servers(command: tuple[str, ...], tmp_path: Path,
                             sqlite_url: str) -> None:
    class Nowhere:
        port, username, password = free_port(), "u", "p"

    config = write_config(tmp_path, db_url=sqlite_url, imap=Nowhere(), smtp=Nowhere())
    result = run(config, command, tmp_path)
    assert_one_line(result, "127.0.0.1")


# --------------------------------------------------------------------- a locked database

DB_COMMANDS = [("run", "--once"), ("check",), ("status",), ("cases",), ("case", "1"),
               ("quarantine",), ("digest", "--print", "--week", "2026-W48"),
               ("forget", "anna.petrova@mail.example"), ("export", "anna.petrova@mail.example")]

HOLD_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA locking_mode=EXCLUSIVE")
db.execute("BEGIN EXCLUSIVE")
db.execute("CREATE TABLE IF NOT EXISTS held (x)")
print("locked", flush=True)
time.sleep(120)
"""


@pytest.fixture(scope="module")
def locked_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A database another process holds locked (as a stuck backup or a second worker)."""
    folder = tmp_path_factory.mktemp("locked")
    sqlite_url = f"sqlite:///{folder / 'db.sqlite3'}"
    config = write_config(folder, db_url=sqlite_url, extra=local_boxes(folder)
                          + "[database]\nlock_timeout = 1\n")
    text_ = config.read_text(encoding="utf-8").replace(f'[database]\nurl = "{sqlite_url}"\n', "")
    config.write_text(text_.replace("[database]\n", f'[database]\nurl = "{sqlite_url}"\n'),
                      encoding="utf-8")
    assert mailbot(config, "run", "--once").returncode == 0  # a database with a case
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, sqlite_url.split("///", 1)[1]],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    try:
        yield config
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("command", DB_COMMANDS, ids=" ".join)
def test_locked_database(command: tuple[str, ...], locked_sqlite: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    assert_one_line(run(locked_sqlite, command, tmp_path), "locked")
    assert time.monotonic() - started < 60


# ------------------------------------------------------------------ a read-only database


@pytest.mark.parametrize("command", [("run", "--once"),
                                     ("digest", "--send", "--week", "2026-W48")], ids=" ".join)
def test_read_only_database(command: tuple[str, ...], tmp_path: Path,
                            postgres_url: str) -> None:
    config = write_config(tmp_path, db_url=postgres_url, extra=local_boxes(tmp_path))
    assert mailbot(config, "cases").returncode == 0  # the schema, then no more writing
    (tmp_path / "in" / "new" / "2.eml").write_bytes(make_mail(message_id="two@mail.example"))
    engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    name = engine.url.database
    with engine.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
    engine.dispose()
    try:
        assert_one_line(run(config, command, tmp_path), "read-only")
    finally:
        engine = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(text("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"))
            connection.execute(text(f'ALTER DATABASE "{name}" SET '
                                    "default_transaction_read_only = off"))
        engine.dispose()
