"""What an operator does with quarantined mail besides replaying it: read it, or dismiss it.

`decoded` shows a held mail as a person reads it — the reason it is held, the main headers,
the text and the list of parts — rather than its raw bytes. `dismiss` closes an entry that
will never be processed (a broken spam message, say) with the operator's reason kept in the
log; it is no longer counted as held in the digest, and its bytes stay for the record.
"""

from __future__ import annotations

from mailbot.adapters.clock import local_text
from mailbot.app import App
from mailbot.reading.parsing import MailError, parse
from mailbot.storage import db, store
from mailbot.storage.models import Quarantine

_TEXT_LIMIT = 4000


def decoded(app: App, quarantine_id: int) -> str | None:
    """A held mail for reading; None when there is no such entry."""
    with db.session(app.engine) as session:
        row = session.get(Quarantine, quarantine_id)
    if row is None:
        return None
    zone = app.config.helpdesk.timezone
    since = local_text(row.created_at, zone)
    lines = [f"Quarantined mail {row.id} [{row.status}], held since {since}",
             f"Source: {row.source_key}", f"Reason: {row.reason}", f"Size: {len(row.raw)} bytes"]
    try:
        parsed = parse(row.raw)
    except MailError as exc:
        head = row.raw[:2000].decode("utf-8", "replace")
        return "\n".join([*lines, f"Cannot be read: {exc}", "", head])
    lines += [f"From: {parsed.from_name} <{parsed.from_addr}>",
              f"To: {', '.join(parsed.to)}", f"Subject: {parsed.subject}",
              f"Date: {local_text(parsed.date, zone) if parsed.date else '-'}",
              f"Message-ID: {parsed.message_id}"]
    if parsed.defects:
        lines.append(f"Defects: {'; '.join(parsed.defects)}")
    parts = [f"  {a.filename or '(no name)'} — {a.content_type}, {a.size} bytes"
             for a in parsed.attachments]
    lines += ["", "Parts:", *(parts or ["  (text only)"])]
    text = parsed.text.strip()
    if len(text) > _TEXT_LIMIT:
        text = text[:_TEXT_LIMIT] + f"\n… ({len(parsed.text) - _TEXT_LIMIT} more characters)"
    return "\n".join([*lines, "", "Text:", text or "(empty)"])


def dismiss(app: App, quarantine_id: int, reason: str) -> str | None:
    """Close a held entry with the operator's reason; None when there is no such entry."""
    now = app.clock.now()
    with db.session(app.engine) as session:
        row = session.get(Quarantine, quarantine_id)
        if row is None:
            return None
        if row.status != "held":
            return f"Quarantined mail {row.id} is already {row.status}."
        row.status = "dismissed"
        session.add(row)
        store.log(session, "quarantine_dismissed", at=now, mailbox_id=row.mailbox_id,
                  quarantine_id=row.id, reason=reason, held_for=row.reason)
        session.commit()
    return f"Dismissed quarantined mail {quarantine_id}: {reason}"
