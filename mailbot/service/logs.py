"""Logging an operator can read: mailbot's own lines, text or JSON, third parties quiet.

APScheduler logs two lines per job run, pymorphy3 and Alembic announce themselves at INFO:
thousands of lines a day that say nothing. They are held at WARNING unless the operator asks
for --log-level DEBUG. Under systemd (journald adds its own timestamps) the text lines carry
none.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

QUIET = ("apscheduler", "pymorphy3", "alembic", "sqlalchemy", "tzlocal", "aiosmtplib",
         "imapclient", "mailparser", "asyncio")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonLines(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        item: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        item.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info:
            item["error"] = self.formatException(record.exc_info)
        return json.dumps(item, ensure_ascii=False, default=str)


def under_systemd() -> bool:
    return bool(os.environ.get("INVOCATION_ID") or os.environ.get("JOURNAL_STREAM"))


def setup(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonLines())
    elif under_systemd():
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
