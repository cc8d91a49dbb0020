"""Loop protection: is an incoming mail automatic, and may mailbot answer it automatically?

Every help desk that loops does so with MAILER-DAEMON and out-of-office replies: an
acknowledgement to an auto-reply produces another auto-reply, forever.  So before any
automatic answer we look for every signal the better help desks use (anchors.md, "Loop
protection") and classify instead of dropping: the mail is still recorded, only the automatic
reply is withheld.  Vendors' real answers are often marked ``auto-generated``, so ``kind`` is a
description, never a reason to discard.

Two questions are kept apart on purpose:

* ``kind`` says what the mail *is*: ``bounce`` (delivery failed), ``delay`` (delivery delayed,
  the server will retry), ``feedback`` (an RFC 5965 ARF spam/abuse report), ``challenge`` (a
  challenge-response filter asks us to prove we are human), ``auto_reply`` (out-of-office,
  autoresponders, read receipts, success notices, our own mail coming back), ``list`` (list
  and bulk mail) or ``none`` (a person's mail);
* ``may_auto_reply`` says whether we may answer it: False for every machine kind, and also
  for signals that only ask us not to answer and say nothing about the mail itself:
  ``X-Auto-Response-Suppress`` on a parent's Outlook mail, a ``noreply@`` sender, our own
  address, another help desk's loop marker.  Treating those as auto-replies is the bug where
  real mail vanishes (anchors.md, failure 7), so they leave ``kind`` at ``none``.

The header signals live in loop_signals.py.  The body is read only to tell what kind of
machine mail a mail is, and only when the headers already point that way, at three strengths
(machine_text.py): mail with a report signal (a daemon or mail-system sender, ``<>``, a
delivery report, X-Failed-Recipients) may be judged by every phrase of its notice; other
automatic mail (Auto-Submitted, an out-of-office subject) by the strong formulas and
absence phrases; mail with only a weak hint (a no-reply sender, list headers, a subject that
looks like a server's) by the strong formulas of its first lines only.  A parent who writes
"your auto-reply did not come" or «письмо не доставлено» gives no signal, so nothing of
their text is read.  The report's machine structure decides first: an ARF report is
feedback; a delivery-status part's Action fields say bounce (failed), delay (delayed) or a
success notice (delivered, relayed, expanded).

Every signal that fires adds a short English reason, so the decision can be explained.  The
module is pure and never raises.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from email.message import Message

from mailbot.reading import loop_signals as sig
from mailbot.reading import machine_text
from mailbot.reading.dsn import find_parts, read_dsn
from mailbot.reading.loop_signals import AutoKind, Signal
from mailbot.reading.mime_headers import content_type_of, param, raw_header

__all__ = ["MACHINE_KINDS", "AutoKind", "AutoVerdict", "detect_auto"]

# Higher wins when several header signals fire and neither the report's structure nor its
# text decides: a bounce is also auto-submitted, and a list can carry an auto-reply.
_RANK: dict[str, int] = {
    "none": 0, "list": 1, "auto_reply": 2, "challenge": 3, "feedback": 4, "delay": 5,
    "bounce": 6,
}
MACHINE_KINDS: frozenset[str] = frozenset(_RANK) - {"none", "list"}

# The prefix of the Message-IDs mailbot writes (compose.new_message_id). Kept here as a
# default argument rather than imported, so this module stays free of the desk.
OWN_ID_PREFIX = "mailbot."


@dataclass(frozen=True)
class AutoVerdict:
    kind: AutoKind  # what the mail IS
    may_auto_reply: bool  # whether mailbot may send it an automatic reply
    reasons: tuple[str, ...]  # short English reasons, one per signal that fired


def detect_auto(
    msg: Message,
    *,
    from_addr: str,
    own_addresses: Collection[str],
    own_domain: str,
    loop_header: str = "X-Mailbot-Loop",
    own_id_prefix: str = OWN_ID_PREFIX,
) -> AutoVerdict:
    """Classify one parsed mail; never raises on malformed headers or parts.

    Every signal forbids an automatic reply, so ``may_auto_reply`` is simply "no signal
    fired"; ``kind`` is what the report's structure, else its text, else the strongest
    header signal says.
    """
    sender = (from_addr or "").strip().lower()
    own = {a.strip().lower() for a in own_addresses}
    subjects = sig.header_values(msg, "Subject")  # decoded once: two readers
    signals = _header_signals(msg, sender, own, (own_domain or "").strip().lower(),
                              loop_header, own_id_prefix, subjects)
    report_signals, decided = _report(msg)
    signals += report_signals
    if decided is None:
        found = _content(msg, signals, subjects)
        if found is not None:
            decided = found[0]
            signals.append(found)
    kind: AutoKind = decided or "none"
    if decided is None:
        for signal_kind, _ in signals:
            if _RANK[signal_kind] > _RANK[kind]:
                kind = signal_kind
    reasons = tuple(dict.fromkeys(reason for _, reason in signals))
    return AutoVerdict(kind=kind, may_auto_reply=not signals, reasons=reasons)


def _header_signals(
    msg: Message, sender: str, own: set[str], own_domain: str, loop_header: str, prefix: str,
    subjects: list[str],
) -> list[Signal]:
    return [
        *sig.auto_submitted(msg),
        *sig.null_sender(msg),
        *sig.sender_address(sender, own),
        *sig.sender_name(msg),
        *sig.precedence(msg),
        *sig.list_headers(msg),
        *sig.autoreply_headers(msg),
        *sig.response_suppress(msg),
        *sig.own_mail(msg, own_domain, {a.rpartition("@")[2] for a in own}, loop_header, prefix),
        *sig.other_helpdesk(msg),
        *sig.exchange_rules(msg),
        *sig.mailer(msg),
        *sig.subject(subjects),
    ]


# ------------------------------------------------------------------------ report structure

_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_MDN_TYPES = frozenset({"message/disposition-notification",
                        "message/global-disposition-notification"})
_ARF_TYPES = frozenset({"message/feedback-report"})
_DELIVERED = frozenset({"delivered", "relayed", "expanded"})


def _structure(msg: Message) -> tuple[str, str, set[str]]:
    """(content type, report-type, types of the direct parts); empty when unreadable."""
    try:
        ctype = content_type_of(msg)
        report_type = (param(raw_header(msg, "Content-Type"), "report-type") or "").lower()
        parts = msg.get_payload() if ctype.startswith("multipart/") else []
        types = {content_type_of(p) for p in parts or [] if isinstance(p, Message)}
    except Exception:  # noqa: BLE001 - malformed MIME must not hide the header signals
        return "", "", set()
    return ctype, report_type.strip('"').strip(), types


def _report(msg: Message) -> tuple[list[Signal], AutoKind | None]:
    """Signals of the report's MIME structure, and the kind it decides (or None).

    Only the message's own parts are read, never an attached message: a parent forwarding a
    bounce as an attachment (message/rfc822) has written a real mail.
    """
    ctype, report_type, part_types = _structure(msg)
    types = {ctype, *part_types}
    is_report = ctype == "multipart/report"
    out: list[Signal] = []
    decided: AutoKind | None = None
    if (is_report and report_type == "feedback-report") or types & _ARF_TYPES:
        out.append(("feedback", "feedback report (ARF, report-type=feedback-report)"))
        decided = "feedback"
    elif (is_report and report_type in ("delivery-status", "global-delivery-status")) or (
        types & _DSN_TYPES or any(True for _ in find_parts(msg, _DSN_TYPES))
    ):
        reason = (f"multipart/report; report-type={sig.shown_text(report_type)}" if is_report
                  else "delivery-status report part")
        decided = _dsn_kind(msg)
        out.append((decided or "bounce", reason))
        if decided == "delay":
            out.append(("delay", "delivery report: Action delayed (the server will retry)"))
        elif decided == "auto_reply":
            out.append(("auto_reply", "delivery report: delivered (a success notice)"))
    elif (is_report and "disposition-notification" in report_type) or types & _MDN_TYPES:
        out.append(("auto_reply", "read receipt (disposition-notification)"))
    elif is_report:
        out.append(("auto_reply", f"multipart/report; report-type={sig.shown_text(report_type)}"))
    if sig.header_values(msg, "X-Failed-Recipients"):
        out.append(("bounce", "X-Failed-Recipients present"))
        decided = decided or "bounce"
    if sig.has_header(msg, "X-MS-Exchange-Message-Is-Ndr"):
        out.append(("bounce", "X-MS-Exchange-Message-Is-Ndr present"))
    return out, decided


def _dsn_kind(msg: Message) -> AutoKind | None:
    report = read_dsn(msg)
    actions = {r.action for r in report[1]} if report else set()
    if "failed" in actions:
        return "bounce"
    if "delayed" in actions:
        return "delay"
    if actions & _DELIVERED:
        return "auto_reply"
    return None


# ------------------------------------------------------------------------------- the text

_ADVISORY = ("X-Auto-Response-Suppress", "another system's loop marker", "another mailbot",
             "inbox rule", "Generated-Message-Source", "from our own address")


def _content(msg: Message, signals: list[Signal], subjects: list[str]) -> Signal | None:
    """What the notice's words (else the subject) say, at the strength the headers allow."""
    try:
        report = any(kind == "bounce" for kind, _ in signals) or any(
            "Return-Path is" in reason for _, reason in signals
        )
        automatic = report or any(kind in MACHINE_KINDS for kind, _ in signals)
        subject = " ".join(subjects[:1])
        by_subject = machine_text.subject_kind(subject)
        hinted = automatic or by_subject is not None or any(
            not any(mark in reason for mark in _ADVISORY) for _, reason in signals
        )
        if not hinted:
            return None
        notice = machine_text.notice_text(msg)
        found = machine_text.classify_text(notice, weak=automatic, report=report)
        if found is not None:
            kind, phrase = found
            return kind, f"the text says {kind} ({sig.shown_text(phrase)})"
        if automatic and by_subject is not None:
            return by_subject[0], f"subject of a {by_subject[0]} ({sig.shown_text(subject)})"
    except Exception:  # noqa: BLE001 - the text is only evidence; headers still decide
        return None
    return None
