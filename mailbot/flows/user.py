"""A user's mail: a new question opens a case, routed and acknowledged; a follow-up joins
its case and goes to the helper; a reply to a closed case reopens it (or, after
`reopen_days`, opens a new case linked to the old one).

Also here, because they arrive as ordinary mail: a staff member forwarding a user's mail
(the case is the user's), a staff member writing into a case without a token (not relayed:
we cannot tell it from a forgery), and automatic mail (recorded, never answered or relayed).
"""

from __future__ import annotations

from datetime import timedelta

from mailbot.desk.casework import Tx, assignee, may_auto_reply, queue, set_state
from mailbot.desk.threads import strip_prefixes
from mailbot.flows import (
    Incoming,
    Outcome,
    clause5,
    record_message,
    seminars,
    triage,
    vendor,
)
from mailbot.outgoing.replies import ThreadPoint, local_time, to_helper, to_user
from mailbot.reading.forwards import Forwarded, find_forwarded
from mailbot.school.people import Person
from mailbot.storage import store
from mailbot.storage.models import Case
from mailbot.text.requests import read_request


def handle(tx: Tx, mail: Incoming) -> Outcome:
    case = _thread_case(tx, mail)
    if case is not None and case.category == seminars.SERVICE:
        case = None  # a reply to a seminar confirmation is a request of its own
    if mail.sender.role == "user":
        request = read_request(mail.parsed.subject, mail.facts.new_text,
                               commands_only=case is not None)
        if request is not None:
            return seminars.handle(tx, mail, request)
    if case is not None and case.status == "closed" and not _may_reopen(tx, case):
        return _open(tx, mail, linked=case)
    if case is None:
        return _open(tx, mail)
    return _follow_up(tx, case, mail)


def _thread_case(tx: Tx, mail: Incoming) -> Case | None:
    number = mail.facts.thread.case
    case = tx.session.get(Case, number) if number is not None else None
    return case if case is not None and case.mailbox_id == tx.mailbox_id else None


def _may_reopen(tx: Tx, case: Case) -> bool:
    days = tx.app.config.conversation.reopen_days
    return case.closed_at is not None and tx.now - case.closed_at <= timedelta(days=days)


# ----------------------------------------------------------------------------- new case


def _open(tx: Tx, mail: Incoming, linked: Case | None = None) -> Outcome:
    parsed = mail.parsed
    forwarded = _forwarded_by_staff(mail)
    name, addr, subject = parsed.from_name, mail.facts.reply_to, parsed.subject
    text = mail.facts.new_text
    if forwarded is not None:
        name, addr, text = forwarded.name, forwarded.addr, forwarded.text
        subject = forwarded.subject or strip_prefixes(subject)
    if linked is not None:
        subject = linked.subject  # not «Re: [ЭЖ #1] … — обращение закрыто»
    case = Case(
        mailbox_id=tx.mailbox_id, subject=subject[:2000], requester_addr=addr,
        requester_name=name[:300], status="new", created_at=tx.now, updated_at=tx.now,
        linked_case_id=linked.id if linked else None,
    )
    tx.session.add(case)
    tx.session.flush()
    record_message(tx, case, mail, kind="question", text=text)
    tx.log("case_opened", case, parsed.from_addr, message_id=parsed.message_id,
           auto=mail.facts.auto.kind, reasons=list(mail.facts.thread.reasons),
           linked_case=linked.id if linked else None,
           forwarded_by=mail.sender.person_id if forwarded else None)
    reasons = mail.facts.thread.reasons + mail.facts.auto.reasons
    if mail.sender.role == "system":
        tx.log("ack_skipped", case, reasons=["loop protection", *mail.facts.auto.reasons])
        set_state(tx, case, "closed", actor="mailbot", why="automatic mail: nothing to answer")
        return Outcome("opened", case.id, False, reasons)

    decision = triage.decide_in(tx, case, subject, text)
    comment = forwarded.comment if forwarded else ""
    stopped, boss = _recently_stopped(tx, case)
    owner = None
    if stopped is not None and boss is not None:
        case.linked_case_id = stopped.id
        owner = (boss, f"the user's case {stopped.id} was stopped (clause 5)")
        comment = (f"Помощь этому пользователю по обращению № {stopped.id} была прекращена "
                   "по пункту 5 регламента; новое письмо передано вам как руководителю.")
    triage.apply(tx, case, decision, parsed.from_addr, owner)
    helper = assignee(tx, case)
    if helper is not None and decision.route is not None and decision.route.target == "vendor":
        vendor.escalate(tx, case, helper, note="", by="mailbot")
    if helper is not None:
        triage.notice(tx, case, helper, decision, question=text, received_at=tx.now,
                      attachments=mail.files(tx.app.config.limits.max_attachment_bytes),
                      comment=comment)
    acked = _acknowledge(tx, case, mail, decision, forwarded is not None)
    return Outcome("opened", case.id, acked, reasons)


def _recently_stopped(tx: Tx, case: Case) -> tuple[Case | None, Person | None]:
    """After #прекратить the user may write again; within reopen_days such a mail goes to
    the stopping helper's supervisor (the stopped mail promised that), not to the helper."""
    people = tx.people
    since = tx.now - timedelta(days=tx.app.config.conversation.reopen_days)
    old = store.stopped_case_of(tx.session, tx.mailbox_id, case.requester_addr, since)
    if people is None or old is None:
        return None, None
    return old, people.supervisor_of(old.assignee)


def _forwarded_by_staff(mail: Incoming) -> Forwarded | None:
    """A staff member forwarding a user's mail to the help address opens the USER's case."""
    if not mail.sender.person_id:
        return None
    parsed = mail.parsed
    found = find_forwarded(parsed.text, parsed.html,
                           [(a.content_type, a.data) for a in parsed.attachments],
                           subject=parsed.subject)
    if found is None or not found.addr or found.addr == parsed.from_addr:
        return None
    return found


def _acknowledge(tx: Tx, case: Case, mail: Incoming, decision: triage.Triage,
                 forwarded: bool) -> bool:
    verdict = may_auto_reply(tx, mail.facts, case.requester_addr)
    if verdict.send:
        # A forwarded mail's user never saw the forward: their ack starts a thread of its own.
        thread = ThreadPoint() if forwarded else mail.thread_point
        queue(tx, case, to_user(
            tx.app, case, "ack", kind="ack", thread=thread, automatic=True,
            received_local=local_time(tx.app, tx.now),
            **triage.ack_context(tx, case, decision),
        ))
    tx.log("ack_queued" if verdict.send else "ack_skipped", case,
           reasons=list(verdict.reasons))
    return verdict.send


# ----------------------------------------------------------------------------- follow-up


def _follow_up(tx: Tx, case: Case, mail: Incoming) -> Outcome:
    parsed = mail.parsed
    staff = mail.sender.person_id
    if staff and parsed.from_addr != case.requester_addr:
        return _unverified_staff(tx, case, mail)
    automatic = mail.sender.role == "system"
    record_message(tx, case, mail, kind="auto" if automatic else "question")
    case.updated_at = tx.now
    tx.session.add(case)
    tx.log("message_added", case, parsed.from_addr, message_id=parsed.message_id,
           auto=mail.facts.auto.kind, reasons=list(mail.facts.thread.reasons))
    reasons = mail.facts.thread.reasons + mail.facts.auto.reasons
    if automatic:
        return Outcome("joined", case.id, False, reasons)
    if case.status == "stopped":
        tx.log("reply_to_stopped_case", case, parsed.from_addr)
        return Outcome("joined", case.id, False, reasons)
    reopened = case.status == "closed"
    if reopened:
        set_state(tx, case, "assigned" if case.assignee else "new", actor=parsed.from_addr,
                  why="the user replied to the closed case")
    elif case.status == "waiting_user":
        set_state(tx, case, "assigned", actor=parsed.from_addr, why="the user answered")
    text = mail.facts.new_text
    findings = triage.check_etiquette(tx, case, text, parsed.from_addr)
    about = clause5.complaint_in_follow_up(tx, case, text, parsed.from_addr)
    helper = assignee(tx, case)
    if helper is not None and about is not None and about.id == helper.id:
        return Outcome("joined", case.id, False, reasons)  # never to the one complained about
    _pass_on(tx, case, mail, reopened=reopened, findings=triage.passages(text, findings))
    return Outcome("joined", case.id, False, reasons)


def _pass_on(tx: Tx, case: Case, mail: Incoming, *, reopened: bool = False,
             findings: list[str] | None = None, unverified: str = "") -> None:
    """The new text (and attachments) of a mail in the case, to the case's helper."""
    helper = assignee(tx, case)
    text = mail.facts.new_text
    if helper is None or not (text.strip() or mail.parsed.attachments):
        return
    triage.followup(tx, case, helper, text, reopened=reopened, unverified=unverified,
                    attachments=mail.files(tx.app.config.limits.max_attachment_bytes),
                    findings=findings or [])


def _unverified_staff(tx: Tx, case: Case, mail: Incoming) -> Outcome:
    """A staff address without a token: maybe a colleague writing anew, maybe a forgery.
    Nothing is relayed to the user and no command runs; the case's helper sees the text
    marked as unconfirmed, and the real owner of the address is told."""
    record_message(tx, case, mail, kind="unverified")
    if mail.sender.person_id != case.assignee:
        _pass_on(tx, case, mail, unverified=mail.parsed.from_addr)
    tx.log("unverified_staff_mail", case, mail.parsed.from_addr,
           reasons=list(mail.sender.reasons))
    people = tx.people
    person = people.persons.get(mail.sender.person_id) if people else None
    if person is not None and mail.facts.auto.may_auto_reply:
        queue(tx, case, to_helper(tx.app, case, person, "unverified", kind="unverified"))
    return Outcome("joined", case.id, False, mail.sender.reasons)
