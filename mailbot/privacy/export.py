"""What the desk holds about one person (152-ФЗ, art. 14), gathered as plain data: the cases
they opened with their whole threads and logs, the mails they wrote in other cases, the
mail the desk sent them with its text, their seminar seats and schedule subscription, and
their attachments' bytes. `service/privacy.py` writes it into a folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.parser import BytesParser

from sqlmodel import Session, select

from mailbot.reading.addresses import canonical_address
from mailbot.storage.models import (
    Attachment,
    Case,
    Event,
    Message,
    Outbox,
    Registration,
    Subscription,
)

_UNSAFE = re.compile(r"[^\w.\-]+")


@dataclass
class Gathered:
    document: dict[str, object]
    files: dict[str, bytes] = field(default_factory=dict)  # relative path -> bytes
    numbers: dict[int, int] = field(default_factory=dict)  # case id -> its number


def gather(session: Session, box_id: int, addr: str, now: datetime) -> Gathered:
    addr = canonical_address(addr)
    out = Gathered({"address": addr, "exported_at": _iso(now)})
    cases = [c for c in session.exec(select(Case).where(Case.mailbox_id == box_id)
                                     .order_by(Case.id)).all()
             if canonical_address(c.requester_addr) == addr]
    own = {c.id for c in cases}
    # Cases by the number people see in the subject ([ЭЖ #N]), which counts per school.
    out.numbers.update(session.exec(select(Case.id, Case.number).where(
        Case.mailbox_id == box_id)).all())
    out.document["cases"] = [_case(session, out, c) for c in cases]
    others = [m for m in session.exec(select(Message).where(Message.mailbox_id == box_id)
                                      .order_by(Message.id)).all()
              if canonical_address(m.from_addr) == addr and m.case_id not in own]
    out.document["messages_in_other_cases"] = [_message(session, out, m) for m in others]
    sent = [r for r in session.exec(select(Outbox).where(Outbox.mailbox_id == box_id)
                                    .order_by(Outbox.id)).all()
            if addr in {canonical_address(a) for a in r.rcpt_to.split(",")}]
    out.document["mail_sent_to_them"] = [_outgoing(r, out.numbers) for r in sent]
    out.document["seminar_seats"] = [
        {"seminar": r.number, "name": r.name, "status": r.status,
         "signed_up": _iso(r.created_at), "changed": _iso(r.changed_at)}
        for r in session.exec(select(Registration).where(Registration.mailbox_id == box_id))
        if canonical_address(r.addr) == addr]
    out.document["schedule_subscription"] = [
        {"name": r.name, "subscribed": r.subscribed, "changed": _iso(r.changed_at)}
        for r in session.exec(select(Subscription).where(Subscription.mailbox_id == box_id))
        if canonical_address(r.addr) == addr]
    return out


def _case(session: Session, out: Gathered, case: Case) -> dict[str, object]:
    messages = session.exec(select(Message).where(Message.case_id == case.id)
                            .order_by(Message.received_at, Message.id)).all()
    events = session.exec(select(Event).where(Event.case_id == case.id)
                          .order_by(Event.at, Event.id)).all()
    return {
        "number": case.number, "subject": case.subject, "name": case.requester_name,
        "status": case.status, "category": case.category, "role": case.role,
        "opened": _iso(case.created_at), "closed": _iso(case.closed_at),
        "messages": [_message(session, out, m) for m in messages],
        "events": [{"at": _iso(e.at), "kind": e.kind, "by": e.actor, "detail": e.detail}
                   for e in events],
    }


def _message(session: Session, out: Gathered, m: Message) -> dict[str, object]:
    files = []
    for n, a in enumerate(session.exec(select(Attachment).where(Attachment.message_pk == m.id)
                                       .order_by(Attachment.id)).all(), 1):
        entry: dict[str, object] = {"filename": a.filename, "content_type": a.content_type,
                                    "size": a.size}
        if a.data is not None:
            name = f"attachments/{m.id}-{n}-{_safe(a.filename) or 'file'}"
            out.files[name] = a.data
            entry["file"] = name
        files.append(entry)
    return {"case": out.numbers.get(m.case_id or 0), "direction": m.direction, "from": m.from_addr,
            "from_name": m.from_name, "to": m.to_addrs, "cc": m.cc_addrs,
            "subject": m.subject, "date": _iso(m.sent_at or m.received_at),
            "text": m.body_text, "attachments": files}


def _outgoing(row: Outbox, numbers: dict[int, int]) -> dict[str, object]:
    subject, text = "", ""
    if row.raw:  # empty once retention or forget took the bytes
        try:
            msg = BytesParser(policy=policy.default).parsebytes(row.raw)
            subject = str(msg.get("Subject", ""))
            body = msg.get_body(("plain",))  # type: ignore[attr-defined]
            text = body.get_content() if body is not None else ""
        except Exception:  # noqa: BLE001 - our own mail; a broken one still shows its bytes
            text = row.raw.decode("utf-8", "replace")
    return {"case": numbers.get(row.case_id or 0), "kind": row.kind, "created": _iso(row.created_at),
            "status": row.status, "sent": _iso(row.sent_at), "subject": subject, "text": text}


def _safe(filename: str) -> str:
    return _UNSAFE.sub("_", filename).strip("._")[:100]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
