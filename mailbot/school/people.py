"""Who helps, who supervises, and the vendor's support service: `config/people.toml`.

The regulation gives help to school specialists and experienced teachers, each with a
direct supervisor (a complaint about a helper goes there, clause 5), and to the regional
system's vendor support for what only they can fix (clause 3). A school edits this list
without touching code, so every mistake in it is one line naming the file and the key.

Also here: finding a person from what a helper or a user writes («#передать Петровой»,
«администратору журнала», «Иванову М.П.»). Names and positions are compared by lemma
(pymorphy3, through mailbot.text.classify's cached analyser) because Russian inflects both.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from mailbot.school import tomlfile
from mailbot.text.classify import CATEGORY_IDS, OTHER, _analyse, _analyzer, _fold

KINDS = ("specialist", "teacher", "manager")
CATEGORIES = (*CATEGORY_IDS, OTHER)
DEFAULT_DAYS = frozenset(range(5))
DEFAULT_HOURS = (time(8, 0), time(17, 0))
RELAYS = ("user", "approve")

_DAY_NAMES = {
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
    **{name: i for i, name in enumerate(("пн", "вт", "ср", "чт", "пт", "сб", "вс"))},
}
_ID_RE = re.compile(r"[a-z0-9_-]+")
_TIME_RE = re.compile(r"(\d{1,2}):(\d{2})")
_EMAIL_RE = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
_WORD_RE = re.compile(r"([0-9A-Za-zА-Яа-яЁё]+)(\.?)")
_STOP_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ"})
_PERSON_KEYS = {
    "id", "name", "emails", "position", "aliases", "kind", "categories", "supervisor",
    "working_days", "hours", "digest", "absence",
}


class PeopleError(ValueError):
    """A mistake in people.toml, already one line: `file: key: why`."""


class _Bad(Exception):
    """`key: why`, before the file name is known."""


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

    def is_at_work(self, local: datetime) -> bool:
        """A working day, within hours, not on leave: the wall-clock time is what counts."""
        start, end = self.hours
        return (local.weekday() in self.working_days and start <= local.time() < end
                and not self.is_absent(local.date()))


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
    """Everyone in people.toml; load once with `load_people` and pass it down."""

    source: str
    persons: Mapping[str, Person]  # id -> person, in file order
    triage: str
    staff_domains: tuple[str, ...]
    show_helper_address: bool
    vendor: Vendor | None
    working_days: frozenset[int]  # the school's own days and hours (the defaults)
    hours: tuple[time, time]

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
        return person.is_at_work(local)

    def in_school_hours(self, local: datetime) -> bool:
        start, end = self.hours
        return local.weekday() in self.working_days and start <= local.time() < end

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
        words = _query_words(query)
        if not words:
            return []
        scored = [(s, p) for p in self.persons.values()
                  if (s := _fit(p, words, names, positions)) is not None]
        if not scored:
            return []
        best = max(s for s, _ in scored)
        return [p for s, p in scored if s == best]


# --------------------------------------------------------------------------- matching


class MatchKeys(NamedTuple):
    """A person's name and position, prepared for comparing inflected words."""

    surname: frozenset[str]
    first: frozenset[str]
    patronymic: frozenset[str]
    initials: str
    gender: str | None
    positions: tuple[tuple[frozenset[str], ...], ...]  # per position text: lemmas per word


def _address(addr: str) -> str:
    return (addr or "").strip().strip("<>").strip().lower()


def _in_domains(addr: str, domains: tuple[str, ...]) -> bool:
    domain = addr.rsplit("@", 1)[-1] if "@" in addr else ""
    return bool(domain) and any(domain == d or domain.endswith("." + d) for d in domains)


@functools.lru_cache(maxsize=50_000)
def _name_lemmas(word: str, grammeme: str) -> frozenset[tuple[str, str | None]]:
    """(lemma, gender) of every reading of a word as a surname, first name or patronymic."""
    result = set()
    for parse in _analyzer().parse(word):
        if grammeme in parse.tag:
            result.add((_fold(parse.normal_form), tag_gender(parse.tag)))
    return frozenset(result)


def tag_gender(tag: Any) -> str | None:
    """masc, femn, ms-f (either: «Шевченко») or None, as plain text."""
    if "ms-f" in tag.grammemes:
        return "ms-f"
    return str(tag.gender) if tag.gender else None


def _gender(first: str, patronymic: str) -> str | None:
    for word, grammeme in ((patronymic, "Patr"), (first, "Name")):
        genders = {g for _, g in _name_lemmas(word, grammeme) if g in ("masc", "femn")}
        if len(genders) == 1:
            return genders.pop()
    return None


def _part_keys(word: str, grammeme: str, gender: str | None) -> frozenset[str]:
    """Lemmas of the readings of a word as this part of a name, in the person's gender."""
    if not word:
        return frozenset()
    return frozenset(lemma for lemma, g in _name_lemmas(word, grammeme)
                     if gender is None or g in (gender, "ms-f", None))


def _position_words(text: str) -> tuple[frozenset[str], ...]:
    """Lemmas of the content words of a position («по», «и» do not count)."""
    words = []
    for word, _dot in _WORD_RE.findall(text):
        folded = _fold(word)
        _best, lemmas, pos, _known = _analyse(folded)
        if pos in _STOP_POS:
            continue
        words.append(lemmas | {folded})
    return tuple(words)


def _own_keys(word: str, grammeme: str, gender: str | None) -> frozenset[str]:
    """The name as written and its lemmas: «Иванова» -> {иванова, иванов}."""
    return _part_keys(word, grammeme, gender) | ({word} if word else set())


@functools.lru_cache(maxsize=1024)
def person_keys(person: Person) -> MatchKeys:
    parts = [_fold(p) for p in person.name.split()] + ["", "", ""]
    surname, first, patronymic = parts[:3]
    gender = _gender(first, patronymic)
    texts = [t for t in person.position.split(",") if t.strip()] + list(person.aliases)
    return MatchKeys(
        surname=_own_keys(surname, "Surn", gender),
        first=_own_keys(first, "Name", gender),
        patronymic=_own_keys(patronymic, "Patr", gender),
        initials=first[:1] + patronymic[:1],
        gender=gender,
        positions=tuple(w for w in (_position_words(t) for t in texts) if w),
    )


def name_part(person: Person, word: str) -> str | None:
    """Which part of the person's name an inflected word is: surname, first or patronymic.

    The gender of the person narrows the readings: «Петровой» is Петрова, never Петров,
    and «Иванов» is never Иванова (though both have the lemma «иванов»).
    """
    keys = person_keys(person)
    word = _fold(word)
    parts = _fold(person.name).split() + ["", ""]
    for part, grammeme, own, written in (("surname", "Surn", keys.surname, parts[0]),
                                         ("first", "Name", keys.first, parts[1]),
                                         ("patronymic", "Patr", keys.patronymic, parts[2])):
        if word == written or own & _part_keys(word, grammeme, keys.gender):
            return part
    return None


def position_hits(person: Person, lemmas: frozenset[str]) -> tuple[bool, bool]:
    """(the word is in one of the person's positions, it is that position's first word)."""
    keys = person_keys(person)
    inside = any(lemmas & w for words in keys.positions for w in words)
    head = any(lemmas & words[0] for words in keys.positions)
    return inside, head


def _query_words(query: str) -> list[tuple[str, bool]]:
    """Folded words of a query and whether a dot follows (an initial «М.»)."""
    return [(_fold(w), bool(dot)) for w, dot in _WORD_RE.findall(query)]


def _fit(person: Person, words: list[tuple[str, bool]], names: bool,
         positions: bool) -> int | None:
    """How exactly the words describe the person, or None when one of them does not fit."""
    keys = person_keys(person)
    score = 0
    used: list[frozenset[str]] = []
    for word, dotted in words:
        lemmas = _analyse(word)[1] | {word}
        if names and len(word) == 1 and word in keys.initials:
            continue
        if names and len(word) == 2 and not dotted and word == keys.initials:
            continue  # «Иванова МП»
        part = name_part(person, word) if names and len(word) > 1 else None
        if part == "surname":
            score += 2 if word == _fold(person.surname) else 1  # «Петрова» as written
            continue
        if part is not None:
            continue
        if positions and any(lemmas & w for ws in keys.positions for w in ws):
            used.append(lemmas)
            continue
        if not dotted and _analyse(word)[2] in _STOP_POS:
            continue
        return None
    if used and any(all(any(w & u for u in used) for w in ws) for ws in keys.positions):
        score += 1  # a whole position named, not just a word of it
    return score


# --------------------------------------------------------------------------- loading


def load_people(path: Path) -> People:
    """Read and check people.toml; any mistake is a PeopleError of one line."""
    data = tomlfile.read(path, PeopleError)
    return people_from_dict(data, str(path))


def people_from_dict(data: Mapping[str, Any], source: str) -> People:
    try:
        return _build(data, source)
    except _Bad as exc:
        raise PeopleError(f"{source}: {exc}") from None


def _build(data: Mapping[str, Any], source: str) -> People:
    _only(data, "", {"settings", "person", "vendor"})
    settings = _table(data.get("settings", {}), "settings")
    _only(settings, "settings.", {"triage", "staff_domains", "show_helper_address",
                                  "working_days", "hours"})
    days = _days(settings.get("working_days"), "settings.working_days", DEFAULT_DAYS)
    hours = _hours(settings.get("hours"), "settings.hours", DEFAULT_HOURS)
    rows = data.get("person")
    if not isinstance(rows, list) or not rows:
        raise _Bad("person: at least one [[person]] is needed")
    persons: dict[str, Person] = {}
    where: dict[str, int] = {}
    owners: dict[str, int] = {}
    for i, row in enumerate(rows, start=1):  # counted from 1, as a person counts the blocks
        person = _person(_table(row, f"person[{i}]"), f"person[{i}]", days, hours)
        if person.id in persons:
            raise _Bad(f"person[{i}].id: duplicate id \"{person.id}\" "
                       f"(already person[{where[person.id]}])")
        for email in person.emails:
            if email in owners:
                raise _Bad(f"person[{i}].emails: \"{email}\" is already the address of "
                           f"person[{owners[email]}]")
            owners[email] = i
        persons[person.id] = person
        where[person.id] = i
    _check_supervisors(persons, where)
    triage = _text(settings.get("triage"), "settings.triage")
    if triage not in persons:
        raise _Bad(f"settings.triage: no person with id \"{triage}\"")
    if not persons[triage].is_helper:
        raise _Bad(f"settings.triage: \"{triage}\" is a manager with no categories and "
                   "may not take cases")
    return People(
        source=source,
        persons=MappingProxyType(persons),
        triage=triage,
        staff_domains=_domains(settings.get("staff_domains", []), "settings.staff_domains"),
        show_helper_address=_bool(settings.get("show_helper_address", False),
                                  "settings.show_helper_address"),
        vendor=_vendor(data["vendor"]) if "vendor" in data else None,
        working_days=days,
        hours=hours,
    )


def _person(row: Mapping[str, Any], key: str, days: frozenset[int],
            hours: tuple[time, time]) -> Person:
    _only(row, key + ".", _PERSON_KEYS)
    person_id = _text(row.get("id"), f"{key}.id")
    if not _ID_RE.fullmatch(person_id):
        raise _Bad(f"{key}.id: bad id \"{person_id}\"; use lower-case latin letters, "
                   "digits, _ and -")
    kind = _text(row.get("kind"), f"{key}.kind")
    if kind not in KINDS:
        raise _Bad(f"{key}.kind: must be one of {', '.join(KINDS)}, got \"{kind}\"")
    categories = _texts(row.get("categories", []), f"{key}.categories")
    for cat in categories:
        if cat not in CATEGORIES:
            raise _Bad(f"{key}.categories: unknown category \"{cat}\"; use one of "
                       f"{', '.join(CATEGORIES)}")
    emails = tuple(dict.fromkeys(e.strip().lower() for e in
                                 _texts(row.get("emails"), f"{key}.emails")))
    if not emails:
        raise _Bad(f"{key}.emails: at least one address is needed")
    for email in emails:
        if not _EMAIL_RE.fullmatch(email):
            raise _Bad(f"{key}.emails: not an e-mail address: \"{email}\"")
    supervisor = row.get("supervisor")
    return Person(
        id=person_id,
        name=" ".join(_text(row.get("name"), f"{key}.name").split()),
        emails=emails,
        position=_text(row.get("position"), f"{key}.position"),
        kind=kind,
        categories=categories,
        supervisor=None if supervisor is None else _text(supervisor, f"{key}.supervisor"),
        working_days=_days(row.get("working_days"), f"{key}.working_days", days),
        hours=_hours(row.get("hours"), f"{key}.hours", hours),
        absences=tuple(_absence(_table(a, f"{key}.absence[{j}]"), f"{key}.absence[{j}]")
                       for j, a in enumerate(_list(row.get("absence", []), f"{key}.absence"),
                                             start=1)),
        digest=_bool(row.get("digest", False), f"{key}.digest"),
        aliases=_texts(row.get("aliases", []), f"{key}.aliases"),
    )


def _check_supervisors(persons: Mapping[str, Person], where: Mapping[str, int]) -> None:
    """Every chain of supervisors ends at the one head of the school, without loops."""
    heads = [p.id for p in persons.values() if p.supervisor is None]
    for p in persons.values():
        key = f"person[{where[p.id]}].supervisor"
        if p.supervisor == p.id:
            raise _Bad(f"{key}: \"{p.id}\" cannot be their own supervisor")
        if p.supervisor is not None and p.supervisor not in persons:
            raise _Bad(f"{key}: no person with id \"{p.supervisor}\"")
    for p in persons.values():
        chain = [p.id]
        while (boss := persons[chain[-1]].supervisor) is not None:
            if boss in chain:
                loop = chain[chain.index(boss):] + [boss]
                first = min(loop, key=lambda i: where[i])
                start = loop.index(first)
                loop = loop[start:-1] + loop[:start] + [first]
                raise _Bad(f"person[{where[first]}].supervisor: supervisors form a loop: "
                           + " → ".join(loop))
            chain.append(boss)
    if len(heads) > 1:
        raise _Bad(f"person[{where[heads[1]]}].supervisor: missing; only one person (the "
                   f"head of the school) may have none, and \"{heads[0]}\" already has none")


def _vendor(raw: Any) -> Vendor:
    row = _table(raw, "vendor")
    _only(row, "vendor.", {"name", "emails", "domains", "ticket_pattern", "relay",
                           "reminder_working_days", "territory", "school_code"})
    emails = tuple(e.strip().lower() for e in _texts(row.get("emails", []), "vendor.emails"))
    for email in emails:
        if not _EMAIL_RE.fullmatch(email):
            raise _Bad(f"vendor.emails: not an e-mail address: \"{email}\"")
    domains = _domains(row.get("domains", []), "vendor.domains")
    if not emails and not domains:
        raise _Bad("vendor.emails: give the support address (or vendor.domains)")
    pattern_text = _text(row.get("ticket_pattern"), "vendor.ticket_pattern")
    try:
        pattern = re.compile(pattern_text, re.IGNORECASE)
    except re.error as exc:
        raise _Bad(f"vendor.ticket_pattern: not a valid regular expression: {exc}") from None
    if pattern.groups != 1:
        raise _Bad("vendor.ticket_pattern: needs exactly one group ( ) around the ticket "
                   f"number, has {pattern.groups}")
    relay = _text(row.get("relay", "approve"), "vendor.relay")
    if relay not in RELAYS:
        raise _Bad(f"vendor.relay: must be one of {', '.join(RELAYS)}, got \"{relay}\"")
    reminder = row.get("reminder_working_days", 3)
    if isinstance(reminder, bool) or not isinstance(reminder, int) or reminder < 1:
        raise _Bad(f"vendor.reminder_working_days: must be a whole number of days, 1 or "
                   f"more, got {reminder!r}")
    return Vendor(
        name=_text(row.get("name"), "vendor.name"),
        emails=emails,
        domains=domains,
        ticket_pattern=pattern,
        relay=relay,
        reminder_working_days=reminder,
        territory=_text(row.get("territory", ""), "vendor.territory", empty=True),
        school_code=_text(row.get("school_code", ""), "vendor.school_code", empty=True),
    )


def _absence(row: Mapping[str, Any], key: str) -> Absence:
    _only(row, key + ".", {"from", "to", "note"})
    start = _date(row.get("from"), f"{key}.from")
    end = _date(row.get("to"), f"{key}.to")
    if end < start:
        raise _Bad(f"{key}: ends {end.isoformat()} before it starts {start.isoformat()}")
    return Absence(start, end, _text(row.get("note", ""), f"{key}.note", empty=True))


# --------------------------------------------------------------------------- small checks


def _only(table: Mapping[str, Any], prefix: str, allowed: set[str]) -> None:
    for key in table:
        if key not in allowed:
            raise _Bad(f"{prefix}{key}: unknown key; expected one of {', '.join(sorted(allowed))}")


def _table(value: Any, key: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(f"{key}: must be a table")
    return value


def _list(value: Any, key: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Bad(f"{key}: must be a list")
    return value


def _text(value: Any, key: str, *, empty: bool = False) -> str:
    if value is None:
        raise _Bad(f"{key}: missing")
    if not isinstance(value, str):
        raise _Bad(f"{key}: must be text, got {value!r}")
    if not empty and not value.strip():
        raise _Bad(f"{key}: must not be empty")
    return value.strip()


def _texts(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        raise _Bad(f"{key}: missing")
    if isinstance(value, str):
        value = [value]
    return tuple(_text(v, key) for v in _list(value, key))


def _bool(value: Any, key: str) -> bool:
    if not isinstance(value, bool):
        raise _Bad(f"{key}: must be true or false, got {value!r}")
    return value


def _domains(value: Any, key: str) -> tuple[str, ...]:
    return tuple(d.lower().lstrip("@") for d in _texts(value, key))


def _days(value: Any, key: str, default: frozenset[int]) -> frozenset[int]:
    if value is None:
        return default
    days = set()
    for name in _texts(value, key):
        if name.lower() not in _DAY_NAMES:
            raise _Bad(f"{key}: unknown day \"{name}\"; use mon tue wed thu fri sat sun "
                       "(or пн вт ср чт пт сб вс)")
        days.add(_DAY_NAMES[name.lower()])
    if not days:
        raise _Bad(f"{key}: at least one working day is needed")
    return frozenset(days)


def _hours(value: Any, key: str, default: tuple[time, time]) -> tuple[time, time]:
    if value is None:
        return default
    text = _text(value, key)
    ends = [t.strip() for t in re.split(r"\s*[-–—]\s*", text)]
    if len(ends) != 2:
        raise _Bad(f"{key}: write hours as \"08:00-17:00\", got \"{text}\"")
    start, end = (_time(t, key) for t in ends)
    if start >= end:
        raise _Bad(f"{key}: starts at {ends[0]}, not before it ends at {ends[1]}")
    return start, end


def _time(text: str, key: str) -> time:
    hit = _TIME_RE.fullmatch(text)
    if not hit or int(hit.group(1)) > 23 or int(hit.group(2)) > 59:
        raise _Bad(f"{key}: bad time \"{text}\"; write hours as \"08:00-17:00\"")
    return time(int(hit.group(1)), int(hit.group(2)))


def _date(value: Any, key: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    if value is None:
        raise _Bad(f"{key}: missing")
    raise _Bad(f"{key}: must be a date like 2026-12-01, got {value!r}")
