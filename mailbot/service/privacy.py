"""The bodies of `mailbot forget ADDRESS [--yes]` and `mailbot export ADDRESS [--out DIR]`.

forget: the cases the person opened are pseudonymised (every message's text in them, since
helpers' answers quote and name the user); their own mails in other people's cases are
blanked and others' mails that name or quote them redacted; their raw mail and
attachments, the outgoing mail to or about them, their seminar seats, schedule
subscription, the ledger's keys with their address, held mail from or to them are deleted
or blanked; the log keeps an entry "forgotten" with the counts, not who. Without `--yes`
the same is done in a transaction that is rolled back, so the counts are exact and nothing
changes.

export: one JSON file and the attachments, in a new folder (mode 700) whose path is
printed.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import datetime
from pathlib import Path

from mailbot.app import App
from mailbot.privacy import erase, export
from mailbot.reading.addresses import canonical_address
from mailbot.storage import db, store

_LABELS = (("cases", "cases pseudonymised"), ("messages", "messages blanked or redacted"),
           ("raw_mail", "raw mails deleted"), ("attachments", "attachments deleted"),
           ("outbox", "outgoing mails blanked"), ("events", "log entries cleaned"),
           ("registrations", "seminar seats deleted"),
           ("subscriptions", "schedule subscriptions deleted"),
           ("periodic", "ledger keys deleted"), ("refs", "thread references deleted"),
           ("quarantine", "quarantined mails deleted"))
DRY_RUN = "Nothing changed; run again with --yes to erase."


class PrivacyError(ValueError):
    """A request that cannot be done, phrased as one line."""


def person(app: App, value: str) -> str:
    """The canonical address to act on; refuses the desk's own and the staff's addresses."""
    addr = address(value)
    if erase.keeper(app)(addr):
        raise PrivacyError(f"{addr} is the help desk's own or a person's of people.toml: "
                           "take it out of the rule files first")
    return addr


def forget(app: App, value: str, *, yes: bool) -> str:
    counts = erased(app, value, yes=yes)
    if not counts:
        return "Nothing is held about this address."
    if not yes:
        return f"Would erase: {summary(counts)}.\n{DRY_RUN}"
    return f"Erased: {summary(counts)}."


def erased(app: App, value: str, *, yes: bool) -> Counter[str]:
    """What forgetting the person erases in this school: done and logged with `yes`, else
    counted in a transaction that is rolled back."""
    addr = person(app, value)
    now = app.clock.now()
    with db.session(app.engine) as session:
        box = store.mailbox_row(session, app.mailbox_name)
        counts = erase.forget(session, box.id, addr, erase.keeper(app)) if box and box.id \
            else Counter()
        if not counts or not yes:
            session.rollback()
            return counts
        store.log(session, "forgotten", at=now, mailbox_id=box.id if box else None, **counts)
        session.commit()
    return counts


def summary(counts: Counter[str]) -> str:
    return ", ".join(f"{counts[key]} {label}" for key, label in _LABELS if counts[key])


def export_to(app: App, value: str, out: Path | None) -> Path:
    """Write the export into a new folder under `out` (default: the current folder)."""
    addr = address(value)
    folder = new_folder(out, app.clock.now())
    write_export(app, addr, folder)
    return folder


def address(value: str) -> str:
    """The canonical address an export is about, or PrivacyError."""
    addr = canonical_address(value)
    if not addr:
        raise PrivacyError(f"{value!r} is not an e-mail address")
    return addr


def new_folder(out: Path | None, now: datetime) -> Path:
    """A new export folder (mode 700) under `out`, never an old export's."""
    folder = (out or Path.cwd()) / f"mailbot-export-{now:%Y%m%d-%H%M%S}"
    folder.mkdir(mode=0o700, parents=False)  # FileExistsError: never into an old export
    return folder


def write_export(app: App, addr: str, folder: Path) -> None:
    """`data.json` and the attachments of what this school holds about `addr`, into
    `folder` (made with mode 700 if it is not there yet)."""
    now = app.clock.now()
    with db.session(app.engine) as session:
        box = store.mailbox_row(session, app.mailbox_name)
        if box is None or box.id is None:
            found = export.Gathered({"address": addr, "exported_at": now.isoformat()})
        else:
            found = export.gather(session, box.id, addr, now)
    folder.mkdir(mode=0o700, exist_ok=True)
    for name, data in found.files.items():
        path = folder / name
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.write_bytes(data)
    text = json.dumps(found.document, ensure_ascii=False, indent=2)
    (folder / "data.json").write_text(text + "\n", encoding="utf-8")
    os.chmod(folder, 0o700)
