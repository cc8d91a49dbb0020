"""Periodic mail starts from installation: a first start mails no digest of the weeks
before it, and the first digests come at their next moment after it."""

from __future__ import annotations

from datetime import UTC, datetime

from mailbot.jobs import periodic
from mailbot.worker import mailbox_id
from tests.integration.mailflow import Sent, deliver
from tests.mailfactory import make_mail


def test_first_start_on_a_wednesday_sends_no_old_digest(desk) -> None:  # type: ignore[no-untyped-def]
    desk.clock.current = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # Wednesday 11:00 local
    assert desk.worker.digest_job() == {}, "nothing from before the installation"
    deliver(desk, make_mail())
    desk.worker.time_job()
    desk.send()
    assert Sent(desk).of("admin_digest") == [] and Sent(desk).of("schedule_digest") == []

    desk.clock.current = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)  # Friday 14:30 local
    assert desk.worker.digest_job() == {"schedule_digest": "2026-W50"}
    desk.clock.current = datetime(2026, 12, 7, 4, 0, tzinfo=UTC)  # Monday 09:00 local
    assert desk.worker.digest_job() == {"admin_digest": "2026-W49"}
    desk.send()
    assert Sent(desk).of("admin_digest"), "the week of the installation is reported"


def test_the_installation_moment_is_kept(desk) -> None:  # type: ignore[no-untyped-def]
    desk.clock.current = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
    box = mailbox_id(desk.app)
    first = periodic.installed_at(desk.app, box)
    desk.clock.current = datetime(2027, 1, 20, 6, 0, tzinfo=UTC)
    assert periodic.installed_at(desk.app, box) == first == desk.clock.current.replace(
        year=2026, month=12, day=2)


def test_an_older_database_counts_from_its_first_event(desk) -> None:  # type: ignore[no-untyped-def]
    """Upgrading a running desk loses no digest that fell due while it was down for it."""
    deliver(desk, make_mail())  # Monday 23 November, before the record existed
    desk.clock.current = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)  # back on Wednesday
    assert desk.worker.digest_job().get("admin_digest") == "2026-W48"
