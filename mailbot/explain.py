"""`mailbot explain`: what mailbot would do with a mail, without changing anything."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from mailbot import db, store
from mailbot.app import App
from mailbot.decide import analyse, tagged_case
from mailbot.models import Mailbox
from mailbot.parsing import MailError, ParsedMail, parse
from mailbot.threads import ThreadFacts


def explain_file(app: App, path: Path) -> dict[str, object]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return {"file": str(path), "error": f"cannot read: {exc.strerror or exc}"}
    return explain_bytes(app, raw, str(path))


def explain_bytes(app: App, raw: bytes, name: str) -> dict[str, object]:
    try:
        parsed = parse(raw)
    except MailError as exc:
        return {"file": name, "error": f"unusable mail: {exc}", "would": "quarantine"}
    facts = analyse(parsed, app.config, _facts(app, parsed))
    return {
        "file": name,
        "message_id": parsed.message_id,
        "subject": parsed.subject,
        "from": parsed.from_addr,
        "from_name": parsed.from_name,
        "date": parsed.date.isoformat() if parsed.date else None,
        "new_text": facts.new_text,
        "attachments": [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size}
            for a in parsed.attachments
        ],
        "auto": facts.auto.kind,
        "may_auto_reply": facts.auto.may_auto_reply,
        "case": facts.thread.case,
        "reasons": [*facts.thread.reasons, *facts.auto.reasons],
        "defects": list(parsed.defects),
    }


def _facts(app: App, parsed: ParsedMail) -> ThreadFacts:
    """Thread facts from the database if there is one; an empty world otherwise."""
    url = app.engine.url
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return ThreadFacts()  # connecting would create the file: explain changes nothing
    try:
        if not inspect(app.engine).has_table("message"):
            return ThreadFacts()
        with db.session(app.engine) as session:
            box = session.exec(
                Mailbox.__table__.select().where(Mailbox.name == app.mailbox_name)  # type: ignore[attr-defined]
            ).first()
            if box is None:
                return ThreadFacts()
            return store.thread_facts(session, box.id, parsed.message_id, parsed.thread_ids,
                                      tagged_case(parsed, app.config))
    except SQLAlchemyError:
        return ThreadFacts()
