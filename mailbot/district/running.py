"""`mailbot run` for several schools in one process: one Worker per school (its own
mailbox, rules and templates, its IMAP IDLE watcher and mailbox lease as service/loop.py
gives a single school's), one scheduler, one database; the district digest checked with
the reminders. Each school's weekly digests go out from its reminders job (digests.due),
so within `[sla] check_minutes` of their time.

Every worker's outgoing mail goes through a RoutedTransport, so whichever worker drains
the shared outbox, each mail leaves through its own school's SMTP settings.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailbot import app as app_module
from mailbot import worker as worker_module
from mailbot.adapters import connectors
from mailbot.adapters.clock import Clock
from mailbot.adapters.transport import Transport
from mailbot.app import App
from mailbot.config import Config
from mailbot.district import digest as district_digest
from mailbot.district.deployment import Deployment, School
from mailbot.district.transport import RoutedTransport
from mailbot.outgoing import outbox
from mailbot.service import loop, run_command
from mailbot.service.health import Health
from mailbot.service.watch import Outage, WatchedTransport

if TYPE_CHECKING:  # imported where the scheduler is made: `run --once` needs none
    from apscheduler.schedulers.background import BackgroundScheduler

log = logging.getLogger("mailbot")


def routed(configs: Sequence[Config], own: Config) -> RoutedTransport:
    """Each school's mail through its own [smtp]; schools with the same settings share one
    transport; a sender no school has any more goes through `own`'s."""
    made: dict[object, Transport] = {}
    by_sender: dict[str, Transport] = {}
    for config in (own, *configs):
        key = (config.smtp, config.sent_path if config.smtp.kind == "maildir" else None)
        if key not in made:
            made[key] = connectors.transport(config)
        by_sender.setdefault(config.helpdesk.address, made[key])
    return RoutedTransport(by_sender, by_sender[own.helpdesk.address])


def drain(app: App, configs: Sequence[Config]) -> outbox.SendReport:
    """Send what is due, every school's mail through its own SMTP (a command's drain)."""
    transport = WatchedTransport(routed(configs, app.config), Outage("outgoing mail"), app.clock)
    return run_command.drain_with_bar(app, transport)


@dataclass
class Running:
    deployment: Deployment
    pairs: list[tuple[School, App]]
    workers: list[worker_module.Worker]

    def district_job(self) -> None:
        district = self.deployment.district
        if district is None or self.workers[0].stop.is_set():
            return
        try:
            week = district_digest.due(self.pairs, district)
        except Exception as exc:  # noqa: BLE001 — the ledger makes the next try safe
            log.error("district digest failed (%s: %s); tried again on the next check",
                      type(exc).__name__, exc)
            return
        if week:
            log.info("district_digest for %s queued", week)


def prepare(deployment: Deployment, schools: Sequence[School],
            clock: Clock | None = None) -> Running:
    configs = [s.config for s in deployment.schools]
    apps = app_module.build_all(configs, clock)
    pairs = list(zip(deployment.schools, apps, strict=True))
    workers = []
    for school, app in pairs:
        if school not in schools:
            continue
        run_command.refuse_broken_templates(app)
        job = worker_module.Worker(app, connectors.source(app.config),
                                   routed(configs, app.config))
        state = app.config.state_path
        if state.parent.is_dir():  # the deployment's state folder: each school's inside it
            state.mkdir(exist_ok=True)
            job.health = Health(state, app.clock.now())
        workers.append(job)
    return Running(deployment, pairs, workers)


def run(deployment: Deployment, schools: Sequence[School], *, once: bool) -> int:
    running = prepare(deployment, schools)
    if once:
        return _once(running)
    _forever(running)
    return 0


def _once(running: Running) -> int:
    code = 0
    for job in running.workers:
        print(f"== school {job.app.config.helpdesk.address} ==")
        code = max(code, run_command.run_once(job))
        if job.stop.is_set():
            break
    else:
        running.district_job()
    return code


def _forever(running: Running) -> None:
    workers = running.workers
    stop = threading.Event()
    for job in workers:
        job.stop = stop  # one signal stops every school after its current mail
        log.info("%s", loop.start_line(job.app, job))
    loop.stop_on_signals(workers[0])
    scheduler = _scheduler(running)
    for job in workers:
        job.digest_job()  # catch up at once on a digest missed while the worker was down
    running.district_job()
    scheduler.start()
    watching = [thread for job in workers for thread in loop.start_watching(job)]  # IDLE
    try:
        while not stop.wait(1.0):
            pass
    finally:
        stop.set()
        scheduler.shutdown(wait=True)  # a running job finishes its current mail
        for thread in watching:
            thread.join(timeout=10)
        for job in workers:
            with job.lock:
                job.close()
        loop.ignore_signals_while_exiting()
    log.info("mailbot stopped")


def _scheduler(running: Running) -> BackgroundScheduler:
    """Each school's poll, send and reminder jobs (the reminders job also sends its weekly
    digests when due: digests.due); the district digest beside the first school's."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler

    # Three jobs a school, each in a thread of its own when they fall due together.
    pool = ThreadPoolExecutor(max(10, 3 * len(running.workers) + 1))
    scheduler = BackgroundScheduler(timezone="UTC", executors={"default": pool})
    now = datetime.now(UTC)
    for n, job in enumerate(running.workers):
        settings = job.app.config
        for name, func, seconds in (
            ("poll", job.poll_job, settings.worker.poll_seconds),
            ("send", job.send_job, settings.worker.send_seconds),
            ("reminders", job.time_job, settings.sla.check_minutes * 60),
        ):
            scheduler.add_job(func, "interval", seconds=seconds, id=f"{name}-{n}",
                              max_instances=1, coalesce=True, next_run_time=now)
    first = running.workers[0].app.config
    scheduler.add_job(running.district_job, "interval", seconds=first.sla.check_minutes * 60,
                      id="district", max_instances=1, coalesce=True)
    return scheduler
