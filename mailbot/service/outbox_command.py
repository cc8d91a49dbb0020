"""`mailbot outbox [--status …] [--limit N]` and `mailbot outbox retry ID|--all`.

The list shows outgoing mail that is not sent yet — waiting (pending), being sent (sending)
or given up (failed) — across all cases, one line each, newest first, times in the school's
zone. `retry` puts failed mail back in the queue as if it were new: pending, no attempts,
due now, logged as the event `send_requeued`; the running worker sends it at its next send
(or `mailbot run --once` does). It is how mail that an older mailbot failed during an SMTP
outage, or mail refused before a fix on the server, goes out after all.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import Session, select

from mailbot.adapters.clock import local_text
from mailbot.app import App
from mailbot.storage import db, store
from mailbot.storage.models import Case, Outbox

UNSENT = ("pending", "sending", "failed")
STATUSES = (*UNSENT, "all")


def listing(app: App, status: str = "all", limit: int = 50) -> str:
    """The table of unsent mail (`status` one of STATUSES; "all" is every unsent row)."""
    wanted = UNSENT if status == "all" else (status,)
    with db.session(app.engine) as session:
        box_id = _box_id(session, app)
        if box_id is None:
            return "No outgoing mail yet."
        where = (Outbox.mailbox_id == box_id, Outbox.status.in_(wanted))
        rows = session.exec(select(Outbox).where(*where).order_by(Outbox.id.desc())
                            .limit(limit)).all()
        total = session.exec(select(func.count(Outbox.id)).where(*where)).one()
        numbers = dict(session.exec(select(Case.id, Case.number).where(  # the number people see
            Case.id.in_([r.case_id for r in rows if r.case_id is not None]))).all())
    if not rows:
        return f"No {'unsent' if status == 'all' else status} outgoing mail."
    header = (f"{'id':>6}  {'status':<8} {'case':>5}  {'kind':<18} {'to':<32} {'tries':>5}  "
              f"{'next attempt':<16}  last error")
    lines = [header, *(_line(app, row, numbers.get(row.case_id)) for row in rows)]
    if total > len(rows):
        lines.append(f"… and {total - len(rows)} more (--limit {total} shows them all)")
    return "\n".join(lines)


def _line(app: App, row: Outbox, case_number: int | None) -> str:
    due = "-" if row.status != "pending" else local_text(row.next_attempt_at,
                                                        app.config.helpdesk.timezone)
    error = " ".join(row.last_error.split())
    return (f"{row.id:>6}  {row.status:<8} {case_number or '-':>5}  {row.kind[:18]:<18} "
            f"{_short(row.rcpt_to, 32):<32} {row.attempts:>5}  {due:<16}  {_short(error, 80)}")


def retry(app: App, outbox_id: int | None) -> str | None:
    """Requeue one failed mail (None when there is no such row) or, without an id, all."""
    now = app.clock.now()
    with db.session(app.engine) as session:
        box_id = _box_id(session, app)
        if outbox_id is None:
            rows: Sequence[Outbox] = session.exec(
                select(Outbox).where(Outbox.mailbox_id == box_id, Outbox.status == "failed")
                .order_by(Outbox.id)).all() if box_id is not None else []
        else:
            row = session.get(Outbox, outbox_id)
            if row is None or row.mailbox_id != box_id:
                return None
            if row.status != "failed":
                return f"Outgoing mail {row.id} is {row.status}, not failed: nothing to retry."
            if not row.raw:
                return (f"Outgoing mail {row.id} was erased (retention or forget): "
                        "nothing to send.")
            rows = [row]
        rows = [row for row in rows if row.raw]  # erased mail would go out empty
        for row in rows:
            store.log(session, "send_requeued", at=now, mailbox_id=row.mailbox_id,
                      case_id=row.case_id, outbox_id=row.id, attempts=row.attempts,
                      error=row.last_error[:500])
            row.status, row.attempts, row.next_attempt_at = "pending", 0, now
            row.claimed_at = None
            session.add(row)
        session.commit()
    if not rows:
        return "No failed outgoing mail: nothing to retry."
    which = f"mail {rows[0].id}" if outbox_id is not None else f"{len(rows)} failed mail(s)"
    return f"Requeued {which}; the worker sends it at its next send (or `mailbot run --once`)."


def _box_id(session: Session, app: App) -> int | None:
    box = store.mailbox_row(session, app.mailbox_name)
    return box.id if box is not None else None


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "…"
