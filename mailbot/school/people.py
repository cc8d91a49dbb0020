"""Who helps, who supervises, and the vendor's support service, as `config/people.toml` says.

The regulation gives help to school specialists and experienced teachers, each with a
direct supervisor (a complaint about a helper goes there, clause 5), and to the regional
system's vendor support for what only they can fix (clause 3). A school edits this list
without touching code; `people_file` reads and checks it (every mistake one line naming the
file and the key) and builds the `People` here.

Also here: the questions asked of that list. Who is at work now goes by each person's days
and hours on the school's working calendar (`presence`), so nobody is at work on a public
holiday; finding a person from what a helper or a user writes («#передать Петровой»,
«администратору журнала», «Иванову М.П.») compares inflected words by lemma (`names`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

from mailbot.reading.addresses import canonical_address
from mailbot.school import presence
from mailbot.school.names import fit, query_words
from mailbot.school.workcal import WorkCalendar
from mailbot.text.classify import CATEGORY_IDS, OTHER

KINDS = ("specialist", "teacher", "manager")
CATEGORIES = (*CATEGORY_IDS, OTHER)
RELAYS = ("user", "approve")


# --------------------------------------------------------------------------- the data


class Absence(NamedTuple):
    start: date
    end: date  # inclusive
    note: str


@dataclass(frozen=True)
class Person:
    """One helper or manager as the school wrote them; emails are lower-case."""

    id: str
    name: str
    emails: tuple[str, ...]
    position: str
    kind: str
    categories: tuple[str, ...]
    supervisor: str | None
    working_days: frozenset[int]  # 0 = Monday
    hours: tuple[time, time]
    absences: tuple[Absence, ...] = ()
    digest: bool = False
    aliases: tuple[str, ...] = ()  # other names of the position: «завуч», «администратор ЭЖ»

    @property
    def is_helper(self) -> bool:
        """Managers only supervise, unless the school gave them categories to answer."""
        return self.kind != "manager" or bool(self.categories)

    @property
    def surname(self) -> str:
        return self.name.split()[0]

    @property
    def short_name(self) -> str:
        """«Иванова М. П.», the way a school signs."""
        parts = self.name.split()
        return " ".join([parts[0], *(f"{p[0]}." for p in parts[1:3])])

    def is_absent(self, day: date) -> bool:
        return any(a.start <= day <= a.end for a in self.absences)


@dataclass(frozen=True)
class Vendor:
    """The regional system's support service (СТП), reached by e-mail."""

    name: str
    emails: tuple[str, ...]
    domains: tuple[str, ...]
    ticket_pattern: re.Pattern[str]
    relay: str  # "user": answers go straight to the user; "approve": held for the helper
    reminder_working_days: int
    territory: str
    school_code: str

    def is_vendor(self, addr: str) -> bool:
        addr = _address(addr)
        return addr in self.emails or _in_domains(addr, self.domains)

    def ticket_in(self, subject: str) -> str | None:
        """The vendor's own ticket number in a subject, so its answers join the right case."""
        hit = self.ticket_pattern.search(subject or "")
        return hit.group(1) if hit else None


@dataclass(frozen=True)
class People:
    """Everyone in people.toml; load once with `people_file.load_people` and pass it down."""

    source: str
    persons: Mapping[str, Person]  # id -> person, in file order
    triage: str
    staff_domains: tuple[str, ...]
    show_helper_address: bool
    vendor: Vendor | None
    working_days: frozenset[int]  # the school's own days and hours (the defaults)
    hours: tuple[time, time]
    calendar: WorkCalendar  # holidays and short days, the same as for response times

    def get(self, person_id: str) -> Person:
        try:
            return self.persons[person_id]
        except KeyError:
            raise KeyError(f"no person with id {person_id!r} in {self.source}") from None

    def by_address(self, addr: str) -> Person | None:
        addr = _address(addr)
        return next((p for p in self.persons.values() if addr in p.emails), None)

    def is_staff(self, addr: str) -> bool:
        return self.by_address(addr) is not None or _in_domains(_address(addr),
                                                                 self.staff_domains)

    def supervisor_of(self, person_id: str) -> Person | None:
        boss = self.get(person_id).supervisor
        return self.persons[boss] if boss else None

    def is_available(self, person: Person, local: datetime) -> bool:
        """At work now: a day they work by the calendar, within their hours, not on leave."""
        return (not person.is_absent(local.date())
                and presence.at_work(person.working_days, person.hours, self.calendar, local))

    def until_back(self, person: Person, local: datetime) -> timedelta:
        """How long until the person is next at work (zero if they are now)."""
        return presence.until_back(person.working_days, person.hours, self.calendar, local,
                                   person.is_absent)

    def in_school_hours(self, local: datetime) -> bool:
        """Within the school's days and hours ([settings]) on the working calendar."""
        return presence.at_work(self.working_days, self.hours, self.calendar, local)

    def digest_recipients(self) -> list[Person]:
        return [p for p in self.persons.values() if p.digest]

    def find(self, query: str, *, names: bool = True, positions: bool = True) -> list[Person]:
        """People a helper means by «#передать <кому>»: id, e-mail, name or position.

        An exact id or e-mail wins. Otherwise every word must fit the person (a part of
        the name, an initial, or a word of the position), and among those who fit, the
        ones fitted most exactly are kept: «Петрова» is Петрова before Петров (whose
        genitive it also is), «директору» is the director before his deputy
        («заместитель директора»). Several results mean the query is ambiguous.
        """
        key = _address(query)
        if not key:
            return []
        exact = [p for p in self.persons.values() if key == p.id or key in p.emails]
        if exact:
            return exact
        words = query_words(query)
        if not words:
            return []
        scored = [(s, p) for p in self.persons.values()
                  if (s := fit(p, words, names, positions)) is not None]
        if not scored:
            return []
        best = max(s for s, _ in scored)
        return [p for s, p in scored if s == best]


# --------------------------------------------------------------------------- addresses


def _address(addr: str) -> str:
    """The canonical form people.toml's addresses are kept in (reading/addresses.py)."""
    plain = (addr or "").strip().strip("<>").strip()
    return canonical_address(plain) or plain.lower()


def _in_domains(addr: str, domains: tuple[str, ...]) -> bool:
    domain = addr.rsplit("@", 1)[-1] if "@" in addr else ""
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in domains)
