"""`mailbot explain`: what mailbot would do with a mail, without changing anything.

It runs the worker's own path — parse, read the facts, let the flow make its plan — and
prints that plan instead of applying it, so what it says is what the worker does. The
database is only read, in a transaction that is rolled back; with no database yet, the
facts are those of an empty desk.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from mailbot.app import App
from mailbot.desk.commands import HELPER_COMMANDS, parse_commands
from mailbot.desk.decide import analyse
from mailbot.desk.plan import Plan, Set
from mailbot.desk.sender import identify
from mailbot.desk.threads import ThreadFacts
from mailbot.flows import Facts, Incoming, Situation
from mailbot.flows.choose import plan_for
from mailbot.flows.facts import read_facts
from mailbot.pipeline import incoming
from mailbot.reading.parsing import MailError, ParsedMail, parse
from mailbot.storage import db, store
from mailbot.storage.models import Case, Mailbox
from mailbot.text.rudeness import detect, passage


def explain_file(app: App, path: Path) -> dict[str, object]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return {"file": str(path), "error": f"cannot read: {exc.strerror or exc}"}
    return explain_bytes(app, raw, str(path))


def explain_bytes(app: App, raw: bytes, name: str) -> dict[str, object]:
    """What the worker would do with these bytes; a mail it would quarantine gives a result
    with `error` (as the worker's quarantine reason), never an exception."""
    try:
        parsed = parse(raw)
    except MailError as exc:
        return {"file": name, "error": f"unusable mail: {exc}", "would": "quarantine"}
    try:
        return _explain_parsed(app, raw, name, parsed)
    except SQLAlchemyError:
        raise  # the database itself is unwell: the command says so in one line
    except Exception as exc:  # noqa: BLE001 - the worker would quarantine it with this reason
        return {"file": name, "message_id": parsed.message_id, "would": "quarantine",
                "error": f"{type(exc).__name__}: {exc}"}


def _explain_parsed(app: App, raw: bytes, name: str, parsed: ParsedMail) -> dict[str, object]:
    now = app.clock.now()
    session = _reader(app)
    try:
        box = _mailbox_id(app, session) if session is not None else None
        if session is not None and box is not None:
            stored = store.message_by_id(session, box, parsed.message_id)
            if stored is not None:
                return _already(name, parsed, _number(session, stored.case_id))
            mail = incoming(session, app, box, parsed, raw, name)
            facts = read_facts(session, app, box, mail, now)
        else:
            analysed = analyse(parsed, app.config, ThreadFacts())
            sender = identify(parsed, analysed.auto, app.rules.people, app.secret, now,
                              app.config.security.authserv_id)
            mail = Incoming(parsed, analysed, sender, raw, name)
            facts = Facts()
        try:
            plan = plan_for(Situation(mail, facts, app.config, app.rules, now))
        except ValueError as exc:  # e.g. a token naming a case that is not here
            return {**_mail_fields(name, mail), "would": "quarantine",
                    "error": f"{type(exc).__name__}: {exc}"}
        result = {**_mail_fields(name, mail), **_plan_fields(app, mail, plan)}
        if session is not None:
            result["case"] = _number(session, result["case"])
        return result
    finally:
        if session is not None:
            session.rollback()
            session.close()


def _mail_fields(name: str, mail: Incoming) -> dict[str, Any]:
    parsed, facts = mail.parsed, mail.facts
    return {
        "file": name,
        "message_id": parsed.message_id,
        "subject": parsed.subject,
        "from": parsed.from_addr,
        "from_name": parsed.from_name,
        "date": parsed.date.isoformat() if parsed.date else None,
        "new_text": facts.new_text,
        "attachments": [{"filename": a.filename, "content_type": a.content_type, "size": a.size}
                        for a in parsed.attachments],
        "auto": facts.auto.kind,
        "may_auto_reply": facts.auto.may_auto_reply,
        "case": facts.thread.case,
        "reasons": [*facts.thread.reasons, *facts.auto.reasons],
        "defects": list(parsed.defects),
        "sender_role": mail.sender.role,
        "sender_reasons": list(mail.sender.reasons),
    }


def _plan_fields(app: App, mail: Incoming, plan: Plan) -> dict[str, Any]:
    """The plan, and the decisions in it an operator asks about first."""
    text = mail.facts.new_text
    command = None
    problems: list[str] = []
    if mail.sender.role == "helper":
        found = parse_commands(text, allowed=HELPER_COMMANDS)
        command = [{"name": c.name, "arg": c.arg} for c in found.commands] or None
        problems = [p.problem for p in found.problems]
        text = found.text
    lexicon = app.rules.etiquette
    etiquette = ([{**f.to_json(), "passage": passage(text, f)} for f in detect(text, lexicon)]
                 if lexicon is not None else [])
    triaged = plan.event("triaged")
    analysis = next((s.fields["analysis"] for s in plan.steps
                     if isinstance(s, Set) and "analysis" in s.fields), "")
    articles = next((spec.context.get("articles", []) for spec in plan.mails
                     if spec.template in ("ack", "notice")), [])
    return {
        "would": plan.would,
        "case": plan.case_id if plan.case_id is not None else mail.facts.thread.case,
        "command": command,
        "command_problems": problems,
        "etiquette": etiquette,
        "category": triaged.detail["category"] if triaged else None,
        "role": triaged.detail["role"] if triaged else None,
        "route": triaged.detail["route"] if triaged else None,
        "reasons_by_step": json.loads(analysis) if analysis else {},
        "articles": [a.title for a in articles],
        "outcome": plan.outcome.kind,
        "plan": plan.to_json(),
        "ledger": plan.ledger,
    }


def _already(name: str, parsed: ParsedMail, number: int | None) -> dict[str, object]:
    where = f", in case #{number}" if number is not None else ""
    return {"file": name, "message_id": parsed.message_id, "subject": parsed.subject,
            "from": parsed.from_addr, "case": number, "would": "already_stored",
            "reasons": [f"this Message-ID is already stored{where}"]}


def _number(session: Session, case_id: int | None) -> int | None:
    """The case's number as people see it (the plan works with the internal id)."""
    case = session.get(Case, case_id) if case_id is not None else None
    return case.number if case is not None else case_id


def _reader(app: App) -> Session | None:
    """A session to read the desk with, or None when there is no database to read."""
    url = app.engine.url
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return None  # connecting would create the file: explain changes nothing
    try:
        if not inspect(app.engine).has_table("message"):
            return None
    except SQLAlchemyError:
        return None
    return db.session(app.engine)


def _mailbox_id(app: App, session: Session) -> int | None:
    box = session.exec(
        Mailbox.__table__.select().where(Mailbox.name == app.mailbox_name)  # type: ignore[attr-defined]
    ).first()
    return box.id if box is not None else None
