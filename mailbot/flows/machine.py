"""Machine mail: bounces, delay notices, auto-replies, challenge-responses, feedback reports.

Such mail is recorded and never answered, and never opens a case of its own. A bounce
(reading/bounces.py) is tied to the outgoing mail it returns (facts.py finds the outbox
row: by the returned Message-ID, our tag and the failed address, or the address alone);
that row is marked undelivered with the status and the server's words, the bounce is kept
in the case, and when the user cannot be reached the case's helper is told once, so they
can phone. A delay notice only goes to the case's log. Other machine mail joins the case it
threads to, or is kept in no case at all.
"""

from __future__ import annotations

from mailbot.desk.plan import Draft, MailSpec, Plan, Undelivered
from mailbot.flows import Incoming, Returned, Situation, triage
from mailbot.reading.bounces import BounceReport, read_bounce
from mailbot.reading.loops import MACHINE_KINDS

# Mail that was meant for the user of the case.
_TO_USER = frozenset({"ack", "relay", "closing", "stopped", "vendor_relay", "service_reply",
                      "complaint_received"})


def is_machine(mail: Incoming) -> bool:
    """Mail no person wrote (a list's mail is not: people write to lists)."""
    return mail.sender.role == "system" and mail.facts.auto.kind in MACHINE_KINDS


def plan(s: Situation) -> Plan:
    mail = s.mail
    report = read_bounce(mail.parsed) if mail.facts.auto.kind in ("bounce", "delay") else None
    case = s.facts.case
    draft = Draft("machine_mail", s.now, case, s.facts.messages)
    kind = report.kind if report is not None else "auto"
    draft.record(mail.view(s.now), kind)
    reasons = (*mail.facts.auto.reasons, *mail.facts.thread.reasons)
    if report is None:
        draft.log("machine_mail", mail.parsed.from_addr, auto=mail.facts.auto.kind,
                  reasons=list(mail.facts.auto.reasons))
        return draft.done("joined", reasons=reasons)
    returned = s.facts.returned
    detail = _detail(report)
    if report.kind == "delay":
        draft.log("mail_delayed", mail.parsed.from_addr, outbox=_outbox_id(returned),
                  recipients=list(report.recipients), detail=detail)
        return draft.done("joined", reasons=reasons)
    if returned is not None:
        draft.undelivered(Undelivered(returned.outbox_id, detail))
    draft.log("mail_bounced", mail.parsed.from_addr, outbox=_outbox_id(returned),
              kind=returned.kind if returned else None,
              recipients=list(report.recipients), status=report.status,
              permanent=report.permanent, detail=detail,
              found_by=returned.how if returned else "nothing of ours")
    if case is not None and returned is not None:
        _tell_the_helper(draft, s, returned, report)
    return draft.done("joined", reasons=(*reasons, detail))


def _tell_the_helper(draft: Draft, s: Situation, returned: Returned,
                     report: BounceReport) -> None:
    """The user cannot be reached by mail: the helper hears it once per case (and every time
    it was their own answer that came back)."""
    assert draft.case is not None
    helper = triage.assignee(s, draft.case)
    own_answer = returned.kind in ("relay", "closing") and not returned.automatic
    if helper is None or returned.kind not in _TO_USER:
        return
    if s.facts.has_event("user_unreachable", "") and not own_answer:
        return
    draft.log("user_unreachable", helper.id, rcpt=returned.rcpt, kind=returned.kind)
    draft.mail(MailSpec("undeliverable", "undeliverable", "helper", person=helper.id, context={
        "rcpt": returned.rcpt, "returned_kind": returned.kind, "own_answer": own_answer,
        "status": report.status, "diagnostic": report.diagnostic,
        "permanent": report.permanent}))


def _detail(report: BounceReport) -> str:
    words = " ".join(x for x in (report.status, report.diagnostic) if x)
    return words or "returned without a reason"


def _outbox_id(returned: Returned | None) -> int | None:
    return returned.outbox_id if returned is not None else None
