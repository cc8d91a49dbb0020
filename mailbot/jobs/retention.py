"""Keeping personal data no longer than needed (152-ФЗ), once a day.

`[retention] raw_days` after a case closed, its raw mail, attachments and the bytes of its
sent mail are deleted; `pseudonymise_months` after, the case is pseudonymised
(privacy/erase.py: names, addresses, subjects and texts replaced; category, role, state,
owner and moments kept, so old weeks' digests count the same). Each step is done once per
case, keyed in the `periodic` ledger ("retention_raw" / "retention_pseudo", "case N") in the
step's own transaction. A case counts as closed while it is closed or stopped; a closed
case cannot reopen once its raw mail is due (config: raw_days ≥ reopen_days).

What belongs to no case (machine mail, digests and seminar mail, the log entries and
ledger keys with addresses, seats, quarantined mail already dealt with) is treated by its
own moment in the same run (erase.leftovers); only rows still to do are read.

The log gets counts only, never a name or an address.
"""

from __future__ import annotations

import calendar
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from mailbot.adapters.clock import to_local
from mailbot.app import App
from mailbot.config import Retention
from mailbot.privacy import erase
from mailbot.storage import db, store
from mailbot.storage.models import Case, Periodic

RAW, PSEUDO, DAY = "retention_raw", "retention_pseudo", "retention_day"
CLOSED_STATES = ("closed", "stopped")
log = logging.getLogger("mailbot.jobs.retention")


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later, or the month's last day (31.01 + 1 → 28.02)."""
    month0 = moment.month - 1 + months
    year, month = moment.year + month0 // 12, month0 % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def due(closed: Iterable[tuple[int, datetime]], done: set[tuple[str, int]], now: datetime,
        rules: Retention) -> list[tuple[str, int]]:
    """Pure: the steps due now, as (kind, case id), over (case id, closed at) of the closed
    cases and the steps done before. Pseudonymising includes the raw step, so a case due
    for both (after downtime, say) gets the one step."""
    out = []
    for case_id, closed_at in closed:
        closed_at = closed_at if closed_at.tzinfo else closed_at.replace(tzinfo=UTC)
        if (PSEUDO, case_id) in done:
            continue
        if add_months(closed_at, rules.pseudonymise_months) <= now:
            out.append((PSEUDO, case_id))
        elif closed_at + timedelta(days=rules.raw_days) <= now and (RAW, case_id) not in done:
            out.append((RAW, case_id))
    return out


def run(app: App, box_id: int) -> Counter[str]:
    """Do every step due now; returns what was done (steps and rows), by name."""
    now = app.clock.now()
    raw_before = now - timedelta(days=app.config.retention.raw_days)
    with db.session(app.engine) as session:
        closed = list(session.exec(
            select(Case.id, Case.closed_at).where(
                Case.mailbox_id == box_id, Case.status.in_(CLOSED_STATES),
                Case.closed_at.is_not(None), Case.closed_at <= raw_before)).all())
        done = {(kind, int(key.split()[1])) for kind, key in session.exec(
            select(Periodic.kind, Periodic.key).where(
                Periodic.mailbox_id == box_id, Periodic.kind.in_((RAW, PSEUDO)))).all()}
    total: Counter[str] = Counter()
    keep = erase.keeper(app)
    for kind, case_id in due(closed, done, now, app.config.retention):
        total += _step(app, box_id, kind, case_id, keep)
    with db.session(app.engine) as session:
        pseudo_before = add_months(now, -app.config.retention.pseudonymise_months)
        loose = erase.leftovers(session, box_id, raw_before, pseudo_before, keep)
        session.commit()
    total += loose
    if total:
        log.info("retention: %s", ", ".join(f"{k}={v}" for k, v in sorted(total.items())))
    return total


def _step(app: App, box_id: int, kind: str, case_id: int, keep: erase.Keep) -> Counter[str]:
    now = app.clock.now()
    with db.session(app.engine) as session:
        case = session.get(Case, case_id)
        if case is None:
            return Counter()
        session.add(Periodic(mailbox_id=box_id, kind=kind, key=f"case {case_id}",
                             case_id=case_id, at=now))
        counts = (erase.pseudonymise(session, case, keep) if kind == PSEUDO
                  else erase.drop_raw(session, case_id))
        store.log(session, kind, at=now, mailbox_id=box_id, case_id=case_id, **counts)
        try:
            session.commit()
        except IntegrityError:  # another worker did it a moment ago
            session.rollback()
            return Counter()
    return Counter({kind: 1}) + counts


def daily(app: App, box_id: int) -> int:
    """The job of periodic.run_all: `run` at the first check of each day (school time)
    that finds it not yet done; returns the number of cases handled."""
    today = to_local(app.clock.now(), app.config.helpdesk.timezone).date().isoformat()
    with db.session(app.engine) as session:
        if session.exec(select(Periodic.id).where(
                Periodic.mailbox_id == box_id, Periodic.kind == DAY,
                Periodic.key == today)).first() is not None:
            return 0
    done = run(app, box_id)  # recorded after: a run that failed is tried at the next check
    with db.session(app.engine) as session:
        session.add(Periodic(mailbox_id=box_id, kind=DAY, key=today, at=app.clock.now()))
        try:
            session.commit()
        except IntegrityError:  # another worker ran it too; each step went once anyway
            session.rollback()
    return done[RAW] + done[PSEUDO]
