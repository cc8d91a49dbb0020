"""store.open_case writes a new case in one INSERT ... RETURNING (its number a subquery):
the case it gives back is the session's own object, with the columns a Case built and
flushed would have; and numbers count per mailbox (two transactions at once:
test_case_numbers.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import select

from mailbot.storage import db, store
from mailbot.storage.models import Case

NOW = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
FIELDS = {"subject": "x", "requester_addr": "a@mail.example", "status": "new",
          "created_at": NOW, "updated_at": NOW}


def test_an_opened_case_is_the_sessions_object_with_the_usual_columns(db_url: str) -> None:
    engine = db.make_engine(db_url)
    db.migrate(engine)
    try:
        with db.session(engine) as session:
            one, two = (store.mailbox(session, f"help@{x}.example").id for x in "ab")
            built = Case(mailbox_id=one, number=1, **FIELDS)
            session.add(built)
            session.flush()
            opened = [store.open_case(session, box, FIELDS) for box in (one, two, one)]
            assert [c.number for c in opened] == [2, 1, 3]
            assert session.get(Case, opened[0].id) is opened[0]
            columns = set(Case.model_fields) - {"id", "number", "mailbox_id"}
            assert {k: getattr(opened[2], k) for k in columns} == {
                k: getattr(built, k) for k in columns}
            opened[0].status = "assigned"  # a later Set step: written at the flush
            session.commit()
        with db.session(engine) as session:
            rows = session.exec(select(Case.mailbox_id, Case.number, Case.status)
                                .order_by(Case.id)).all()
            assert [tuple(r) for r in rows] == [
                (one, 1, "new"), (one, 2, "assigned"), (two, 1, "new"), (one, 3, "new")]
    finally:
        engine.dispose()
