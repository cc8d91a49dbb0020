"""The worker's heartbeat: when it last polled and sent successfully, and which server is
down since when — a small JSON file in the state folder that `mailbot status` reads.

A file rather than a table: it is written every poll, and an operator's status check should
work even when the database is what is broken. Written atomically (a temporary file, then a
rename), at most every few seconds unless something changed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

FILE_NAME = "worker-health.json"
MIN_INTERVAL = 5.0  # seconds between two writes that only move a timestamp


@dataclass
class Heartbeat:
    pid: int = 0
    started: str = ""
    last_poll_ok: str = ""
    last_send_ok: str = ""
    mailbox_down_since: str = ""
    smtp_down_since: str = ""


class Health:
    def __init__(self, state_folder: Path, now: datetime) -> None:
        self.path = state_folder / FILE_NAME
        self.beat = Heartbeat(pid=os.getpid(), started=now.isoformat())
        self.written: datetime | None = None

    def poll_ok(self, now: datetime) -> None:
        self._set(now, last_poll_ok=now.isoformat(), mailbox_down_since="")

    def send_ok(self, now: datetime) -> None:
        self._set(now, last_send_ok=now.isoformat(), smtp_down_since="")

    def down(self, now: datetime, what: str, since: datetime) -> None:
        self._set(now, **{f"{what}_down_since": since.isoformat()})

    def _set(self, now: datetime, **fields: str) -> None:
        changed = any(key.endswith("_since") and getattr(self.beat, key) != value
                      for key, value in fields.items())
        for key, value in fields.items():
            setattr(self.beat, key, value)
        due = self.written is None or (now - self.written).total_seconds() >= MIN_INTERVAL
        if changed or due:
            self.write(now)

    def write(self, now: datetime) -> None:
        temporary = self.path.with_suffix(".tmp")
        try:
            temporary.write_text(json.dumps(asdict(self.beat)), encoding="utf-8")
            os.replace(temporary, self.path)
        except OSError:
            return  # a status file that cannot be written must not stop the worker
        self.written = now


def read(state_folder: Path) -> Heartbeat | None:
    try:
        data = json.loads((state_folder / FILE_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    known = set(Heartbeat.__dataclass_fields__)
    return Heartbeat(**{k: v for k, v in data.items() if k in known})
