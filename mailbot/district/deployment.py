"""What one mailbot process serves: one school, or a district's several.

A school's file is the `mailbot.toml` it always was. A district file is a `mailbot.toml`
for the shared parts — `state_dir`, `[database]` (one database for every school),
`[security]` (one secret signs every school's tokens), `[smtp]` and `[worker]` as defaults
for a school file that has none — plus `[district]` (the department's digest) and one
`[[school]]` entry per school: `name` (short, for `--school`) and `config`, the path of that
school's complete file. Each school keeps its own mailbox, address, people, rules,
schedule, calendar and templates; its state (local Maildirs, heartbeat) lives in
`<state folder>/<name>/`. A school file that names another database or secret, or a
state folder of its own, is refused with one line: one deployment, one database.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from mailbot import config as config_module
from mailbot.config import Config, ConfigError, Database, Digests, Security, Smtp, Worker

# A school's short name: what --school takes and its state folder is called.
SCHOOL_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
# Keys of the inherited sections that are paths, made absolute against the district file.
_PATH_KEYS = {"smtp": ("path", "ca_file", "password_file"),
              "worker": ("samples_path", "templates_path")}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class District(_Section):
    """[district]: the department's weekly digest of every school's figures."""

    name: str = "Отдел образования"
    admins: tuple[str, ...] = ()  # the addresses that receive the district digest
    day: str = "mon"
    time: str = "09:00"
    timezone: str = "Asia/Yekaterinburg"

    @field_validator("admins")
    @classmethod
    def _addresses(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for addr in value:
            if "@" not in addr or " " in addr.strip():
                raise ValueError(f"not an e-mail address: {addr!r}")
        return tuple(a.strip().lower() for a in value)

    @field_validator("day", "time")
    @classmethod
    def _moment(cls, value: str, info: ValidationInfo) -> str:
        """Checked as [digests] checks admin_day and admin_time."""
        key = f"admin_{info.field_name}"
        try:
            return str(getattr(Digests.model_validate({key: value}), key))
        except ValidationError as exc:
            raise ValueError(config_module.first_error(exc).split(": ", 1)[1]) from None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return config_module.zone_name(value)


class SchoolEntry(_Section):
    name: str
    config: str

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SCHOOL_NAME.match(value):
            raise ValueError(f"{value!r}: a short name of small Latin letters, digits, - and _ "
                             "(it names the school in --school and its state folder)")
        return value


class DistrictFile(_Section):
    state_dir: str = ""
    database: Database = Database()
    security: Security = Security()
    smtp: Smtp | None = None
    worker: Worker | None = None
    district: District = District()
    school: tuple[SchoolEntry, ...] = Field(min_length=1)


@dataclass(frozen=True)
class School:
    name: str  # what --school takes
    config: Config

    @property
    def title(self) -> str:
        """How people read the school's name: helpdesk.school, else the short name."""
        return self.config.helpdesk.school or self.name


@dataclass(frozen=True)
class Deployment:
    path: Path
    schools: tuple[School, ...]
    district: District | None = None  # None: a single school's file

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.schools)

    def pick(self, name: str | None, command: str = "") -> School:
        """The school a command concerns: --school NAME, or the only one there is."""
        if name is None:
            if len(self.schools) == 1:
                return self.schools[0]
            raise ConfigError(f"{self.path}: {len(self.schools)} schools here: "
                              f"`mailbot --school NAME {command}`, NAME one of "
                              f"{', '.join(self.names)}".replace("  ", " "))
        for school in self.schools:
            if school.name.casefold() == name.strip().casefold():
                return school
        raise ConfigError(f"{self.path}: no school {name!r}; known: {', '.join(self.names)}")


def load(path: Path) -> Deployment:
    """A school's file (one school) or a district file (several), validated, or
    ConfigError with one line naming the file, the key and why."""
    raw = config_module.read_toml(path)
    if "school" not in raw and "district" not in raw:
        config = config_module.validated(path, raw)
        return Deployment(path, (School(config.helpdesk.school or "default", config),))
    try:
        shared = DistrictFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {config_module.first_error(exc)}") from None
    _unique(path, [entry.name for entry in shared.school], "school", "name")
    state = config_module.state_folder(path, shared.state_dir)
    schools = tuple(_school(path, raw, shared, entry, state) for entry in shared.school)
    _unique(path, [s.config.helpdesk.address for s in schools], "school", "address")
    return Deployment(path, schools, shared.district)


def _unique(path: Path, values: list[str], where: str, what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ConfigError(f"{path}: {where}: two schools with the {what} {value!r}")
        seen.add(value)


def _school(path: Path, district_raw: dict[str, object], shared: DistrictFile,
            entry: SchoolEntry, state: Path) -> School:
    school_path = _resolve(path, entry.config)
    if not school_path.is_file():
        raise ConfigError(f"{path}: school {entry.name}: config: no such file: {school_path}")
    raw = config_module.read_toml(school_path)
    for key in ("school", "district", "state_dir"):
        if key in raw:
            raise ConfigError(f"{school_path}: {key}: belongs in the district file {path}, "
                              "not in a school's")
    database = _shared_database(path, shared, state)
    _same(school_path, raw, "database", "url", database["url"], _sqlite_absolute(school_path))
    raw["database"] = database
    raw["security"] = _shared_security(path, school_path, raw, shared, state)
    for section in ("smtp", "worker"):
        if section not in raw and isinstance(district_raw.get(section), dict):
            raw[section] = _absolute(path, section, district_raw[section])  # type: ignore[arg-type]
    config = config_module.validated(school_path, raw, state / entry.name)
    return School(entry.name, config)


def _shared_database(path: Path, shared: DistrictFile, state: Path) -> dict[str, object]:
    url = shared.database.url
    url = _sqlite_absolute(path)(url) if url else f"sqlite:///{state / 'mailbot.sqlite3'}"
    return {"url": url, "lock_timeout": shared.database.lock_timeout}


def _shared_security(path: Path, school_path: Path, raw: dict[str, object],
                     shared: DistrictFile, state: Path) -> dict[str, object]:
    """The school's [security], with the district's one secret."""
    secret_file = (str(_resolve(path, shared.security.secret_file))
                   if shared.security.secret_file else str(state / "mailbot.secret"))
    own = dict(raw.get("security") or {})  # type: ignore[call-overload]
    _same(school_path, raw, "security", "secret_file", secret_file,
          lambda v: str(_resolve(school_path, v)))
    _same(school_path, raw, "security", "secret_env", shared.security.secret_env, str)
    district = shared.security.model_dump(exclude_defaults=True)
    return {**district, **own, "secret_file": secret_file,
            "secret_env": shared.security.secret_env}


def _same(school_path: Path, raw: dict[str, object], section: str, key: str, shared: str,
          normal: Callable[[str], str]) -> None:
    """A school file may repeat a shared setting, never change it."""
    value = (raw.get(section) or {}).get(key)  # type: ignore[union-attr]
    if value in (None, ""):
        return
    if normal(str(value)) != shared:
        raise ConfigError(f"{school_path}: {section}.{key}: differs from the district file's; "
                          f"one deployment has one {section} {key.replace('_', ' ')} "
                          f"({shared}): leave it out here")


def _sqlite_absolute(base: Path) -> Callable[[str], str]:
    """A database URL with a relative SQLite path made absolute against `base`'s folder."""
    def absolute(url: str) -> str:
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(_resolve(base, url[len(prefix):]))
        return url
    return absolute


def _absolute(path: Path, section: str, values: dict[str, object]) -> dict[str, object]:
    """A district section given to a school: its paths made absolute, so they still name
    what the district file meant from the school file's folder."""
    out = dict(values)
    for key in _PATH_KEYS.get(section, ()):
        if isinstance(out.get(key), str) and out[key]:
            out[key] = str(_resolve(path, str(out[key])))
    return out


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return (candidate if candidate.is_absolute() else base.parent / candidate).resolve()
