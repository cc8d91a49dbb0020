"""The worker's life as a service: say what it serves, run the jobs, stop cleanly.

The weekly digest jobs live in the database job store (table apscheduler_jobs), where an
operator can see their next run. A digest missed while the worker was down is made up by
the catch-up right at start (digests.due looks at what is due, not at what fired), and the
`periodic` ledger makes sure each digest goes out once, even if two workers share the
database.

SIGTERM and SIGINT, once or twice, only ask the worker to stop: the scheduler runs in its
own thread, the poll ends after the mail it is on, and the process exits 0.

With IMAP IDLE (`start_watching`) a thread holds the server's attention and another polls,
then sends, the moment it reports mail; the scheduled poll then only re-scans every
`rescan_seconds`, and takes over at `poll_seconds` whenever IDLE is not established.
Several workers may run on one PostgreSQL database: the first one to start creates the
scheduler's job table under the schema lock, and each mailbox is polled by one worker at a
time (service/lease.py).
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy.engine import make_url

from mailbot import worker as worker_module
from mailbot.adapters import connectors
from mailbot.app import App
from mailbot.service import bundled
from mailbot.service.when import next_digests
from mailbot.storage import db
from mailbot.worker import Worker

if TYPE_CHECKING:  # imported where the scheduler is made: `run --once` needs none
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("mailbot")
DIGESTS = ("admin_digest", "schedule_digest")


def start_line(app: App, worker: Worker) -> str:
    """One line that says what this worker serves."""
    rules = app.rules
    loaded = [name for name in ("people", "categories", "routes", "etiquette", "knowledge",
                                "calendar", "schedule") if getattr(rules, name) is not None]
    people = len(rules.people.persons) if rules.people is not None else 0
    url = make_url(app.config.database_url).render_as_string(hide_password=True)
    soonest = min(next_digests(app.config, app.clock.now()).items(), key=lambda item: item[1])
    return (f"mailbot {bundled.version()} started: mailbox {worker.source.description}, "
            f"outgoing {worker.transport.description}, database {url}, "
            f"rules {', '.join(loaded) or 'none'} ({people} people), "
            f"next digest {soonest[0]} {soonest[1]:%a %d.%m %H:%M}")


def stop_on_signals(worker: Worker) -> None:
    """SIGTERM and SIGINT ask the worker to stop after the current mail; a later one says
    it is on its way rather than killing it. The handlers stay until the process ends, so a
    signal during the last moments of the stop cannot turn a clean exit into a killed one."""

    def ask(signum: int, _frame: object) -> None:
        if worker.stop.is_set():
            log.info("signal %d again: still finishing the current mail", signum)
            return
        worker.stop.set()
        log.info("signal %d: finishing the current mail, then stopping", signum)

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, ask)


def ignore_signals_while_exiting() -> None:
    """Once the work is done: Python gives signals their default handlers back while it
    shuts down (a late second Ctrl-C would kill it then), but leaves «ignore» alone."""
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, signal.SIG_IGN)


def run_forever(worker: Worker) -> None:
    """Poll and send on a schedule until SIGTERM or SIGINT, then stop cleanly."""
    app = worker.app
    scheduler = _scheduler(worker)
    log.info("%s", start_line(app, worker))
    worker_module.set_running(worker)
    stop_on_signals(worker)
    worker.digest_job()  # catch up at once on a digest missed while the worker was down
    scheduler.start()
    watching = start_watching(worker)
    try:
        while not worker.stop.wait(1.0):
            pass
    finally:
        worker.stop.set()
        scheduler.shutdown(wait=True)  # a running job finishes its current mail
        for thread in watching:
            thread.join(timeout=10)
        with worker.lock:
            worker.close()
        worker_module.set_running(None)
    log.info("mailbot stopped")


def start_watching(worker: Worker) -> list[threading.Thread]:
    """IMAP IDLE for the worker's mailbox, and the thread that polls and sends as soon as it
    reports mail (none for a Maildir or with `[worker] idle = false`)."""
    watcher = connectors.idle_watcher(worker.app.config, worker.wake.set, worker.stop)
    if watcher is None:
        return []
    worker.idle = watcher
    reacting = threading.Thread(target=react, args=(worker,), name="wake", daemon=True)
    watcher.start()
    reacting.start()
    return [watcher.thread, reacting]


def react(worker: Worker) -> None:
    """Poll at once whenever IDLE wakes the worker (poll_job sends what the poll queued).
    The flag is cleared before the poll, so mail arriving during it wakes it again."""
    while not worker.stop.is_set():
        if worker.wake.wait(1.0):
            worker.wake.clear()
            try:
                worker.poll_job(woken=True)
            except Exception:  # a bug must not end the prompt polls for good
                log.exception("poll after an IDLE wake-up failed; the next one tries again")


class StillRunning(logging.Filter):
    """A poll or send still at work when its next tick comes (a backlog, a poll that IDLE
    started) is normal: the tick is skipped, and the log need not say so each time."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in record.getMessage()


def quiet_skipped_ticks() -> None:
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    if not any(isinstance(f, StillRunning) for f in scheduler_log.filters):
        scheduler_log.addFilter(StillRunning())


def _scheduler(worker: Worker) -> BackgroundScheduler:
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    app = worker.app
    quiet_skipped_ticks()
    settings = app.config.worker
    stored = SQLAlchemyJobStore(engine=app.engine)
    with db.schema_lock(app.engine, app.config.database.lock_timeout):
        stored.jobs_t.create(app.engine, checkfirst=True)  # once, however many start
    scheduler = BackgroundScheduler(
        timezone="UTC", jobstores={"default": MemoryJobStore(), "db": stored})
    now = datetime.now(UTC)
    scheduler.add_job(worker.poll_job, "interval", seconds=settings.poll_seconds,
                      id="poll", max_instances=1, coalesce=True, next_run_time=now)
    scheduler.add_job(worker.send_job, "interval", seconds=settings.send_seconds,
                      id="send", max_instances=1, coalesce=True, next_run_time=now)
    scheduler.add_job(worker.time_job, "interval", minutes=app.config.sla.check_minutes,
                      id="reminders", max_instances=1, coalesce=True, next_run_time=now)
    digests = app.config.digests
    for job_id, day, at in (("admin_digest", digests.admin_day, digests.admin_time),
                            ("schedule_digest", digests.schedule_day, digests.schedule_time)):
        hour, minute = at.split(":")
        scheduler.add_job(worker_module.scheduled_digests, "cron", day_of_week=day,
                          hour=int(hour), minute=int(minute),
                          timezone=app.config.helpdesk.timezone, id=job_id, jobstore="db",
                          replace_existing=True, coalesce=True, misfire_grace_time=None)
    return scheduler
