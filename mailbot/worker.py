"""The jobs: poll the mailbox into cases, drain the outbox; and the loop that runs them.

`poll` walks the waiting messages oldest first: a message already in the ledger (committed
before a crash, not yet marked) is only marked; the others are ingested in batches (up to
`[mailbox] batch_size` mails or `batch_bytes`), one transaction per batch with a savepoint
per mail (pipeline.ingest_batch), and a batch's mails are marked after its commit. The UID
watermark moves only when a whole scan is dealt with, so a crash mid-batch makes the next
poll look again — and the ledger makes that harmless. A stop asked for (SIGTERM, Ctrl-C)
ends the walk after the current mail: the batch so far is committed and marked.
`after_batch` hears of each batch once it is committed and marked: the worker sends the
acknowledgements that batch queued there and then, not after the whole backlog.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from mailbot.adapters.idle import IdleWatcher
from mailbot.adapters.source import Source, SourceError
from mailbot.adapters.transport import Transport
from mailbot.app import App
from mailbot.jobs import digests, periodic, schedule_changes
from mailbot.outgoing import outbox
from mailbot.pipeline import Outcome, ingest_batch
from mailbot.service import lease, progress
from mailbot.service.health import Health
from mailbot.service.watch import Outage, WatchedTransport
from mailbot.storage import db, store
from mailbot.storage.models import Mailbox

log = logging.getLogger("mailbot")

BarFactory = Callable[[int], progress.Bar]
AfterBatch = Callable[[list[tuple[str, Outcome]]], object]


@dataclass
class PollReport:
    seen: int = 0
    opened: int = 0
    joined: int = 0
    duplicates: int = 0
    quarantined: int = 0
    already: int = 0
    acks: int = 0
    stopped: bool = False  # a stop was asked for before the whole scan was dealt with
    quarantine_reasons: list[str] = field(default_factory=list)

    def count(self, kind: str) -> None:
        attr = {"opened": "opened", "joined": "joined", "duplicate": "duplicates",
                "quarantined": "quarantined", "already": "already"}[kind]
        setattr(self, attr, getattr(self, attr) + 1)


def mailbox_id(app: App) -> int:
    for attempt in (1, 2):
        with db.session(app.engine) as session:
            try:
                row = store.mailbox(session, app.mailbox_name)
                session.commit()
            except IntegrityError:  # two workers' first start: the other one made it
                if attempt == 2:
                    raise
                continue
            assert row.id is not None
            return row.id
    raise AssertionError("unreachable")


def poll(app: App, source: Source, batch_size: int | None = None, *,
         stop: threading.Event | None = None, bar: BarFactory | None = None,
         after_batch: AfterBatch | None = None) -> PollReport:
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
    todo = [k for k in scan.keys if k not in done_before]
    shown = (bar or (lambda _total: progress.bar(0, "")))(len(todo))
    settings = app.config.mailbox

    def each(key: str, outcome: Outcome) -> None:
        _count(report, key, outcome)
        shown.update()

    try:
        for batch in _batches(source.fetch(todo), batch_size or settings.batch_size,
                              settings.batch_bytes):
            done = ingest_batch(app, box_id, batch, each=each, stop=stop)
            del batch  # its bytes go now, not when the next batch has been fetched
            source.mark_done([key for key, _outcome in done])
            if after_batch is not None and done:
                after_batch(done)
            if stop is not None and stop.is_set():
                report.stopped = True
                break
    finally:
        shown.close()
    if scan.uidvalidity is not None and not report.stopped:
        _advance(app, box_id, scan.uidvalidity, scan.high_uid)
    return report


def _batches(fetched: Iterable[tuple[str, bytes]], count: int, limit: int,
             ) -> Iterator[list[tuple[str, bytes]]]:
    """The fetched mails in groups of at most `count` mails, cut after `limit` bytes."""
    batch: list[tuple[str, bytes]] = []
    size = 0
    for key, raw in fetched:
        batch.append((key, raw))
        size += len(raw)
        if len(batch) >= count or size >= limit:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _count(report: PollReport, key: str, outcome: Outcome) -> None:
    report.seen += 1
    report.count(outcome.kind)
    report.acks += outcome.acked
    if outcome.kind == "quarantined":
        report.quarantine_reasons.append(f"{key}: {outcome.reasons[0]}")


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
    """Both jobs with their own backoff; safe to call from a scheduler thread.

    The log hears about a server once when it goes down and once when it is back
    (service/watch.py); a poll or a send writes a line only when it did something.
    """

    def __init__(self, app: App, source: Source, transport: Transport) -> None:
        self.app, self.source = app, source
        # The failures name the server themselves («IMAP host:993: cannot connect: ...»).
        self.mailbox_outage = Outage("mailbox")
        self.send_outage = Outage("outgoing mail")
        self.database_outage = Outage("database")
        self.transport = WatchedTransport(transport, self.send_outage, app.clock)
        self.poll_backoff, self.send_backoff = Backoff(), Backoff()
        self.time_backoff, self.digest_backoff = Backoff(), Backoff()  # database errors only
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.bar: BarFactory | None = None  # set by `run --once` at a terminal
        self.health: Health | None = None  # the heartbeat file of `mailbot status`
        # One worker at a time polls the mailbox (PostgreSQL advisory lock, service/lease.py).
        self.lease = lease.for_mailbox(app.engine, app.mailbox_name)
        # IMAP IDLE (service/loop.py start_watching): `wake` is set when mail arrives.
        self.idle: IdleWatcher | None = None
        self.wake = threading.Event()
        self.last_poll: float | None = None  # time.monotonic() of the last whole poll

    def poll_due(self, now: datetime) -> bool:
        """A scheduled poll: not while the mailbox is in backoff, and with IDLE up only as
        the full re-scan every `rescan_seconds` (IDLE wakes the worker for new mail). A
        worker standing by for another's lease asks for it at every tick."""
        if self.poll_backoff.waiting(now):
            return False
        if self.idle is None or not self.idle.active or not self.lease.holding:
            return True
        if self.last_poll is None:
            return True
        return time.monotonic() - self.last_poll >= self.app.config.worker.rescan_seconds

    def poll_job(self, woken: bool = False) -> PollReport | None:
        """Poll if it is due (always when IDLE `woken` it: the server is there), then send
        at once what the poll queued. None when nothing was polled."""
        now = self.app.clock.now()
        if self.stop.is_set() or not (woken or self.poll_due(now)):
            return None
        with self.lock:
            try:
                if not self.lease.held():
                    return None  # another worker polls this mailbox now
                report = poll(self.app, self.source, stop=self.stop, bar=self.bar,
                              after_batch=self.after_batch)
            except SourceError as exc:
                now = self.app.clock.now()  # a poll may have run for minutes before failing
                self.poll_backoff.failed(now)
                self.mailbox_outage.failed(now, str(exc))
                if self.health is not None and self.mailbox_outage.since is not None:
                    self.health.down(now, "mailbox", self.mailbox_outage.since)
                return None
            except SQLAlchemyError as exc:
                self.database_failed("poll", self.poll_backoff, exc)
                return None
        self.database_outage.ok(self.app.clock.now(), "poll")
        self.poll_backoff.ok()
        self.mailbox_outage.ok(self.app.clock.now())
        self.last_poll = time.monotonic()
        if self.health is not None:
            self.health.poll_ok(self.app.clock.now())
        if report.seen:
            log.info("poll: %s", describe_poll(report))
        for reason in report.quarantine_reasons:
            log.warning("quarantined %s", reason)
        if report.seen and not self.stop.is_set():
            self.send_job()  # what the last batch left (a retry), not at the next send tick
        return report

    def after_batch(self, done: list[tuple[str, Outcome]]) -> outbox.SendReport | None:
        """A poll's batch is committed and marked: send what it queued now (the caller
        holds the lock), so the first acknowledgements of a long backlog go out at once."""
        if all(outcome.kind == "already" for _key, outcome in done):
            return None
        return self._send()

    def send_job(self) -> outbox.SendReport | None:
        with self.lock:
            return self._send()

    def _send(self) -> outbox.SendReport | None:
        """Drain the outbox, with the lock held; backoff, log lines and heartbeat."""
        if self.send_backoff.waiting(self.app.clock.now()) or self.stop.is_set():
            return None
        refused = self.transport.refused
        try:
            report = outbox.drain(self.app, self.transport)
        except SQLAlchemyError as exc:
            self.database_failed("send", self.send_backoff, exc)
            return None
        self.database_outage.ok(self.app.clock.now(), "send")
        if report.unreachable:  # the rows wait, uncounted; the server gets a growing pause
            self.send_backoff.failed(self.app.clock.now())
        else:
            self.send_backoff.ok()
        given_up = report.failed - (self.transport.refused - refused)
        self.beat_send()
        if report.sent or report.failed:
            log.info("send: %d sent, %d to retry, %d failed", report.sent, report.retrying,
                     report.failed)
        if given_up > 0:
            log.warning("send: %d mail(s) given up after %d attempts (see `mailbot outbox`)",
                        given_up, self.app.config.worker.max_attempts)
        return report

    def database_failed(self, job: str, backoff: Backoff, exc: SQLAlchemyError) -> None:
        """A job hit a database error: pause that job (counted from now, the failure) and
        tell the log once for the whole outage, without a traceback."""
        now = self.app.clock.now()
        backoff.failed(now)
        self.database_outage.failed(now, db.short_error(exc), job)

    def beat_send(self) -> None:
        if self.health is None:
            return
        now = self.app.clock.now()
        if self.send_outage.since is None:
            self.health.send_ok(now)
        else:
            self.health.down(now, "smtp", self.send_outage.since)

    def time_job(self) -> dict[str, int]:
        """Reminders and seminar notices that are due, each made once (periodic.py)."""
        if self.stop.is_set() or self.time_backoff.waiting(self.app.clock.now()):
            return {}
        with self.lock:
            try:
                box_id = mailbox_id(self.app)
                report = periodic.run_all(self.app, box_id)
                report["schedule_changes"] = schedule_changes.check(self.app, box_id)
            except SQLAlchemyError as exc:
                self.database_failed("time", self.time_backoff, exc)
                return {}
        self.time_backoff.ok()
        self.database_outage.ok(self.app.clock.now(), "time")
        if any(report.values()):
            log.info("reminders: %s", ", ".join(f"{k}={v}" for k, v in report.items() if v))
        # Digests too: the ledger makes this cheap and idempotent, and a digest that failed
        # at its hour (a locked database, a network blip) is retried minutes later.
        self.digest_job()
        return report

    def digest_job(self) -> dict[str, str]:
        """The weekly digests whose time has come and that were not sent yet."""
        if self.stop.is_set() or self.digest_backoff.waiting(self.app.clock.now()):
            return {}
        with self.lock:
            try:
                sent = digests.due(self.app, mailbox_id(self.app))
            except ValueError as exc:  # a digest the rules files cannot support
                log.error("digest: %s", exc)
                return {}
            except SQLAlchemyError as exc:
                self.database_failed("digest", self.digest_backoff, exc)
                return {}
            except Exception as exc:  # noqa: BLE001 — retried at the next check
                log.error("digest failed (%s: %s); it will be tried again on the next run",
                          type(exc).__name__, exc)
                return {}
        self.digest_backoff.ok()
        self.database_outage.ok(self.app.clock.now(), "digest")
        for kind, week in sent.items():
            log.info("%s for %s queued", kind, week)
        return sent

    def close(self) -> None:
        self.source.close()
        self.lease.release()
        if self.health is not None:
            self.health.write(self.app.clock.now())


def describe_poll(report: PollReport) -> str:
    return (f"{report.seen} new mail: {report.opened} new cases, {report.joined} follow-ups, "
            f"{report.duplicates} duplicates, {report.quarantined} quarantined, "
            f"{report.acks} acknowledgements queued")


_running: Worker | None = None  # the worker of service/loop.py, for jobs kept in the database


def scheduled_digests() -> None:
    """The digest job as APScheduler stores it: by reference (mailbot.worker:
    scheduled_digests, in the database job store), so it finds the running worker here
    rather than in its pickled arguments."""
    if _running is not None:
        _running.digest_job()


def set_running(worker: Worker | None) -> None:
    global _running
    _running = worker
