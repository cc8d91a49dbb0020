"""A new case's first minute: category, the writer's role, etiquette, the route, the owner.

Each decision comes from a pure module (classify, roles, etiquette, routing, knowledge);
this step applies them to the case and keeps their reasons in `case.analysis`, so
`mailbot case N` and `mailbot explain` show why a case went where it went.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mailbot.adapters.clock import to_local
from mailbot.desk import commands
from mailbot.desk.casework import Tx, assignee, queue, take
from mailbot.outgoing.compose import FileAttachment
from mailbot.outgoing.replies import local_time, to_helper
from mailbot.school.people import Person
from mailbot.school.routing import Route, named_person, route
from mailbot.school.rulebook import Rulebook
from mailbot.school.schedule import slot_line, upcoming
from mailbot.storage import store
from mailbot.storage.models import Case
from mailbot.text.classify import OTHER, classify
from mailbot.text.knowledge import ROLES as KNOWLEDGE_ROLES
from mailbot.text.knowledge import Suggestion, suggest
from mailbot.text.roles import label, role_of
from mailbot.text.rudeness import Finding, detect, passage

# The commands a helper may write (commands.USER_COMMANDS are the users').
HELPER_COMMANDS = frozenset({"close", "transfer", "note", "wait", "help", "vendor", "stop",
                             "approve"})


@dataclass(frozen=True)
class Triage:
    category: str
    role: str
    text: str  # the question as read (the sender's own new text)
    findings: tuple[Finding, ...] = ()
    route: Route | None = None
    about: Person | None = None  # a complaint: the person it is about
    articles: tuple[Suggestion, ...] = ()
    consultations: tuple[str, ...] = ()  # the next slots on the topic, as mail lines
    reasons: dict[str, list[str]] = field(default_factory=dict)


def decide(rules: Rulebook, *, subject: str, text: str, requester_addr: str,
           now_local: datetime, open_counts: Mapping[str, int]) -> Triage:
    """Pure: the rules, the question and the state of the desk in, a decision out."""
    category, category_reasons = OTHER, ["no categories file"]
    if rules.categories is not None:
        found = classify(subject, text, rules.categories)
        category, category_reasons = found.category, list(found.reasons)
    role = role_of(requester_addr, text, rules.people)
    findings = tuple(detect(text, rules.etiquette)) if rules.etiquette is not None else ()
    about = None
    if category == "complaint" and rules.people is not None:
        about = named_person(text, rules.people)
    chosen = None
    if rules.routes is not None and rules.people is not None:
        asker = rules.people.by_address(requester_addr)  # staff asking for themselves
        chosen = route(
            rules.routes, rules.people, category=category, role=role.role, text=text,
            now_local=now_local, open_counts=open_counts, about=about.id if about else None,
            exclude=frozenset({asker.id}) if asker else frozenset(),
        )
    articles: tuple[Suggestion, ...] = ()
    if rules.knowledge is not None:
        known_role = role.role if role.role in KNOWLEDGE_ROLES else None
        articles = tuple(suggest(rules.knowledge, category=category,
                                 text=f"{subject}\n{text}", role=known_role))
    return Triage(
        category=category, role=role.role, text=text, findings=findings, route=chosen,
        about=about, articles=articles,
        consultations=tuple(consultation_lines(rules, now_local, category, role.role)),
        reasons={"category": category_reasons, "role": list(role.reasons),
                 "route": list(chosen.reasons) if chosen else ["no routing table"]},
    )


def decide_in(tx: Tx, case: Case, subject: str, text: str) -> Triage:
    return decide(
        tx.app.rules, subject=subject, text=text, requester_addr=case.requester_addr,
        now_local=to_local(tx.now, tx.app.config.helpdesk.timezone),
        open_counts=store.open_counts(tx.session, tx.mailbox_id),
    )


def apply(tx: Tx, case: Case, decision: Triage, actor: str,
          owner: tuple[Person, str] | None = None) -> None:
    """Write the decision into the case: fields, flag, owner (the route's, unless the
    caller names another with the reason)."""
    case.category, case.role = decision.category, decision.role
    case.about = decision.about.id if decision.about else ""
    case.analysis = json.dumps(decision.reasons, ensure_ascii=False)
    tx.session.add(case)
    tx.log("triaged", case, category=decision.category, role=decision.role,
           route=describe_route(decision.route))
    flag(tx, case, decision.findings, actor)
    if owner is not None:
        take(tx, case, owner[0], actor="mailbot", why=owner[1])
        return
    people = tx.people
    chosen = decision.route
    if chosen is None or people is None or chosen.person_id is None:
        return
    take(tx, case, people.persons[chosen.person_id], actor="mailbot",
         why="; ".join(chosen.reasons[-2:]))


def describe_route(chosen: Route | None) -> str:
    if chosen is None:
        return "none"
    return "vendor" if chosen.target == "vendor" else f"person:{chosen.person_id}"


def flag(tx: Tx, case: Case, findings: tuple[Finding, ...] | list[Finding], actor: str) -> None:
    if not findings:
        return
    case.flagged = True
    tx.session.add(case)
    tx.log("etiquette_flag", case, actor, findings=[f.to_json() for f in findings])


def passages(text: str, findings: tuple[Finding, ...] | list[Finding]) -> list[str]:
    return list(dict.fromkeys(passage(text, f) for f in findings))


def check_etiquette(tx: Tx, case: Case, text: str, actor: str) -> list[Finding]:
    lexicon = tx.app.rules.etiquette
    findings = detect(text, lexicon) if lexicon is not None and text.strip() else []
    flag(tx, case, findings, actor)
    return findings


def helper_commands() -> list[tuple[str, str]]:
    return commands.guide_lines(HELPER_COMMANDS)


def category_title(tx: Tx, category: str) -> str:
    rules = tx.app.rules.categories
    title = rules.titles.get(category, "") if rules is not None else ""
    return title or ("Прочее" if category == OTHER else category)


# Who a consultation is for, by the writer's role; an unknown role sees every audience.
_AUDIENCE = {"parent": "parents", "student": "students", "teacher": "teachers",
             "staff": "teachers"}


def consultation_lines(rules: Rulebook, now: datetime, category: str,
                       role: str | None = None) -> list[str]:
    """The next consultations and seminars that fit the category and the writer (clause 4)."""
    if rules.schedule is None or rules.calendar is None:
        return []
    names = {p.id: p.short_name for p in rules.people.persons.values()} if rules.people else {}
    slots = upcoming(rules.schedule, rules.calendar, now, category=category, limit=3,
                     audience=_AUDIENCE.get(role or ""))
    return [slot_line(slot, names) for slot in slots]


def notice_context(tx: Tx, case: Case, decision: Triage | None) -> dict[str, object]:
    """What the helper's notice says about the case, beyond the common fields."""
    category = decision.category if decision else case.category or OTHER
    return {
        "role_label": label(decision.role if decision else case.role or "unknown"),
        "category_label": category_title(tx, category),
        "is_complaint": category == "complaint",
        "about": _person_line(decision.about) if decision and decision.about else "",
        "findings": passages(decision.text, decision.findings) if decision else [],
        "articles": [s.article for s in decision.articles] if decision else [],
        "consultations": (list(decision.consultations) if decision else
                          consultation_lines(tx.app.rules, tx.now, category)),
        "commands": helper_commands(),
        "linked_case": case.linked_case_id,
    }


def notice(tx: Tx, case: Case, person: Person, decision: Triage | None, *, question: str,
           received_at: datetime, attachments: Sequence[FileAttachment] = (),
           comment: str = "", transferred_from: str = "") -> None:
    """Queue the notice that gives `person` the case: new, transferred or escalated to them."""
    queue(tx, case, to_helper(
        tx.app, case, person, "notice", kind="notice", attachments=attachments,
        **notice_context(tx, case, decision), question=question,
        attachment_names=[f.filename for f in attachments],
        received_local=local_time(tx.app, received_at),
        comment=comment, transferred_from=transferred_from,
    ))


def followup(tx: Tx, case: Case, person: Person, question: str, *,
             attachments: Sequence[FileAttachment] = (), reopened: bool = False,
             findings: Sequence[str] = (), unverified: str = "") -> None:
    """Queue new words in the case (a user's follow-up, an unconfirmed staff mail, a further
    complaint) to the person who looks after it."""
    queue(tx, case, to_helper(
        tx.app, case, person, "followup", kind="followup", attachments=attachments,
        question=question, reopened=reopened, unverified=unverified,
        attachment_names=[f.filename for f in attachments], findings=list(findings),
        commands=helper_commands(),
    ))


def problem(tx: Tx, case: Case, person: Person, problems: list[str]) -> None:
    """Tell a helper why their mail did nothing (Russian lines), with the valid commands."""
    tx.log("command_problem", case, person.id, problems=problems)
    queue(tx, case, to_helper(tx.app, case, person, "problem", kind="problem",
                              problems=problems, commands=helper_commands()))


def ack_context(tx: Tx, case: Case, decision: Triage) -> dict[str, object]:
    owner = assignee(tx, case)
    complaint_to = ""
    if decision.category == "complaint" and owner is not None:
        complaint_to = owner.position or "руководитель"
    return {
        "complaint_to": complaint_to,
        "to_vendor": decision.route is not None and decision.route.target == "vendor",
        "helper_position": owner.position if owner else "",
        # A complaint is not a how-to question: no articles or consultations with it.
        "articles": [] if complaint_to else [s.article for s in decision.articles],
        "consultations": [] if complaint_to else list(decision.consultations),
    }


def _person_line(person: Person) -> str:
    return f"{person.name} ({person.position})" if person.position else person.name
