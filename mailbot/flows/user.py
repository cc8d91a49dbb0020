"""A user's mail: a new question opens a case, routed and acknowledged; a follow-up joins
its case and goes to the helper; a reply to a closed case reopens it (or, after
`reopen_days`, opens a new case linked to the old one); a seminar request goes to seminars.py.

Also here, because they arrive as ordinary mail: a staff member forwarding a user's mail
(the case is the user's), a staff member writing into a case without a token (not relayed:
we cannot tell it from a forgery), and automatic mail (recorded, never answered or relayed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from mailbot.desk.decide import AckDecision, ack_decision
from mailbot.desk.plan import Draft, MailSpec, Plan
from mailbot.desk.threads import case_name, strip_prefixes
from mailbot.flows import Incoming, Situation, clause5, seminars, triage, vendor
from mailbot.outgoing.names import address_name
from mailbot.outgoing.replies import ThreadPoint
from mailbot.privacy.scrub import ERASED_TEXT
from mailbot.reading.forwards import Forwarded, find_forwarded
from mailbot.storage.models import Case
from mailbot.text.requests import SignupRequest, read_request
from mailbot.text.thanks import is_thanks_only


@dataclass(frozen=True)
class Requester:
    """Whose case a new mail opens: the writer, or the user a staff member forwarded."""

    name: str
    addr: str
    subject: str
    text: str
    forwarded: Forwarded | None = None
    signature: str = ""  # the sign-off cut from the text: it may say who writes


def plan(s: Situation) -> Plan:
    case = s.facts.case
    if case is not None and unverified_in(s.mail, case):
        return _unverified_staff(Draft("follow_up", s.now, case, s.facts.messages), s)
    case = thread_case(case)
    request = service_request(s.mail, case)
    if request is not None:
        return seminars.plan(s, request)
    if case is None:
        return _open(s)
    thanks = case.status == "closed" and is_thanks_only(s.mail.facts.new_text)
    if case.status == "closed" and not _may_reopen(s, case) and not thanks:
        return _open(s, linked=case)
    return _follow_up(s, case)


def thread_case(case: Case | None) -> Case | None:
    """The case a user's mail continues; a reply to a seminar confirmation is a request of
    its own, not a follow-up."""
    return None if case is None or case.category == seminars.SERVICE else case


def case_of(mail: Incoming, case: Case | None) -> Case | None:
    """The case facts.py hands to the flow: a doubted sender's mail stays in any case it
    cites (a seminar request's too); anyone else's as thread_case says."""
    return case if case is not None and unverified_in(mail, case) else thread_case(case)


def unverified_in(mail: Incoming, case: Case) -> bool:
    """A mail citing the case from an address the sender check does not believe (a staff
    address without our token, someone else's token ...): kept in the case, marked, and
    never relayed, acted on or answered. The case's own requester writing is the user."""
    return bool(mail.sender.unverified) and mail.parsed.from_addr != case.requester_addr


def doubt_kind(unverified: str) -> str:
    """Sender.unverified in one word for the owner's notice: "forged" (the school's mail
    server says the From is not theirs), "expired" (an old notice's token), else "token"."""
    if any(word in unverified for word in ("DMARC", "DKIM", "SPF")):
        return "forged"
    return "expired" if "expired" in unverified else "token"


def cited_case(mail: Incoming) -> int | None:
    """The case a mail belongs to (facts.py reads it): its thread's, or for a doubted
    sender also the case its subject tag names, even from an address that never wrote in
    it — so a forged «[ЭЖ #2]» joins case 2, marked, instead of opening a case of its own."""
    thread = mail.facts.thread
    return thread.case if thread.case is not None or not mail.sender.unverified else (
        thread.tagged)


def service_request(mail: Incoming, case: Case | None) -> SignupRequest | None:
    if mail.sender.role != "user" or (case is not None and unverified_in(mail, case)):
        return None
    return read_request(mail.parsed.subject, mail.facts.new_text, commands_only=case is not None)


def requester(mail: Incoming) -> Requester:
    """A staff member forwarding a user's mail to the help address opens the USER's case."""
    parsed = mail.parsed
    own = Requester(_signed_name(parsed.from_name, mail.facts.signer), mail.facts.reply_to,
                    parsed.subject, mail.facts.new_text, signature=mail.facts.signature)
    if not mail.sender.person_id:
        return own
    found = find_forwarded(parsed.text, parsed.html,
                           [(a.content_type, a.data) for a in parsed.attachments],
                           subject=parsed.subject)
    if found is None or not found.addr or found.addr == parsed.from_addr:
        return own
    return Requester(found.name, found.addr, found.subject or strip_prefixes(parsed.subject),
                     found.text, found)


def _signed_name(from_name: str, signer: str | None) -> str:
    """The From name, unless it lacks the patronymic a greeting needs and the signature
    gives a name that has it («Ольга Шилова» signing «Шилова Ольга Петровна»)."""
    if address_name(from_name) or not signer or not address_name(signer):
        return from_name
    return signer


def _may_reopen(s: Situation, case: Case) -> bool:
    days = s.config.conversation.reopen_days
    return case.closed_at is not None and s.now - case.closed_at <= timedelta(days=days)


# ----------------------------------------------------------------------------- new case


def _open(s: Situation, linked: Case | None = None) -> Plan:
    mail, parsed = s.mail, s.mail.parsed
    who = requester(mail)
    # The old case's subject, not «Re: … закрыто»; unless it was pseudonymised since.
    subject = linked.subject if linked is not None and linked.subject != ERASED_TEXT else \
        who.subject
    draft = Draft("new_case", s.now)
    draft.open(subject=subject[:2000], requester_addr=who.addr, requester_name=who.name[:300],
               linked_case_id=linked.id if linked else None)
    draft.record(mail.view(s.now), "question", text=who.text)
    draft.log("case_opened", parsed.from_addr, message_id=parsed.message_id,
              auto=mail.facts.auto.kind, reasons=list(mail.facts.thread.reasons),
              linked_case=linked.id if linked else None,
              forwarded_by=mail.sender.person_id if who.forwarded else None)
    reasons = mail.facts.thread.reasons + mail.facts.auto.reasons
    if mail.sender.role == "system":
        draft.log("ack_skipped", reasons=["loop protection", *mail.facts.auto.reasons])
        draft.state("closed", actor="mailbot", why="automatic mail: nothing to answer")
        return draft.done("opened", reasons=reasons)
    decision = triage.decide_in(s, subject, who.text, who.addr, signature=who.signature)
    comment = who.forwarded.comment if who.forwarded else ""
    owner = None
    stopped = s.facts.stopped
    boss = s.people.supervisor_of(stopped.assignee) if stopped and s.people else None
    if stopped is not None and boss is not None:
        # After #прекратить the user may write again; within reopen_days such a mail goes
        # to the stopping helper's supervisor (the stopped mail promised that).
        draft.set(linked_case_id=stopped.id)
        shown = stopped.number if stopped.number is not None else stopped.id
        why = f"the user's case {case_name(stopped.id, stopped.number)} was stopped (clause 5)"
        owner = (boss, why)
        comment = (f"Помощь этому пользователю по обращению № {shown} была прекращена "
                   "по пункту 5 регламента; новое письмо передано вам как руководителю.")
    assert draft.case is not None
    triage.apply(draft, s, decision, parsed.from_addr, owner)
    helper = triage.assignee(s, draft.case)
    sent = None
    if helper is not None and decision.route is not None and decision.route.target == "vendor":
        sent = vendor.escalate(draft, s, helper, note="", by="mailbot")
    if helper is not None:
        triage.notice(draft, s, helper, decision, question=who.text, received_at=s.now,
                      attachments=mail.files(s.file_limit), comment=comment,
                      withheld=mail.withheld(s.file_limit), vendor_sent=sent)
    acked = _acknowledge(draft, s, decision, forwarded=who.forwarded is not None)
    return draft.done("opened", acked=acked, reasons=reasons)


def _acknowledge(draft: Draft, s: Situation, decision: triage.Triage, *, forwarded: bool,
                 ) -> bool:
    assert draft.case is not None
    limits = s.config.limits
    recent = s.facts.auto_replies.get(draft.case.requester_addr, 0)
    verdict = ack_decision(s.mail.facts, recent, limits.auto_replies_per_sender)
    if draft.case.requester_addr in s.facts.hard_bounced:
        verdict = AckDecision(False, ("mail to this address came back lately as undeliverable",))
    if verdict.send:
        # A forwarded mail's user never saw the forward: their ack starts a thread of its own.
        thread = ThreadPoint() if forwarded else s.mail.thread_point
        context = triage.ack_context(s, draft.case, decision)
        draft.mail(MailSpec("ack", "ack", "user", thread=thread, automatic=True, context={
            "received_local": s.local(s.now), **context}))
        if context["consultations"]:
            # Kept so a consultation cancelled later is announced to this user (jobs/).
            draft.log("consultations_offered", keys=list(decision.consultation_keys))
    draft.log("ack_queued" if verdict.send else "ack_skipped", reasons=list(verdict.reasons))
    return verdict.send


# ----------------------------------------------------------------------------- follow-up


def _follow_up(s: Situation, case: Case) -> Plan:
    mail, parsed = s.mail, s.mail.parsed
    draft = Draft("follow_up", s.now, case, s.facts.messages)
    automatic = mail.sender.role == "system"
    draft.record(mail.view(s.now), "auto" if automatic else "question")
    draft.set(updated_at=s.now)
    draft.log("message_added", parsed.from_addr, message_id=parsed.message_id,
              auto=mail.facts.auto.kind, reasons=list(mail.facts.thread.reasons))
    reasons = mail.facts.thread.reasons + mail.facts.auto.reasons
    if automatic:
        return draft.done("joined", reasons=reasons)
    if case.status == "stopped":
        _to_whom_it_was_reported(draft, s)
        return draft.done("joined", reasons=reasons)
    if case.status == "closed" and is_thanks_only(mail.facts.new_text):
        # Recorded on the case; nothing reopens and nobody is bothered.
        draft.log("thanks_on_closed_case", parsed.from_addr)
        return draft.done("joined", reasons=(*reasons, "a thank-you to a closed case"))
    reopened = case.status == "closed"
    if reopened:
        draft.state("assigned" if case.assignee else "new", actor=parsed.from_addr,
                    why="the user replied to the closed case")
    elif case.status == "waiting_user":
        draft.state("assigned", actor=parsed.from_addr, why="the user answered")
    text = mail.facts.new_text
    findings = triage.rudeness(s, text)
    triage.flag(draft, findings, parsed.from_addr)
    about = clause5.complaint_in_follow_up(draft, s, text, parsed.from_addr)
    helper = triage.assignee(s, case)
    if helper is None or about is None or about.id != helper.id:  # never to the one complained about
        _pass_on(draft, s, reopened=reopened, findings=triage.passages(text, findings))
    return draft.done("joined", reasons=reasons)


def _to_whom_it_was_reported(draft: Draft, s: Situation) -> None:
    """A mail to a case stopped under clause 5 (an apology, say) goes to the supervisor who
    received the report — never back to the helper who stopped it."""
    boss_id = str(s.facts.last_event("help_stopped").get("reported_to") or "")
    boss = s.people.persons.get(boss_id) if s.people else None
    draft.log("reply_to_stopped_case", s.mail.parsed.from_addr, to=boss.id if boss else None)
    text = s.mail.facts.new_text
    if boss is not None and (text.strip() or s.mail.parsed.attachments):
        triage.followup(draft, boss, text, attachments=s.mail.files(s.file_limit), stopped=True,
                        findings=triage.passages(text, triage.rudeness(s, text)),
                        withheld=s.mail.withheld(s.file_limit))


def _pass_on(draft: Draft, s: Situation, *, reopened: bool = False,
             findings: list[str] | None = None, unverified: str = "") -> None:
    """The new text (and attachments) of a mail in the case, to the case's helper."""
    assert draft.case is not None
    helper = triage.assignee(s, draft.case)
    text = s.mail.facts.new_text
    if helper is None or not (text.strip() or s.mail.parsed.attachments):
        return
    triage.followup(draft, helper, text, reopened=reopened, unverified=unverified,
                    attachments=s.mail.files(s.file_limit), findings=findings or [],
                    undelivered=s.facts.undelivered, withheld=s.mail.withheld(s.file_limit))


def _unverified_staff(draft: Draft, s: Situation) -> Plan:
    """A doubted address citing the case: maybe a colleague writing without replying to
    our notice, maybe a forgery. Kept as "unverified"; nothing reaches the user, no command
    runs, nobody is acknowledged. The case's helper sees the text marked «не подтверждено»,
    and the real owner of a staff address is told — once per case."""
    assert draft.case is not None
    mail = s.mail
    draft.record(mail.view(s.now), "unverified")
    if not mail.sender.person_id or mail.sender.person_id != draft.case.assignee:
        _pass_on(draft, s, unverified=mail.parsed.from_addr)
    draft.log("unverified_staff_mail", mail.parsed.from_addr, why=mail.sender.unverified,
              reasons=list(mail.sender.reasons))
    person = s.people.persons.get(mail.sender.person_id) if s.people else None
    if person is None or not mail.facts.auto.may_auto_reply:
        return draft.done("joined", reasons=(mail.sender.unverified,))
    if s.facts.has_event("unverified_owner_told", f'"{person.id}"'):
        draft.log("unverified_owner_told_before", person=person.id)
    else:
        draft.mail(MailSpec("unverified", "unverified", "helper", person=person.id,
                            context={"from_addr": mail.parsed.from_addr,
                                     "doubt": doubt_kind(mail.sender.unverified)}))
        draft.log("unverified_owner_told", person=person.id)
    return draft.done("joined", reasons=(mail.sender.unverified,))
