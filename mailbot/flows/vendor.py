"""The regional system's vendor support (clause 3 of the regulation).

`escalate` forwards a case to the vendor with what their rules ask for (school, territory,
the user's name and role, login, what happened and when, the original attachments). `handle`
takes the vendor's answers: they thread back by our references, or — when the vendor's ticket
system strips them — by the vendor's own ticket number read from the subject, or by our case
tag. The helper always sees the answer; the user gets it directly or after the helper's
approval, as people.toml says.
"""

from __future__ import annotations

import re

from mailbot.desk.casework import Tx, assignee, first_response, queue, set_state, take
from mailbot.desk.threads import find_tag
from mailbot.flows import Incoming, Outcome, last_user_point, record_message, stored_files, triage
from mailbot.outgoing.replies import local_time, to_helper, to_others, to_user
from mailbot.school.people import Person
from mailbot.storage import store
from mailbot.storage.models import Case
from mailbot.text.roles import label

# «логин: ivanova_anna», «login — a.ivanova@mail.ru»: a separator and a login-shaped token.
_LOGIN = re.compile(r"(?:логин|login)\s*[:—–-]\s*([A-Za-z0-9][A-Za-z0-9._@+-]{2,})",
                    re.IGNORECASE)


def escalate(tx: Tx, case: Case, owner: Person, *, note: str, by: str) -> None:
    vendor = tx.people.vendor if tx.people else None
    if vendor is None:
        tx.log("escalation_impossible", case, by, why="no [vendor] in people.toml")
        return
    questions = [m for m in store.case_messages(tx.session, case.id) if m.sender_role == "user"]
    text = "\n\n".join(m.new_text for m in questions)
    login = _LOGIN.search(text)
    queue(tx, case, to_others(
        tx.app, case, "vendor_request", kind="vendor_request",
        to=[(vendor.name, vendor.emails[0])],
        attachments=stored_files(tx, [m.id for m in questions]),
        vendor_name=vendor.name, territory=vendor.territory, school_code=vendor.school_code,
        role_label=label(case.role or "unknown"), login=login.group(1) if login else "",
        question=text, first_at=local_time(tx.app, case.created_at),
        helper_name=owner.name, helper_position=owner.position, note=note,
    ))
    case.escalated_at = tx.now
    case.route = "vendor"
    first_response(tx, case)  # the school has acted: the SLA clock stops for the vendor
    tx.session.add(case)
    tx.log("escalated", case, by, vendor=vendor.emails[0], note=note)
    set_state(tx, case, "waiting_vendor", actor=by, why="forwarded to the vendor's support")


def handle(tx: Tx, mail: Incoming) -> Outcome:
    case, trust, why = _vendor_case(tx, mail)
    if case is None:
        return _unmatched(tx, mail)
    vendor = tx.people.vendor if tx.people else None
    assert vendor is not None
    ticket = vendor.ticket_in(mail.parsed.subject)
    if ticket and not case.vendor_ticket and trust == "reference":
        case.vendor_ticket = ticket[:100]  # learnt only from a mail that cites our request
        tx.log("vendor_ticket", case, mail.parsed.from_addr, ticket=ticket)
    automatic = mail.facts.auto.kind != "none"
    kind = "vendor_auto" if automatic else "vendor" if trust != "tag" else "vendor_unverified"
    record_message(tx, case, mail, kind=kind)
    case.updated_at = tx.now
    tx.session.add(case)
    tx.log("vendor_answer" if kind == "vendor" else kind, case, mail.parsed.from_addr,
           why=why, relay=vendor.relay)
    if automatic:
        return Outcome("joined", case.id, False, (why, "automatic reply of the vendor"))
    if case.status == "waiting_vendor" and kind == "vendor":
        set_state(tx, case, "assigned", actor=mail.parsed.from_addr, why="the vendor answered")
    text = mail.facts.new_text
    owner = assignee(tx, case)
    relay = vendor.relay == "user" and kind == "vendor" and case.status not in ("closed",
                                                                               "stopped")
    if relay and text.strip():
        queue(tx, case, to_user(
            tx.app, case, "vendor_relay", kind="vendor_relay", thread=last_user_point(tx, case),
            automatic=False, answer=text, vendor_name=vendor.name,
        ))
    if owner is not None:
        queue(tx, case, to_helper(
            tx.app, case, owner, "vendor_answer", kind="vendor_answer",
            attachments=mail.files(tx.app.config.limits.max_attachment_bytes),
            answer=text, vendor_name=vendor.name, relayed=relay, ticket=case.vendor_ticket,
            unverified=kind == "vendor_unverified", commands=triage.helper_commands(),
        ))
    return Outcome("joined", case.id, False, (why,))


def _vendor_case(tx: Tx, mail: Incoming) -> tuple[Case | None, str, str]:
    """The case a vendor mail is about, how far that is proven, and why.

    "reference": it cites our request to the vendor (a Message-ID only they received);
    "ticket": the vendor's ticket number, learnt from such a mail; "tag": only our subject
    tag, from the vendor's own address — anyone could write that, so it is never relayed.
    """
    vendor = tx.people.vendor if tx.people else None
    assert vendor is not None
    cited = store.cases_of_outbox_ids(tx.session, tx.mailbox_id, mail.parsed.thread_ids,
                                      kind="vendor_request")
    if cited:
        case = tx.session.get(Case, cited[0])
        return case, "reference", f"cites our request to the vendor in case {cited[0]}"
    ticket = vendor.ticket_in(mail.parsed.subject)
    if ticket:
        case = store.case_by_vendor_ticket(tx.session, tx.mailbox_id, ticket)
        if case is not None:
            return case, "ticket", f"the vendor's ticket {ticket}"
    number = find_tag(mail.parsed.subject, tx.app.config.helpdesk.tag)
    if number is not None and mail.parsed.from_addr in vendor.emails:
        case = tx.session.get(Case, number)
        if case is not None and case.mailbox_id == tx.mailbox_id and case.escalated_at:
            return case, "tag", f"only our tag of case {number}, which was sent to the vendor"
    return None, "", "no reference, ticket or tag of a case sent to the vendor"


def _unmatched(tx: Tx, mail: Incoming) -> Outcome:
    """Vendor mail about no case of ours (news, outage notices): a case for the triage
    person, without an acknowledgement to the vendor's robot."""
    parsed = mail.parsed
    case = Case(mailbox_id=tx.mailbox_id, subject=parsed.subject[:2000],
                requester_addr=parsed.from_addr, requester_name=parsed.from_name[:300],
                status="new", created_at=tx.now, updated_at=tx.now, role="vendor",
                category="app_outage")
    tx.session.add(case)
    tx.session.flush()
    record_message(tx, case, mail, kind="vendor")
    tx.log("case_opened", case, parsed.from_addr, why="vendor mail about no known case")
    people = tx.people
    if people is not None and people.triage in people.persons:
        person = people.persons[people.triage]
        take(tx, case, person, actor="mailbot", why="vendor mail about no known case")
        triage.notice(tx, case, person, None, question=mail.facts.new_text, received_at=tx.now,
                      attachments=mail.files(tx.app.config.limits.max_attachment_bytes))
    return Outcome("opened", case.id, False, ("vendor mail about no known case",))


def approve(tx: Tx, case: Case, person: Person) -> None:
    """#одобрить: the vendor's latest answer goes to the user as it is."""
    answers = [m for m in store.case_messages(tx.session, case.id)
               if m.sender_role == "vendor" and m.kind == "vendor"]
    vendor = tx.people.vendor if tx.people else None
    if answers and store.has_event(tx.session, case.id, "vendor_answer_approved",
                                   answers[-1].message_id):
        triage.problem(tx, case, person,
                       ["Этот ответ службы поддержки уже отправлен пользователю."])
        return
    if not answers or vendor is None:
        tx.log("approve_nothing", case, person.id)
        triage.problem(tx, case, person,
                       ["В обращении нет ответа службы поддержки, пересылать нечего."])
        return
    queue(tx, case, to_user(
        tx.app, case, "vendor_relay", kind="vendor_relay", thread=last_user_point(tx, case),
        automatic=False, answer=answers[-1].new_text, vendor_name=vendor.name,
    ))
    tx.log("vendor_answer_approved", case, person.id, message_id=answers[-1].message_id)
