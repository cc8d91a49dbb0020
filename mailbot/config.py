"""Load and validate the TOML configuration once, at start.

A mistake in the file stops the program with one line naming the file, the key and why
(ConfigError). Relative paths in the file are relative to the file's own folder, so the
same file works whatever the current directory is. Secrets come from the environment
(`password_env`) or a file outside the repository (`password_file`).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

DEFAULT_PATH = Path("config/mailbot.toml")


class ConfigError(Exception):
    """A configuration problem, already phrased as one line for the operator."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Helpdesk(_Section):
    address: str
    name: str = "Служба помощи по электронному журналу"
    timezone: str = "Asia/Yekaterinburg"
    tag: str = "ЭЖ"
    message_id_domain: str = ""
    school: str = ""
    system_name: str = "ЭПОС.Школа"
    extra_addresses: tuple[str, ...] = ()

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if "@" not in value or " " in value.strip():
            raise ValueError(f"not an e-mail address: {value!r}")
        return value.strip().lower()

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("tag")
    @classmethod
    def _tag(cls, value: str) -> str:
        if not value.strip() or any(c in value for c in "[]#\r\n"):
            raise ValueError("must be a short word without [ ] # or line breaks")
        return value.strip()

    @property
    def domain(self) -> str:
        return self.message_id_domain or self.address.rsplit("@", 1)[1]

    @property
    def own_addresses(self) -> frozenset[str]:
        return frozenset({self.address, *(a.lower() for a in self.extra_addresses)})


class Database(_Section):
    url: str = "sqlite:///../data/mailbot.sqlite3"


Security = Literal["ssl", "starttls", "none"]


class _Server(_Section):
    host: str = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Security = "ssl"
    username: str = ""
    password: str = ""
    password_env: str = ""
    password_file: str = ""
    path: str = ""
    timeout: float = Field(default=30.0, gt=0)

    def secret(self) -> str:
        """The password, resolved at use so it never sits in a log or a repr."""
        if self.password_env:
            return os.environ.get(self.password_env, "")
        if self.password_file:
            return Path(self.password_file).read_text(encoding="utf-8").strip()
        return self.password


class Mailbox(_Server):
    kind: Literal["imap", "maildir"] = "maildir"
    path: str = "../data/mailbox"
    folder: str = "INBOX"
    processed_folder: str = ""
    batch_size: int = Field(default=50, ge=1, le=1000)
    batch_bytes: int = Field(default=20_000_000, ge=100_000)

    @model_validator(mode="after")
    def _complete(self) -> Mailbox:
        if self.kind == "imap" and not self.host:
            raise ValueError("host: required when kind = \"imap\"")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "ssl" else 143)


class Smtp(_Server):
    kind: Literal["smtp", "maildir"] = "maildir"
    path: str = "../data/sent"
    security: Security = "starttls"

    @model_validator(mode="after")
    def _complete(self) -> Smtp:
        if self.kind == "smtp" and not self.host:
            raise ValueError("host: required when kind = \"smtp\"")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or {"ssl": 465, "starttls": 587, "none": 25}[self.security]


class Worker(_Section):
    poll_seconds: float = Field(default=30, gt=0)
    send_seconds: float = Field(default=10, gt=0)
    retry_delays: tuple[int, ...] = (60, 300, 900, 3600, 10800)
    max_attempts: int = Field(default=8, ge=1)
    send_lease_seconds: float = Field(default=300, gt=0)
    seed_samples: bool = True
    samples_path: str = "../data/samples"
    templates_path: str = "../templates"


class Limits(_Section):
    max_attachment_bytes: int = Field(default=10_000_000, ge=0)
    auto_replies_per_sender: int = Field(default=5, ge=0)
    auto_reply_period_minutes: int = Field(default=60, ge=1)
    tag_requires_participant: bool = True


class Config(_Section):
    helpdesk: Helpdesk
    database: Database = Database()
    mailbox: Mailbox = Mailbox()
    smtp: Smtp = Smtp()
    worker: Worker = Worker()
    limits: Limits = Limits()

    source_path: Path = Path(".")

    def resolve(self, path: str) -> Path:
        """A path from the file, made absolute against the file's folder."""
        candidate = Path(path).expanduser()
        if not candidate.is_absolute():
            candidate = self.source_path.parent / candidate
        return candidate.resolve()

    @property
    def database_url(self) -> str:
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix):]).resolve())
        return url


def config_path(cli_value: str | None) -> Path:
    """--config wins, then MAILBOT_CONFIG, then the default."""
    return Path(cli_value or os.environ.get("MAILBOT_CONFIG") or DEFAULT_PATH)


def load(path: Path) -> Config:
    """Read, validate and return the configuration, or raise ConfigError with one line."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    try:
        config = Config.model_validate({**raw, "source_path": path})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {_first_error(exc)}") from None
    _check_secrets(path, config)
    return config


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    key = ".".join(str(part) for part in error["loc"]) or "(top level)"
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    return f"{key}: {message}"


def _check_secrets(path: Path, config: Config) -> None:
    for name, server, used in (
        ("mailbox", config.mailbox, config.mailbox.kind == "imap"),
        ("smtp", config.smtp, config.smtp.kind == "smtp"),
    ):
        if not used:
            continue
        if server.password_env and server.password_env not in os.environ:
            raise ConfigError(
                f"{path}: {name}.password_env: environment variable "
                f"{server.password_env} is not set"
            )
        if server.password_file and not Path(server.password_file).is_file():
            raise ConfigError(f"{path}: {name}.password_file: no such file")
