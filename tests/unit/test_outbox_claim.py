"""SQLite claims: a batch of due rows at once, or row by row when another worker took some."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import create_engine, event, select, update
from sqlmodel import SQLModel

from mailbot.outgoing import outbox
from mailbot.storage.models import Outbox

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


def _app(tmp_path: Path, rows: int) -> SimpleNamespace:
    engine = create_engine(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    SQLModel.metadata.create_all(engine, tables=[Outbox.__table__])
    with engine.begin() as connection:
        for i in range(1, rows + 1):
            connection.execute(Outbox.__table__.insert().values(
                id=i, mailbox_id=1, kind="ack", message_id=f"m{i}@x", mail_from="help@x",
                rcpt_to=f"a{i}@x,b{i}@x", raw=f"mail {i}".encode(), next_attempt_at=NOW,
                created_at=NOW))
    return SimpleNamespace(engine=engine, clock=SimpleNamespace(now=lambda: NOW))


def _statuses(app: SimpleNamespace) -> list[str]:
    with app.engine.connect() as connection:
        return list(connection.execute(
            select(Outbox.__table__.c.status).order_by(Outbox.__table__.c.id)).scalars())


def test_the_due_rows_are_claimed_in_order_with_their_bytes(tmp_path: Path) -> None:
    app = _app(tmp_path, 5)
    items = outbox._claim(app, 3)  # type: ignore[arg-type]
    assert [(i.id, i.rcpts, i.raw) for i in items] == [
        (1, ["a1@x", "b1@x"], b"mail 1"), (2, ["a2@x", "b2@x"], b"mail 2"),
        (3, ["a3@x", "b3@x"], b"mail 3")]
    assert _statuses(app) == ["sending"] * 3 + ["pending"] * 2
    assert [i.id for i in outbox._claim(app, 3)] == [4, 5]  # type: ignore[arg-type]
    assert outbox._claim(app, 3) == []  # type: ignore[arg-type]


def test_a_row_another_worker_took_meanwhile_is_not_claimed_again(tmp_path: Path) -> None:
    app = _app(tmp_path, 4)
    other = create_engine(f"sqlite:///{tmp_path / 'outbox.sqlite3'}")
    taken: list[bool] = []

    @event.listens_for(app.engine, "before_cursor_execute")
    def _between(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        # Once the due rows are found, before they are claimed: another worker takes row 2.
        if statement.startswith("UPDATE outbox") and not taken:
            taken.append(True)
            with other.begin() as connection:
                connection.execute(update(Outbox.__table__).where(Outbox.__table__.c.id == 2)
                                   .values(status="sending", claimed_at=NOW))

    items = outbox._claim(app, 3)  # type: ignore[arg-type]
    assert taken and [i.id for i in items] == [1, 3]
    assert _statuses(app) == ["sending", "sending", "sending", "pending"]
