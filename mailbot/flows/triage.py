"""A new case's first minute: category, the writer's role, etiquette, the route, the owner;
and the builders of the mails that tell a helper about a case (notice, follow-up, problem).

Each decision comes from a pure module (classify, roles, rudeness, routing, knowledge);
`apply` writes them into the plan's case and keeps their reasons in `case.analysis`, so
`mailbot case N` and `mailbot explain` show why a case went where it went.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from mailbot.adapters.clock import to_local
from mailbot.desk import commands
from mailbot.desk.plan import Draft, MailSpec, MessageView
from mailbot.flows import Situation, Withheld
from mailbot.outgoing.compose import FileAttachment
from mailbot.school.people import Person
from mailbot.school.routing import Route, named_person, route
from mailbot.school.rulebook import Rulebook
from mailbot.school.schedule import Slot, slot_line, upcoming
from mailbot.storage.models import Case
from mailbot.text.classify import OTHER, classify
from mailbot.text.knowledge import ROLES as KNOWLEDGE_ROLES
from mailbot.text.knowledge import Suggestion, suggest
from mailbot.text.roles import label, role_of
from mailbot.text.rudeness import Finding, detect, passage


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
    consultation_keys: tuple[str, ...] = ()  # their schedule keys, to tell of a cancellation
    reasons: dict[str, list[str]] = field(default_factory=dict)


def decide(rules: Rulebook, *, subject: str, text: str, requester_addr: str,
           now_local: datetime, open_counts: Mapping[str, int], signature: str = "") -> Triage:
    """Pure: the rules, the question and the state of the desk in, a decision out. The
    signature cut from the text still says who writes («мама Беловой Софии»)."""
    category, category_reasons = OTHER, ["no categories file"]
    if rules.categories is not None:
        found = classify(subject, text, rules.categories)
        category, category_reasons = found.category, list(found.reasons)
    role = role_of(requester_addr, f"{text}\n\n{signature}".strip(), rules.people)
    offered = consultation_slots(rules, now_local, category, role.role)
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
        consultations=tuple(slot_line(slot, _names(rules)) for slot in offered),
        consultation_keys=tuple(slot.key for slot in offered),
        reasons={"category": category_reasons, "role": list(role.reasons),
                 "route": list(chosen.reasons) if chosen else ["no routing table"]},
    )


def decide_in(s: Situation, subject: str, text: str, requester_addr: str, *,
              signature: str = "") -> Triage:
    return decide(
        s.rules, subject=subject, text=text, requester_addr=requester_addr,
        now_local=to_local(s.now, s.config.helpdesk.timezone), open_counts=s.facts.open_counts,
        signature=signature,
    )


def apply(draft: Draft, s: Situation, decision: Triage, actor: str,
          owner: tuple[Person, str] | None = None) -> None:
    """Write the decision into the case: fields, flag, owner (the route's, unless the
    caller names another with the reason)."""
    draft.set(category=decision.category, role=decision.role,
              about=decision.about.id if decision.about else "",
              analysis=json.dumps(decision.reasons, ensure_ascii=False))
    draft.log("triaged", category=decision.category, role=decision.role,
              route=describe_route(decision.route))
    flag(draft, decision.findings, actor)
    if owner is not None:
        draft.take(owner[0].id, actor="mailbot", why=owner[1])
        return
    chosen = decision.route
    if chosen is None or s.people is None or chosen.person_id is None:
        return
    draft.take(chosen.person_id, actor="mailbot", why="; ".join(chosen.reasons[-2:]))


def describe_route(chosen: Route | None) -> str:
    if chosen is None:
        return "none"
    return "vendor" if chosen.target == "vendor" else f"person:{chosen.person_id}"


def flag(draft: Draft, findings: Sequence[Finding], actor: str) -> None:
    if not findings:
        return
    draft.set(flagged=True)
    draft.log("etiquette_flag", actor, findings=[f.to_json() for f in findings])


def passages(text: str, findings: Sequence[Finding]) -> list[str]:
    return list(dict.fromkeys(passage(text, f) for f in findings))


def rudeness(s: Situation, text: str) -> list[Finding]:
    lexicon = s.rules.etiquette
    return detect(text, lexicon) if lexicon is not None and text.strip() else []


def assignee(s: Situation, case: Case) -> Person | None:
    people = s.people
    if people is None or not case.assignee or case.assignee not in people.persons:
        return None
    return people.persons[case.assignee]


def category_title(rules: Rulebook, category: str) -> str:
    titles = rules.categories.titles if rules.categories is not None else {}
    return titles.get(category, "") or ("Прочее" if category == OTHER else category)


# Who a consultation is for, by the writer's role; an unknown role sees every audience.
_AUDIENCE = {"parent": "parents", "student": "students", "teacher": "teachers",
             "staff": "teachers"}


def consultation_slots(rules: Rulebook, now: datetime, category: str,
                       role: str | None = None) -> list[Slot]:
    """The next consultations and seminars that fit the category and the writer (clause 4)."""
    if rules.schedule is None or rules.calendar is None:
        return []
    return upcoming(rules.schedule, rules.calendar, now, category=category, limit=3,
                    audience=_AUDIENCE.get(role or ""))


def consultation_lines(rules: Rulebook, now: datetime, category: str,
                       role: str | None = None) -> list[str]:
    """consultation_slots as lines for a mail."""
    return [slot_line(slot, _names(rules))
            for slot in consultation_slots(rules, now, category, role)]


def _names(rules: Rulebook) -> dict[str, str]:
    return {p.id: p.short_name for p in rules.people.persons.values()} if rules.people else {}


def notice_context(s: Situation, case: Case, decision: Triage | None) -> dict[str, object]:
    """What the helper's notice says about the case, beyond the common fields."""
    category = decision.category if decision else case.category or OTHER
    return {
        "role_label": label(decision.role if decision else case.role or "unknown"),
        "category_label": category_title(s.rules, category),
        "is_complaint": category == "complaint",
        "about": _person_line(decision.about) if decision and decision.about else "",
        "findings": passages(decision.text, decision.findings) if decision else [],
        "articles": [a.article for a in decision.articles] if decision else [],
        "consultations": (list(decision.consultations) if decision else
                          consultation_lines(s.rules, s.now, category)),
        "commands": commands.helper_guide(),
        "linked_case": case.linked_case_id,
    }


def notice(draft: Draft, s: Situation, person: Person, decision: Triage | None, *,
           question: str, received_at: datetime, attachments: Sequence[FileAttachment] = (),
           stored_files: Sequence[int] = (), comment: str = "",
           transferred_from: str = "", history: Sequence[dict[str, str]] = (),
           withheld: Sequence[Withheld] = (), vendor_sent: dict[str, object] | None = None,
           ) -> None:
    """The notice that gives `person` the case: new, transferred or escalated to them.
    `attachment_names` lists the files passed on, stored ones included (`stored_files` are
    filtered the same way when the mail is rendered)."""
    assert draft.case is not None
    stored = [f.name for f in s.facts.files_of(stored_files) if f.passed]
    names = [f.filename for f in attachments] + stored
    draft.mail(MailSpec(
        "notice", "notice", "helper", person=person.id, attachments=tuple(attachments),
        stored_files=tuple(stored_files),
        context={**notice_context(s, draft.case, decision), "question": question,
                 "attachment_names": names, "received_local": s.local(received_at),
                 "comment": comment, "transferred_from": transferred_from,
                 "history": list(history), "undelivered": list(s.facts.undelivered),
                 "withheld": [w.to_context() for w in withheld],
                 "vendor_sent": vendor_sent or {}},
    ))


def followup(draft: Draft, person: Person, question: str, *,
             attachments: Sequence[FileAttachment] = (), reopened: bool = False,
             findings: Sequence[str] = (), unverified: str = "", stopped: bool = False,
             undelivered: Sequence[str] = (), withheld: Sequence[Withheld] = ()) -> None:
    """New words in the case (a user's follow-up, an unconfirmed staff mail, a further
    complaint, a mail to a case stopped under clause 5) to the person who looks after it."""
    draft.mail(MailSpec(
        "followup", "followup", "helper", person=person.id, attachments=tuple(attachments),
        context={"question": question, "reopened": reopened, "unverified": unverified,
                 "stopped": stopped,
                 "attachment_names": [f.filename for f in attachments],
                 "findings": list(findings), "commands": commands.helper_guide(),
                 "undelivered": list(undelivered),
                 "withheld": [w.to_context() for w in withheld]},
    ))


def problem(draft: Draft, person: Person, problems: list[str]) -> None:
    """Tell a helper why their mail did nothing (Russian lines), with the valid commands."""
    draft.log("command_problem", person.id, problems=problems)
    draft.mail(MailSpec("problem", "problem", "helper", person=person.id,
                        context={"problems": problems, "commands": commands.helper_guide()}))


def ack_context(s: Situation, case: Case, decision: Triage) -> dict[str, object]:
    owner = assignee(s, case)
    complaint_to = ""
    if decision.category == "complaint" and owner is not None:
        complaint_to = owner.position or "руководитель"
    return {
        "complaint_to": complaint_to,
        "to_vendor": decision.route is not None and decision.route.target == "vendor",
        "helper_position": owner.position if owner else "",
        # A complaint is not a how-to question: no articles or consultations with it.
        "articles": [] if complaint_to else [a.article for a in decision.articles],
        "consultations": [] if complaint_to else list(decision.consultations),
    }


_WHO = {"user": "Пользователь", "helper": "Специалист", "vendor": "Поддержка"}
# Mail kept in the case but not believed to be its writer's (desk/sender.py `unverified`,
# or a vendor mail that only carries our tag): never shown as the helper's or the vendor's.
UNVERIFIED_KINDS = ("unverified", "vendor_unverified")


def unverified_label(addr: str) -> str:
    return f"не подтверждено: письмо с адреса {addr} без подписи службы"


def who_wrote(m: MessageView) -> str:
    if m.kind in UNVERIFIED_KINDS:
        label = unverified_label(m.from_addr)
        return label[0].upper() + label[1:]
    return f"{_WHO.get(m.sender_role, 'Автоматическое письмо')}: {m.from_name or m.from_addr}"


def thread_lines(s: Situation, messages: Sequence[MessageView]) -> list[dict[str, str]]:
    """The case's history as a supervisor reads it: who, when, what (notes included)."""
    return [{"who": who_wrote(m), "when": s.local(m.received_at or s.now), "kind": m.kind,
             "text": m.new_text.strip()} for m in messages]


def _person_line(person: Person) -> str:
    return f"{person.name} ({person.position})" if person.position else person.name
