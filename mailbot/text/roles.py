"""The role of the person a case is for: parent, student, teacher, staff or unknown.

Staff are known from people.toml and the school's own domains; everyone else is a parent or
a student, and a hint in their own words tells which: «мой сын», «я ученица 9 класса», or how
they introduce themselves or sign — «Мама Беловой Софии, 4 А», «папа ученика 5"А"»,
«ученица 10Б» (`mailbot.text.role_hints`). The role is shown to the helper and counted in
digests.
"""

from __future__ import annotations

from dataclasses import dataclass

from mailbot.school.people import People
from mailbot.text.role_hints import guess_role_hint

ROLE_LABELS_RU = {
    "parent": "родитель",
    "student": "ученик",
    "teacher": "учитель",
    "staff": "сотрудник школы",
    "unknown": "родитель или ученик (не уточнено)",
    "vendor": "служба поддержки (СТП)",
}


@dataclass(frozen=True)
class RoleGuess:
    role: str
    reasons: tuple[str, ...]


def role_of(addr: str, text: str, people: People | None) -> RoleGuess:
    """The writer's role: a person in people.toml by their kind; an address at a school
    domain a teacher unless their words say student; anyone else what their words say
    (parent or student), else unknown. The reasons say why, for the helper and `explain`."""
    person = people.by_address(addr) if people else None
    if person is not None:
        role = "teacher" if person.kind == "teacher" else "staff"
        return RoleGuess(role, (f"{addr} is {person.id} in people.toml ({person.position})",))
    hint, reasons = guess_role_hint(text)
    if people is not None and people.is_staff(addr):
        if hint == "student":
            return RoleGuess("student", (f"{addr} is at a school domain", *reasons))
        return RoleGuess("teacher", (f"{addr} is at a school domain", *reasons))
    if hint is not None:
        return RoleGuess(hint, tuple(reasons))
    return RoleGuess("unknown", ("not staff, and the text does not say parent or student",
                                 *reasons))


def label(role: str) -> str:
    return ROLE_LABELS_RU.get(role, role)
