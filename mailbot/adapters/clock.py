"""The clock adapter: the only place that asks the system what time it is.

Everything works in aware UTC datetimes (sqlmodel refuses naive ones); conversion to the
school's zone happens only when something is shown to a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """Current time, aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock tests move by hand."""

    current: datetime = field(default_factory=lambda: datetime(2026, 11, 23, 5, 0, tzinfo=UTC))

    def now(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> None:
        self.current += timedelta(**kwargs)


def to_local(moment: datetime, zone: str) -> datetime:
    """UTC (aware, or naive as some databases return it) → local time in the school's zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone))


def local_text(moment: datetime, zone: str) -> str:
    """A moment as the school reads it in mail: 03.12.2026 14:05 in the school's zone."""
    return to_local(moment, zone).strftime("%d.%m.%Y %H:%M")


def from_aware(moment: datetime) -> datetime:
    """A mail's Date header → aware UTC (a date without a zone is taken as UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
