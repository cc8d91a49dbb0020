"""The school's rule files, loaded once at start and passed down with the App.

Each file is optional (an empty path in `[files]` turns its feature off) and each is checked
as it loads: a mistake stops the program with the loader's one-line message, turned into a
ConfigError like any other configuration mistake.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from mailbot.config import Config, ConfigError
from mailbot.school.people import People, load_people
from mailbot.school.routing import RoutingTable, load_routes
from mailbot.school.schedule import Schedule, load_schedule
from mailbot.school.workcal import WorkCalendar, load_calendar
from mailbot.text.classify import CategoryRules, load_rules
from mailbot.text.knowledge import Knowledge, load_knowledge
from mailbot.text.rudeness import Lexicon, load_lexicon

T = TypeVar("T")


@dataclass(frozen=True)
class Rulebook:
    people: People | None = None
    categories: CategoryRules | None = None
    routes: RoutingTable | None = None
    etiquette: Lexicon | None = None
    knowledge: Knowledge | None = None
    calendar: WorkCalendar | None = None
    schedule: Schedule | None = None


def load_all(config: Config) -> Rulebook:
    files = config.files
    people = _load(config, "people", files.people, load_people)
    routes = None
    if files.routes:
        if people is None:
            raise ConfigError(f"{config.source_path}: files.routes: needs files.people")
        routes = _load(config, "routes", files.routes, lambda p: load_routes(p, people))
    known = frozenset(people.persons) if people is not None else None
    calendar = _load(config, "calendar", files.calendar,
                     lambda p: load_calendar(p, default_zone=config.helpdesk.timezone))
    if calendar is not None and calendar.zone.key != config.helpdesk.timezone:
        raise ConfigError(
            f"{config.resolve(files.calendar)}: timezone: {calendar.zone.key} differs from "
            f"helpdesk.timezone {config.helpdesk.timezone} in {config.source_path}")
    return Rulebook(
        people=people,
        categories=_load(config, "categories", files.categories, load_rules),
        routes=routes,
        etiquette=_load(config, "etiquette", files.etiquette, load_lexicon),
        knowledge=_load(config, "knowledge", files.knowledge, load_knowledge),
        calendar=calendar,
        schedule=_load(config, "schedule", files.schedule,
                       lambda p: load_schedule(p, known_people=known)),
    )


def _load(config: Config, key: str, value: str, loader: Callable[[Path], T]) -> T | None:
    if not value:
        return None
    path = config.resolve(value)
    if not path.is_file():
        raise ConfigError(f"{config.source_path}: files.{key}: no such file {path}")
    try:
        return loader(path)
    except (ValueError, OSError) as exc:
        message = " ".join(str(exc).split())
        raise ConfigError(message if str(path) in message else f"{path}: {message}") from None
