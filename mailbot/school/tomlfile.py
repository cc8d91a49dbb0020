"""Reading the school's TOML files: one loader, one error format, one date format.

Every rule file (people, routes, calendar, schedule, categories, etiquette, knowledge) is read
by `load`: TOML is parsed, then checked against a pydantic model of the file. A mistake
becomes one line naming the file, the key and why, with entries of a list counted from 1 as a
person counts them: `config/etiquette.toml: obscene[3].stems: field required`.

Dates are written either as ISO (`2026-12-31`, also a bare TOML date) or as Russians write
them (`31.12.2026`); `SchoolDate` accepts both wherever a rule file holds a date.

The plain value types every rule file uses (`Text`, `AnyText`, `Count`, `Table`, `choice`,
`list_of_tables`) live here too; school/fields.py and text/fields.py add the types of their
own files. A wrong type raises ValueError, not TypeError: pydantic makes a field error only
of a ValueError (hence the `noqa: TRY004`).
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


# --------------------------------------------------------------------------- plain values


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"must be non-empty text, got {value!r}")
    return value.strip()


def _any_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"must be text, got {value!r}")  # noqa: TRY004
    return value.strip()


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"must be a whole number of at least 1, got {value!r}")
    return value


def _table(value: Any) -> Any:
    if not isinstance(value, dict):
        raise ValueError("must be a table")  # noqa: TRY004
    return value


Text = Annotated[str, BeforeValidator(_text)]  # stripped, not empty
AnyText = Annotated[str, BeforeValidator(_any_text)]  # stripped, may be empty
Count = Annotated[int, BeforeValidator(_count)]  # a whole number, 1 or more
Table = BeforeValidator(_table)  # «must be a table» instead of pydantic's class name


def choice(*allowed: str) -> Any:
    """A text that must be one of `allowed`."""
    def check(value: Any) -> str:
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}, got {value!r}")
        return value
    return Annotated[str, BeforeValidator(check)]


def list_of_tables(name: str, *, filled: bool = False) -> BeforeValidator:
    """A [[name]] list: «must be a list of [[name]] tables» for anything else."""
    def check(value: Any) -> Any:
        if (not isinstance(value, list) or not all(isinstance(v, dict) for v in value)
                or (filled and not value)):
            need = "a non-empty" if filled else "a"
            raise ValueError(f"must be {need} list of [[{name}]] tables")
        return value
    return BeforeValidator(check)
