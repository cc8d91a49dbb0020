"""config/routes.toml: the routing table, checked and compiled against people.toml.

The file is read by `tomlfile` against the models below (unknown and missing keys,
categories, roles, `when`, one word per `words_any` entry); then every target is resolved
against the people: a `person:` must exist and may take cases, a `position:` must match
somebody who may, `helpers` needs somebody listing each category, `vendor` needs the
[vendor] section. How the table is walked is `routing`'s job.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from mailbot.school import tomlfile
from mailbot.school.fields import Listed, Mistake, at_least_one, naming
from mailbot.school.names import WORD_RE
from mailbot.school.people import CATEGORIES, People
from mailbot.school.routing import ROLES, WHEN, RoutingTable, Rule
from mailbot.school.tomlfile import AnyText, RuleModel, Text, choice, list_of_tables
from mailbot.text.words import fold, rule_lemma

_PLAIN_TARGETS = ("vendor", "helpers", "supervisor", "triage")


class RoutesError(ValueError):
    """A mistake in routes.toml, already one line: `file: key: why`."""


# --------------------------------------------------------------------------- the file


def _names(known: tuple[str, ...], *, missing: str | None = None) -> BeforeValidator:
    """One name or a list of them, each from `known`; "*" (every one) is None."""
    def check(value: Any) -> frozenset[str] | None:
        if value is None and missing is not None:
            raise ValueError(missing)
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not items or not all(isinstance(v, str) for v in items):
            raise ValueError("must be one text or a list of texts")
        if items == ["*"]:
            return None
        for item in items:
            if item not in known:
                raise ValueError(f"unknown value {item!r}; use one of {', '.join(known)} "
                                 'or "*"')
        return frozenset(items)
    return BeforeValidator(check)


def _one_word(value: Any) -> str:
    found = WORD_RE.findall(value) if isinstance(value, str) else []
    if len(found) != 1 or found[0][0] != value.strip():
        raise ValueError(f"{value!r} must be one word")
    return value.strip()


Categories = Annotated[frozenset[str] | None,
                       _names(CATEGORIES, missing='missing; give a category id, a list, or "*"')]
Roles = Annotated[frozenset[str] | None, _names(ROLES)]
Word = Annotated[str, BeforeValidator(_one_word)]
When = choice(*WHEN)


class RouteEntry(RuleModel):
    category: Categories = Field(default=None, validate_default=True)
    role: Roles = None
    to: Text
    when: When = "always"
    words_any: Annotated[tuple[Word, ...], Listed] = ()
    note: AnyText = ""


class RoutesFile(RuleModel):
    route: Annotated[tuple[RouteEntry, ...], list_of_tables("route"), at_least_one("[[route]]")]


# --------------------------------------------------------------------------- loading


def load_routes(path: Path, people: People) -> RoutingTable:
    """Read routes.toml and check it against the people it names."""
    checked = tomlfile.load(path, RoutesFile, RoutesError)
    return _checked_table(checked, str(path), people)


def routes_from_dict(data: Mapping[str, Any], source: str, people: People) -> RoutingTable:
    checked = tomlfile.validate(data, RoutesFile, RoutesError, source)
    return _checked_table(checked, source, people)


def _checked_table(checked: RoutesFile, source: str, people: People) -> RoutingTable:
    with naming(source, RoutesError):
        rules = tuple(_rule(entry, i, people) for i, entry in enumerate(checked.route))
    return RoutingTable(source, rules)


def _rule(entry: RouteEntry, index: int, people: People) -> Rule:
    key = f"route[{index + 1}].to"  # the file counts from 1, as a person counts the blocks
    to, ids = _target(entry.to, key, entry.category, people)
    return Rule(
        index=index, categories=entry.category, roles=entry.role, to=to, ids=ids,
        when=entry.when,
        words_any=tuple(frozenset({fold(w), rule_lemma(fold(w))}) for w in entry.words_any),
        note=entry.note,
        label=entry.to,
    )


def _target(text: str, key: str, categories: frozenset[str] | None,
            people: People) -> tuple[str, tuple[str, ...]]:
    kind, _, arg = text.partition(":")
    kind, arg = kind.strip(), arg.strip()
    if kind in _PLAIN_TARGETS and not arg:
        if kind == "vendor" and people.vendor is None:
            raise Mistake(f"{key}: \"vendor\" needs a [vendor] section in {people.source}")
        for cat in sorted(categories or ()) if kind == "helpers" else ():
            if not any(cat in p.categories and p.is_helper for p in people.persons.values()):
                raise Mistake(f"{key}: nobody in {people.source} lists category {cat!r}")
        return kind, ()
    if kind == "person" and arg:
        person = people.persons.get(arg)
        if person is None:
            raise Mistake(f"{key}: no person with id {arg!r} in {people.source}")
        if not person.is_helper:
            raise Mistake(f"{key}: {arg!r} is a manager with no categories and may not take "
                          "cases")
        return kind, (arg,)
    if kind == "position" and arg:
        found = [p.id for p in people.find(arg, names=False) if p.is_helper]
        if not found:
            raise Mistake(f"{key}: the position {arg!r} matches nobody in {people.source}")
        return kind, tuple(found)
    raise Mistake(f"{key}: unknown target {text!r}; use vendor, helpers, supervisor, triage, "
                  "person:<id> or position:<должность>")
