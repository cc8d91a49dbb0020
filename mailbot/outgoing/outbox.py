"""Draining the outbox: every outgoing mail is a row before it is sent.

A row is claimed (status "sending", committed) before the attempt and settled right after
the server's answer. A worker that dies between the server's acceptance and the settle
leaves a "sending" row; once its lease runs out it is sent again — the one narrow window in
which a mail may go out twice, and each such resend is logged as `send_interrupted`.
Temporary failures (4xx) wait a growing delay; permanent ones (5xx) are marked failed with
the server's answer; `max_attempts` counts only the server's answers. A server that cannot
be reached answers nothing: the row goes back to pending as it was, no attempt counted, and
the drain stops (the worker's backoff paces the next try), so an outage of any length fails
no mail.

On PostgreSQL a batch is claimed in one statement with `FOR UPDATE SKIP LOCKED`, so several
workers take disjoint rows without waiting for each other; SQLite has one writer and claims
the due rows with one conditional update (row by row when another worker took some between
the search and the update). Claims and settles touch only the columns they need, and on
SQLite their commits are not synced to disk one by one (`db.resend_only`): losing one in a
power cut can only send a mail again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.engine import Engine
from sqlmodel import select

from mailbot.adapters.transport import Item, Result, Transport
from mailbot.app import App
from mailbot.storage import db, store
from mailbot.storage.models import Outbox


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    recovered: int = 0
    unreachable: int = 0  # given back without an attempt: the server did not answer
    errors: list[str] = field(default_factory=list)  # the first MAX_ERRORS only

    def error(self, text: str) -> None:
        """Keep the server's answer; a long drain of refusals keeps only the first few."""
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(text)


MAX_ERRORS = 20

# Claims and settles are Core statements on the table: no ORM objects, no identity map, and
# only the columns they need (a row's raw bytes are read once, for the send).
_OUTBOX = Outbox.__table__
_CLAIM = (
    update(_OUTBOX).where(_OUTBOX.c.status == "pending")
    .values(status="sending", claimed_at=bindparam("now"))
)
_CLAIM_ONE = _CLAIM.where(_OUTBOX.c.id == bindparam("row_id"))
_SENDABLE = select(_OUTBOX.c.id, _OUTBOX.c.mail_from, _OUTBOX.c.rcpt_to,
                   _OUTBOX.c.raw).order_by(_OUTBOX.c.id)
_SENT = (
    update(_OUTBOX).where(_OUTBOX.c.id == bindparam("row_id"))
    .values(status="sent", sent_at=bindparam("now"), claimed_at=None,
            attempts=_OUTBOX.c.attempts + 1, last_error="")
)


def retry_delay(attempts: int, delays: tuple[int, ...]) -> timedelta:
    """Delay before the next try after `attempts` failed ones (pure)."""
    return timedelta(seconds=delays[min(attempts, len(delays)) - 1] if delays else 60)


def recover_interrupted(app: App, report: SendReport) -> None:
    """Give back rows whose sender died mid-send (lease expired)."""
    now = app.clock.now()
    lease = timedelta(seconds=app.config.worker.send_lease_seconds)
    with db.session(app.engine) as session:
        stale = session.exec(
            select(Outbox).where(Outbox.status == "sending", Outbox.claimed_at < now - lease)
        ).all()
        for row in stale:
            # Conditional: of several workers recovering at once, one gives the row back.
            taken = session.execute(
                update(Outbox).where(Outbox.id == row.id, Outbox.status == "sending",
                                     Outbox.claimed_at == row.claimed_at)
                .values(status="pending", claimed_at=None)
            ).rowcount
            if taken:
                store.log(session, "send_interrupted", at=now, mailbox_id=row.mailbox_id,
                          case_id=row.case_id, outbox_id=row.id, message_id=row.message_id)
                report.recovered += 1
        session.commit()


def drain(app: App, transport: Transport, limit: int = 20) -> SendReport:
    # Small claims keep the "sent but not recorded" window, and the resends after a crash, small.
    """Send every due row, `limit` rows per claim; stop at a server that does not answer."""
    report = SendReport()
    recover_interrupted(app, report)
    while True:
        items = _claim(app, limit)
        if not items:
            return report
        transport.send(items, lambda item, result: _settle(app, item, result, report))
        if report.unreachable or len(items) < limit:
            return report


def _claim(app: App, limit: int) -> list[Item]:
    if app.engine.dialect.name == "postgresql":
        return _claim_skip_locked(app.engine, app.clock.now(), limit)
    now = app.clock.now()
    with db.resend_only(app.engine) as connection:
        due = connection.execute(
            select(_OUTBOX.c.id)
            .where(_OUTBOX.c.status == "pending", _OUTBOX.c.next_attempt_at <= now)
            .order_by(_OUTBOX.c.id).limit(limit)
        ).scalars().all()
        if not due:
            return []
        # All at once: when every row found due is still pending, all are ours. When another
        # worker took some in between, undone and row by row, to know which.
        claimed = due
        if connection.execute(_CLAIM.where(_OUTBOX.c.id.in_(due)),
                              {"now": now}).rowcount != len(due):
            connection.rollback()
            claimed = [row_id for row_id in due if connection.execute(
                _CLAIM_ONE, {"row_id": row_id, "now": now}).rowcount]
        # Read after the claim, as the claimed rows stand (not as they were when found due).
        rows = connection.execute(_SENDABLE.where(_OUTBOX.c.id.in_(claimed))).all()
        connection.commit()
    return [Item(row_id, sender, rcpts.split(","), raw) for row_id, sender, rcpts, raw in rows]


def _claim_skip_locked(engine: Engine, now: datetime, limit: int) -> list[Item]:
    """One statement: lock the due rows no other worker holds, mark them ours, return them."""
    due = (
        select(Outbox.id).where(Outbox.status == "pending", Outbox.next_attempt_at <= now)
        .order_by(Outbox.id).limit(limit).with_for_update(skip_locked=True)
    )
    claim = (
        update(Outbox).where(Outbox.id.in_(due.scalar_subquery()))
        .values(status="sending", claimed_at=now)
        .returning(Outbox.id, Outbox.mail_from, Outbox.rcpt_to, Outbox.raw)
    )
    with db.session(engine) as session:
        rows = session.execute(claim).all()
        session.commit()
    return [Item(row_id, sender, rcpts.split(","), raw)
            for row_id, sender, rcpts, raw in sorted(rows, key=lambda r: r[0])]


def _settle(app: App, item: Item, result: Result, report: SendReport) -> None:
    now = app.clock.now()
    if result.status == "sent":
        # Nearly every result: one narrow UPDATE, committed at once.
        with db.resend_only(app.engine) as connection:
            if connection.execute(_SENT, {"row_id": item.id, "now": now}).rowcount:
                report.sent += 1
            connection.commit()
        return
    with db.session(app.engine) as session:
        row = session.get(Outbox, item.id)
        if row is None:
            return
        row.claimed_at = None
        if result.answered:
            row.attempts += 1
        row.last_error = result.detail[:2000]
        if result.status == "unreachable":
            row.status = "pending"  # as it was: still due, no attempt counted
            report.retrying += 1
            report.unreachable += 1
            report.error(f"outbox {row.id} to {row.rcpt_to}: {result.detail}")
        elif result.status == "permanent" or row.attempts >= app.config.worker.max_attempts:
            row.status = "failed"
            report.failed += 1
            report.error(f"outbox {row.id} to {row.rcpt_to}: {result.detail}")
            store.log(session, "send_failed", at=now, mailbox_id=row.mailbox_id,
                      case_id=row.case_id, outbox_id=row.id, error=result.detail)
        else:
            row.status = "pending"
            row.next_attempt_at = now + retry_delay(row.attempts, app.config.worker.retry_delays)
            report.retrying += 1
            report.error(f"outbox {row.id} to {row.rcpt_to}: {result.detail}")
        session.add(row)
        session.commit()


def next_due(app: App) -> datetime | None:
    with db.session(app.engine) as session:
        return session.exec(
            select(Outbox.next_attempt_at).where(Outbox.status == "pending")
            .order_by(Outbox.next_attempt_at).limit(1)
        ).first()
