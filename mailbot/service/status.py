"""`mailbot status [--json]`: is the help desk working? For people and for monitoring.

Reads, never writes: the worker's heartbeat file in the state folder (last successful poll
and send, a server down since when) and the database opened read-only (unsent and failed
mail, the oldest case without an answer, the quarantine). The exit code is what Nagios-style
monitoring expects: 0 OK, 1 warning, 2 critical.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from mailbot.adapters.clock import Clock, local_text
from mailbot.config import Config
from mailbot.school.rulebook import Rulebook
from mailbot.service import health
from mailbot.service.when import next_digests
from mailbot.storage import db, store

OK, WARNING, CRITICAL = 0, 1, 2
LEVELS = ("OK", "WARNING", "CRITICAL")


@dataclass
class Check:
    name: str
    level: int
    text: str


@dataclass
class Status:
    checks: list[Check] = field(default_factory=list)

    def add(self, name: str, level: int, text: str) -> None:
        self.checks.append(Check(name, level, text))

    @property
    def level(self) -> int:
        return max((c.level for c in self.checks), default=OK)


def gather(config: Config, rules: Rulebook, clock: Clock) -> Status:
    now = clock.now()
    status = Status()
    _worker(status, config, now)
    engine = db.read_only_engine(config.database_url, config.database.lock_timeout)
    if engine is None:
        status.add("database", CRITICAL, "not created yet: the worker has never started")
    else:
        try:
            with Session(engine) as session:
                _database(status, session, config, rules, now)
        except SQLAlchemyError as exc:
            status.add("database", CRITICAL, f"cannot be read: {db.short_error(exc)}")
        finally:
            engine.dispose()
    nexts = next_digests(config, now)
    status.add("next", OK, "; ".join(f"{kind} {local_text(at, config.helpdesk.timezone)}"
                                     for kind, at in sorted(nexts.items(), key=lambda i: i[1])))
    return status


def _age(now: datetime, moment: datetime) -> str:
    minutes = int((now - moment).total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"


def _worker(status: Status, config: Config, now: datetime) -> None:
    beat = health.read(config.state_path)
    if beat is None:
        status.add("worker", CRITICAL, f"no heartbeat in {config.state_path / health.FILE_NAME}:"
                                       " the worker has not run here")
        return
    stale = timedelta(seconds=max(300.0, 5 * config.worker.poll_seconds))
    for name, last, since in (("poll", beat.last_poll_ok, beat.mailbox_down_since),
                              ("send", beat.last_send_ok, beat.smtp_down_since)):
        if since:
            down = datetime.fromisoformat(since)
            level = CRITICAL if now - down > timedelta(minutes=15) else WARNING
            status.add(name, level, f"server unreachable since {_local(config, down)} "
                                    f"({_age(now, down)})")
        elif not last:
            status.add(name, WARNING, "no success yet")
        else:
            moment = datetime.fromisoformat(last)
            level = OK if now - moment <= stale else CRITICAL
            note = "" if level == OK else " — is the worker running?"
            status.add(name, level, f"last success {_local(config, moment)} "
                                    f"({_age(now, moment)}){note}")


def _database(status: Status, session: Session, config: Config, rules: Rulebook,
              now: datetime) -> None:
    box = store.mailbox_row(session, config.helpdesk.address)
    if box is None or box.id is None:
        status.add("database", WARNING, "no mail processed yet")
        return
    counts = store.outbox_counts(session, box.id)
    unsent = counts.get("pending", 0) + counts.get("sending", 0)
    oldest = store.oldest_unsent(session, box.id)
    level = OK
    if oldest is not None and now - _aware(oldest) > timedelta(hours=2):
        level = CRITICAL
    elif oldest is not None and now - _aware(oldest) > timedelta(minutes=15):
        level = WARNING
    waited = f", the oldest queued {_age(now, _aware(oldest))}" if oldest else ""
    status.add("outbox", level, f"{unsent} unsent{waited}")
    failed = store.failed_since(session, box.id, now - timedelta(days=7))
    status.add("failed", WARNING if failed else OK,
               f"{failed} outgoing mail(s) failed in the last 7 days"
               + (" (see `mailbot outbox`)" if failed else ""))
    _unanswered(status, session, box.id, config, rules, now)
    held = store.count_held_quarantine(session, box.id)
    status.add("quarantine", WARNING if held else OK,
               f"{held} mail(s) held" + (" (see `mailbot quarantine`)" if held else ""))


def _unanswered(status: Status, session: Session, box_id: int, config: Config,
                rules: Rulebook, now: datetime) -> None:
    case = store.oldest_unanswered(session, box_id)
    if case is None:
        status.add("cases", OK, "no case waits for a first answer")
        return
    created = _aware(case.created_at)
    _, tell_after = config.sla.targets(case.category)
    if rules.calendar is not None:
        hours = rules.calendar.working_seconds_between(created, now) / 3600
        waited = f"{hours:.0f} working hours"
    else:
        hours = (now - created).total_seconds() / 3600
        waited = f"{hours:.0f} hours"
    level = WARNING if hours >= tell_after else OK
    status.add("cases", level, f"oldest unanswered: case {case.number}, waiting {waited} "
                               f"(opened {_local(config, created)})")


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local(config: Config, moment: datetime) -> str:
    return local_text(moment, config.helpdesk.timezone)


def text(status: Status) -> str:
    lines = [f"mailbot status: {LEVELS[status.level]}"]
    for check in status.checks:
        mark = "" if check.level == OK else f"  [{LEVELS[check.level]}]"
        lines.append(f"  {check.name + ':':<12}{check.text}{mark}")
    return "\n".join(lines)


def as_json(status: Status) -> str:
    return json.dumps({"status": LEVELS[status.level].lower(),
                       "checks": [{**asdict(c), "level": LEVELS[c.level].lower()}
                                  for c in status.checks]}, ensure_ascii=False)
