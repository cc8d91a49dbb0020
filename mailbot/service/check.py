"""`mailbot check`: is this installation ready? It changes nothing.

No database, secret file, folder or mailbox is created, and nothing on the mail server is
marked: SQLite is opened read-only (or found missing, which a first start fixes), mail is
counted, not fetched. Every template is rendered with sample data. Each step prints one
line; a problem is one line starting «name: FAILED:», and any problem makes the exit code 1.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

from mailbot import app as app_module
from mailbot.adapters import connectors
from mailbot.adapters.clock import SystemClock
from mailbot.adapters.source import SourceError
from mailbot.app import App
from mailbot.config import Config
from mailbot.desk.keyring import Keyring
from mailbot.school import rulebook
from mailbot.school.schedule import schedule_warnings
from mailbot.service import templating
from mailbot.service.template_check import problems as template_problems
from mailbot.storage import db
from mailbot.storage.models import Mailbox

EXIT_PROBLEMS = 1


class Failed(Exception):
    """One or more problems of a step, each already one line."""

    def __init__(self, *lines: str) -> None:
        super().__init__(lines[0] if lines else "")
        self.lines = lines


def run(config: Config, out: Callable[[str], None] = print) -> int:
    out(f"configuration: {config.source_path}: valid")
    rules = rulebook.load_all(config)  # a broken rule file is a ConfigError: one line
    if rules.schedule is not None and rules.calendar is not None:
        for warning in schedule_warnings(rules.schedule, rules.calendar):
            out(f"schedule: warning: {warning}")
    app = _offline_app(config, rules)
    mailbox_row = _mailbox_row(config)
    steps: list[tuple[str, Callable[[], str]]] = [
        ("templates", lambda: _templates(app)),
        ("state folder", lambda: _state(config)),
        ("database", lambda: _database(config)),
        ("secret", lambda: _secret(config)),
        ("mailbox", lambda: _mailbox(config, mailbox_row)),
        ("outgoing mail", lambda: _outgoing(config)),
    ]
    failures = 0
    for name, step in steps:
        try:
            out(f"{name}: {step()}")
        except Failed as failed:
            failures += len(failed.lines)
            for line in failed.lines:
                out(f"{name}: FAILED: {line}")
        except (SourceError, ConnectionError, OSError, db.DatabaseError) as exc:
            failures += 1
            out(f"{name}: FAILED: {exc}")
    out("OK: ready to start" if not failures else f"{failures} problem(s) found")
    return EXIT_PROBLEMS if failures else 0


def _offline_app(config: Config, rules: rulebook.Rulebook) -> App:
    """An App for rendering only: an in-memory database, a throwaway secret."""
    return App(config=config, engine=create_engine("sqlite://"), clock=SystemClock(),
               templates=templating.build(config), rules=rules,
               secret=app_module.load_secret(config, create=False))


def _templates(app: App) -> str:
    count, failures = template_problems(app)
    if failures:
        raise Failed(*failures)
    own = templating.school_folder(app.config)
    where = f"the school's {own} over the bundled ones" if own else "the bundled ones"
    return f"{count} rendered with sample data ({where})"


def _state(config: Config) -> str:
    folder = config.state_path
    if not folder.exists():
        _creatable(folder)
        return f"{folder}: not created yet; the first start (or systemd) creates it"
    if not os.access(folder, os.W_OK | os.X_OK):
        raise Failed(f"{folder}: not writable by this user (the service's user must own it)")
    return f"{folder}: writable"


def _database(config: Config) -> str:
    url = config.database_url
    engine = db.read_only_engine(url, config.database.lock_timeout)
    if engine is None:
        path = Path(url.split("///", 1)[-1])
        _creatable(path.parent)
        return f"{path}: not created yet; the first start creates it"
    try:
        todo = db.pending(engine)
    except SQLAlchemyError as exc:
        raise Failed(f"{_shown(url)}: {db.short_error(exc)}") from None
    finally:
        engine.dispose()
    if todo:
        return f"{_shown(url)}: {len(todo)} schema upgrade(s) to apply at the next start"
    return f"{_shown(url)}: schema up to date"


def _mailbox_row(config: Config) -> Mailbox | None:
    engine = db.read_only_engine(config.database_url, config.database.lock_timeout)
    if engine is None:
        return None
    try:
        with Session(engine) as session:
            return session.exec(
                select(Mailbox).where(Mailbox.name == config.helpdesk.address)).first()
    except SQLAlchemyError:
        return None  # reported by the database step
    finally:
        engine.dispose()


def _secret(config: Config) -> str:
    env = config.security.secret_env
    if env and os.environ.get(env, "").strip():
        keys = app_module.load_secret(config, create=False)  # too short: a ConfigError
        return f"from ${env}{_previous(keys)}"
    path = config.secret_path
    if path.is_file():
        if not os.access(path, os.R_OK):
            raise Failed(f"{path}: not readable")
        keys = app_module.load_secret(config, create=False)
        return f"{path}{_previous(keys)}"
    _creatable(path.parent)
    return f"{path}: not created yet; the first start creates it"


def _previous(keys: Keyring) -> str:
    """Rotated-out secrets still accepted (mailbot secret rotate), and until when."""
    now = SystemClock().now()
    ends = [keys.grace_end(r) for r in keys.retired if keys.grace_end(r) > now]
    if not ends:
        return ""
    return (f"; {len(ends)} previous secret(s) still accepted, until "
            f"{max(ends):%Y-%m-%d %H:%M} UTC")


def _mailbox(config: Config, row: Mailbox | None) -> str:
    uidvalidity, last_uid = (row.uidvalidity, row.last_uid) if row else (None, 0)
    if config.mailbox.kind == "maildir" and not config.mailbox_path.exists():
        _creatable(config.mailbox_path)
        return (f"Maildir {config.mailbox_path}: not created yet; the first start creates "
                f"it (is this where the mail server delivers?)")
    found = connectors.waiting(config, uidvalidity, last_uid)
    where = f" above UID {last_uid}" if config.mailbox.kind == "imap" else ""
    text = f"{found.description}: {found.unseen} unread message(s) waiting{where}"
    if found.seen:
        text += f"; {found.seen} read one(s){where} will be taken too"
    return text


def _outgoing(config: Config) -> str:
    if config.smtp.kind == "smtp":
        return connectors.transport(config).check()
    path = config.sent_path
    if (path / "new").is_dir():
        if not os.access(path / "new", os.W_OK):
            raise Failed(f"Maildir {path}: not writable")
        return f"Maildir {path}: writable"
    _creatable(path)
    return f"Maildir {path}: not created yet; the first start creates it"


def _creatable(folder: Path) -> None:
    """Fail unless `folder` exists writable or can be made (its nearest existing parent is
    writable)."""
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir() or not os.access(probe, os.W_OK | os.X_OK):
        raise Failed(f"{folder}: cannot be created ({probe} is not writable)")


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)

