"""Time and memory of the weekly digest over a school year of cases, against a bare baseline.

Builds N CaseRow records (100,000 by default) spread over the 2026/27 school year, random
but seeded, and measures in the same run:

- baseline: one bare pass over the same list that only counts cases per category;
- compute(): the digest of one week over the whole list (it skips the other weeks itself);
- the peak memory compute() allocates (tracemalloc), next to the size of the list;
- unless --no-db: reading the rows back from an SQLite file made with mailbot's schema
  (db.make_engine + db.migrate, cases and vendor-answer events inserted in bulk with
  SQLAlchemy core) into CaseRow, the whole table and then only the week's rows, the way
  the worker will (`select(Case.id, Case.created_at, ...)`), and the week's read + compute.

    .venv/bin/python benchmarks/digest.py [--cases N] [--week 2026-W48] [--seed 7] [--no-db]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mailbot.jobs.figures import CaseRow, DigestInputs, compute, iso_week_bounds
from mailbot.school.workcal import WorkCalendar, load_calendar
from mailbot.storage import db, store
from mailbot.storage.models import Case, Event, Mailbox
from mailbot.text.classify import CATEGORY_IDS, OTHER

ROUNDS = 5
YEAR_START = datetime(2026, 9, 1, 3, 0, tzinfo=UTC)  # 08:00 in Yekaterinburg
YEAR_DAYS = 272  # to the end of May 2027
HELPERS = ("ivanova", "petrova", "sidorov", "kuznetsova", "smirnov", "orlova", "")
ROLES = ("parent", "parent", "parent", "student", "teacher", "staff", "unknown")
TARGETS = {"login": (4.0, 8.0), "app_outage": (4.0, 8.0), "default": (8.0, 16.0)}
BATCH = 5_000


# ------------------------------------------------------------------ synthetic cases


def make_rows(n: int, seed: int) -> list[CaseRow]:
    """Cases at office-ish hours on any day; most answered within hours and closed within
    days, a few stopped, some sent to the vendor, the newest ones still open."""
    rng = random.Random(seed)
    categories = (*CATEGORY_IDS, OTHER)
    rows = []
    for number in range(1, n + 1):
        created = YEAR_START + timedelta(days=rng.randrange(YEAR_DAYS),
                                         minutes=rng.randrange(-180, 14 * 60))
        answered = _later(rng, created, 0.92, 0.2, 40)
        escalated = _later(rng, created, 0.06, 0.5, 24)
        vendor = _later(rng, escalated, 0.8, 2, 240) if escalated else None
        closed = _later(rng, max(filter(None, (created, answered, vendor))), 0.9, 1, 200)
        status = "closed" if closed else rng.choice(("assigned", "waiting_user", "new"))
        if closed and rng.random() < 0.02:
            status = "stopped"
        if escalated and not vendor and not closed:
            status = "waiting_vendor"
        rows.append(CaseRow(
            id=number, created_at=created, closed_at=closed, status=status,
            category=rng.choice(categories), role=rng.choice(ROLES),
            assignee=rng.choice(HELPERS), first_response_at=answered, escalated_at=escalated,
            vendor_answered_at=vendor, flagged=rng.random() < 0.01,
        ))
    return rows


def _later(rng: random.Random, after: datetime | None, chance: float, low: float,
           high: float) -> datetime | None:
    """With `chance`, a moment `low`..`high` hours (log-uniform) after `after`."""
    if after is None or rng.random() >= chance:
        return None
    return after + timedelta(hours=low * (high / low) ** rng.random())


# ------------------------------------------------------------------ measuring


def best_of(action: Callable[[], object], rounds: int = ROUNDS) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def peak_bytes(action: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def count_categories(rows: Sequence[CaseRow]) -> Counter[str]:
    """The baseline: touch every row once and count it; no dates, no calendar."""
    counts: Counter[str] = Counter()
    for row in rows:
        counts[row.category] += 1
    return counts


def inputs_for(week: str, rows: Sequence[CaseRow], calendar: WorkCalendar) -> DigestInputs:
    start, end = iso_week_bounds(week, calendar.zone)
    return DigestInputs(
        week=week, start=start, end=end, cases=rows,
        incidents={"flagged": 3, "held": 1, "stopped": 0, "complaints": 1},
        undelivered=2, quarantined=1,
        names={"ivanova": "Иванова Н. П.", "petrova": "Петрова А. С."},
        category_titles={"login": "Вход: пароль, Госуслуги (ЕСИА), учётная запись"},
    )


# ------------------------------------------------------------------ the database


def fill_database(engine: Engine, rows: Sequence[CaseRow]) -> None:
    """The cases and their vendor-answer events, inserted in bulk with SQLAlchemy core."""
    with engine.begin() as conn:
        mailbox = conn.execute(insert(Mailbox).values(name="help@school.example",
                                                      last_uid=0)).inserted_primary_key[0]
        for i in range(0, len(rows), BATCH):
            chunk = rows[i:i + BATCH]
            conn.execute(insert(Case), [_case_values(r, mailbox) for r in chunk])
            events = [{"mailbox_id": mailbox, "case_id": r.id, "at": r.vendor_answered_at,
                       "actor": "support@vendor.example", "kind": "vendor_answer", "detail": ""}
                      for r in chunk if r.vendor_answered_at is not None]
            if events:
                conn.execute(insert(Event), events)


def _case_values(row: CaseRow, mailbox: int) -> dict[str, Any]:
    return {
        "id": row.id, "mailbox_id": mailbox, "subject": "Не вижу оценки в дневнике",
        "requester_addr": f"parent{row.id}@mail.example", "requester_name": "Родитель",
        "status": row.status, "created_at": row.created_at,
        "updated_at": row.closed_at or row.created_at, "closed_at": row.closed_at,
        "category": row.category, "role": row.role, "assignee": row.assignee,
        "route": f"person:{row.assignee}", "analysis": "", "flagged": row.flagged,
        "about": "", "vendor_ticket": "", "escalated_at": row.escalated_at,
        "first_response_at": row.first_response_at,
    }


EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def read_rows(engine: Engine, start: datetime, end: datetime) -> list[CaseRow]:
    """The worker's own query (store.digest_rows), into CaseRow."""
    with db.session(engine) as session:
        return [CaseRow(*values) for values in store.digest_rows(session, 1, start, end)]


# ------------------------------------------------------------------ main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--week", default="2026-W48")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-db", action="store_true", help="skip the SQLite part")
    args = parser.parse_args()

    calendar = load_calendar(ROOT / "config" / "calendar.toml")
    rows = make_rows(args.cases, args.seed)
    inputs = inputs_for(args.week, rows, calendar)
    now = inputs.end + timedelta(hours=7)

    def run() -> object:
        return compute(inputs, calendar, TARGETS, now)

    cold = best_of(run, 1)  # compiles the calendar's years once
    digest = compute(inputs, calendar, TARGETS, now)
    t_base = best_of(lambda: count_categories(rows))
    t_digest = best_of(run)
    list_bytes = peak_bytes(lambda: make_rows(args.cases, args.seed))
    digest_bytes = peak_bytes(run)

    print(f"{args.cases:,} cases over the school year, week {args.week}: opened "
          f"{digest.opened}, closed {digest.closed}, open at the end {digest.open_at_end}, "
          f"overdue {len(digest.overdue)}, first responses {digest.responses}")
    print(f"baseline (count per category): {t_base * 1000:8.1f} ms")
    print(f"compute() one week:            {t_digest * 1000:8.1f} ms  "
          f"(first call {cold * 1000:.1f} ms)   ratio compute/baseline {t_digest / t_base:.1f}")
    print(f"peak memory of compute():      {digest_bytes / 2**20:8.2f} MiB  "
          f"(the {args.cases:,} rows themselves: {list_bytes / 2**20:.1f} MiB)")
    if not args.no_db:
        database(rows, inputs, calendar, now, t_digest)


def database(rows: list[CaseRow], inputs: DigestInputs, calendar: WorkCalendar,
             now: datetime, t_digest: float) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = db.make_engine(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        try:
            db.migrate(engine)
            started = time.perf_counter()
            fill_database(engine, rows)
            t_fill = time.perf_counter() - started
            week = (inputs.start, inputs.end)
            back = read_rows(engine, *EVER)
            check_round_trip(rows, back)
            week_rows = read_rows(engine, *week)
            t_all = best_of(lambda: read_rows(engine, *EVER), 3)
            t_week = best_of(lambda: read_rows(engine, *week), 3)
            read_bytes = peak_bytes(lambda: read_rows(engine, *EVER))
            t_week_digest = best_of(lambda: compute(
                DigestInputs(**{**inputs.__dict__, "cases": read_rows(engine, *week)}),
                calendar, TARGETS, now), 3)
        finally:
            engine.dispose()
    per_row = t_all / len(rows) * 1e6
    print(f"\nSQLite (mailbot's schema), inserted {len(rows):,} cases in {t_fill:.1f} s")
    print(f"read all {len(rows):,} rows into CaseRow: {t_all * 1000:8.1f} ms  "
          f"({per_row:.1f} µs a row, peak {read_bytes / 2**20:.1f} MiB)   "
          f"ratio read/compute {t_all / t_digest:.1f}")
    print(f"read the week's {len(week_rows):,} rows:      {t_week * 1000:8.1f} ms")
    print(f"the week's read + compute():     {t_week_digest * 1000:8.1f} ms")


def check_round_trip(rows: Sequence[CaseRow], back: Sequence[CaseRow]) -> None:
    """The database returns what went in (aware UTC times, the first vendor answer)."""
    by_id = {row.id: row for row in back}
    assert len(by_id) == len(rows), (len(by_id), len(rows))
    sample = rows[:: max(1, len(rows) // 500)]
    mismatched = [row.id for row in sample if by_id[row.id] != row]
    assert not mismatched, f"rows read back differ: {mismatched[:5]}"
    assert all(r.created_at.tzinfo is not None for r in back[:100])


if __name__ == "__main__":
    main()
