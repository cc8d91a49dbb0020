"""The regional system's vendor support (clause 3 of the regulation).

`escalate` forwards a case to the vendor with what their rules ask for (school, territory,
the user's name and role, login, what happened and when, the original attachments). `plan`
takes the vendor's answers: they thread back by our references, or — when the vendor's ticket
system strips them — by the vendor's own ticket number read from the subject, or by our case
tag (facts.py finds the case and says how far the match is proven). The helper always sees
the answer; the user gets it directly or after the helper's approval, as people.toml says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailbot.desk.commands import helper_guide
from mailbot.desk.plan import USER_THREAD, Draft, MailSpec, MessageView, Plan
from mailbot.flows import Situation, triage
from mailbot.outgoing.compose import FileAttachment
from mailbot.school.people import Person
from mailbot.text.classify import classify
from mailbot.text.roles import label

# «логин: ivanova_anna», «login — a.ivanova@mail.ru»: a separator and a login-shaped token.
_LOGIN = re.compile(r"(?:логин|login)\s*[:—–-]\s*([A-Za-z0-9][A-Za-z0-9._@+-]{2,})",
                    re.IGNORECASE)
UNMATCHED = "vendor mail about no known case"


def escalate(draft: Draft, s: Situation, owner: Person, *, note: str, by: str,
             ) -> dict[str, object] | None:
    """Send the case to the vendor. A helper's #сэдиж is confirmed to them with exactly
    what was sent and what was kept back; the summary is returned for a notice too."""
    assert draft.case is not None
    vendor = s.people.vendor if s.people else None
    if vendor is None:
        draft.log("escalation_impossible", by, why="no [vendor] in people.toml")
        return None
    sent = package(draft, s)
    login = _LOGIN.search(sent.text)
    context = {"vendor_name": vendor.name, "territory": vendor.territory,
               "school_code": vendor.school_code,
               "role_label": label(draft.case.role or "unknown"),
               "login": login.group(1) if login else "", "question": sent.text,
               "first_at": s.local(draft.case.created_at), "helper_name": owner.name,
               "helper_position": owner.position, "note": note,
               "attachment_names": list(sent.names)}
    draft.mail(MailSpec(
        "vendor_request", "vendor_request", "others", recipients=((vendor.name, vendor.emails[0]),),
        automatic=True, attachments=sent.files, stored_files=sent.stored, context=context))
    draft.set(escalated_at=s.now, route="vendor")
    draft.first_response()  # the school has acted: the SLA clock stops for the vendor
    draft.log("escalated", by, vendor=vendor.emails[0], note=note, attachments=list(sent.names),
              withheld=list(sent.withheld))
    draft.state("waiting_vendor", actor=by, why="forwarded to the vendor's support")
    summary = {**context, "vendor_address": vendor.emails[0], "withheld": list(sent.withheld)}
    if s.mail.sender.role == "helper":
        draft.mail(MailSpec("vendor_sent", "vendor_sent", "helper", person=owner.id,
                            context={"sent": summary, "commands": helper_guide()}))
    return summary


@dataclass(frozen=True)
class Package:
    """What the vendor receives of a case, and what is kept back (Russian lines, why)."""

    text: str  # the user's own questions
    files: tuple[FileAttachment, ...]  # the handled mail's attachments passed on
    stored: tuple[int, ...]  # stored messages whose attachments go too (risky ones never)
    names: tuple[str, ...]  # every attachment passed on, by name
    withheld: tuple[str, ...]


def package(draft: Draft, s: Situation) -> Package:
    """The vendor's rules ask for the user's words, the helper's description and the
    school's details. Attachments: the user's own (from the questions sent) and the ones the
    helper attached to their #сэдиж mail, never a program, a document with macros or an
    archive holding them (reading/risky.py)."""
    questions = own_questions(draft, s)
    handled = any(m.id is None for m in questions) or s.mail.sender.role == "helper"
    files = s.mail.files(s.file_limit) if handled else ()
    stored_ids = tuple(m.id for m in questions if m.id is not None)
    stored = s.facts.files_of(stored_ids)
    # In the order the request carries them: the stored files first (apply.py).
    names = tuple(f.name for f in stored if f.passed) + tuple(f.filename for f in files)
    kept_back = [*(f.withheld() for f in stored if not f.passed),
                 *(s.mail.withheld(s.file_limit) if handled else ())]
    withheld = tuple(f"вложение «{w.name}»: {w.why}" + ("; оно хранится в службе помощи"
                                                       if w.kept else "")
                     for w in kept_back) + left_out(draft, questions)
    return Package("\n\n".join(m.new_text for m in questions), files, stored_ids, names,
                   withheld)


def left_out(draft: Draft, questions: list[MessageView]) -> tuple[str, ...]:
    """The case's mail not sent to the vendor, counted by why (for the helper)."""
    assert draft.case is not None
    sent = {id(m) for m in questions}
    counts: dict[str, int] = {}
    for m in draft.messages:
        if id(m) in sent or m.id is None:
            continue
        why = _why_left_out(draft, m)
        if why:
            counts[why] = counts.get(why, 0) + 1
    return tuple(f"{why}: {n}" for why, n in counts.items())


def _why_left_out(draft: Draft, m: MessageView) -> str:
    assert draft.case is not None
    if m.kind == "unverified":
        return "письма с адресов сотрудников без подписи службы (не подтверждено)"
    if m.sender_role == "user" and m.kind == "question":
        if m.from_addr != draft.case.requester_addr:
            return "письма с других адресов в переписке"
        return "жалобы пользователя на сотрудников"
    if m.sender_role == "helper" and m.kind == "note":
        return "внутренние заметки"
    if m.sender_role == "helper":
        return "письма сотрудников школы (передаётся только ваше описание)"
    return ""


def own_questions(draft: Draft, s: Situation) -> list[MessageView]:
    """What the vendor may read of the case (an organisation outside the school): the user's
    own questions — the mail that opened the case (a colleague may have forwarded it) and
    the user's later ones; not mail from other addresses in the thread, not mail a staff
    address sent without a token, not a complaint about a helper."""
    assert draft.case is not None
    categories = s.rules.categories
    opening = draft.messages[0] if draft.messages else None
    return [m for m in draft.messages
            if m.sender_role == "user" and m.kind == "question"
            and (m is opening or m.from_addr == draft.case.requester_addr)
            and not (categories is not None
                     and classify("", m.new_text, categories).category == "complaint")]


def plan(s: Situation) -> Plan:
    match, case = s.facts.vendor, s.facts.case
    if match is None or case is None:
        return _unmatched(s)
    vendor = s.people.vendor if s.people else None
    assert vendor is not None
    mail = s.mail
    draft = Draft("vendor_mail", s.now, case, s.facts.messages)
    ticket = vendor.ticket_in(mail.parsed.subject)
    if ticket and not case.vendor_ticket and match.trust == "reference" and not (
            mail.sender.unverified):
        draft.set(vendor_ticket=ticket[:100])  # learnt only from a mail that cites our request
        draft.log("vendor_ticket", mail.parsed.from_addr, ticket=ticket)
    automatic = mail.facts.auto.kind != "none"
    # Only our tag, or an address the sender check doubts: kept, shown as unconfirmed.
    doubted = match.trust == "tag" or bool(mail.sender.unverified)
    kind = "vendor_auto" if automatic else "vendor_unverified" if doubted else "vendor"
    draft.record(mail.view(s.now), kind)
    draft.set(updated_at=s.now)
    draft.log("vendor_answer" if kind == "vendor" else kind, mail.parsed.from_addr,
              why=match.why, relay=vendor.relay, doubt=mail.sender.unverified or None)
    if automatic:
        return draft.done("joined", reasons=(match.why, "automatic reply of the vendor"))
    if case.status == "waiting_vendor" and kind == "vendor":
        draft.state("assigned", actor=mail.parsed.from_addr, why="the vendor answered")
    _pass_answer(draft, s, kind)
    return draft.done("joined", reasons=(match.why,))


def _pass_answer(draft: Draft, s: Situation, kind: str) -> None:
    assert draft.case is not None and s.people is not None and s.people.vendor is not None
    vendor = s.people.vendor
    text = s.mail.facts.new_text
    owner = triage.assignee(s, draft.case)
    relay = (vendor.relay == "user" and kind == "vendor"
             and draft.case.status not in ("closed", "stopped"))
    if relay and text.strip():
        draft.mail(MailSpec("vendor_relay", "vendor_relay", "user", thread=USER_THREAD,
                            context={"answer": text, "vendor_name": vendor.name}))
    if owner is not None:
        draft.mail(MailSpec(
            "vendor_answer", "vendor_answer", "helper", person=owner.id,
            attachments=s.mail.files(s.file_limit),
            context={"answer": text, "vendor_name": vendor.name, "relayed": relay,
                     "withheld": [w.to_context() for w in s.mail.withheld(s.file_limit)],
                     "ticket": draft.case.vendor_ticket,
                     "unverified": kind == "vendor_unverified", "commands": helper_guide()},
        ))


def _unmatched(s: Situation) -> Plan:
    """Vendor mail about no case of ours (news, outage notices): a case for the triage
    person, without an acknowledgement to the vendor's robot."""
    parsed = s.mail.parsed
    draft = Draft("vendor_news", s.now)
    draft.open(subject=parsed.subject[:2000], requester_addr=parsed.from_addr,
               requester_name=parsed.from_name[:300], role="vendor", category="app_outage")
    draft.record(s.mail.view(s.now), "vendor")
    draft.log("case_opened", parsed.from_addr, why=UNMATCHED)
    people = s.people
    if people is not None and people.triage in people.persons:
        person = people.persons[people.triage]
        draft.take(person.id, actor="mailbot", why=UNMATCHED)
        triage.notice(draft, s, person, None, question=s.mail.facts.new_text,
                      received_at=s.now, attachments=s.mail.files(s.file_limit),
                      withheld=s.mail.withheld(s.file_limit))
    return draft.done("opened", reasons=(UNMATCHED,))


def approve(draft: Draft, s: Situation, person: Person) -> None:
    """#одобрить: the vendor's latest answer goes to the user as it is."""
    answers = [m for m in draft.messages if m.sender_role == "vendor" and m.kind == "vendor"]
    vendor = s.people.vendor if s.people else None
    if answers and s.facts.has_event("vendor_answer_approved", answers[-1].message_id):
        triage.problem(draft, person, ["Этот ответ службы поддержки уже отправлен пользователю."])
        return
    if not answers or vendor is None:
        draft.log("approve_nothing", person.id)
        triage.problem(draft, person,
                       ["В обращении нет ответа службы поддержки, пересылать нечего."])
        return
    draft.mail(MailSpec("vendor_relay", "vendor_relay", "user", thread=USER_THREAD,
                        context={"answer": answers[-1].new_text, "vendor_name": vendor.name}))
    draft.log("vendor_answer_approved", person.id, message_id=answers[-1].message_id)
