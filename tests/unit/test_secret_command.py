"""`mailbot secret rotate` on a real state folder, through the command line."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot import cli
from mailbot import config as config_module
from mailbot.config import ConfigError
from mailbot.desk import keyring
from mailbot.service import secret

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("MAILBOT_SECRET", raising=False)
    monkeypatch.delenv("MAILBOT_STATE_DIR", raising=False)
    path = tmp_path / "mailbot.toml"
    path.write_text('state_dir = "state"\n[helpdesk]\naddress = "help@school.example"\n'
                    "[security]\nsecret_grace_days = 10\n", encoding="utf-8")
    return path


def test_rotate_twice_keeps_the_previous_secrets_within_grace(config_file: Path) -> None:
    config = config_module.load(config_file)
    first = secret.rotate(config, NOW)  # no secret yet: one is made, nothing to retire
    assert first.done and "no secret yet" in first.message
    original, none = keyring.parse(config.secret_path.read_text(), "f")
    assert none == ()
    second = secret.rotate(config, NOW + timedelta(days=1))
    assert "accepted until 2026-12-14 08:00 UTC (10 days)" in second.message
    current, retired = keyring.parse(config.secret_path.read_text(), "f")
    assert current != original and [r.secret for r in retired] == [original]
    assert stat.S_IMODE(os.stat(config.secret_path).st_mode) == 0o600
    # A third rotation after the first one's grace drops it and keeps the second.
    secret.rotate(config, NOW + timedelta(days=12))
    latest, kept = keyring.parse(config.secret_path.read_text(), "f")
    assert [r.secret for r in kept] == [current] and latest not in (current, original)


def test_through_the_command_line(config_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--config", str(config_file), "secret", "rotate"]) == 0
    assert cli.main(["--config", str(config_file), "secret", "rotate"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and "a new secret signs from now on" in out[1]


def test_a_secret_from_the_environment_is_changed_by_the_operator(
    config_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("MAILBOT_SECRET", "0123456789abcdef-from-env")
    config = config_module.load(config_file)
    said = secret.rotate(config, NOW)
    assert not said.done and not config.secret_path.exists()
    assert 'MAILBOT_SECRET_PREVIOUS="2026-12-03 <the current value of MAILBOT_SECRET>"' in (
        said.message)
    assert "accepted until 2026-12-13 00:00 UTC" in said.message
    assert cli.main(["--config", str(config_file), "secret", "rotate"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mailbot: the secret comes from $MAILBOT_SECRET") and err.count("\n") == 1


def test_a_broken_secret_file_is_one_line_and_left_alone(config_file: Path) -> None:
    config = config_module.load(config_file)
    config.secret_path.parent.mkdir(parents=True)
    config.secret_path.write_text("current 0123456789abcdef\nretired soon 0123456789abcdef\n")
    with pytest.raises(ConfigError, match=r"security.secret_file: .*line 2: 'soon' is not a date"):
        secret.rotate(config, NOW)
    assert "retired soon" in config.secret_path.read_text()
