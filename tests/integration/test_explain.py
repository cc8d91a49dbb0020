"""`mailbot explain` runs the worker's own path: what it says is what the worker then does."""

from __future__ import annotations

from sqlmodel import select

from mailbot.explain import explain_bytes
from mailbot.storage import db
from mailbot.storage.models import Outbox
from tests.integration.mailflow import IVANOVA, USER, Sent, case_row, deliver, reply_to
from tests.mailfactory import make_mail


def _queued_kinds(desk, after: int) -> list[str]:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        rows = session.exec(select(Outbox).where(Outbox.id > after)).all()
        return sorted(r.kind for r in rows)


def _last_outbox_id(desk) -> int:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        ids = session.exec(select(Outbox.id)).all()
        return max(ids, default=0) or 0


def _explain_then_deliver(desk, raw: bytes) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """Explain a mail, then let the worker take it: the plan's mails are what it queued."""
    before = _last_outbox_id(desk)
    result = explain_bytes(desk.app, raw, "mail.eml")
    assert _last_outbox_id(desk) == before, "explain queues nothing"
    deliver(desk, raw)
    planned = sorted(step["mail"]["kind"] for step in result["plan"]  # type: ignore[attr-defined]
                     if "mail" in step)
    assert planned == _queued_kinds(desk, before), result["plan"]
    return result


def test_explain_and_the_worker_agree_along_a_whole_conversation(desk) -> None:  # type: ignore[no-untyped-def]
    first = _explain_then_deliver(desk, make_mail(message_id="e1@mail.example"))
    assert first["would"] == "new_case" and first["case"] is None
    assert first["category"] == "login" and first["route"] == "person:ivanova"
    notice = Sent(desk).one("notice", IVANOVA[1])
    answer = _explain_then_deliver(desk, reply_to(notice, sender=IVANOVA,
                                                  body="Войдите через Госуслуги."))
    assert answer["would"] == "helper_mail" and answer["case"] == 1
    desk.send()
    relay = Sent(desk).one("relay", USER[1])
    follow = _explain_then_deliver(desk, reply_to(relay, sender=USER, body="Не получается."))
    assert follow["would"] == "follow_up" and follow["case"] == 1
    assert follow["reasons"][0].endswith("of case #1")  # type: ignore[index] # a number, not an id
    closing = _explain_then_deliver(desk, reply_to(notice, sender=IVANOVA, body="#закрыть\nГотово."))
    assert any(step.get("event") == "state" and step["after"] == "closed"  # type: ignore[union-attr]
               for step in closing["plan"])  # type: ignore[attr-defined]


def test_a_stored_mail_is_named_with_its_case(desk) -> None:  # type: ignore[no-untyped-def]
    raw = make_mail(message_id="stored@mail.example")
    deliver(desk, raw)
    result = explain_bytes(desk.app, raw, "again.eml")
    assert result["would"] == "already_stored" and result["case"] == 1
    assert "already stored, in case #1" in result["reasons"][0]  # type: ignore[index]


def test_a_signup_in_a_reply_is_explained_as_the_service_request_it_is(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail())
    desk.send()
    ack = Sent(desk).one("ack", USER[1])
    result = _explain_then_deliver(desk, reply_to(ack, sender=USER, body="#записаться 2"))
    assert result["would"] == "service_request"
    assert any(step.get("seat") == 2 for step in result["plan"])  # type: ignore[union-attr]


def test_a_reply_to_a_long_closed_case_is_explained_as_a_new_case(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, make_mail())
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#закрыть\nГотово."))
    desk.send()
    closing = Sent(desk).one("closing", USER[1])
    desk.clock.advance(days=desk.config.conversation.reopen_days + 1)
    result = _explain_then_deliver(desk, reply_to(closing, sender=USER, body="Снова не входит."))
    assert result["would"] == "new_case"
    assert case_row(desk, 2).linked_case_id == 1
