"""`mailbot explain`: what mailbot would do with a mail, without changing anything."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from mailbot.adapters.clock import to_local
from mailbot.app import App
from mailbot.desk.commands import parse_commands
from mailbot.desk.decide import analyse, tagged_case
from mailbot.desk.sender import Sender, identify
from mailbot.desk.threads import ThreadFacts
from mailbot.flows.helper import HELPER_COMMANDS
from mailbot.flows.triage import decide, describe_route
from mailbot.reading.parsing import MailError, ParsedMail, parse
from mailbot.storage import db, store
from mailbot.storage.models import Mailbox
from mailbot.text.requests import read_request
from mailbot.text.rudeness import detect, passage


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
    thread_facts, open_counts = _facts(app, parsed)
    facts = analyse(parsed, app.config, thread_facts)
    sender = identify(parsed, facts.auto, app.rules.people, app.secret)
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
        "sender_role": sender.role,
        "sender_reasons": list(sender.reasons),
        "would": _would(parsed, facts.thread.case, facts.new_text, sender),
        **_conversation(app, parsed, facts.new_text, sender, open_counts),
    }


def _would(parsed: ParsedMail, case: int | None, text: str, sender: Sender) -> str:
    """Which flow the mail would take (flows/): the first thing to know about a mail."""
    if sender.role in ("helper", "vendor"):
        return f"{sender.role}_mail"
    if case is not None:
        return "follow_up"
    if sender.role == "user" and read_request(parsed.subject, text) is not None:
        return "service_request"
    return "new_case"


def _conversation(app: App, parsed: ParsedMail, text: str, sender: Sender,
                  open_counts: dict[str, int]) -> dict[str, object]:
    """The decisions the flows would take: commands for a helper, triage for a user."""
    result: dict[str, object] = {"command": None, "etiquette": []}
    lexicon = app.rules.etiquette
    if sender.role == "helper":
        found = parse_commands(text, allowed=HELPER_COMMANDS)
        result["command"] = [{"name": c.name, "arg": c.arg} for c in found.commands] or None
        result["command_problems"] = [p.problem for p in found.problems]
        text = found.text
    if lexicon is not None:
        result["etiquette"] = [
            {**f.to_json(), "passage": passage(text, f)} for f in detect(text, lexicon)
        ]
    if sender.role in ("user", "system"):
        decision = decide(
            app.rules, subject=parsed.subject, text=text,
            requester_addr=parsed.reply_to or parsed.from_addr,
            now_local=to_local(app.clock.now(), app.config.helpdesk.timezone),
            open_counts=open_counts,
        )
        result.update(
            category=decision.category, role=decision.role,
            route=describe_route(decision.route), reasons_by_step=decision.reasons,
            articles=[s.article.title for s in decision.articles],
        )
    return result


def _facts(app: App, parsed: ParsedMail) -> tuple[ThreadFacts, dict[str, int]]:
    """Thread facts and open-case counts from the database if there is one; an empty world
    otherwise."""
    empty: tuple[ThreadFacts, dict[str, int]] = (ThreadFacts(), {})
    url = app.engine.url
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return empty  # connecting would create the file: explain changes nothing
    try:
        if not inspect(app.engine).has_table("message"):
            return empty
        with db.session(app.engine) as session:
            box = session.exec(
                Mailbox.__table__.select().where(Mailbox.name == app.mailbox_name)  # type: ignore[attr-defined]
            ).first()
            if box is None:
                return empty
            facts = store.thread_facts(session, box.id, parsed.message_id, parsed.thread_ids,
                                       tagged_case(parsed, app.config))
            return facts, store.open_counts(session, box.id)
    except SQLAlchemyError:
        return empty
