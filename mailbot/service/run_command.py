"""`mailbot run [--once]`: start the worker, after making sure it can do its work.

A template that is missing or does not parse would send every incoming mail to quarantine;
the worker refuses to start instead, with one line naming the template.
"""

from __future__ import annotations

import logging
import sys

from mailbot import samples, worker
from mailbot.adapters import connectors
from mailbot.app import App
from mailbot.config import Config, ConfigError
from mailbot.outgoing import outbox
from mailbot.service import loop, progress
from mailbot.service.health import Health
from mailbot.service.template_check import problems as template_problems
from mailbot.service.watch import Outage, WatchedTransport
from mailbot.storage import db, store

log = logging.getLogger("mailbot")
EXIT_SERVER = 1
BROKEN = ("TemplateNotFound", "TemplatesNotFound", "TemplateSyntaxError",
          "TemplateAssertionError")


def refuse_broken_templates(app: App) -> None:
    _, failures = template_problems(app)
    broken = [line for line in failures if any(f": {kind}:" in line for kind in BROKEN)]
    if broken:
        more = f" (and {len(broken) - 1} more: `mailbot check` lists them)" if broken[1:] else ""
        raise ConfigError(f"templates: {broken[0]}{more}")
    for line in failures:  # rendered badly with sample data: worth a look, not a stop
        log.warning("template %s", line)


def prepare(app: App) -> worker.Worker:
    config = app.config
    refuse_broken_templates(app)
    if config.mailbox.kind == "maildir" and config.worker.seed_samples:
        added = samples.seed(config.resolve(config.worker.samples_path), config.mailbox_path)
        if added:
            print(f"Added {added} sample mails to {config.mailbox_path}")
    job = worker.Worker(app, connectors.source(config), connectors.transport(config))
    if config.state_path.is_dir():  # never made here: systemd or the operator makes it
        job.health = Health(config.state_path, app.clock.now())
    return job


def run(app: App, once: bool) -> int:
    job = prepare(app)
    try:
        if not once:
            where_to_look(app.config)
            loop.run_forever(job)
            return 0
        return run_once(job)
    finally:
        if job.stop.is_set():
            loop.ignore_signals_while_exiting()


def run_once(job: worker.Worker) -> int:
    """Poll, process, send what is due, exit; a signal stops it after the current mail.
    Each batch's acknowledgements are sent once the batch is committed (no bar for those:
    the poll's bar is on the screen); the rest, and what the time job made, at the end."""
    app = job.app
    job.bar = lambda total: progress.bar(total, "Входящие")
    loop.stop_on_signals(job)
    early = outbox.SendReport()  # what went out after each batch, while the poll went on

    def send_batch(done: list[tuple[str, worker.Outcome]]) -> None:
        with job.lock:
            part = job.after_batch(done)
        if part is not None:
            early.sent += part.sent
            early.failed += part.failed

    try:
        report = worker.poll(app, job.source, stop=job.stop, bar=job.bar,
                             after_batch=send_batch)
        if job.health is not None:
            job.health.poll_ok(app.clock.now())
        sent = outbox.SendReport()
        if not job.stop.is_set():
            job.time_job()
            sent = drain_with_bar(app, job.transport)
            job.beat_send()
        sent.sent += early.sent
        sent.failed += early.failed
    finally:
        job.close()
    print(f"Mail: {worker.describe_poll(report)}.")
    for reason in report.quarantine_reasons:
        print(f"  quarantined {reason}")
    print(f"Outbox: {sent.sent} sent, {sent.retrying} to retry, {sent.failed} failed.")
    if job.stop.is_set():
        print("Stopped on a signal after the current mail; the rest waits for the next run.")
        return 0
    if sent.retrying and not sent.sent:
        print(f"mailbot: cannot send: {sent.errors[0]}", file=sys.stderr)
        return EXIT_SERVER
    where_to_look(app.config)
    return 0


def drain_with_bar(app: App, transport: WatchedTransport) -> outbox.SendReport:
    """Send what is due, with a bar at a terminal when there is much of it."""
    with db.session(app.engine) as session:
        box = store.mailbox_row(session, app.mailbox_name)
        due = store.outbox_counts(session, box.id).get("pending", 0) if box and box.id else 0
    transport.bar = progress.bar(due, "Отправка")
    try:
        return outbox.drain(app, transport)
    finally:
        transport.bar.close()
        transport.bar = None


def watched_transport(app: App) -> WatchedTransport:
    """The configured transport, its failures worded for the log (service/watch.py)."""
    inner = connectors.transport(app.config)
    return WatchedTransport(inner, Outage("outgoing mail"), app.clock)


def where_to_look(config: Config) -> None:
    if config.smtp.kind == "maildir":
        print(f"Outgoing mail is written to {config.sent_path / 'new'}; "
              f"see the cases with `mailbot cases` and `mailbot case N`.")
