"""Plain-text views for the command line: cases, one case's thread, quarantine."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from datetime import datetime

from sqlmodel import Session, select

from mailbot.adapters.clock import to_local
from mailbot.app import App
from mailbot.desk.states import LABELS_RU as STATUS_RU
from mailbot.flows.triage import UNVERIFIED_KINDS, unverified_label
from mailbot.pipeline import replay as replay_mail
from mailbot.reading.risky import risk
from mailbot.service.progress import Bar
from mailbot.storage import db, store
from mailbot.storage.models import Attachment, Case, Message, Quarantine


def _when(app: App, moment: datetime | None) -> str:
    if moment is None:
        return "-"
    return to_local(moment, app.config.helpdesk.timezone).strftime("%d.%m.%Y %H:%M")


def _box(session: Session, app: App) -> int | None:
    """The app's mailbox (its school's); None before any mail was processed there."""
    row = store.mailbox_row(session, app.mailbox_name)
    return row.id if row is not None else None


def cases_table(app: App, status: str | None, limit: int) -> str:
    with db.session(app.engine) as session:
        box = _box(session, app)
        rows = store.cases(session, limit=limit, status=status,
                           mailbox_id=box) if box is not None else []
    if not rows:
        return "No cases."
    lines = [f"{'case':>6}  {'status':<22} {'opened':<16}  {'from':<32} subject"]
    for case in rows:
        lines.append(
            f"{case.number:>6}  {STATUS_RU.get(case.status, case.status):<22} "
            f"{_when(app, case.created_at):<16}  {case.requester_addr[:32]:<32} "
            f"{case.subject[:60]}"
        )
    return "\n".join(lines)


def case_text(app: App, number: int) -> str | None:
    """One case of the app's school, by the number people see."""
    with db.session(app.engine) as session:
        box = _box(session, app)
        case = store.case_by_number(session, box, number) if box is not None else None
        if case is None or case.id is None:
            return None
        linked = session.get(Case, case.linked_case_id) if case.linked_case_id else None
        messages = store.case_messages(session, case.id)
        events = store.case_events(session, case.id)
        sent = store.case_outbox(session, case.id)
        attachments = {
            m.id: session.exec(select(Attachment).where(Attachment.message_pk == m.id)).all()
            for m in messages
        }
    out = [
        f"Case {case.number} [{STATUS_RU.get(case.status, case.status)}]: {case.subject}",
        f"From: {case.requester_name} <{case.requester_addr}>".replace(" <", " <", 1),
        f"Opened {_when(app, case.created_at)}, updated {_when(app, case.updated_at)}"
        + (f", closed {_when(app, case.closed_at)}" if case.closed_at else ""),
        f"Category: {case.category or '-'}   role: {case.role or '-'}   "
        f"assignee: {case.assignee or '-'}   route: {case.route or '-'}"
        + ("   FLAGGED (etiquette)" if case.flagged else "")
        + (f"   vendor ticket: {case.vendor_ticket}" if case.vendor_ticket else "")
        + (f"   continues case {linked.number}" if linked else ""),
        "",
    ]
    states = [e for e in events if e.kind == "state"]
    if states:
        out.append("States:")
        for event in states:
            data = json.loads(event.detail or "{}")
            out.append(f"  {_when(app, event.at)}  {data.get('before')} -> {data.get('after')}"
                       f"  by {event.actor}: {data.get('why', '')}")
        out.append("")
    for message in messages:
        out.append(f"--- {_when(app, message.received_at)}  {_writer(message)} [{message.kind}]  "
                   f"{message.from_name} <{message.from_addr}>  {message.subject}")
        if message.kind in UNVERIFIED_KINDS:
            out.append(f"    ({unverified_label(message.from_addr)}: not relayed, not acted on)")
        if message.auto_kind != "none":
            out.append(f"    (automatic mail: {message.auto_kind})")
        out.append(textwrap.indent(message.new_text.strip() or "(no text)", "    "))
        for att in attachments.get(message.id, []):
            why = risk(att.filename, att.content_type, att.data)
            note = (" (too large, not stored)" if not att.stored
                    else f" (kept, never passed on: {why})" if why else "")
            out.append(f"    [attachment] {att.filename} {att.content_type} {att.size} B{note}")
    if sent:
        out.append("")
        out.append("Outgoing mail:")
        for row in sent:
            error = f" — {row.last_error}" if row.last_error else ""
            out.append(f"  {row.kind:<10} to {row.rcpt_to:<32} {row.status}"
                       f" ({row.attempts} attempts){error}")
    if events:
        out.append("")
        out.append("Events:")
        for event in events:
            detail = _short_detail(event.detail)
            out.append(f"  {_when(app, event.at)}  {event.kind:<16} {event.actor}  {detail}")
    return "\n".join(out)


def _writer(message: Message) -> str:
    """Who wrote a stored mail, as far as it is believed: a doubted address's mail is never
    shown as its owner's."""
    if message.kind in UNVERIFIED_KINDS:
        return "НЕ ПОДТВЕРЖДЕНО"
    return message.sender_role + (f"/{message.person_id}" if message.person_id else "")


def _short_detail(detail: str) -> str:
    if not detail:
        return ""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail[:120]
    return "; ".join(f"{k}={v}" for k, v in data.items() if k != "message_id")[:160]


def quarantine_table(app: App) -> str:
    with db.session(app.engine) as session:
        rows = session.exec(select(Quarantine).where(Quarantine.mailbox_id == _box(session, app))
                            .order_by(Quarantine.id.desc()).limit(200)).all()
    if not rows:
        return "Quarantine is empty."
    lines = [f"{'id':>5}  {'status':<9} {'held since':<16}  reason"]
    for row in rows:
        lines.append(f"{row.id:>5}  {row.status:<9} {_when(app, row.created_at):<16}  "
                     f"{row.reason[:90]}")
    return "\n".join(lines)


def replay(app: App, quarantine_id: int) -> str | None:
    outcome = replay_mail(app, quarantine_id)
    if outcome is None:
        return None
    if outcome.kind == "quarantined":
        return f"Still failing, kept in quarantine: {outcome.reasons[0]}"
    if outcome.kind == "already":
        return "Already replayed."
    with db.session(app.engine) as session:
        case = session.get(Case, outcome.case_id) if outcome.case_id is not None else None
    return f"Replayed: {outcome.kind} case {case.number if case else None}" + (
        ", acknowledgement queued" if outcome.acked else "")


def explain_text(result: dict[str, object]) -> str:
    if "error" in result:
        return f"{result['file']}: {result['error']}"
    if result.get("would") == "already_stored":
        return f"{result['file']}: already stored, in case {result['case']} (nothing to do)"
    case = result["case"]
    lines = [
        f"{result['file']}",
        f"  from:     {result['from']}",
        f"  subject:  {result['subject']}",
        f"  auto:     {result['auto']}",
        f"  would:    {result.get('would')}"
        + (f" (case {case})" if case else ""),
        f"  reasons:  {'; '.join(str(r) for r in result['reasons'])}",  # type: ignore[attr-defined]
        f"  sender:   {result.get('sender_role')}",
    ]
    if result.get("command"):
        lines.append(f"  command:  {result['command']}")
    if result.get("category"):
        lines.append(f"  category: {result['category']}   role: {result['role']}   "
                     f"route: {result['route']}")
    if result.get("etiquette"):
        lines.append(f"  etiquette: {[f['word'] for f in result['etiquette']]}")  # type: ignore[attr-defined]
    lines += [
        "  new text:",
        textwrap.indent(str(result["new_text"]).strip() or "(empty)", "    "),
        "  plan:",
        *(f"    {_plan_step(step)}" for step in result.get("plan", [])),  # type: ignore[attr-defined]
    ]
    return "\n".join(lines)


def _plan_step(step: dict[str, object]) -> str:
    """One step of a plan on one line: «mail notice to helper ivanova», «event state …»."""
    if "mail" in step:
        mail = step["mail"]
        return f"mail {mail['kind']} to {mail['to']}"  # type: ignore[index]
    if "event" in step:
        detail = ", ".join(f"{k}={v}" for k, v in step.items() if k not in ("event", "actor"))
        return f"event {step['event']} by {step['actor']}" + (f": {detail}" if detail else "")
    key, value = next(iter(step.items()))
    if isinstance(value, dict):  # open / set: the fields, without the long analysis
        value = ", ".join(f"{k}={_short(v)}" for k, v in value.items() if k != "analysis")
    rest = ", ".join(f"{k}={v}" for k, v in list(step.items())[1:])
    return f"{key} {value}" + (f" ({rest})" if rest else "")


def _short(value: object, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def replay_all(app: App, bar: Callable[[int], Bar]) -> str:
    """Replay every held mail, oldest first; a summary line, and one per mail still held."""
    with db.session(app.engine) as session:
        held = list(session.exec(select(Quarantine.id).where(
            Quarantine.status == "held", Quarantine.mailbox_id == _box(session, app))
            .order_by(Quarantine.id)).all())
    if not held:
        return "Quarantine is empty: nothing to replay."
    shown = bar(len(held))
    kinds: dict[str, int] = {}
    still: list[str] = []
    try:
        for quarantine_id in held:
            outcome = replay_mail(app, quarantine_id)
            shown.update()
            if outcome is None:
                continue
            kinds[outcome.kind] = kinds.get(outcome.kind, 0) + 1
            if outcome.kind == "quarantined":
                still.append(f"  {quarantine_id}: {outcome.reasons[0]}")
    finally:
        shown.close()
    labels = {"quarantined": "still held", "opened": "new cases", "joined": "follow-ups",
              "duplicate": "duplicates", "already": "done before"}
    done = ", ".join(f"{labels.get(kind, kind)} {count}" for kind, count in sorted(kinds.items()))
    return "\n".join([f"Replayed {len(held)} held mail(s): {done}.", *still])
