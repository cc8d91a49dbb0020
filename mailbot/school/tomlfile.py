"""Reading the school's TOML files: one loader, one error format, one date format.

Every rule file (people, routes, calendar, schedule, categories, etiquette, knowledge) is read
by `load`: TOML is parsed, then checked against a pydantic model of the file. A mistake
becomes one line naming the file, the key and why, with entries of a list counted from 1 as a
person counts them: `config/etiquette.toml: obscene[3].stems: field required`.

Dates are written either as ISO (`2026-12-31`, also a bare TOML date) or as Russians write
them (`31.12.2026`); `SchoolDate` accepts both wherever a rule file holds a date.
"""

from __future__ import annotations

import re
import tomllib
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

_DOTTED_RE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_ISO_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")

M = TypeVar("M", bound=BaseModel)


class RuleModel(BaseModel):
    """Base of every rule-file model: unknown keys are mistakes, loaded data is frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


def read(path: Path, error: type[ValueError]) -> dict[str, Any]:
    """The file as a dict, or `error` whose message is one line naming the file and why."""
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8: {exc.reason}") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


def load(path: Path, model: type[M], error: type[ValueError]) -> M:
    """Read `path` and check it against `model`; any mistake is `error` in one line."""
    return validate(read(path, error), model, error, path)


def validate(data: Any, model: type[M], error: type[ValueError], path: Path | str) -> M:
    """Check already read data against `model` (for callers that read the file themselves)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise error(f"{path}: {describe(exc)}") from None


def describe(exc: ValidationError) -> str:
    """The first problem of a validation error as `key.sub[n]: why`, lists counted from 1."""
    first = exc.errors(include_url=False)[0]
    where = key_path(first.get("loc", ()))
    message = str(first.get("msg", "invalid"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if first.get("type") == "extra_forbidden":
        message = "unknown key"
    elif first.get("type") == "missing":
        message = "missing"
    return f"{where}: {message}" if where else message


def key_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('obscene', 2, 'stems') -> 'obscene[3].stems': a position counts from 1."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_date(value: Any, where: str = "") -> date:
    """A TOML date, "2026-12-31" or "31.12.2026"; anything else is a ValueError naming `where`."""
    prefix = f"{where}: " if where else ""
    # ValueError throughout, also for a wrong type: pydantic turns only that into a field error.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, datetime):
        value = value.isoformat()
    text = value.strip() if isinstance(value, str) else ""
    match = _DOTTED_RE.match(text)
    if match:
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO_RE.match(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        raise ValueError(f"{prefix}must be a date like 2026-12-31 or 31.12.2026, got {value!r}")
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"{prefix}no such date {value!r}") from None


def format_date(day: date) -> str:
    """How a date is shown to people in messages and mail: 31.12.2026."""
    return f"{day:%d.%m.%Y}"


SchoolDate = Annotated[date, BeforeValidator(parse_date)]
