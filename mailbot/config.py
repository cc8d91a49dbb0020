"""Load and validate the TOML configuration once, at start.

A mistake in the file stops the program with one line naming the file, the key and why
(ConfigError). Relative paths in the file are relative to the file's own folder, so the
same file works whatever the current directory is. Secrets come from the environment
(`password_env`) or a file outside the repository (`password_file`).

What mailbot writes (the SQLite database, the secret, local mailboxes) lives in one state
folder: $MAILBOT_STATE_DIR, else `state_dir` in the file, else /var/lib/mailbot (the
systemd unit's StateDirectory). A state path left out of the file is a name inside that
folder, never a path beside the configuration, so a config in /etc/mailbot writes nothing
there.
"""

from __future__ import annotations

import os
import ssl
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

# The checkout's embedded default first, then the installed service's place.
DEFAULT_PATHS = (Path("config/mailbot.toml"), Path("/etc/mailbot/mailbot.toml"))
DEFAULT_STATE_DIR = Path("/var/lib/mailbot")
STATE_ENV = "MAILBOT_STATE_DIR"


class ConfigError(Exception):
    """A configuration problem, already phrased as one line for the operator."""


def zone_name(value: str) -> str:
    """A time zone key (pydantic validator body): unchanged, or ValueError naming it."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r}") from None
    return value


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
        return zone_name(value)

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
    url: str = ""  # empty: SQLite in the state folder (mailbot.sqlite3)
    # How long to wait for a database another process holds locked before giving up.
    lock_timeout: float = Field(default=30, gt=0)


TlsMode = Literal["ssl", "starttls", "none"]


class _Server(_Section):
    host: str = ""
    port: int | None = Field(default=None, ge=1, le=65535)
    security: TlsMode = "ssl"
    username: str = ""
    password: str = ""
    password_env: str = ""
    password_file: str = ""
    path: str = ""
    timeout: float = Field(default=30.0, gt=0)
    # A PEM file of CA certificates trusted in addition to the system's: for a school's
    # internal server with a self-signed certificate. Relative to the config file's folder.
    ca_file: str = ""

    def secret(self) -> str:
        """The password, resolved at use so it never sits in a log or a repr."""
        if self.password_env:
            return os.environ.get(self.password_env, "")
        if self.password_file:
            return Path(self.password_file).read_text(encoding="utf-8").strip()
        return self.password


class Mailbox(_Server):
    kind: Literal["imap", "maildir"] = "maildir"
    path: str = ""  # empty: mailbox/ in the state folder
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
    path: str = ""  # empty: sent/ in the state folder
    security: TlsMode = "starttls"

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
    seed_samples: bool = False  # the checkout's embedded default turns it on
    samples_path: str = ""
    # A folder of the school's own templates: each one found there replaces the bundled
    # one of the same name; empty: only the templates bundled with mailbot.
    templates_path: str = ""
    # IMAP IDLE: the server wakes the worker when mail arrives (polling every poll_seconds
    # stays the fallback while IDLE is not established); with IDLE up, a full re-scan runs
    # every rescan_seconds so nothing is missed.
    idle: bool = True
    rescan_seconds: float = Field(default=300, gt=0)


class Limits(_Section):
    max_attachment_bytes: int = Field(default=10_000_000, ge=0)
    auto_replies_per_sender: int = Field(default=5, ge=0)
    auto_reply_period_minutes: int = Field(default=60, ge=1)
    tag_requires_participant: bool = True
    # After mail to an address came back as undeliverable (5.x.x): no automatic mail to it
    # for this many days (helpers' own answers still go, and a bounce is reported to them).
    bounce_quiet_days: int = Field(default=30, ge=0)


class Files(_Section):
    """The school's rule files, each checked when loaded (see rules.py). Empty = not used."""

    people: str = ""
    categories: str = ""
    routes: str = ""
    etiquette: str = ""
    knowledge: str = ""
    calendar: str = ""
    schedule: str = ""


class Security(_Section):
    """The secret that signs reply tokens: from the environment, else from a file that is
    created with a random secret on first use (keep it out of the repository). Tokens
    carry their issue day and expire; `mailbot secret rotate` starts a new secret while the
    previous one is still accepted for a grace period (desk/keyring.py)."""

    secret_env: str = "MAILBOT_SECRET"
    secret_file: str = ""  # empty: mailbot.secret in the state folder
    plus_tokens: bool = False  # also put the token in a help+token@ Reply-To address
    token_days: int = Field(default=120, ge=1)  # a token older than this is not accepted
    secret_grace_days: int = Field(default=30, ge=0)  # a rotated-out secret still accepted
    # Tokens of the old form (before tokens carried a date) are accepted until this date
    # (YYYY-MM-DD); unset: as long as the secret that signed them (see README).
    undated_tokens_until: date | None = None
    # The school's own mail server as it names itself in Authentication-Results headers
    # (e.g. "mx.school.example"; "*.mail.example" for any host of that domain); empty: off.
    authserv_id: str = ""


class Conversation(_Section):
    reopen_days: int = Field(default=14, ge=0)  # a reply to a closed case reopens it within


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Sla(_Section):
    """Response times in working hours: a reminder to the helper after the first number,
    word to the helper's direct supervisor after the second; per category if listed."""

    reminder_hours: float = Field(default=8, gt=0)
    supervisor_hours: float = Field(default=16, gt=0)
    categories: dict[str, tuple[float, float]] = {}
    check_minutes: int = Field(default=15, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> Sla:
        pairs = {"(default)": (self.reminder_hours, self.supervisor_hours), **self.categories}
        for name, (first, second) in pairs.items():
            if not 0 < first < second:
                raise ValueError(f"{name}: the reminder must come before the supervisor "
                                 f"is told ({first} >= {second})")
        return self

    def targets(self, category: str) -> tuple[float, float]:
        return self.categories.get(category, (self.reminder_hours, self.supervisor_hours))


class Digests(_Section):
    admin_day: str = "mon"
    admin_time: str = "08:00"
    schedule_day: str = "fri"
    schedule_time: str = "14:00"
    seminar_reminder_time: str = "12:00"  # the day before a seminar

    @field_validator("admin_day", "schedule_day")
    @classmethod
    def _day(cls, value: str) -> str:
        if value.lower() not in _DAYS:
            raise ValueError(f"{value!r} is not one of {', '.join(_DAYS)}")
        return value.lower()

    @field_validator("admin_time", "schedule_time", "seminar_reminder_time")
    @classmethod
    def _time(cls, value: str) -> str:
        hours, _, minutes = value.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise ValueError(f"{value!r} is not a time like 08:00")
        return value


class Retention(_Section):
    """How long personal data stays (152-ФЗ): the raw mail and attachments of a case are
    deleted `raw_days` after it closed; a closed case is pseudonymised (names, addresses,
    subjects and texts replaced; the digest's figures kept) `pseudonymise_months` after it
    closed, and loses its raw mail then at the latest. jobs/retention.py does it daily."""

    raw_days: int = Field(default=90, ge=1)
    pseudonymise_months: int = Field(default=12, ge=1)


class Config(_Section):
    state_dir: str = ""
    helpdesk: Helpdesk
    database: Database = Database()
    mailbox: Mailbox = Mailbox()
    smtp: Smtp = Smtp()
    worker: Worker = Worker()
    limits: Limits = Limits()
    files: Files = Files()
    security: Security = Security()
    conversation: Conversation = Conversation()
    sla: Sla = Sla()
    digests: Digests = Digests()
    retention: Retention = Retention()

    source_path: Path = Path(".")
    state_path: Path = DEFAULT_STATE_DIR  # set by load(): see state_folder()

    @model_validator(mode="after")
    def _retention_after_reopening(self) -> Config:
        # A case that can still reopen must keep its mail (and the ledger's "case N" key
        # stays true: raw mail is dropped once, after the case can no longer reopen).
        if self.retention.raw_days < self.conversation.reopen_days:
            raise ValueError(f"retention.raw_days ({self.retention.raw_days}) must not be "
                             f"shorter than conversation.reopen_days "
                             f"({self.conversation.reopen_days})")
        return self

    def resolve(self, path: str) -> Path:
        """A path from the file, made absolute against the file's folder."""
        candidate = Path(path).expanduser()
        if not candidate.is_absolute():
            candidate = self.source_path.parent / candidate
        return candidate.resolve()

    def state_file(self, value: str, default_name: str) -> Path:
        """A state path: as written in the file, else `default_name` in the state folder."""
        return self.resolve(value) if value else self.state_path / default_name

    @property
    def database_url(self) -> str:
        url = self.database.url
        if not url:
            return f"sqlite:///{self.state_path / 'mailbot.sqlite3'}"
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(url[len(prefix):]).resolve())
        return url

    @property
    def mailbox_path(self) -> Path:
        return self.state_file(self.mailbox.path, "mailbox")

    @property
    def sent_path(self) -> Path:
        return self.state_file(self.smtp.path, "sent")

    @property
    def secret_path(self) -> Path:
        return self.state_file(self.security.secret_file, "mailbot.secret")


def config_path(cli_value: str | None) -> Path:
    """--config wins, then MAILBOT_CONFIG, then the first default file that exists."""
    chosen = cli_value or os.environ.get("MAILBOT_CONFIG")
    if chosen:
        return Path(chosen)
    return next((p for p in DEFAULT_PATHS if p.is_file()), DEFAULT_PATHS[0])


def state_folder(config_file: Path, state_dir: str) -> Path:
    """$MAILBOT_STATE_DIR, else `state_dir` (relative to the file's folder), else
    /var/lib/mailbot."""
    chosen = os.environ.get(STATE_ENV) or state_dir
    if not chosen:
        return DEFAULT_STATE_DIR
    path = Path(chosen).expanduser()
    return (path if path.is_absolute() else config_file.parent / path).resolve()


def load(path: Path) -> Config:
    """Read, validate and return the configuration, or raise ConfigError with one line."""
    raw = read_toml(path)
    if "school" in raw:
        raise ConfigError(f"{path}: a district file ([[school]] entries): mailbot loads it "
                          "with mailbot.district.deployment.load, one school at a time here")
    return validated(path, raw)


def read_toml(path: Path) -> dict[str, object]:
    """The file as TOML data, or ConfigError with one line."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def validated(path: Path, raw: dict[str, object], state_path: Path | None = None) -> Config:
    """A Config from TOML data read from `path`; `state_path` given: a district's school,
    whose state folder the district file decides (mailbot/district/deployment.py)."""
    for internal in ("source_path", "state_path"):
        if internal in raw:
            raise ConfigError(f"{path}: {internal}: unknown key")
    try:
        config = Config.model_validate({**raw, "source_path": path})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {first_error(exc)}") from None
    state = state_path or state_folder(path, config.state_dir)
    config = config.model_copy(update={"state_path": state})
    _check_secrets(path, config)
    return config


def first_error(exc: ValidationError) -> str:
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
        if server.ca_file and server.security != "none":
            _check_ca_file(path, f"{name}.ca_file", config.resolve(server.ca_file))


def _check_ca_file(path: Path, key: str, ca: Path) -> None:
    """Fail at start, not at the first connection, on a CA file that cannot be used."""
    if not ca.is_file():
        raise ConfigError(f"{path}: {key}: no such file: {ca}")
    try:
        ssl.create_default_context().load_verify_locations(cafile=str(ca))
    except (ssl.SSLError, OSError, UnicodeDecodeError) as exc:
        why = (str(exc).strip() or type(exc).__name__).splitlines()[0]
        raise ConfigError(f"{path}: {key}: not a PEM file of CA certificates ({why})") from None
