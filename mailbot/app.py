"""The things every job needs, built once in `main` and passed down explicitly."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy.engine import Engine

from mailbot.adapters.clock import Clock, SystemClock
from mailbot.config import Config, ConfigError
from mailbot.desk import keyring
from mailbot.desk.keyring import Keyring
from mailbot.outgoing.compose import Templates
from mailbot.school import rulebook
from mailbot.school.rulebook import Rulebook
from mailbot.service import templating
from mailbot.storage import db


@dataclass(frozen=True)
class App:
    config: Config
    engine: Engine
    clock: Clock
    templates: Templates
    rules: Rulebook
    secret: Keyring  # signs and checks reply tokens (tokens.py, keyring.py)

    @property
    def mailbox_name(self) -> str:
        return self.config.helpdesk.address


def build(config: Config, clock: Clock | None = None, *, migrate: bool = True,
          loaded: Rulebook | None = None, engine: Engine | None = None) -> App:
    """`loaded`: the rule files when the caller has read them already (mailbot check);
    `engine`: another school's, already migrated (build_all)."""
    loaded = rulebook.load_all(config) if loaded is None else loaded
    if engine is None:
        # Read-only commands (migrate=False) make no folder for a database they only read.
        engine = db.make_engine(config.database_url, create_folder=migrate,
                                lock_timeout=config.database.lock_timeout)
        if migrate:
            db.migrate(engine, config.database.lock_timeout)
    return App(
        config=config,
        engine=engine,
        clock=clock or SystemClock(),
        templates=templating.build(config),
        rules=loaded,
        secret=load_secret(config, create=migrate),
    )


def build_all(configs: Sequence[Config], clock: Clock | None = None, *,
              migrate: bool = True) -> list[App]:
    """One App per school of a deployment (mailbot/district), each with its own rules,
    templates and mailbox, all on one engine: one database."""
    first = build(configs[0], clock, migrate=migrate)
    return _share_templates([first, *(build(c, first.clock, migrate=migrate,
                                            engine=first.engine) for c in configs[1:])])


def _share_templates(apps: list[App]) -> list[App]:
    """Schools with the same template folder render through one environment, so that each
    template is compiled once for all of them, not once per school (the check at start
    renders every template of every school)."""
    by_folder: dict[Path | None, Templates] = {}
    shared = []
    for app in apps:
        templates = by_folder.setdefault(templating.school_folder(app.config), app.templates)
        shared.append(app if templates is app.templates else replace(app, templates=templates))
    return shared


def load_secret(config: Config, *, create: bool = True) -> Keyring:
    security = config.security
    try:
        current, retired = keyring.load(security.secret_env, config.secret_path, create=create)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{config.source_path}: security.secret_file: {exc}") from None
    return Keyring(current, retired, token_days=security.token_days,
                   grace_days=security.secret_grace_days,
                   undated_until=security.undated_tokens_until)
