"""A backlog longer than one batch: each batch's acknowledgements go out once it commits.

Real Dovecot, aiosmtpd and the database of the run: the worker's `after_batch` (the hook
`worker.poll` calls when a batch is committed and marked) is watched, and at that moment the
capture server already holds the batch's acknowledgements while the later mails are still
unread on the server, that is, not yet fetched (the source fetches batch by batch).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from mailbot import app as app_module
from mailbot import worker
from mailbot.adapters import connectors
from mailbot.adapters.clock import FixedClock
from mailbot.config import load
from mailbot.service import run_command
from tests.integration.conftest import write_config
from tests.mailfactory import make_mail

BATCH = 4
MAILS = 10  # batches of 4, 4 and 2


def _job(tmp_path: Path, db_url: str, imap, smtp) -> worker.Worker:  # type: ignore[no-untyped-def]
    path = write_config(tmp_path, db_url=db_url, imap=imap, smtp=smtp, rules=False)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "[mailbox]", f"[mailbox]\nbatch_size = {BATCH}"), encoding="utf-8")
    config = load(path)
    app = app_module.build(config, FixedClock(datetime(2026, 11, 23, 5, 0, tzinfo=UTC)))
    return worker.Worker(app, connectors.source(config), connectors.transport(config))


def _backlog(imap) -> None:  # type: ignore[no-untyped-def]
    for i in range(MAILS):
        imap.append(make_mail(subject=f"Не вижу оценки {i}", message_id=f"m{i}@mail.example",
                              sender=(f"Анна Петрова {i}", f"anna{i}@mail.example")))


def _watch(job: worker.Worker, imap, smtp) -> list[tuple[int, int, int]]:  # type: ignore[no-untyped-def]
    """(mails in the batch, mails at the SMTP server, mails not yet read) at each batch's end."""
    seen: list[tuple[int, int, int]] = []
    original = job.after_batch

    def watching(done):  # type: ignore[no-untyped-def]
        result = original(done)
        unread = sum("\\Seen" not in flags for flags in imap.flags().values())
        seen.append((len(done), len(smtp.messages), unread))
        return result

    job.after_batch = watching  # type: ignore[method-assign]
    return seen


def _answered_once(smtp) -> None:  # type: ignore[no-untyped-def]
    rcpts = sorted(r for m in smtp.messages for r in m.rcpt_tos)
    assert rcpts == sorted(f"anna{i}@mail.example" for i in range(MAILS))


def test_the_worker_sends_each_batch_before_fetching_the_next(  # type: ignore[no-untyped-def]
    tmp_path: Path, db_url: str, imap_account, smtp_server
) -> None:
    job = _job(tmp_path, db_url, imap_account, smtp_server)
    _backlog(imap_account)
    seen = _watch(job, imap_account, smtp_server)
    try:
        report = job.poll_job(woken=True)
    finally:
        job.close()
        job.app.engine.dispose()
    assert report is not None and report.opened == MAILS and report.acks == MAILS
    # After the first batch: its 4 acknowledgements delivered, 6 mails still unread.
    assert seen == [(4, 4, 6), (4, 8, 2), (2, 10, 0)]
    _answered_once(smtp_server)


def test_run_once_sends_each_batch_before_fetching_the_next(  # type: ignore[no-untyped-def]
    tmp_path: Path, db_url: str, imap_account, smtp_server, capsys
) -> None:
    job = _job(tmp_path, db_url, imap_account, smtp_server)
    _backlog(imap_account)
    seen = _watch(job, imap_account, smtp_server)
    try:
        assert run_command.run_once(job) == 0
    finally:
        job.app.engine.dispose()
    assert seen == [(4, 4, 6), (4, 8, 2), (2, 10, 0)]
    _answered_once(smtp_server)
    out = capsys.readouterr().out
    assert f"Outbox: {MAILS} sent, 0 to retry, 0 failed." in out  # the early ones counted
