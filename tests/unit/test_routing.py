"""routes.toml and its interpreter: every category through the shipped table, the choice
among helpers, fallbacks, complaints to the supervisor, and naming the person a complaint
is about."""

from __future__ import annotations

import copy
import datetime as dt
import json
import tomllib
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mailbot.school.people import People
from mailbot.school.people_file import load_people, people_from_dict
from mailbot.school.routes_file import RoutesError, load_routes, routes_from_dict
from mailbot.school.routing import (
    Route,
    RoutingTable,
    explain_route,
    named_person,
    route,
)
from mailbot.text.classify import CATEGORY_IDS, OTHER

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = ROOT / "config" / "people.toml"
ROUTES = ROOT / "config" / "routes.toml"
ZONE = ZoneInfo("Asia/Yekaterinburg")
TUESDAY = dt.datetime(2026, 11, 10, 10, 30, tzinfo=ZONE)  # everyone is at work
ALL = (*CATEGORY_IDS, OTHER)


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ZONE)


@pytest.fixture(scope="module")
def people() -> People:
    return load_people(PEOPLE)


@pytest.fixture(scope="module")
def table(people: People) -> RoutingTable:
    return load_routes(ROUTES, people)


def send(table: RoutingTable, people: People, category: str, *, role: str = "parent",
         text: str = "", now: dt.datetime = TUESDAY, counts: dict[str, int] | None = None,
         about: str | None = None, exclude: frozenset[str] = frozenset()) -> Route:
    return route(table, people, category=category, role=role, text=text, now_local=now,
                 open_counts=counts or {}, about=about, exclude=exclude)


# --------------------------------------------------------------------------- the shipped table


def expected_from_data(category: str, role: str, people: People) -> tuple[int, str, set[str]]:
    """(rule index, target kind, acceptable people) read straight from routes.toml's data:
    the first rule for the category and role with no word condition, at school hours."""
    rows = tomllib.loads(ROUTES.read_text(encoding="utf-8"))["route"]
    helpers = {p.id for p in people.persons.values() if category in p.categories}
    for index, row in enumerate(rows):
        categories = [row["category"]] if isinstance(row["category"], str) else row["category"]
        roles = [row.get("role", "*")] if isinstance(row.get("role", "*"), str) else row["role"]
        if not ({category, "*"} & set(categories) and {role, "*"} & set(roles)):
            continue
        if row.get("words_any") or row.get("when", "always") == "out_of_hours":
            continue
        kind, _, arg = row["to"].partition(":")
        who = {
            "vendor": helpers,
            "person": {arg},
            "position": {p.id for p in people.find(arg, names=False)},
            "helpers": helpers,
            "supervisor": {people.triage},  # no person named: the triage person reads it
            "triage": {people.triage},
        }[kind]
        return index, kind, who
    raise AssertionError(f"routes.toml has no rule for {category}")


@pytest.mark.parametrize("role", ["parent", "student", "teacher", "staff", "unknown"])
@pytest.mark.parametrize("category", ALL)
def test_every_category_lands_where_the_table_says(
        table: RoutingTable, people: People, category: str, role: str) -> None:
    index, kind, who = expected_from_data(category, role, people)
    result = send(table, people, category, role=role, text="Здравствуйте, помогите пожалуйста")
    assert result.rule == index
    assert result.target == ("vendor" if kind == "vendor" else "person")
    assert result.person_id in who
    assert people.get(result.person_id).is_helper
    assert any(f"route[{index + 1}] " in reason for reason in result.reasons)


@pytest.mark.parametrize(("category", "role", "target", "person"), [
    ("app_outage", "parent", "vendor", "ivanova"),
    ("login", "student", "person", "ivanova"),
    ("parent_link", "parent", "person", "ivanova"),
    ("planning", "parent", "person", "petrova"),
    ("planning", "teacher", "person", "petrova"),  # first in people.toml of two helpers
    ("final_marks", "teacher", "person", "petrova"),
    ("personal_data", "parent", "person", "ivanova"),
    ("complaint", "parent", "person", "ivanova"),
    ("other", "unknown", "person", "ivanova"),
    ("no-such-category", "unknown", "person", "ivanova"),
])
def test_sanity_of_the_shipped_table(table: RoutingTable, people: People, category: str,
                                     role: str, target: str, person: str) -> None:
    result = send(table, people, category, role=role)
    assert (result.target, result.person_id) == (target, person)


@pytest.mark.parametrize(("category", "text", "rule"), [
    ("marks", "Оценка за контрольную не отображается в дневнике", 5),
    ("marks", "у сына пропали все оценки за четверть", 5),
    ("marks", "ОЦЕНКИ ИСЧЕЗЛИ!!!", 5),
    ("marks", "учитель поставил двойку, а мы были на больничном", 6),
    ("final_marks", "не могу выставить четвертные, период закрыт", 10),
    ("final_marks", "Как считается средний балл за четверть?", 11),
])
def test_word_conditions(table: RoutingTable, people: People, category: str, text: str,
                         rule: int) -> None:
    result = send(table, people, category, text=text)
    assert result.rule == rule
    if rule in (5, 10):
        assert result.person_id == "ivanova"


def test_every_rule_of_the_shipped_table_is_reachable(table: RoutingTable) -> None:
    rows = tomllib.loads(ROUTES.read_text(encoding="utf-8"))["route"]
    assert len(table.rules) == len(rows)
    assert table.rules[-1].categories is None and table.rules[-1].to == "triage"


# --------------------------------------------------------------------------- choosing a person


def test_fewest_open_cases_wins_and_ties_go_to_file_order(table: RoutingTable,
                                                          people: People) -> None:
    result = send(table, people, "homework", counts={"kuznetsov": 3, "smirnova": 1})
    assert result.person_id == "smirnova"
    assert any("fewest open cases" in r and "kuznetsov 3" in r for r in result.reasons)
    assert send(table, people, "homework", counts={"kuznetsov": 2, "smirnova": 2}).person_id \
        == "kuznetsov"
    assert send(table, people, "homework").person_id == "kuznetsov"


def test_somebody_at_work_beats_fewer_open_cases(table: RoutingTable, people: People) -> None:
    # 15:30: Кузнецов has gone home, Смирнова works till 16:00.
    result = send(table, people, "homework", now=at(11, 10, 15, 30),
                  counts={"kuznetsov": 0, "smirnova": 9})
    assert result.person_id == "smirnova"


def test_nobody_for_the_rule_at_work_goes_to_the_triage_person(table: RoutingTable,
                                                               people: People) -> None:
    # 16:15 on a Tuesday: both teachers have gone home; the ЭЖ administrator is in till 16:30.
    result = send(table, people, "homework", now=at(11, 10, 16, 15))
    assert result.person_id == "ivanova"
    assert result.rule == 7
    assert any("triage person ivanova" in r for r in result.reasons)


def test_at_night_the_one_back_first_takes_it(table: RoutingTable, people: People) -> None:
    # Friday night: Кузнецов works on Saturday, Смирнова only on Monday.
    result = send(table, people, "homework", now=at(11, 13, 22),
                  counts={"kuznetsov": 7, "smirnova": 0})
    assert result.person_id == "kuznetsov"
    assert any("back first" in r for r in result.reasons)
    # Sunday: both are back on Monday at 08:00, so the lighter load decides.
    result = send(table, people, "homework", now=at(11, 15, 12),
                  counts={"kuznetsov": 7, "smirnova": 0})
    assert result.person_id == "smirnova"


def test_a_person_on_leave_makes_the_rule_fall_through(table: RoutingTable,
                                                       people: People) -> None:
    result = send(table, people, "login", now=at(12, 8, 10))  # Иванова is on a course
    assert (result.rule, result.person_id) == (3, "kuznetsov")
    assert any("ivanova on leave today" in r for r in result.reasons)
    assert any("route[3] falls through" in r for r in result.reasons)


def test_excluded_people_are_skipped(table: RoutingTable, people: People) -> None:
    result = send(table, people, "login", exclude=frozenset({"ivanova"}))
    assert (result.rule, result.person_id) == (3, "kuznetsov")
    result = send(table, people, "login", exclude=frozenset({"ivanova", "kuznetsov"}))
    assert result.rule is None  # even the catch-all found nobody: triage is excluded too
    assert result.person_id == "petrova"  # the triage person's supervisor
    assert any("route[17] falls through" in r for r in result.reasons)


def test_vendor_case_keeps_a_school_side_owner(table: RoutingTable, people: People) -> None:
    result = send(table, people, "app_outage", now=at(12, 8, 10))  # the owner is away
    assert result.target == "vendor"
    assert result.person_id == "petrova"
    assert result.rule == 1


def test_no_matching_rule_falls_back_to_triage(people: People) -> None:
    data = {"route": [{"category": "app_outage", "to": "vendor"},
                      {"category": "login", "role": "teacher", "to": "helpers"}]}
    table = routes_from_dict(data, "routes.toml", people)
    result = send(table, people, "login", role="parent")
    assert (result.target, result.person_id, result.rule) == ("person", "ivanova", None)
    assert any("skipped: role parent is not teacher" in r for r in result.reasons)
    assert "no rule found anybody" in result.reasons
    # The triage person on leave: the next one up their chain.
    assert send(table, people, "marks", now=at(12, 8, 10)).person_id == "petrova"


def test_time_conditions(people: People) -> None:
    data = {"route": [
        {"category": "howto_training", "when": "out_of_hours", "to": "person:ivanova"},
        {"category": "howto_training", "when": "in_hours", "to": "person:popova"},
    ]}
    table = routes_from_dict(data, "routes.toml", people)
    assert send(table, people, "howto_training").person_id == "popova"
    evening = send(table, people, "howto_training", now=at(11, 10, 19))
    assert (evening.rule, evening.person_id) == (0, "ivanova")


def test_explain_route_is_plain_json(table: RoutingTable, people: People) -> None:
    result = send(table, people, "complaint", about="smirnova")
    data = json.loads(json.dumps(explain_route(result), ensure_ascii=False))
    assert data == {"target": "person", "person_id": "petrova", "rule": 0,
                    "reasons": list(result.reasons)}


# --------------------------------------------------------------------------- complaints


@pytest.mark.parametrize("about", ["petrova", "ivanova", "smirnova", "kuznetsov", "popova",
                                   "morozova", "sidorov"])
def test_a_complaint_never_goes_to_the_person_it_is_about(
        table: RoutingTable, people: People, about: str) -> None:
    for now in (TUESDAY, at(12, 8, 10), at(11, 15, 3)):
        result = send(table, people, "complaint", about=about, now=now)
        assert result.person_id != about
        boss = people.get(about).supervisor
        if boss is not None and not people.get(boss).is_absent(now.date()):
            assert (result.person_id, result.rule) == (boss, 0)


def test_complaint_about_the_director_goes_to_triage(table: RoutingTable,
                                                     people: People) -> None:
    result = send(table, people, "complaint", about="sidorov")
    assert result.person_id == "ivanova"
    assert any("sidorov has no supervisor" in r for r in result.reasons)


def test_complaint_goes_up_the_chain_never_down(people: People) -> None:
    data = copy.deepcopy(tomllib.loads(PEOPLE.read_text(encoding="utf-8")))
    data["person"][1]["absence"] = [{"from": dt.date(2026, 11, 9), "to": dt.date(2026, 11, 13),
                                     "note": "отпуск"}]
    away = people_from_dict(data, "people.toml")
    table = load_routes(ROUTES, away)
    result = send(table, away, "complaint", about="kuznetsov")  # his boss Петрова is away
    assert result.person_id == "sidorov"
    result = send(table, away, "complaint", about="kuznetsov",
                  exclude=frozenset({"petrova", "sidorov"}))
    assert result.person_id not in ("kuznetsov", "petrova", "sidorov")


def test_complaint_about_the_triage_person_goes_to_her_supervisor(
        table: RoutingTable, people: People) -> None:
    result = send(table, people, "complaint", about="ivanova")
    assert result.person_id == "petrova"
    result = send(table, people, "complaint", about="nobody-known")
    assert result.person_id == "ivanova"
    assert any("no person with id" in r for r in result.reasons)


def test_about_is_barred_even_when_everyone_else_is_excluded(table: RoutingTable,
                                                             people: People) -> None:
    others = frozenset(people.persons) - {"ivanova"}
    result = send(table, people, "marks", about="ivanova", exclude=others)
    assert result.person_id != "ivanova"


# --------------------------------------------------------------------------- naming the person


@pytest.mark.parametrize(("text", "expected"), [
    ("Жалоба на Петрову", "petrova"),
    ("жалоба на петрову о.в.", "petrova"),
    ("учитель Кузнецов грубит моему сыну", "kuznetsov"),
    ("Учитель КУЗНЕЦОВ грубит", "kuznetsov"),
    ("прошу разобраться с действиями Ивановой Н.П.", "ivanova"),
    ("Н.П. Иванова не отвечает на письма", "ivanova"),
    ("Надежда Павловна уже неделю не отвечает", "ivanova"),
    ("Морозова Анна Игоревна не отвечает", "morozova"),
    ("Анна Игоревна грубо ответила", "morozova"),
    ("завуч не отвечает на звонки", "petrova"),
    ("Жалуюсь на завуча", "petrova"),
    ("администратор журнала не отвечает на письма уже неделю", "ivanova"),
    ("секретарь нагрубила по телефону", "popova"),
    ("наставник по ЭЖ не помогла", "smirnova"),
    ("классный руководитель 7Б игнорирует сообщения", "morozova"),
    ("Уважаемый Андрей Викторович! Надежда Павловна не отвечает", "ivanova"),
    ("Добрый день, Ольга Викторовна. Учитель Смирнова не выставляет оценки", "smirnova"),
    ("пишу директору: Кузнецов грубит", "kuznetsov"),
    ("Прошу директора разобраться с учителем Кузнецовым", "kuznetsov"),
    ("Жалоба на учительницу начальных классов Смирнову Е.А.", "smirnova"),
])
def test_named_person(people: People, text: str, expected: str) -> None:
    person = named_person(text, people)
    assert person is not None and person.id == expected


@pytest.mark.parametrize("text", [
    "учитель грубит",  # three teachers
    "из-за морозов у нас не работает интернет",  # weather, not Морозова
    "кузнецов на рынке больше нет",  # smiths, not Кузнецов
    "Иванов Пётр не отвечает",  # a namesake nobody on staff is
    "Ивановой А.А. нет в списке",  # wrong initials
    "Петрова и Смирнова обе не отвечают",  # both named as subjects, one above the other
    "Попова и Кузнецов не отвечают",  # two people, neither above the other
    "Сидорову: прошу разобраться",  # only the addressee
    "",
    "Ольга не отвечает",  # a first name alone is too little
])
def test_named_person_refuses_to_guess(people: People, text: str) -> None:
    assert named_person(text, people) is None


def test_named_person_and_namesakes() -> None:
    data = tomllib.loads(PEOPLE.read_text(encoding="utf-8"))
    data["person"].append({"id": "ivanov", "name": "Иванов Сергей Павлович",
                           "emails": ["s.ivanov@school.example"], "position": "учитель физики",
                           "kind": "teacher", "categories": ["marks"],
                           "supervisor": "petrova"})
    people = people_from_dict(data, "people.toml")
    assert named_person("жалоба на Ивановой", people).id == "ivanova"
    assert named_person("Иванов не отвечает", people).id == "ivanov"
    assert named_person("жалуюсь на Иванову", people) is None  # her accusative, his dative
    assert named_person("жалуюсь на учителя физики Иванова", people).id == "ivanov"


# --------------------------------------------------------------------------- errors


def base() -> dict[str, Any]:
    return {"route": [{"category": "login", "to": "person:ivanova", "note": "вход"},
                      {"category": "*", "to": "triage"}]}


def change(path: str, value: Any) -> dict[str, Any]:
    data = base()
    _, index, key = path.split(".")
    data["route"][int(index)][key] = value
    return data


UNKNOWN_TARGET = ("use vendor, helpers, supervisor, triage, person:<id> or "
                  "position:<должность>")


def without(index: int, key: str) -> dict[str, Any]:
    data = base()
    del data["route"][index][key]
    return data


ERRORS = [
    (change("route.0.to", "person:petrov"),
     "route[1].to: no person with id 'petrov' in {people}"),
    (change("route.0.to", "person:sidorov"),
     "route[1].to: 'sidorov' is a manager with no categories and may not take cases"),
    (change("route.0.to", "position:физрук"),
     "route[1].to: the position 'физрук' matches nobody in {people}"),
    (change("route.0.to", "position:"),
     f"route[1].to: unknown target 'position:'; {UNKNOWN_TARGET}"),
    (change("route.0.to", "admin"), f"route[1].to: unknown target 'admin'; {UNKNOWN_TARGET}"),
    (change("route.0.category", ["login", "grades"]),
     "route[1].category: unknown value 'grades'; use one of " + ", ".join(ALL) + ' or "*"'),
    (change("route.0.category", 5), "route[1].category: must be one text or a list of texts"),
    (change("route.0.role", "mother"),
     ("route[1].role: unknown value 'mother'; use one of parent, student, teacher, staff, "
     'unknown or "*"')),
    (change("route.0.when", "weekends"),
     "route[1].when: must be one of always, in_hours, out_of_hours, got 'weekends'"),
    (change("route.0.words_any", ["глюк", "не отображается"]),
     "route[1].words_any[2]: 'не отображается' must be one word"),
    (change("route.0.words_any", "глюк"), "route[1].words_any: must be a list, got 'глюк'"),
    (change("route.0.priority", 1), "route[1].priority: unknown key"),
    (without(1, "to"), "route[2].to: missing"),
    (change("route.1.to", " "), "route[2].to: must be non-empty text, got ' '"),
    ({"route": [{"to": "triage"}]},
     'route[1].category: missing; give a category id, a list, or "*"'),
    ({**base(), "routes": []}, "routes: unknown key"),
    ({"routes": []}, "route: missing"),
    ({"route": []}, "route: at least one [[route]] is needed"),
    ({"route": {"category": "*", "to": "triage"}},
     "route: must be a list of [[route]] tables"),
    ({"route": [{"category": ["complaint", "reports"], "to": "helpers"},
                {"category": ["planning", "marks"], "to": "helpers"}]},
     None),  # complaint and reports are listed by someone: valid
]


@pytest.mark.parametrize(("data", "message"), ERRORS)
def test_each_mistake_is_one_line(people: People, data: dict[str, Any],
                                  message: str | None) -> None:
    if message is None:
        routes_from_dict(data, "config/routes.toml", people)
        return
    with pytest.raises(RoutesError) as err:
        routes_from_dict(data, "config/routes.toml", people)
    assert str(err.value) == f"config/routes.toml: {message.format(people=people.source)}"


def test_targets_the_people_file_cannot_serve() -> None:
    small = {
        "settings": {"triage": "admin"},
        "person": [
            {"id": "head", "name": "Сидоров Андрей Викторович", "emails": ["h@s.example"],
             "position": "директор", "kind": "manager"},
            {"id": "admin", "name": "Иванова Мария Петровна", "emails": ["a@s.example"],
             "position": "администратор", "kind": "specialist", "categories": ["login"],
             "supervisor": "head"},
        ],
    }
    people = people_from_dict(small, "people.toml")
    with pytest.raises(RoutesError, match=r'^r.toml: route\[1\].to: "vendor" needs a \[vendor\] '
                                          r"section in people.toml$"):
        routes_from_dict({"route": [{"category": "app_outage", "to": "vendor"}]}, "r.toml",
                         people)
    with pytest.raises(RoutesError, match=r"^r.toml: route\[1\].to: nobody in people.toml "
                                          r"lists category 'marks'$"):
        routes_from_dict({"route": [{"category": ["login", "marks"], "to": "helpers"}]},
                         "r.toml", people)


def test_load_routes_names_the_file(tmp_path: Path, people: People) -> None:
    path = tmp_path / "routes.toml"
    with pytest.raises(RoutesError, match="routes.toml: file not found$"):
        load_routes(path, people)
    path.write_text("[[route]\n", encoding="utf-8")
    with pytest.raises(RoutesError, match="routes.toml: not valid TOML"):
        load_routes(path, people)
    path.write_text(ROUTES.read_text(encoding="utf-8").replace(
        '"position:завуч"', '"position:завхоз"'), encoding="utf-8")
    with pytest.raises(RoutesError) as err:
        load_routes(path, people)
    assert str(err.value) == (f"{path}: route[12].to: the position 'завхоз' matches nobody "
                              f"in {PEOPLE}")
