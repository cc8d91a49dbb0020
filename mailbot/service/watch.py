"""What the worker tells the log about its servers: outages once, refusals as such.

A server that is down makes every poll and every send fail until it is back. The log gets
one WARNING when the failures start and one when they end (with how long and how many
attempts), not one line per mail per attempt. A mail the SMTP server refuses for good (5xx)
is worded as a permanent refusal, once, with the server's answer.
"""

from __future__ import annotations

import logging
from datetime import datetime

from mailbot.adapters.transport import Item, OnResult, Result, Transport
from mailbot.service.progress import Bar

log = logging.getLogger("mailbot")


class Outage:
    """The state of one server: up, or down since a moment, with the attempts counted.

    Several jobs may use one server (the database: poll, send, reminders). Each says which
    part failed; the outage ends when every part that failed has worked again, so a job that
    keeps failing while another keeps working (a read-only database with nothing to write
    for the poll) is still one outage, not a pair of lines per tick.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.since: datetime | None = None
        self.attempts = 0
        self.failing: set[str] = set()

    def failed(self, now: datetime, why: str, part: str = "") -> None:
        self.attempts += 1
        self.failing.add(part)
        if self.since is None:
            self.since = now
            log.warning("%s unreachable: %s; retrying quietly until it is back", self.what,
                        why)
        else:
            log.debug("%s still unreachable (attempt %d): %s", self.what, self.attempts, why)

    def ok(self, now: datetime, part: str = "") -> None:
        self.failing.discard(part)
        if self.failing:
            return
        if self.since is not None:
            minutes = (now - self.since).total_seconds() / 60
            log.warning("%s is back after %.0f min (%d failed attempts)", self.what, minutes,
                        self.attempts)
        self.since, self.attempts = None, 0

    @property
    def down(self) -> bool:
        return self.since is not None


class WatchedTransport:
    """A transport that reports each result to the log (and to a progress bar)."""

    def __init__(self, inner: Transport, outage: Outage, clock: object) -> None:
        self.inner, self.outage, self.clock = inner, outage, clock
        self.description = inner.description
        self.bar: Bar | None = None
        self.refused = 0

    def check(self) -> str:
        return self.inner.check()

    def send(self, items: list[Item], on_result: OnResult) -> None:
        def seen(item: Item, result: Result) -> None:
            on_result(item, result)
            self._note(item, result)
            if self.bar is not None:
                self.bar.update()
        self.inner.send(items, seen)

    def _note(self, item: Item, result: Result) -> None:
        now = self.clock.now()  # type: ignore[attr-defined]
        if result.status == "unreachable" or result.detail.startswith("421"):
            self.outage.failed(now, result.detail)
            return
        self.outage.ok(now)  # the server answered: it is up, whatever it said
        if result.status == "permanent":
            self.refused += 1
            log.warning("send: permanently refused (5xx), not retried: mail %d to %s: %s",
                        item.id, ", ".join(item.rcpts), result.detail)
        elif result.status == "temporary":
            log.info("send: mail %d to %s deferred, will retry: %s", item.id,
                     ", ".join(item.rcpts), result.detail)
