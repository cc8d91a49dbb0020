from pathlib import Path

import pytest

from mailbot.config import ConfigError, load

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mailbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_default_is_valid() -> None:
    config = load(ROOT / "config" / "mailbot.toml")
    assert config.mailbox.kind == "maildir"
    assert config.helpdesk.timezone == "Asia/Yekaterinburg"
    assert config.database_url.startswith("sqlite:////")


def test_unknown_key_names_file_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[helpdesk]\naddress = "h@s.example"\n[mailbox]\nhots = "x"\n')
    with pytest.raises(ConfigError) as err:
        load(path)
    assert str(err.value) == f"{path}: mailbox.hots: unknown key"


def test_wrong_value_names_key_and_reason(tmp_path: Path) -> None:
    path = write(tmp_path, '[helpdesk]\naddress = "h@s.example"\n[mailbox]\nport = "abc"\n')
    with pytest.raises(ConfigError, match=r"mailbox\.port: .*integer"):
        load(path)
    path = write(tmp_path, '[helpdesk]\naddress = "h@s.example"\ntimezone = "Mars/Base"\n')
    with pytest.raises(ConfigError, match=r"helpdesk\.timezone: unknown time zone"):
        load(path)
    path = write(tmp_path, '[helpdesk]\naddress = "h@s.example"\n[mailbox]\nkind = "imap"\n')
    with pytest.raises(ConfigError, match=r"mailbox: host: required"):
        load(path)


def test_missing_section_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="helpdesk: required key is missing"):
        load(write(tmp_path, "[database]\n"))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load(write(tmp_path, "[helpdesk\n"))
    with pytest.raises(ConfigError, match="file not found"):
        load(tmp_path / "absent.toml")


def test_password_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        '[helpdesk]\naddress = "h@s.example"\n[mailbox]\nkind = "imap"\nhost = "127.0.0.1"\n'
        'username = "u"\npassword_env = "MAILBOT_TEST_SECRET"\n'
    )
    monkeypatch.delenv("MAILBOT_TEST_SECRET", raising=False)
    with pytest.raises(ConfigError, match="MAILBOT_TEST_SECRET is not set"):
        load(write(tmp_path, text))
    monkeypatch.setenv("MAILBOT_TEST_SECRET", "s3cret")
    config = load(write(tmp_path, text))
    assert config.mailbox.secret() == "s3cret"
    assert "s3cret" not in repr(config)


def test_relative_paths_follow_the_file(tmp_path: Path) -> None:
    config = load(write(tmp_path, '[helpdesk]\naddress = "h@s.example"\n'))
    assert config.resolve(config.mailbox.path) == (tmp_path / "../data/mailbox").resolve()
    assert config.database_url == f"sqlite:///{(tmp_path / '../data/mailbot.sqlite3').resolve()}"
