"""Who answers a case: an ordered routing table (`config/routes.toml`) and its interpreter.

The table is data a school reads and corrects, like a Mailman chain: rules are walked in
order and the first one that matches and finds somebody wins. Every step is recorded as a
reason in English, so a wrong assignment can be traced to a rule.

How a rule picks a person (documented again in routes.toml):

1. Its targets are the people it names (a person, a position, the helpers of the case's
   category, the complained-about person's supervisor, the triage person).
2. Those excluded by the caller, on leave today, or the person a complaint is about are
   dropped. If nobody is left, the rule falls through to the next one.
3. Of those at work right now (a day they work by the school's working calendar, so not
   on a public holiday, within their hours, an hour shorter on a pre-holiday day: see
   `presence`) the one with the fewest open cases wins; ties go to file order of
   people.toml.
4. If none of them is at work now but the triage person is, the triage person takes it:
   somebody should look at it today.
5. If nobody is at work at all (night, weekend, holiday), the target who is back first takes it,
   fewest open cases breaking a tie: the case waits for the earliest answer.

Complaints are special (clause 5 of the regulation): they go up the chain of supervisors
from the person they are about, never to that person, and never sideways or down. If no
rule finds anybody, the triage person takes the case (or, if they are excluded, on leave
or the one complained about, the first one up their chain of supervisors who can).

`when = "in_hours"` of a rule means the school's days and hours ([settings] of
people.toml) on the same calendar. Reading the table is `routes_file`'s job; naming the
person a complaint is about (`named_person`) is at the end of this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from mailbot.school.names import (
    WORD_RE,
    name_part,
    person_keys,
    tag_gender,
)
from mailbot.school.people import People, Person
from mailbot.text import memo
from mailbot.text.morph import analyzer
from mailbot.text.words import analyse, fold

ROLES = ("parent", "student", "teacher", "staff", "unknown")
WHEN = ("always", "in_hours", "out_of_hours")
_PROPER = frozenset({"Surn", "Name", "Patr", "Geox", "Orgn", "Trad"})
_GREETINGS = frozenset({"уважаемый", "дорогой", "здравствовать", "здравствуйте"})


@dataclass(frozen=True)
class Rule:
    """One [[route]] as compiled against people.toml."""

    index: int  # 0-based position in the table
    categories: frozenset[str] | None  # None: every category ("*")
    roles: frozenset[str] | None  # None: every role
    to: str  # vendor | person | position | helpers | supervisor | triage
    ids: tuple[str, ...]  # the people "person:" and "position:" name, in file order
    when: str
    words_any: tuple[frozenset[str], ...]  # each word: its lemma and its written form
    note: str
    label: str  # the target as written, for reasons

    @property
    def name(self) -> str:
        """How routes.toml and its error messages call the rule: route[1] is the first."""
        return f"route[{self.index + 1}]"

    def covers(self, category: str) -> bool:
        return self.categories is None or category in self.categories


@dataclass(frozen=True)
class RoutingTable:
    source: str
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Route:
    """Where a case goes and why.

    `rule` is the 0-based index into RoutingTable.rules of the rule that decided (None for
    the fallback); the reasons name it as routes.toml does, counting from 1 (route[1]).
    """

    target: Literal["person", "vendor"]
    person_id: str | None  # for "vendor": the school-side owner of the escalation
    rule: int | None
    reasons: tuple[str, ...]


def explain_route(route: Route) -> dict[str, Any]:
    return {
        "target": route.target,
        "person_id": route.person_id,
        "rule": route.rule,
        "reasons": list(route.reasons),
    }


# --------------------------------------------------------------------------- routing


@dataclass
class _Walk:
    """What one routing decision needs to know, and the reasons it collects."""

    people: People
    now: datetime
    open_counts: Mapping[str, int]
    barred: frozenset[str]  # excluded by the caller, and the person a complaint is about
    reasons: list[str]
    about: str | None = None

    def say(self, text: str) -> None:
        self.reasons.append(text)


def route(table: RoutingTable, people: People, *, category: str, role: str, text: str,
          now_local: datetime, open_counts: Mapping[str, int], about: str | None = None,
          exclude: frozenset[str] = frozenset()) -> Route:
    """Walk the table for one case and name who answers it (see the module docstring)."""
    walk = _Walk(people, now_local, open_counts, frozenset(exclude), [])
    if about is not None and about not in people.persons:
        walk.say(f"about: no person with id \"{about}\"; the complaint names nobody known")
        about = None
    if about is not None:
        walk.about = about
        walk.barred = walk.barred | {about}
        walk.say(f"the case is about {about}; it never goes to them")
    if exclude:
        walk.say("excluded by the caller: " + ", ".join(sorted(exclude)))
    lemmas: frozenset[str] | None = None
    for rule in table.rules:
        if not rule.covers(category):
            continue
        if rule.words_any and lemmas is None:
            lemmas = _text_lemmas(text)
        why_not = _condition_fails(rule, role, lemmas, walk)
        if why_not:
            walk.say(f"{rule.name} ({rule.label}) skipped: {why_not}")
            continue
        walk.say(f"{rule.name} ({rule.label}) matches category {category}, role {role}"
                 + (f": {rule.note}" if rule.note else ""))
        if rule.to == "vendor":
            owner = _choose(_helpers(people, category), walk) or _fallback(walk)
            walk.say(f"the vendor's support answers; {owner} looks after the escalation")
            return Route("vendor", owner, rule.index, tuple(walk.reasons))
        if rule.to == "supervisor":
            chosen = _supervisor(about, walk)
        else:
            chosen = _choose(_targets(rule, category, people), walk)
        if chosen is not None:
            return Route("person", chosen, rule.index, tuple(walk.reasons))
        walk.say(f"{rule.name} falls through")
    walk.say("no rule found anybody")
    return Route("person", _fallback(walk), None, tuple(walk.reasons))


def _condition_fails(rule: Rule, role: str, lemmas: frozenset[str] | None,
                     walk: _Walk) -> str | None:
    if rule.roles is not None and role not in rule.roles:
        return f"role {role} is not {', '.join(sorted(rule.roles))}"
    if rule.when != "always":
        inside = walk.people.in_school_hours(walk.now)
        if inside != (rule.when == "in_hours"):
            return f"{rule.when} does not hold at {walk.now:%a %H:%M}"
    if rule.words_any and not any(word & (lemmas or frozenset()) for word in rule.words_any):
        return "none of its words_any is in the text"
    return None


def _text_lemmas(text: str) -> frozenset[str]:
    found: set[str] = set()
    for word, _dot in WORD_RE.findall(text or ""):
        folded = fold(word)
        found.add(folded)
        found.update(analyse(folded)[1])
    return frozenset(found)


def _helpers(people: People, category: str) -> list[Person]:
    return [p for p in people.persons.values() if p.is_helper and category in p.categories]


def _targets(rule: Rule, category: str, people: People) -> list[Person]:
    if rule.to == "helpers":
        return _helpers(people, category)
    if rule.to == "triage":
        return [people.persons[people.triage]]
    return [people.persons[i] for i in rule.ids if i in people.persons]


def _choose(candidates: list[Person], walk: _Walk) -> str | None:
    """The candidate to take the case now; None when all are excluded or on leave."""
    today = walk.now.date()
    present, gone = [], []
    for p in candidates:
        if p.id in walk.barred:
            gone.append(f"{p.id} excluded")
        elif p.is_absent(today):
            gone.append(f"{p.id} on leave today")
        else:
            present.append(p)
    if gone:
        walk.say("left out: " + ", ".join(gone))
    if not present:
        walk.say("nobody left to take it")
        return None
    count = walk.open_counts.get
    at_work = [p for p in present if walk.people.is_available(p, walk.now)]
    loads = ", ".join(f"{p.id} {count(p.id, 0)}" for p in present)
    if at_work:
        best = min(at_work, key=lambda p: count(p.id, 0))
        walk.say(f"chose {best.id}: at work now with the fewest open cases ({loads})")
        return best.id
    triage = walk.people.persons[walk.people.triage]
    if triage.id not in walk.barred and walk.people.is_available(triage, walk.now):
        walk.say(f"none of {', '.join(p.id for p in present)} is at work now; "
                 f"the triage person {triage.id} is")
        return triage.id
    best = min(present, key=lambda p: (walk.people.until_back(p, walk.now), count(p.id, 0)))
    walk.say(f"nobody is at work now; {best.id} is back first ({loads} open)")
    return best.id


def _chain(people: People, start: str | None) -> list[Person]:
    """The person and everyone above them, nearest first."""
    chain: list[Person] = []
    while start is not None and start in people.persons and len(chain) <= len(people.persons):
        chain.append(people.persons[start])
        start = chain[-1].supervisor
    return chain


def _supervisor(about: str | None, walk: _Walk) -> str | None:
    """A complaint goes up from the person it is about; never to them, sideways or down."""
    people = walk.people
    if about is None:
        walk.say(f"the complaint names nobody; the triage person {people.triage} reads it first")
        chain = _chain(people, people.triage)
    else:
        boss = people.persons[about].supervisor
        if boss is None:
            walk.say(f"{about} has no supervisor in {people.source}")
            return None
        walk.say(f"the direct supervisor of {about} is {boss}")
        chain = _chain(people, boss)
    allowed = [p for p in chain if p.id not in walk.barred]
    if not allowed:
        walk.say("everyone up the chain is excluded")
        return None
    today = walk.now.date()
    for p in allowed:
        if not p.is_absent(today):
            if p is not chain[0]:
                walk.say(f"{chain[0].id} cannot take it now; next up the chain is {p.id}")
            walk.say(f"chose {p.id}")
            return p.id
        walk.say(f"{p.id} is on leave today")
    walk.say(f"everyone up the chain is on leave; it waits for {allowed[0].id}")
    return allowed[0].id


def _fallback(walk: _Walk) -> str:
    """The triage person, or the first one up their chain who is not barred or on leave."""
    people = walk.people
    chain = [p for p in _chain(people, people.triage) if p.id not in walk.barred]
    if not chain:
        chain = [p for p in people.persons.values() if p.is_helper and p.id not in walk.barred]
    if not chain:
        # Everyone is excluded: the caller's wish gives way, the complaint rule does not.
        chain = [p for p in [*_chain(people, people.triage), *people.persons.values()]
                 if p.id != walk.about] or [people.persons[people.triage]]
        walk.say(f"everyone is excluded; {chain[0].id} takes it anyway")
        return chain[0].id
    today = walk.now.date()
    chosen = next((p for p in chain if not p.is_absent(today)), chain[0])
    walk.say(f"fallback: {chosen.id}"
             + (" (the triage person)" if chosen.id == people.triage else
                f" (the triage person {people.triage} cannot take it)"))
    return chosen.id


# --------------------------------------------------------------------------- complaints


@dataclass(frozen=True)
class _Token:
    word: str  # as written
    folded: str
    dotted: bool


def named_person(text: str, people: People) -> Person | None:
    """The staff member a complaint is about, when exactly one person fits.

    A surname in any case form («на Петрову», «Ивановой М.П.»), a first name with
    patronymic («Мария Петровна»), or a position («завуч», «администратор журнала»).
    A lower-case word counts as a name only when the dictionary knows it only as a name
    («из-за морозов» is weather, not Морозова). Mentions that address somebody («Уважаемый
    Андрей Викторович», «пишу директору») are not who the complaint is about; and when
    several people are named, one who supervises another named person is the one the
    complaint is addressed to («прошу директора разобраться с учителем Кузнецовым»).
    """
    made = memo.table(people, "name_tokens")  # tokens are immutable: one per written word
    tokens = []
    for found in WORD_RE.findall(text or ""):
        token = made.get(found)
        if token is None:
            token = made[found] = _Token(found[0], fold(found[0]), bool(found[1]))
        tokens.append(token)
    mentions: list[tuple[frozenset[str], bool]] = []  # (who, may be the subject)
    starts = memo.table(people, "mention_starts")
    i = 0
    while i < len(tokens):
        word = tokens[i].folded
        may = starts.get(word)
        if may is None:
            may = starts[word] = _may_start(people, word)
        hit = (_name_at(tokens, i, people) or _position_at(tokens, i, people)) if may else None
        if hit is None:
            i += 1
            continue
        ids, end = hit
        if not _addressed(tokens, i, ids, people):
            mentions.append((ids, _may_be_subject(tokens[i])))
        i = end
    return _the_one(mentions, people)


def _may_start(people: People, word: str) -> bool:
    """Whether a mention can begin at this word: somebody's surname or first name, or the
    first word of a position (`_name_at` and `_position_at` find nothing elsewhere). The
    same for every mail, so it is worked out once per word; most words are neither."""
    if any(part in ("surname", "first") for part in _parts_of(people, word).values()):
        return True
    heads, _inside = _position_lemmas(people)
    return bool((analyse(word)[1] | {word}) & heads)


def _the_one(mentions: list[tuple[frozenset[str], bool]], people: People) -> Person | None:
    """One person among the mentions, or None. A named supervisor of another named person
    who is not the subject of a sentence («прошу директора») is who the mail turns to."""
    definite: dict[str, bool] = {}
    for ids, subject in mentions:
        if len(ids) == 1:
            (pid,) = ids
            definite[pid] = definite.get(pid, False) or subject
    if definite:
        above = {p.id for d in definite for p in _chain(people, d)[1:]}
        left = [d for d, subject in definite.items() if subject or d not in above]
        return people.persons[left[0]] if len(left) == 1 else None
    if not mentions:
        return None
    common = frozenset.intersection(*(ids for ids, _ in mentions))
    return people.persons[next(iter(common))] if len(common) == 1 else None


def _may_be_subject(token: _Token) -> bool:
    """Nominative singular: «директор разрешил», not «прошу директора» (whose plural
    «директора» is nominative too)."""
    return any({"NOUN", "nomn"} <= p.tag.grammemes and "plur" not in p.tag
               for p in analyzer().parse(token.folded))


def _looks_like_name(token: _Token) -> bool:
    if token.word[:1].isupper():
        return True
    parses = analyzer().parse(token.folded)
    return all(_PROPER & parse.tag.grammemes or {"ADJF", "Poss"} <= parse.tag.grammemes
               for parse in parses)


def _name_at(tokens: list[_Token], i: int, people: People) -> tuple[frozenset[str], int] | None:
    """People named at token i: a surname (with initials or names around it), or a first
    name followed by a patronymic. Returns the ids and the index after the mention."""
    token = tokens[i]
    if len(token.folded) < 2 or not _looks_like_name(token):
        return None
    persons = list(people.persons.values())
    by_surname = [p for p in persons if _parts_of(people, token.folded)[p.id] == "surname"]
    if by_surname:
        end = i + 1
        initials = ""
        while end < len(tokens) and len(tokens[end].folded) == 1 and tokens[end].dotted:
            initials += tokens[end].folded
            end += 1
        j = i - 1
        before = ""
        while j >= 0 and len(tokens[j].folded) == 1 and tokens[j].dotted and len(before) < 2:
            before = tokens[j].folded + before
            j -= 1
        initials = initials or before
        fits = [p for p in by_surname if _initials(p).startswith(initials)]
        while end < len(tokens) and fits and _looks_like_name(tokens[end]):
            parts = _parts_of(people, tokens[end].folded)
            named = [p for p in fits if parts[p.id] in ("first", "patronymic")]
            if not named:
                break
            fits, end = named, end + 1
        return (frozenset(p.id for p in fits), end) if fits else None
    if i + 1 < len(tokens) and _looks_like_name(tokens[i + 1]):
        first, then = _parts_of(people, token.folded), _parts_of(people, tokens[i + 1].folded)
        fits = [p for p in persons if first[p.id] == "first" and then[p.id] == "patronymic"]
        if fits:
            return frozenset(p.id for p in fits), i + 2
    return None


def _parts_of(people: People, word: str) -> dict[str, str | None]:
    """`name_part` of a word for every person (id -> part), worked out once per word."""
    seen = memo.table(people, "name_parts")
    parts = seen.get(word)
    if parts is None:
        parts = seen[word] = {p.id: name_part(p, word) for p in people.persons.values()}
    return parts


def _position_lemmas(people: People) -> tuple[frozenset[str], frozenset[str]]:
    """The lemmas that begin somebody's position, and those anywhere in one: a word
    outside them cannot start or go on a position (`position_hits` of every person)."""
    seen = memo.table(people, "positions")
    if not seen:
        keys = [person_keys(p) for p in people.persons.values()]
        seen["heads"] = frozenset().union(*(words[0] for k in keys for words in k.positions))
        seen["inside"] = frozenset().union(*(w for k in keys for words in k.positions
                                             for w in words))
    return seen["heads"], seen["inside"]


def _initials(person: Person) -> str:
    return "".join(fold(part[0]) for part in person.name.split()[1:3])


def _position_at(tokens: list[_Token], i: int,
                 people: People) -> tuple[frozenset[str], int] | None:
    """A position written out from its first word: «администратор (электронного) журнала»."""
    lemmas = analyse(tokens[i].folded)[1] | {tokens[i].folded}
    heads, inside = _position_lemmas(people)
    if not lemmas & heads:
        return None
    end = i + 1
    words = [tokens[i].word]
    while end < len(tokens) and end - i < 7:
        nxt = analyse(tokens[end].folded)[1] | {tokens[end].folded}
        if not nxt & inside:
            break
        words.append(tokens[end].word)
        end += 1
    found = people.find(" ".join(words), names=False)
    return (frozenset(p.id for p in found), end) if found else None


def _addressed(tokens: list[_Token], i: int, ids: frozenset[str], people: People) -> bool:
    """A greeting before the mention, or a word that can only be dative («директору»)."""
    before = [analyse(t.folded)[0] for t in tokens[max(0, i - 2):i]]
    if before and (before[-1] in _GREETINGS
                   or before[-2:] in (["добрый", "день"], ["добрый", "вечер"],
                                      ["добрый", "утро"])):
        return True
    genders = {g for p in ids if (g := person_keys(people.persons[p]).gender)}
    parses = [p for p in analyzer().parse(tokens[i].folded) if "NOUN" in p.tag]
    proper = [p for p in parses if _PROPER & p.tag.grammemes]
    if proper:
        parses = [p for p in proper
                  if not genders or tag_gender(p.tag) in genders | {"ms-f", None}]
    return bool(parses) and all("datv" in p.tag for p in parses)
