from pathlib import Path

import pytest

from mailbot.config import ConfigError, load

ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mailbot.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_default_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILBOT_STATE_DIR", raising=False)
    config = load(ROOT / "config" / "mailbot.toml")
    assert config.mailbox.kind == "maildir"
    assert config.helpdesk.timezone == "Asia/Yekaterinburg"
    assert config.database_url == f"sqlite:///{ROOT / 'data' / 'mailbot.sqlite3'}"
    assert config.mailbox_path == ROOT / "data" / "mailbox"


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


def test_relative_paths_follow_the_file(tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILBOT_STATE_DIR", raising=False)
    config = load(write(tmp_path, '[helpdesk]\naddress = "h@s.example"\n'
                                  '[mailbox]\npath = "../box"\n'
                                  '[database]\nurl = "sqlite:///db/x.sqlite3"\n'))
    assert config.mailbox_path == (tmp_path / "../box").resolve()
    assert config.database_url == f"sqlite:///{(tmp_path / 'db/x.sqlite3').resolve()}"


def test_state_defaults_to_one_folder_never_beside_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MAILBOT_STATE_DIR", raising=False)
    bare = '[helpdesk]\naddress = "h@s.example"\n'
    config = load(write(tmp_path, bare))
    state = Path("/var/lib/mailbot")
    assert config.state_path == state
    assert config.database_url == f"sqlite:///{state / 'mailbot.sqlite3'}"
    assert (config.mailbox_path, config.sent_path, config.secret_path) == (
        state / "mailbox", state / "sent", state / "mailbot.secret")
    config = load(write(tmp_path, 'state_dir = "../var"\n' + bare))
    assert config.state_path == (tmp_path / "../var").resolve()
    assert config.secret_path == (tmp_path / "../var/mailbot.secret").resolve()
    monkeypatch.setenv("MAILBOT_STATE_DIR", str(tmp_path / "env-state"))
    config = load(write(tmp_path, 'state_dir = "../var"\n' + bare))
    assert config.mailbox_path == tmp_path / "env-state" / "mailbox"


def test_internal_keys_cannot_be_set(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="state_path: unknown key"):
        load(write(tmp_path, 'state_path = "/x"\n[helpdesk]\naddress = "h@s.example"\n'))


def test_config_path_prefers_flag_then_environment(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mailbot.config import config_path

    monkeypatch.setenv("MAILBOT_CONFIG", "/env/mailbot.toml")
    assert config_path("/flag.toml") == Path("/flag.toml")
    assert config_path(None) == Path("/env/mailbot.toml")
    monkeypatch.delenv("MAILBOT_CONFIG")
    monkeypatch.chdir(tmp_path)
    assert config_path(None) in (Path("config/mailbot.toml"), Path("/etc/mailbot/mailbot.toml"))
