"""Fixtures that wire mailbot to the real servers of tests/conftest.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailbot import app as app_module
from mailbot import worker
from mailbot.adapters import connectors
from mailbot.adapters.clock import FixedClock
from mailbot.app import App
from mailbot.config import Config, load
from mailbot.outgoing import outbox

ROOT = Path(__file__).resolve().parents[2]
RULE_FILES = ("people", "categories", "routes", "etiquette", "knowledge", "calendar", "schedule")


def write_config(
    folder: Path, *, db_url: str, imap: object | None = None, smtp: object | None = None,
    extra: str = "", rules: bool = True, files: dict[str, Path] | None = None,
    plus_tokens: bool = False, security: str = "",
) -> Path:
    """A config on the test servers; `rules=False` leaves out people, routing and the rest
    (the bare desk of the foundation: cases and acknowledgements only)."""
    lines = [
        "[helpdesk]",
        'address = "help@school.example"',
        'school = "МБОУ «Большесосновская СОШ»"',
        f'[database]\nurl = "{db_url}"',
        "[worker]",
        f'templates_path = "{ROOT / "templates"}"',
        "seed_samples = false",
        "send_lease_seconds = 1",
        *(["[files]"] if rules else []),
        *(f'{key} = "{(files or {}).get(key, ROOT / "config" / (key + ".toml"))}"'
          for key in RULE_FILES if rules),
        "[security]",
        f'secret_file = "{folder / "mailbot.secret"}"',
        f"plus_tokens = {'true' if plus_tokens else 'false'}",
        *([security] if security else []),  # more [security] keys, e.g. authserv_id
    ]
    if imap is not None:
        lines += ["[mailbox]", 'kind = "imap"', 'host = "127.0.0.1"', f"port = {imap.port}",
                  'security = "none"', f'username = "{imap.username}"',
                  f'password = "{imap.password}"', "timeout = 10"]
    if smtp is not None:
        lines += ["[smtp]", 'kind = "smtp"', 'host = "127.0.0.1"', f"port = {smtp.port}",
                  'security = "none"', "timeout = 10"]
    path = folder / "mailbot.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


@dataclass
class Desk:
    """mailbot wired to a fresh mailbox, the capture SMTP server and a database."""

    app: App
    config: Config
    clock: FixedClock
    imap: object
    smtp: object
    worker: worker.Worker

    def poll(self) -> worker.PollReport:
        return worker.poll(self.app, self.worker.source)

    def send(self) -> outbox.SendReport:
        return outbox.drain(self.app, self.worker.transport)

    def cycle(self) -> tuple[worker.PollReport, outbox.SendReport]:
        return self.poll(), self.send()


@pytest.fixture
def make_desk(
    tmp_path: Path, db_url: str, imap_account: object, smtp_server: object
) -> Iterator[Callable[..., Desk]]:
    made: list[Desk] = []

    def build(extra: str = "", rules: bool = True, files: dict[str, Path] | None = None,
              plus_tokens: bool = False, security: str = "") -> Desk:
        path = write_config(tmp_path, db_url=db_url, imap=imap_account, smtp=smtp_server,
                            extra=extra, rules=rules, files=files, plus_tokens=plus_tokens,
                            security=security)
        config = load(path)
        clock = FixedClock(datetime(2026, 11, 23, 5, 0, tzinfo=UTC))
        app = app_module.build(config, clock)
        job = worker.Worker(app, connectors.source(config), connectors.transport(config))
        desk = Desk(app, config, clock, imap_account, smtp_server, job)
        made.append(desk)
        return desk

    yield build
    for desk in made:
        desk.worker.close()
        desk.app.engine.dispose()


@pytest.fixture
def desk(make_desk: Callable[..., Desk]) -> Desk:
    return make_desk()
