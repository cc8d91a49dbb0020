"""The things every job needs, built once in `main` and passed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from mailbot import db
from mailbot.clock import Clock, SystemClock
from mailbot.compose import Templates
from mailbot.config import Config


@dataclass(frozen=True)
class App:
    config: Config
    engine: Engine
    clock: Clock
    templates: Templates

    @property
    def mailbox_name(self) -> str:
        return self.config.helpdesk.address


def build(config: Config, clock: Clock | None = None, *, migrate: bool = True) -> App:
    engine = db.make_engine(config.database_url)
    if migrate:
        db.migrate(engine)
    return App(
        config=config,
        engine=engine,
        clock=clock or SystemClock(),
        templates=Templates(config.resolve(config.worker.templates_path)),
    )
