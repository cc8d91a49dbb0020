"""The installed path for real: a non-editable install into a fresh virtualenv, used the
way a school's administrator would, far from the checkout.

The package is built from a copy of the project's files (pip's own build, setup.py copying
templates/ and config/ into the package), installed into a new venv, and run from another
folder: `mailbot init` writes a configuration outside the checkout, the state goes to a
folder of its own, `mailbot check` passes, and `mailbot run --once` answers one mail from a
local Maildir with an acknowledgement rendered from the bundled templates.
"""

from __future__ import annotations

import email
import os
import shutil
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest

from tests.mailfactory import make_mail

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "mailbot",
                 "templates", "config", "deploy")


def sh(*args: str | Path, cwd: Path, env: dict[str, str],
       timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAILBOT_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(extra)
    return env


def install(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    for name in PROJECT_FILES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    venv = tmp_path / "venv"
    made = sh(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=clean_env())
    assert made.returncode == 0, made.stderr
    pip = sh(venv / "bin" / "python", "-m", "pip", "install", "--quiet", source,
             cwd=tmp_path, env=clean_env(), timeout=600)
    assert pip.returncode == 0, pip.stdout + pip.stderr
    shutil.rmtree(source)  # nothing may be read from the sources after the install
    return venv


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One install for the module's tests (a minute of pip)."""
    return install(tmp_path_factory.mktemp("installed"))


def test_installed_mailbot_stands_alone(venv: Path, tmp_path: Path) -> None:
    mailbot = venv / "bin" / "mailbot"
    elsewhere = tmp_path / "elsewhere"  # the current folder: neither checkout nor config
    elsewhere.mkdir()
    state = tmp_path / "var" / "mailbot"
    env = clean_env(MAILBOT_STATE_DIR=str(state))

    where = sh(venv / "bin" / "python", "-c", "import mailbot.service.bundled as b; "
               "print(b.templates()); print(b.rules())", cwd=elsewhere, env=env)
    assert where.returncode == 0, where.stderr
    assert all(line.startswith(str(venv)) for line in where.stdout.splitlines()), where.stdout

    etc = tmp_path / "etc" / "mailbot"
    init = sh(mailbot, "init", etc, cwd=elsewhere, env=env)
    assert init.returncode == 0, init.stderr
    assert "1." in init.stdout and "people.toml" in init.stdout
    config = etc / "mailbot.toml"
    inbox = tmp_path / "maildir"
    text = config.read_text(encoding="utf-8")
    text = text.replace('kind = "imap"', f'kind = "maildir"\npath = "{inbox}"', 1)
    text = text.replace('kind = "smtp"', 'kind = "maildir"', 1)
    config.write_text(text, encoding="utf-8")
    for sub in ("cur", "new", "tmp"):
        (inbox / sub).mkdir(parents=True)
    (inbox / "new" / "1.sample").write_bytes(make_mail(message_id="first@mail.example"))

    check = sh(mailbot, "--config", config, "check", cwd=elsewhere, env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "1 unread message(s) waiting" in check.stdout and not state.exists()

    run = sh(mailbot, "--config", config, "run", "--once", cwd=elsewhere, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 new cases" in run.stdout and "Traceback" not in run.stderr
    sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in (state / "sent" / "new").iterdir()]
    acks = [m for m in sent if ".ack." in m["Message-ID"]]
    assert len(acks) == 1 and acks[0]["Subject"].startswith("[ЭЖ #1]"), [
        m["Subject"] for m in sent]
    assert acks[0].get_body(("plain",)).get_content().strip()  # rendered from the package
    assert acks[0].get_body(("html",)).get_content().strip()
    assert (state / "mailbot.sqlite3").is_file() and (state / "mailbot.secret").is_file()
    assert sorted(p.name for p in etc.iterdir()) == sorted(
        ["mailbot.toml", "people.toml", "categories.toml", "routes.toml", "etiquette.toml",
         "knowledge.toml", "calendar.toml", "schedule.toml"]), "nothing written beside it"

    status = sh(mailbot, "--config", config, "status", "--json", cwd=elsewhere, env=env)
    assert status.returncode in (0, 1) and '"poll"' in status.stdout, status.stdout


def test_installed_mailbot_starts_a_district(venv: Path, tmp_path: Path) -> None:
    """`mailbot init --schools`: the district file and a folder per school, from the
    package alone; each school answers its own mail, numbered from 1, into one database."""
    mailbot = venv / "bin" / "mailbot"
    state = tmp_path / "var" / "mailbot"
    env = clean_env(MAILBOT_STATE_DIR=str(state))
    etc = tmp_path / "etc" / "mailbot"
    init = sh(mailbot, "init", etc, "--schools", "north", "south", cwd=tmp_path, env=env)
    assert init.returncode == 0, init.stderr
    assert "north, south" in init.stdout
    for name in ("north", "south"):
        school = etc / "schools" / name / "mailbot.toml"
        text = school.read_text(encoding="utf-8")
        school.write_text(text.replace('kind = "imap"', 'kind = "maildir"', 1)
                          .replace('kind = "smtp"', 'kind = "maildir"', 1), encoding="utf-8")
        inbox = state / name / "mailbox"
        for sub in ("cur", "new", "tmp"):
            (inbox / sub).mkdir(parents=True)
        (inbox / "new" / "1.sample").write_bytes(make_mail(
            message_id=f"first@{name}.example", to=f"help@{name}.school.example"))

    config = etc / "mailbot.toml"
    check = sh(mailbot, "--config", config, "check", cwd=tmp_path, env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("OK: ready to start") == 2, check.stdout

    run = sh(mailbot, "--config", config, "run", "--once", cwd=tmp_path, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.count("1 new cases") == 2 and "Traceback" not in run.stderr
    for name in ("north", "south"):
        sent = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
                for p in (state / name / "sent" / "new").iterdir()]
        acks = [m for m in sent if ".ack." in m["Message-ID"]]
        assert len(acks) == 1 and acks[0]["Subject"].startswith("[ЭЖ #1]")
        assert acks[0]["From"].addresses[0].addr_spec == f"help@{name}.school.example"
    assert sorted(p.name for p in state.iterdir()) == [
        "mailbot.secret", "mailbot.sqlite3", "north", "south"]
