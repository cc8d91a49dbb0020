"""The jobs: poll the mailbox into cases, drain the outbox; and the loop that runs them.

`poll` walks the waiting messages oldest first: a message already in the ledger (committed
before a crash, not yet marked) is only marked; any other is ingested in its own transaction
and marked after the commit. The UID watermark moves only when a whole scan is dealt with,
so a crash mid-batch makes the next poll look again — and the ledger makes that harmless.
"""

from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler

from mailbot.adapters.source import Source, SourceError
from mailbot.adapters.transport import Transport
from mailbot.app import App
from mailbot.jobs import digests, periodic
from mailbot.outgoing import outbox
from mailbot.pipeline import ingest
from mailbot.storage import db, store
from mailbot.storage.models import Mailbox

log = logging.getLogger("mailbot")


@dataclass
class PollReport:
    seen: int = 0
    opened: int = 0
    joined: int = 0
    duplicates: int = 0
    quarantined: int = 0
    already: int = 0
    acks: int = 0
    quarantine_reasons: list[str] = field(default_factory=list)

    def count(self, kind: str) -> None:
        attr = {"opened": "opened", "joined": "joined", "duplicate": "duplicates",
                "quarantined": "quarantined", "already": "already"}[kind]
        setattr(self, attr, getattr(self, attr) + 1)


def mailbox_id(app: App) -> int:
    with db.session(app.engine) as session:
        row = store.mailbox(session, app.mailbox_name)
        session.commit()
        assert row.id is not None
        return row.id


def poll(app: App, source: Source, mark_batch: int = 50) -> PollReport:
    report = PollReport()
    box_id = mailbox_id(app)
    with db.session(app.engine) as session:
        box = session.get(Mailbox, box_id)
        assert box is not None
        scan = source.scan(box.uidvalidity, box.last_uid)
        done_before = store.ingested(session, box_id, scan.keys)
    report.already = len(done_before)
    if done_before:
        source.mark_done([k for k in scan.keys if k in done_before])
    to_mark: list[str] = []
    for key, raw in source.fetch([k for k in scan.keys if k not in done_before]):
        report.seen += 1
        outcome = ingest(app, box_id, key, raw)
        report.count(outcome.kind)
        report.acks += outcome.acked
        if outcome.kind == "quarantined":
            report.quarantine_reasons.append(f"{key}: {outcome.reasons[0]}")
        to_mark.append(key)
        if len(to_mark) >= mark_batch:
            source.mark_done(to_mark)
            to_mark = []
    source.mark_done(to_mark)
    if scan.uidvalidity is not None:
        _advance(app, box_id, scan.uidvalidity, scan.high_uid)
    return report


def _advance(app: App, box_id: int, uidvalidity: int, high_uid: int) -> None:
    with db.session(app.engine) as session:
        box = session.get(Mailbox, box_id)
        assert box is not None
        if box.uidvalidity != uidvalidity:
            box.uidvalidity, box.last_uid = uidvalidity, 0
        box.last_uid = max(box.last_uid, high_uid)
        session.add(box)
        session.commit()


class Backoff:
    """Growing pauses after a server failure, reset by the first success."""

    def __init__(self, first: float = 5, limit: float = 300) -> None:
        self.first, self.limit = first, limit
        self.delay = 0.0
        self.until: datetime | None = None

    def failed(self, now: datetime) -> float:
        self.delay = min(self.limit, self.delay * 2 if self.delay else self.first)
        self.until = now + timedelta(seconds=self.delay)
        return self.delay

    def ok(self) -> None:
        self.delay, self.until = 0.0, None

    def waiting(self, now: datetime) -> bool:
        return self.until is not None and now < self.until


class Worker:
    """Both jobs with their own backoff; safe to call from a scheduler thread."""

    def __init__(self, app: App, source: Source, transport: Transport) -> None:
        self.app, self.source, self.transport = app, source, transport
        self.poll_backoff, self.send_backoff = Backoff(), Backoff()
        self.lock = threading.Lock()

    def poll_job(self) -> PollReport | None:
        now = self.app.clock.now()
        if self.poll_backoff.waiting(now):
            return None
        with self.lock:
            try:
                report = poll(self.app, self.source)
            except SourceError as exc:
                delay = self.poll_backoff.failed(now)
                log.error("%s; next try in %.0f s", exc, delay)
                return None
        self.poll_backoff.ok()
        if report.seen:
            log.info("poll: %s", describe_poll(report))
        for reason in report.quarantine_reasons:
            log.warning("quarantined %s", reason)
        return report

    def send_job(self) -> outbox.SendReport | None:
        now = self.app.clock.now()
        if self.send_backoff.waiting(now):
            return None
        with self.lock:
            report = outbox.drain(self.app, self.transport)
        if report.sent or report.failed or report.retrying:
            log.info("send: %d sent, %d to retry, %d failed", report.sent, report.retrying,
                     report.failed)
        for error in report.errors:
            log.warning("send: %s", error)
        return report

    def time_job(self) -> dict[str, int]:
        """Reminders and seminar notices that are due, each made once (periodic.py)."""
        with self.lock:
            report = periodic.run_all(self.app, mailbox_id(self.app))
        if any(report.values()):
            log.info("reminders: %s", ", ".join(f"{k}={v}" for k, v in report.items() if v))
        # Digests too: the ledger makes this cheap and idempotent, and a digest that failed
        # at its hour (a locked database, a network blip) is retried minutes later.
        self.digest_job()
        return report

    def digest_job(self) -> dict[str, str]:
        """The weekly digests whose time has come and that were not sent yet."""
        with self.lock:
            try:
                sent = digests.due(self.app, mailbox_id(self.app))
            except ValueError as exc:  # a digest the rules files cannot support
                log.error("digest: %s", exc)
                return {}
            except Exception:
                log.exception("digest failed; it will be tried again on the next run")
                return {}
        for kind, week in sent.items():
            log.info("%s for %s queued", kind, week)
        return sent

    def close(self) -> None:
        self.source.close()


def describe_poll(report: PollReport) -> str:
    return (f"{report.seen} new mail: {report.opened} new cases, {report.joined} follow-ups, "
            f"{report.duplicates} duplicates, {report.quarantined} quarantined, "
            f"{report.acks} acknowledgements queued")


_running: Worker | None = None  # the worker of run_forever, for jobs kept in the database


def scheduled_digests() -> None:
    """The digest job as APScheduler stores it: by reference, so it finds the running
    worker here rather than in its pickled arguments."""
    if _running is not None:
        _running.digest_job()


def run_forever(worker: Worker) -> None:
    """Poll and send on a schedule until SIGTERM or SIGINT, then stop cleanly.

    The weekly digest jobs live in the database job store (table apscheduler_jobs), where
    an operator can see their next run. A digest missed while the worker was down is made
    up by the catch-up right at start (digests.due looks at what is due, not at what
    fired), and the `periodic` ledger makes sure each digest goes out once, even if two
    workers share the database.
    """
    global _running
    _running = worker
    app = worker.app
    settings = app.config.worker
    scheduler = BlockingScheduler(
        timezone="UTC",
        jobstores={"default": MemoryJobStore(), "db": SQLAlchemyJobStore(engine=app.engine)},
    )
    now = datetime.now(UTC)
    scheduler.add_job(worker.poll_job, "interval", seconds=settings.poll_seconds,
                      id="poll", max_instances=1, coalesce=True, next_run_time=now)
    scheduler.add_job(worker.send_job, "interval", seconds=settings.send_seconds,
                      id="send", max_instances=1, coalesce=True, next_run_time=now)
    scheduler.add_job(worker.time_job, "interval", minutes=app.config.sla.check_minutes,
                      id="reminders", max_instances=1, coalesce=True, next_run_time=now)
    zone = app.config.helpdesk.timezone
    digests_config = app.config.digests
    for job_id, day, at in (("admin_digest", digests_config.admin_day, digests_config.admin_time),
                            ("schedule_digest", digests_config.schedule_day,
                             digests_config.schedule_time)):
        hour, minute = at.split(":")
        scheduler.add_job(scheduled_digests, "cron", day_of_week=day, hour=int(hour),
                          minute=int(minute), timezone=zone, id=job_id, jobstore="db",
                          replace_existing=True, coalesce=True, misfire_grace_time=None)
    worker.digest_job()  # catch up at once on a digest missed while the worker was down

    def stop(signum: int, _frame: object) -> None:
        log.info("signal %d: finishing the current step and stopping", signum)
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        scheduler.start()
    finally:
        with worker.lock:  # wait for a running job to finish its transaction
            worker.close()
        _running = None
