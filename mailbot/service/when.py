"""When the weekly digests go out next, for the start-up line and `mailbot status`."""

from __future__ import annotations

from datetime import datetime, timedelta

from mailbot.adapters.clock import to_local
from mailbot.config import Config
from mailbot.jobs.periodic import last_due


def next_digests(config: Config, now: datetime) -> dict[str, datetime]:
    """The next moment of each weekly digest (aware, in the school's time zone)."""
    settings = config.digests
    local = to_local(now, config.helpdesk.timezone)
    return {
        "admin_digest": last_due(local, settings.admin_day, settings.admin_time)
        + timedelta(days=7),
        "schedule_digest": last_due(local, settings.schedule_day, settings.schedule_time)
        + timedelta(days=7),
    }
