"""people.toml: the shipped file, every validation error as one line, finding people by
inflected names and positions, and who is at work when."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mailbot.school.people import People
from mailbot.school.people_file import PeopleError, load_people, people_from_dict
from mailbot.text.classify import CATEGORY_IDS, OTHER

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "people.toml"
ZONE = ZoneInfo("Asia/Yekaterinburg")


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=ZONE)


@pytest.fixture(scope="module")
def people() -> People:
    return load_people(SHIPPED)


def small() -> dict[str, Any]:
    """A tiny valid school; tests break one thing in it at a time."""
    return {
        "settings": {"triage": "admin", "staff_domains": ["school.example"]},
        "person": [
            {"id": "head", "name": "Сидоров Андрей Викторович", "emails": ["head@school.example"],
             "position": "директор", "kind": "manager", "digest": True},
            {"id": "admin", "name": "Иванова Мария Петровна", "emails": ["Admin@School.example"],
             "position": "администратор электронного журнала", "kind": "specialist",
             "categories": ["login", "other"], "supervisor": "head"},
            {"id": "teacher", "name": "Иванов Игорь Ильич", "emails": ["ivanov@mail.example"],
             "position": "учитель физики", "kind": "teacher", "categories": ["marks"],
             "supervisor": "head"},
        ],
        "vendor": {"name": "СТП", "emails": ["support@epos.example"],
                   "domains": ["epos.example"], "ticket_pattern": r"\[Заявка №\s*(\d+)\]"},
    }


# --------------------------------------------------------------------------- shipped file


def test_shipped_file_loads_with_one_head_and_a_helping_triage(people: People) -> None:
    assert people.triage == "ivanova"
    assert people.get("ivanova").is_helper
    heads = [p.id for p in people.persons.values() if p.supervisor is None]
    assert heads == ["sidorov"]
    assert not people.get("sidorov").is_helper
    assert people.show_helper_address is False
    assert next(iter(people.persons)) == "sidorov"  # file order is kept


def test_shipped_file_covers_every_category(people: People) -> None:
    for category in (*CATEGORY_IDS, OTHER):
        helpers = [p.id for p in people.persons.values()
                   if p.is_helper and category in p.categories]
        assert helpers, f"nobody answers {category}"


def test_shipped_vendor(people: People) -> None:
    vendor = people.vendor
    assert vendor is not None
    assert vendor.relay in ("user", "approve")
    assert vendor.territory == "Пермский край"
    assert vendor.is_vendor("Support@EPOS.example")
    assert vendor.is_vendor("noreply@tickets.epos.example")
    assert not vendor.is_vendor("support@epos.example.evil.ru")
    assert not vendor.is_vendor("n.ivanova@school.example")
    assert vendor.ticket_in("Re: [Заявка № 123456] Не входит в дневник") == "123456"
    assert vendor.ticket_in("RE: [обращение #98] ошибка 500") == "98"
    assert vendor.ticket_in("Заявка 123456 без скобок") is None
    assert vendor.ticket_in("") is None


def test_addresses_staff_and_supervisors(people: People) -> None:
    assert people.by_address(" <N.Ivanova@School.Example> ").id == "ivanova"
    assert people.by_address("ezh@school.example").id == "ivanova"
    assert people.by_address("parent@mail.ru") is None
    assert people.is_staff("nobody-listed@school.example")
    assert not people.is_staff("mama.petrova@yandex.ru")
    assert people.supervisor_of("kuznetsov").id == "petrova"
    assert people.supervisor_of("sidorov") is None
    assert [p.id for p in people.digest_recipients()] == ["sidorov", "petrova", "ivanova"]
    with pytest.raises(KeyError, match="nobody"):
        people.get("nobody")


def test_staff_by_own_address_outside_the_staff_domain() -> None:
    people = people_from_dict(small(), "people.toml")
    assert people.is_staff("IVANOV@mail.example")
    assert not people.is_staff("other@mail.example")
    assert people.get("admin").emails == ("admin@school.example",)


def test_defaults_and_russian_day_names() -> None:
    data = small()
    data["settings"]["hours"] = "09:00 - 18:00"
    data["person"][2]["working_days"] = ["пн", "Ср", "fri"]
    people = people_from_dict(data, "people.toml")
    assert people.get("admin").hours == (dt.time(9), dt.time(18))
    assert people.get("admin").working_days == frozenset(range(5))
    assert people.get("teacher").working_days == frozenset({0, 2, 4})
    assert people_from_dict(small(), "p").vendor.relay == "approve"


# --------------------------------------------------------------------------- errors


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to the small school: "person.1.supervisor" = value (None deletes)."""
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        key: Any = int(last) if last.isdigit() else last
        if value is None:
            del node[key]
        else:
            node[key] = value
    return change


def _loop(data: dict[str, Any]) -> None:
    data["person"].append({"id": "deputy", "name": "Петрова Наталья Владимировна",
                           "emails": ["deputy@school.example"], "position": "завуч",
                           "kind": "manager", "supervisor": "admin"})
    data["person"][1]["supervisor"] = "deputy"


def _no_vendor_address(data: dict[str, Any]) -> None:
    del data["vendor"]["emails"], data["vendor"]["domains"]


CATEGORY_LIST = ", ".join((*CATEGORY_IDS, OTHER))
NO_DAY = 'must be a day of the week such as «вторник», «вт» or "tue", got '

ERRORS = [
    (_set("person.2.id", "admin"), "person[3].id: duplicate id 'admin' (already person[2])"),
    (_set("person.2.id", "Ivanov"),
     "person[3].id: bad id 'Ivanov'; use lower-case latin letters, digits, _ and -"),
    (_set("person.2.id", "иванов"),
     "person[3].id: bad id 'иванов'; use lower-case latin letters, digits, _ and -"),
    (_set("person.2.categories", ["marks", "grades"]),
     f"person[3].categories[2]: must be one of {CATEGORY_LIST}, got 'grades'"),
    (_set("person.2.supervisor", "petrova"), "person[3].supervisor: no person with id 'petrova'"),
    (_set("person.2.supervisor", "teacher"),
     "person[3].supervisor: 'teacher' cannot be their own supervisor"),
    (_loop, "person[2].supervisor: supervisors form a loop: admin → deputy → admin"),
    (_set("person.2.supervisor", None),
     ("person[3].supervisor: missing; only one person (the head of the school) may have none, "
      "and 'head' already has none")),
    (_set("settings.triage", "ivanova"), "settings.triage: no person with id 'ivanova'"),
    (_set("settings.triage", "head"),
     "settings.triage: 'head' is a manager with no categories and may not take cases"),
    (_set("settings.triage", None), "settings.triage: missing"),
    (_set("settings", None), "settings: missing"),
    (_set("person.1.hours", "25:00-26:00"), "person[2].hours: no such time in '25:00-26:00'"),
    (_set("person.1.hours", "08:60-17:00"), "person[2].hours: no such time in '08:60-17:00'"),
    (_set("person.1.hours", "17:00-08:00"),
     "person[2].hours: the end 08:00 is not after the start 17:00"),
    (_set("person.1.hours", "с 8 до 17"),
     "person[2].hours: must be a time range like \"08:00-17:00\", got 'с 8 до 17'"),
    (_set("settings.hours", "9-17"),
     "settings.hours: must be a time range like \"08:00-17:00\", got '9-17'"),
    (_set("person.1.working_days", ["mon", "fri2"]), f"person[2].working_days: {NO_DAY}'fri2'"),
    (_set("settings.working_days", ["понедельникк"]),
     f"settings.working_days: {NO_DAY}'понедельникк'"),
    (_set("settings.working_days", []), "settings.working_days: at least one day is needed"),
    (_set("person.1.absence", [{"from": dt.date(2026, 12, 5), "to": dt.date(2026, 12, 1)}]),
     "person[2].absence[1].to: ends 2026-12-01 before it starts 2026-12-05"),
    (_set("person.1.absence", [{"from": dt.date(2026, 12, 5), "to": "5 декабря"}]),
     "person[2].absence[1].to: must be a date like 2026-12-31 or 31.12.2026, got '5 декабря'"),
    (_set("person.1.absence", [{"from": "05.12.2026", "to": "31.11.2026"}]),
     "person[2].absence[1].to: no such date '31.11.2026'"),
    (_set("person.1.absence", {"from": "05.12.2026", "to": "06.12.2026"}),
     "person[2].absence: must be a list of [[person.absence]] tables"),
    (_set("person.2.emails", ["ivanov@mail.example", "ADMIN@school.example"]),
     "person[3].emails: 'admin@school.example' is already the address of person[2]"),
    (_set("person.2.emails", ["ivanov at mail"]),
     "person[3].emails[1]: not an e-mail address: 'ivanov at mail'"),
    (_set("person.2.emails", []), "person[3].emails: at least one address is needed"),
    (_set("person.2.kind", "helper"),
     "person[3].kind: must be one of specialist, teacher, manager, got 'helper'"),
    (_set("person.2.name", None), "person[3].name: missing"),
    (_set("person.2.name", 5), "person[3].name: must be non-empty text, got 5"),
    (_set("person.2.digest", "да"), "person[3].digest: must be true or false, got 'да'"),
    (_set("vendor.ticket_pattern", r"№(\d+"),
     ("vendor.ticket_pattern: not a valid regular expression: missing ), unterminated "
     "subpattern at position 1")),
    (_set("vendor.ticket_pattern", r"Заявка № \d+"),
     "vendor.ticket_pattern: needs exactly one group ( ) around the ticket number, has 0"),
    (_set("vendor.ticket_pattern", r"(Заявка|Ticket) № (\d+)"),
     "vendor.ticket_pattern: needs exactly one group ( ) around the ticket number, has 2"),
    (_set("vendor.relay", "auto"), "vendor.relay: must be one of user, approve, got 'auto'"),
    (_set("vendor.reminder_working_days", 0),
     "vendor.reminder_working_days: must be a whole number of at least 1, got 0"),
    (_set("vendor.reminder_working_days", True),
     "vendor.reminder_working_days: must be a whole number of at least 1, got True"),
    (_no_vendor_address, "vendor.emails: give the support address (or vendor.domains)"),
    (_set("person.1.supervsior", "head"), "person[2].supervsior: unknown key"),
    (_set("settings.timezone", "Asia/Yekaterinburg"), "settings.timezone: unknown key"),
    (_set("person.1.absence", [{"from": dt.date(2026, 12, 1), "to": dt.date(2026, 12, 2),
                                "reason": "курсы"}]),
     "person[2].absence[1].reason: unknown key"),
    (_set("vendor.phone", "8-800"), "vendor.phone: unknown key"),
    (_set("persons", []), "persons: unknown key"),
    (_set("person", []), "person: at least one [[person]] is needed"),
]


@pytest.mark.parametrize(("change", "message"), ERRORS)
def test_each_mistake_is_one_line_naming_file_and_key(
        change: Callable[[dict[str, Any]], None], message: str) -> None:
    data = copy.deepcopy(small())
    change(data)
    with pytest.raises(PeopleError) as err:
        people_from_dict(data, "config/people.toml")
    assert str(err.value) == f"config/people.toml: {message}"
    assert "\n" not in str(err.value)


def test_longer_supervisor_loop_is_named_from_the_first_person_in_the_file() -> None:
    data = small()
    for pid, boss in (("a", "c"), ("b", "a"), ("c", "b")):
        data["person"].append({"id": pid, "name": f"Петров {pid.upper()}",
                               "emails": [f"{pid}@school.example"], "position": "учитель",
                               "kind": "teacher", "supervisor": boss})
    with pytest.raises(PeopleError, match="person\\[4\\].supervisor: supervisors form a loop: "
                                          "a → c → b → a$"):
        people_from_dict(data, "p")


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "people.toml"
    with pytest.raises(PeopleError, match=f"^{missing}: file not found$"):
        load_people(missing)
    missing.write_text("[settings\ntriage = 1\n", encoding="utf-8")
    with pytest.raises(PeopleError, match="people.toml: not valid TOML"):
        load_people(missing)
    missing.write_text(SHIPPED.read_text(encoding="utf-8").replace(
        'supervisor = "petrova"\nhours = "08:30-16:30"',
        'supervisor = "petrov"\nhours = "08:30-16:30"'), encoding="utf-8")
    with pytest.raises(PeopleError) as err:
        load_people(missing)
    assert str(err.value) == f"{missing}: person[3].supervisor: no person with id 'petrov'"


# --------------------------------------------------------------------------- find


@pytest.mark.parametrize(("query", "expected"), [
    ("ivanova", ["ivanova"]),
    ("  N.Ivanova@School.EXAMPLE ", ["ivanova"]),
    ("<ezh@school.example>", ["ivanova"]),
    ("Петровой", ["petrova"]),
    ("петровой", ["petrova"]),
    ("Петрову", ["petrova"]),
    ("ПЕТРОВА О.В.", ["petrova"]),
    ("Ольге Викторовне", ["petrova"]),
    ("Иванову Н.П.", ["ivanova"]),
    ("Иванова НП", ["ivanova"]),
    ("Надежде Павловне", ["ivanova"]),
    ("Иванова Надежда Павловна", ["ivanova"]),
    ("Кузнецову", ["kuznetsov"]),
    ("кузнецову а.с.", ["kuznetsov"]),
    ("Смирновой Елене Андреевне", ["smirnova"]),
    ("наставнику", ["smirnova"]),
    ("Морозовой Анне Игоревне", ["morozova"]),
    ("завучу", ["petrova"]),
    ("Завуч", ["petrova"]),
    ("заместителю директора по учебной работе", ["petrova"]),
    ("зам директора по УВР", ["petrova"]),
    ("директору", ["sidorov"]),
    ("администратору журнала", ["ivanova"]),
    ("администратору ЭЖ", ["ivanova"]),
    ("секретарю", ["popova"]),
    ("Поповой", ["popova"]),
    ("учителю информатики", ["kuznetsov"]),
    ("учительнице начальных классов", []),  # «учительница» is another word
    ("учителю начальных классов", ["smirnova"]),
    ("классному руководителю 7 Б", ["morozova"]),
    ("учителю Кузнецову", ["kuznetsov"]),
    ("учителю", ["kuznetsov", "smirnova", "morozova"]),
    ("Семёновой", []),
    ("физруку", []),
    ("Иванову И.И.", []),
    ("Петровой Н.П.", []),
    ("", []),
    ("   ", []),
])
def test_find(people: People, query: str, expected: list[str]) -> None:
    assert [p.id for p in people.find(query)] == expected


def namesakes() -> People:
    data = small()
    data["person"].append({"id": "ivanova2", "name": "Иванова Алёна Игоревна",
                           "emails": ["alena@school.example"], "position": "учитель химии",
                           "kind": "teacher", "categories": ["marks"], "supervisor": "head"})
    return people_from_dict(data, "people.toml")


def test_find_tells_men_from_women_and_says_when_it_is_ambiguous() -> None:
    people = namesakes()
    # «Иванову»: dative of Иванов or accusative of Иванова — all three fit.
    assert [p.id for p in people.find("Иванову")] == ["admin", "teacher", "ivanova2"]
    assert [p.id for p in people.find("Ивановой")] == ["admin", "ivanova2"]
    assert [p.id for p in people.find("Иванов")] == ["teacher"]
    assert [p.id for p in people.find("Ивановой А.И.")] == ["ivanova2"]
    assert [p.id for p in people.find("Ивановой Алене")] == ["ivanova2"]  # ё = е
    assert [p.id for p in people.find("иванову, учителю химии")] == ["ivanova2"]
    # As written, «Иванова» is the women first (it is also Иванов's genitive).
    assert [p.id for p in people.find("Иванова")] == ["admin", "ivanova2"]


def test_find_only_positions_or_only_names(people: People) -> None:
    assert people.find("завуч", names=False)[0].id == "petrova"
    assert people.find("Петровой", names=False) == []
    assert people.find("завуч", positions=False) == []


# --------------------------------------------------------------------------- availability


@pytest.mark.parametrize(("moment", "who", "expected"), [
    (at(2026, 11, 10, 10), "ivanova", True),  # Tuesday
    (at(2026, 11, 10, 8, 30), "ivanova", True),  # the first minute counts
    (at(2026, 11, 10, 8, 29), "ivanova", False),
    (at(2026, 11, 10, 16, 30), "ivanova", False),  # the end does not
    (at(2026, 11, 10, 16, 29), "ivanova", True),
    (at(2026, 11, 14, 10), "ivanova", False),  # Saturday
    (at(2026, 11, 14, 10), "kuznetsov", True),  # works six days a week
    (at(2026, 11, 15, 10), "kuznetsov", False),  # Sunday
    (at(2026, 11, 10, 15, 30), "kuznetsov", False),  # after his hours
    (at(2026, 11, 10, 15, 30), "smirnova", True),
    (at(2026, 12, 7, 10), "ivanova", False),  # on a course, first day
    (at(2026, 12, 8, 10), "ivanova", False),
    (at(2026, 12, 9, 16), "ivanova", False),  # last day
    (at(2026, 12, 10, 8, 30), "ivanova", True),  # back on Thursday
    (at(2026, 12, 4, 16), "ivanova", True),  # the Friday before
])
def test_availability(people: People, moment: dt.datetime, who: str, expected: bool) -> None:
    assert people.is_available(people.get(who), moment) is expected


def test_absence_dates_in_either_format() -> None:
    data = small()
    data["person"][1]["absence"] = [{"from": "07.12.2026", "to": "2026-12-09", "note": "курсы"},
                                    {"from": dt.date(2027, 1, 11), "to": "11.01.2027"}]
    admin = people_from_dict(data, "people.toml").get("admin")
    assert [(a.start, a.end) for a in admin.absences] == [
        (dt.date(2026, 12, 7), dt.date(2026, 12, 9)), (dt.date(2027, 1, 11), dt.date(2027, 1, 11))]
    assert admin.absences[1].note == ""


def test_absence_and_school_hours(people: People) -> None:
    ivanova = people.get("ivanova")
    assert ivanova.absences[0].note == "курсы повышения квалификации"
    assert ivanova.is_absent(dt.date(2026, 12, 8))
    assert not ivanova.is_absent(dt.date(2026, 12, 6))
    assert not ivanova.is_absent(dt.date(2026, 12, 10))
    assert people.in_school_hours(at(2026, 11, 10, 16, 45))
    assert not people.in_school_hours(at(2026, 11, 10, 17, 0))
    assert not people.in_school_hours(at(2026, 11, 14, 10))
    assert ivanova.short_name == "Иванова Н. П."


def test_staff_addresses_match_in_the_canonical_form_whatever_the_spelling() -> None:
    from mailbot.school.people_file import people_from_dict

    people = people_from_dict({
        "settings": {"triage": "zavuch"},
        "person": [{"id": "zavuch", "name": "Петрова Ольга Викторовна", "position": "завуч",
                    "kind": "specialist", "emails": ["Zavuch@XN--80ATDL2C.XN--P1AI"]}],
    }, "people.toml")
    assert people.persons["zavuch"].emails == ("zavuch@школа.рф",)
    assert people.by_address("ZAVUCH@школа.рф") is people.persons["zavuch"]
    assert people.by_address("zavuch@xn--80atdl2c.xn--p1ai") is people.persons["zavuch"]
