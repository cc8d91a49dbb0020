"""config/people.toml: helpers, supervisors and the vendor's support, checked into `People`.

The file is read by `tomlfile` against the models below (unknown and missing keys, types,
dates in either format, days and hours); then the entries are checked against each other:
ids and addresses used once, every supervisor exists, the supervisors form one tree with
the head of the school at the top, and the triage person may take cases. Every mistake is
one line naming the file and the key, entries counted from 1 as a person counts them.

Days and hours a person leaves out are the school's own from [settings]; the working
calendar the `People` get (holidays, short days) comes from calendar.toml through
`rulebook.load_all`, or is the built-in Russian one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from mailbot.school import tomlfile
from mailbot.school.fields import (
    Domain,
    Email,
    Flag,
    Id,
    Mistake,
    OneOrMore,
    TimeRange,
    Weekdays,
    at_least_one,
    naming,
)
from mailbot.school.people import CATEGORIES, KINDS, RELAYS, Absence, People, Person, Vendor
from mailbot.school.tomlfile import (
    AnyText,
    Count,
    RuleModel,
    SchoolDate,
    Table,
    Text,
    choice,
    list_of_tables,
)
from mailbot.school.workcal import WorkCalendar, default_calendar

DEFAULT_DAYS = frozenset(range(5))
DEFAULT_HOURS = (time(8, 0), time(17, 0))


class PeopleError(ValueError):
    """A mistake in people.toml, already one line: `file: key: why`."""


# --------------------------------------------------------------------------- the file


def _ticket_pattern(text: str) -> str:
    try:
        pattern = re.compile(text, re.IGNORECASE)
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None
    if pattern.groups != 1:
        raise ValueError("needs exactly one group ( ) around the ticket number, has "
                         f"{pattern.groups}")
    return text


Kind = choice(*KINDS)
Category = choice(*CATEGORIES)
Relay = choice(*RELAYS)
Texts = Annotated[tuple[Text, ...], OneOrMore]
Emails = Annotated[tuple[Email, ...], OneOrMore]
Domains = Annotated[tuple[Domain, ...], OneOrMore]
Categories = Annotated[tuple[Category, ...], OneOrMore]
TicketPattern = Annotated[Text, AfterValidator(_ticket_pattern)]


class AbsenceEntry(RuleModel):
    start: SchoolDate = Field(alias="from")
    end: SchoolDate = Field(alias="to")
    note: AnyText = ""

    @field_validator("end")
    @classmethod
    def _not_before_start(cls, end: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and end < start:
            raise ValueError(f"ends {end.isoformat()} before it starts {start.isoformat()}")
        return end


class PersonEntry(RuleModel):
    id: Id
    name: Text
    emails: Annotated[Emails, at_least_one("address")]
    position: Text
    aliases: Texts = ()
    kind: Kind
    categories: Categories = ()
    supervisor: Text | None = None
    working_days: Weekdays | None = None
    hours: TimeRange | None = None
    digest: Flag = False
    absence: Annotated[tuple[AbsenceEntry, ...], list_of_tables("person.absence")] = ()


class Settings(RuleModel):
    triage: Text
    staff_domains: Domains = ()
    show_helper_address: Flag = False
    working_days: Weekdays = DEFAULT_DAYS
    hours: TimeRange = DEFAULT_HOURS


class VendorEntry(RuleModel):
    name: Text
    emails: Emails = ()
    domains: Domains = ()
    ticket_pattern: TicketPattern
    relay: Relay = "approve"
    reminder_working_days: Count = 3
    territory: AnyText = ""
    school_code: AnyText = ""


class PeopleFile(RuleModel):
    settings: Annotated[Settings, Table]
    person: Annotated[tuple[PersonEntry, ...], list_of_tables("person"),
                      at_least_one("[[person]]")]
    vendor: Annotated[VendorEntry, Table] | None = None


# --------------------------------------------------------------------------- loading


def load_people(path: Path, calendar: WorkCalendar | None = None) -> People:
    """Read and check people.toml; any mistake is a PeopleError of one line.

    `calendar` decides who is at work on which day; without it, the built-in one.
    """
    checked = tomlfile.load(path, PeopleFile, PeopleError)
    return _checked_people(checked, str(path), calendar)


def people_from_dict(data: Mapping[str, Any], source: str,
                     calendar: WorkCalendar | None = None) -> People:
    checked = tomlfile.validate(data, PeopleFile, PeopleError, source)
    return _checked_people(checked, source, calendar)


def _checked_people(checked: PeopleFile, source: str, calendar: WorkCalendar | None) -> People:
    settings = checked.settings
    with naming(source, PeopleError):
        persons = _persons(checked.person, settings)
        _check_supervisors(persons)
        _check_triage(settings.triage, persons)
        vendor = _vendor(checked.vendor) if checked.vendor is not None else None
    return People(
        source=source,
        persons=MappingProxyType(persons),
        triage=settings.triage,
        staff_domains=tuple(settings.staff_domains),
        show_helper_address=settings.show_helper_address,
        vendor=vendor,
        working_days=settings.working_days,
        hours=settings.hours,
        calendar=calendar or default_calendar(),
    )


def _persons(entries: tuple[PersonEntry, ...], settings: Settings) -> dict[str, Person]:
    """The people in file order; an id or an address used twice is a mistake."""
    persons: dict[str, Person] = {}
    where: dict[str, int] = {}
    owners: dict[str, int] = {}
    for i, entry in enumerate(entries, start=1):
        person = _person(entry, settings)
        if person.id in persons:
            raise Mistake(f"person[{i}].id: duplicate id {person.id!r} "
                          f"(already person[{where[person.id]}])")
        for email in person.emails:
            if email in owners:
                raise Mistake(f"person[{i}].emails: {email!r} is already the address of "
                              f"person[{owners[email]}]")
            owners[email] = i
        persons[person.id] = person
        where[person.id] = i
    return persons


def _person(entry: PersonEntry, settings: Settings) -> Person:
    return Person(
        id=entry.id,
        name=" ".join(entry.name.split()),
        emails=tuple(dict.fromkeys(entry.emails)),
        position=entry.position,
        kind=entry.kind,
        categories=tuple(entry.categories),
        supervisor=entry.supervisor,
        working_days=entry.working_days or settings.working_days,
        hours=entry.hours or settings.hours,
        absences=tuple(Absence(a.start, a.end, a.note) for a in entry.absence),
        digest=entry.digest,
        aliases=tuple(entry.aliases),
    )


def position_of(persons: Mapping[str, Person], person_id: str) -> int:
    """Where a person is in the file: person[n] counts from 1."""
    return list(persons).index(person_id) + 1


def _check_supervisors(persons: Mapping[str, Person]) -> None:
    """Every chain of supervisors ends at the one head of the school, without loops."""
    where = {pid: n for n, pid in enumerate(persons, start=1)}
    heads = [p.id for p in persons.values() if p.supervisor is None]
    for p in persons.values():
        key = f"person[{where[p.id]}].supervisor"
        if p.supervisor == p.id:
            raise Mistake(f"{key}: {p.id!r} cannot be their own supervisor")
        if p.supervisor is not None and p.supervisor not in persons:
            raise Mistake(f"{key}: no person with id {p.supervisor!r}")
    for p in persons.values():
        chain = [p.id]
        while (boss := persons[chain[-1]].supervisor) is not None:
            if boss in chain:
                loop = chain[chain.index(boss):] + [boss]
                first = min(loop, key=lambda i: where[i])
                start = loop.index(first)
                loop = loop[start:-1] + loop[:start] + [first]
                raise Mistake(f"person[{where[first]}].supervisor: supervisors form a loop: "
                              + " → ".join(loop))
            chain.append(boss)
    if len(heads) > 1:
        raise Mistake(f"person[{where[heads[1]]}].supervisor: missing; only one person (the "
                      f"head of the school) may have none, and {heads[0]!r} already has none")


def _check_triage(triage: str, persons: Mapping[str, Person]) -> None:
    if triage not in persons:
        raise Mistake(f"settings.triage: no person with id {triage!r}")
    if not persons[triage].is_helper:
        raise Mistake(f"settings.triage: {triage!r} is a manager with no categories and "
                      "may not take cases")


def _vendor(entry: VendorEntry) -> Vendor:
    if not entry.emails and not entry.domains:
        raise Mistake("vendor.emails: give the support address (or vendor.domains)")
    return Vendor(
        name=entry.name,
        emails=tuple(entry.emails),
        domains=tuple(entry.domains),
        ticket_pattern=re.compile(entry.ticket_pattern, re.IGNORECASE),
        relay=entry.relay,
        reminder_working_days=entry.reminder_working_days,
        territory=entry.territory,
        school_code=entry.school_code,
    )
