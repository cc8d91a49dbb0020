"""Value types shared by the school's rule files: people, routes, schedule and calendar.

Each type annotates a field of a `tomlfile.RuleModel`: it takes what a school writes
(«пн» or "mon", "08:00-17:00", one address or a list of them) and refuses anything else
with a short reason; `tomlfile` puts the file and the key in front, so every mistake is one
line such as `config/people.toml: person[3].hours: the end 08:00 is not after the start
17:00`. Dates are `tomlfile.SchoolDate`. The plain values (Text, Count, Table, choice,
list_of_tables) are tomlfile's, shared with the text rule files. A wrong type raises ValueError, not TypeError:
pydantic makes a field error only of a ValueError (hence the `noqa: TRY004`).

The checks that come after the types (one entry against another, or against another file)
raise `Mistake("key: why")` inside `naming(...)`, which gives them the same form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import time
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from mailbot.reading.addresses import canonical_address
from mailbot.school.tomlfile import Text

_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_EMAIL_RE = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_LINK_RE = re.compile(r"https?://\S+")
_RANGE_RE = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})\s*$")

WEEKDAYS: Mapping[str, int] = MappingProxyType({
    name: number
    for number, names in enumerate((
        ("пн", "понедельник", "mon", "monday"),
        ("вт", "вторник", "tue", "tuesday"),
        ("ср", "среда", "wed", "wednesday"),
        ("чт", "четверг", "thu", "thursday"),
        ("пт", "пятница", "fri", "friday"),
        ("сб", "суббота", "sat", "saturday"),
        ("вс", "воскресенье", "sun", "sunday"),
    ))
    for name in names
})


class Mistake(Exception):
    """`key: why`, found after the file was read; `naming` puts the file name in front."""


@contextmanager
def naming(source: str, error: type[ValueError]) -> Iterator[None]:
    """Turn a `Mistake` inside the block into `error("source: key: why")`."""
    try:
        yield
    except Mistake as exc:
        raise error(f"{source}: {exc}") from None


# --------------------------------------------------------------------------- plain values


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"must be true or false, got {value!r}")  # noqa: TRY004
    return value


def _id(value: str) -> str:
    if not _ID_RE.fullmatch(value):
        raise ValueError(f"bad id {value!r}; use lower-case latin letters, digits, _ and -")
    return value


def _email(value: str) -> str:
    """The address in the canonical form mail is read in (reading/addresses.py): a staff
    address written as `xn--…` or in capitals still matches the mail it sends."""
    if not _EMAIL_RE.fullmatch(value):
        raise ValueError(f"not an e-mail address: {value!r}")
    return canonical_address(value) or value.lower()


def _domain(value: str) -> str:
    domain = value.lower().lstrip("@")
    return canonical_address(f"x@{domain}").partition("@")[2] or domain


def _link(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not _LINK_RE.fullmatch(value.strip()):
        raise ValueError(f"must be a web address starting with https://, got {value!r}")
    return value.strip()


def _one_or_more(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ValueError(f"must be a text or a list of texts, got {value!r}")  # noqa: TRY004
    return value


def _list(value: Any) -> Any:
    if not isinstance(value, list):
        raise ValueError(f"must be a list, got {value!r}")  # noqa: TRY004
    return value


Flag = Annotated[bool, BeforeValidator(_flag)]
Id = Annotated[Text, AfterValidator(_id)]
Email = Annotated[Text, AfterValidator(_email)]
Domain = Annotated[Text, AfterValidator(_domain)]
Link = Annotated[str | None, BeforeValidator(_link)]  # "" is no link
OneOrMore = BeforeValidator(_one_or_more)  # `x = "a"` is read as `x = ["a"]`
Listed = BeforeValidator(_list)  # «must be a list» instead of pydantic's «valid tuple»


def at_least_one(what: str) -> AfterValidator:
    """For a list that may not be empty: «at least one [[person]] is needed»."""
    def check(items: list[Any]) -> list[Any]:
        if not items:
            raise ValueError(f"at least one {what} is needed")
        return items
    return AfterValidator(check)


# --------------------------------------------------------------------------- days and times


def parse_time_range(value: Any) -> tuple[time, time]:
    """"08:00-17:00" (or with an en dash, or 8.00) → (08:00, 17:00); the end must be later."""
    if not isinstance(value, str) or not (match := _RANGE_RE.match(value)):
        raise ValueError(f'must be a time range like "08:00-17:00", got {value!r}')
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError(f"no such time in {value!r}") from None
    if end <= start:
        raise ValueError(f"the end {end:%H:%M} is not after the start {start:%H:%M}")
    return start, end


def parse_weekday(value: Any) -> int:
    """«вторник», «вт», "tue" or "Tuesday" (any case) → 1; Monday is 0."""
    key = value.strip().lower().replace("ё", "е") if isinstance(value, str) else None
    if key not in WEEKDAYS:
        raise ValueError(f"must be a day of the week such as «вторник», «вт» or \"tue\", "
                         f"got {value!r}")
    return WEEKDAYS[key]


def _weekdays(value: Any) -> frozenset[int]:
    days = frozenset(parse_weekday(v) for v in _one_or_more(value))
    if not days:
        raise ValueError("at least one day is needed")
    return days


TimeRange = Annotated[tuple[time, time], BeforeValidator(parse_time_range)]
Weekday = Annotated[int, BeforeValidator(parse_weekday)]
Weekdays = Annotated[frozenset[int], BeforeValidator(_weekdays)]
