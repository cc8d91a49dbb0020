"""The school's rule files, loaded once at start and passed down with the App.

Each file is optional (an empty path in `[files]` turns its feature off) and each is checked
as it loads: a mistake stops the program with the loader's one-line message, turned into a
ConfigError like any other configuration mistake.

Then the files are checked against each other and against mailbot.toml: routes and the
schedule name people of people.toml (checked by their loaders), the calendar's zone is
helpdesk.timezone, and no person has the help desk's own address. The people get the
working calendar, so routing's «at work now» knows public holidays as response times do;
without a calendar file that is the built-in Russian calendar (`Rulebook.calendar` stays
None then: the features that need the file stay off).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from mailbot.config import Config, ConfigError
from mailbot.school.people import People
from mailbot.school.people_file import load_people, position_of
from mailbot.school.routes_file import load_routes
from mailbot.school.routing import RoutingTable
from mailbot.school.schedule import Schedule
from mailbot.school.schedule_file import load_schedule
from mailbot.school.workcal import WorkCalendar, default_calendar, load_calendar
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
    calendar = _load(config, "calendar", files.calendar,
                     lambda p: load_calendar(p, default_zone=config.helpdesk.timezone))
    _check_zone(config, calendar)
    workdays = calendar or default_calendar(config.helpdesk.timezone)
    people = _load(config, "people", files.people, lambda p: load_people(p, workdays))
    if people is not None:
        _check_own_address(config, people)
    routes = None
    if files.routes:
        if people is None:
            raise ConfigError(f"{config.source_path}: files.routes: needs files.people")
        routes = _load(config, "routes", files.routes, lambda p: load_routes(p, people))
    known = frozenset(people.persons) if people is not None else None
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


def _check_zone(config: Config, calendar: WorkCalendar | None) -> None:
    if calendar is not None and calendar.zone.key != config.helpdesk.timezone:
        raise ConfigError(
            f"{config.resolve(config.files.calendar)}: timezone: {calendar.zone.key} differs "
            f"from helpdesk.timezone {config.helpdesk.timezone} in {config.source_path}")


def _check_own_address(config: Config, people: People) -> None:
    """A person or the vendor with the help desk's own address would get its mail in a loop."""
    own = config.helpdesk.own_addresses
    why = (f"is the help desk's own address (helpdesk.address or helpdesk.extra_addresses "
           f"in {config.source_path})")
    for person in people.persons.values():
        for n, email in enumerate(person.emails, start=1):
            if email in own:
                raise ConfigError(f"{people.source}: person[{position_of(people.persons, person.id)}]"
                                  f".emails[{n}]: {email!r} {why}")
    for n, email in enumerate(people.vendor.emails if people.vendor else (), start=1):
        if email in own:
            raise ConfigError(f"{people.source}: vendor.emails[{n}]: {email!r} {why}")


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
