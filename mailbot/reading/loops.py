"""Loop protection: is an incoming mail automatic, and may mailbot answer it automatically?

Every help desk that loops does so with MAILER-DAEMON and out-of-office replies: an
acknowledgement to an auto-reply produces another auto-reply, forever.  So before any
automatic answer we look for every signal the better help desks use (anchors.md, "Loop
protection") and classify instead of dropping: the mail is still recorded, only the automatic
reply is withheld.  Vendors' real answers are often marked ``auto-generated``, so ``kind`` is a
description, never a reason to discard.

Two questions are kept apart on purpose:

* ``kind`` says what the mail *is* (``bounce`` > ``auto_reply`` > ``list`` > ``none``);
* ``may_auto_reply`` says whether we may answer it.  Some signals only ask us not to answer
  and say nothing about the mail itself: ``X-Auto-Response-Suppress`` on a parent's Outlook
  mail, a ``noreply@`` sender, our own address, another help desk's loop marker.  Treating
  those as auto-replies is the bug where real mail vanishes (anchors.md, failure 7), so they
  leave ``kind`` at ``none``.

Every signal that fires adds a short English reason, so the decision can be explained.  The
module is pure: it reads header fields of an already parsed message and never the body text
(a parent who writes "your auto-reply did not come" is not an auto-reply).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Collection
from dataclasses import dataclass
from email.header import Header, decode_header
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Literal

__all__ = ["AutoKind", "AutoVerdict", "detect_auto"]

AutoKind = Literal["none", "auto_reply", "bounce", "list"]

# Higher wins when several signals fire: a bounce is also auto-submitted, and a list can
# carry an auto-reply, but a delivery report must be recognised as one.
_RANK: dict[str, int] = {"none": 0, "list": 1, "auto_reply": 2, "bounce": 3}

# The prefix of the Message-IDs mailbot writes (compose.new_message_id). Kept here as a
# default argument rather than imported, so this module stays a leaf.
OWN_ID_PREFIX = "mailbot."


@dataclass(frozen=True)
class AutoVerdict:
    kind: AutoKind  # what the mail IS
    may_auto_reply: bool  # whether mailbot may send it an automatic reply
    reasons: tuple[str, ...]  # short English reasons, one per signal that fired


# A signal: what it says the mail is ("none" = only "do not answer"), and why.
_Signal = tuple[AutoKind, str]


def detect_auto(
    msg: Message,
    *,
    from_addr: str,
    own_addresses: Collection[str],
    own_domain: str,
    loop_header: str = "X-Mailbot-Loop",
    own_id_prefix: str = OWN_ID_PREFIX,
) -> AutoVerdict:
    """Classify one parsed mail; never raises on malformed headers.

    Every signal forbids an automatic reply, so ``may_auto_reply`` is simply "no signal
    fired"; ``kind`` is the strongest kind among the signals.
    """
    sender = (from_addr or "").strip().lower()
    own = {a.strip().lower() for a in own_addresses}
    signals: list[_Signal] = [
        *_auto_submitted(msg),
        *_null_sender(msg),
        *_sender_address(sender, own),
        *_precedence(msg),
        *_list_headers(msg),
        *_autoreply_headers(msg),
        *_response_suppress(msg),
        *_report(msg),
        *_own_mail(
            msg,
            (own_domain or "").strip().lower(),
            {address.rpartition("@")[2] for address in own},
            loop_header,
            own_id_prefix,
        ),
        *_other_helpdesk(msg),
        *_exchange_rules(msg),
        *_mailer(msg),
        *_subject(msg),
    ]
    kind: AutoKind = "none"
    for signal_kind, _ in signals:
        if _RANK[signal_kind] > _RANK[kind]:
            kind = signal_kind
    reasons = tuple(dict.fromkeys(reason for _, reason in signals))
    return AutoVerdict(kind=kind, may_auto_reply=not signals, reasons=reasons)


# ------------------------------------------------------------------------------ header access


def _values(msg: Message, name: str) -> list[str]:
    """All values of a header as text; a header the parser cannot give back is skipped."""
    try:
        raw = msg.get_all(name) or []
    except Exception:  # noqa: BLE001 - a broken header must not stop loop protection
        return []
    return [_header_text(value) for value in raw]


def _has(msg: Message, name: str) -> bool:
    try:
        return msg.get(name) is not None
    except Exception:  # noqa: BLE001
        return False


def _header_text(value: object) -> str:
    """Decode RFC 2047 words (and raw 8-bit bytes) without ever raising.

    compat32 hands raw 8-bit header bytes back as a Header in ``unknown-8bit``; those are tried
    as UTF-8 and then cp1251, the usual suspects in Russian mail.  A str that already holds
    non-ASCII text (a message parsed with a modern policy) is decoded already.
    """
    if isinstance(value, str) and not value.isascii():
        return value
    if not isinstance(value, str | Header):
        return str(value)
    try:
        chunks = decode_header(value)
    except Exception:  # noqa: BLE001 - garbage encoded words
        return str(value)
    # decode_header keeps the spaces that separate plain words inside the chunks and drops
    # those between encoded words, as RFC 2047 asks; so the chunks join with nothing.
    return "".join(
        chunk if isinstance(chunk, str) else _bytes_text(chunk, charset)
        for chunk, charset in chunks
    )


def _bytes_text(data: bytes, charset: str | None) -> str:
    candidates = []
    if charset and charset.lower() not in ("unknown-8bit", "x-unknown"):
        try:
            candidates.append(codecs.lookup(charset).name)
        except LookupError:
            pass
    candidates += ["utf-8", "cp1251"]
    for codec in candidates:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("latin-1")


_COMMENT = re.compile(r"\([^()]*\)")


def _token(value: str) -> str:
    """The bare keyword of a structured value: comments and parameters removed, lower case.

    ``Auto-Replied; owner-email="x@y" (vacation)`` -> ``auto-replied``.
    """
    return _COMMENT.sub(" ", value).split(";", 1)[0].strip().strip('"').strip().lower()


_FALSE_VALUES = frozenset({"no", "false", "0", "off"})


def _shown(text: str, limit: int = 40) -> str:
    """A header value fit for a reason: one line, printable, short (values can be hostile)."""
    clean = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if not clean:
        return "(empty)"
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


# ------------------------------------------------------------------------------------ signals


def _auto_submitted(msg: Message) -> list[_Signal]:
    """RFC 3834: any value but ``no`` marks a mail sent by a machine."""
    out: list[_Signal] = []
    for value in _values(msg, "Auto-Submitted"):
        token = _token(value)
        if token != "no":
            out.append(("auto_reply", f"Auto-Submitted: {_shown(token)}"))
    return out


def _angle_content(value: str) -> str:
    value = _COMMENT.sub(" ", value).strip()
    match = re.search(r"<([^<>]*)>", value)
    return (match.group(1) if match else value).strip().lower()


def _null_sender(msg: Message) -> list[_Signal]:
    """The envelope sender ``<>`` is reserved for delivery reports and auto-responders.

    It only says "automatic"; the report content decides whether it is a bounce.
    """
    out: list[_Signal] = []
    for value in _values(msg, "Return-Path"):
        inner = _angle_content(value)
        if not inner:
            out.append(("auto_reply", "Return-Path is empty (<>)"))
        elif _BOUNCE_LOCAL.match(inner.split("@", 1)[0]):
            out.append(("auto_reply", f"Return-Path is {_shown(inner)}"))
    return out[:1]


_BOUNCE_LOCAL = re.compile(r"^(?:mailer[-_.]?daemon|postmaster|mail[-_.]?daemon)(?:[+].*)?$")
# Exchange sends its NDRs and delivery reports from a system mailbox with a GUID-like name.
_EXCHANGE_SYSTEM = re.compile(r"^microsoftexchange[0-9a-f]{32}$")
_NOREPLY_LOCAL = re.compile(r"(?:^|[-_.+])(?:no|do[-_.]?not|dont)[-_.]?reply", re.IGNORECASE)
_NOREPLY_DOMAIN = re.compile(r"(?:^|\.)no[-_.]?reply\.", re.IGNORECASE)


def _sender_address(sender: str, own: set[str]) -> list[_Signal]:
    if not sender:
        return []
    local, _, domain = sender.partition("@")
    out: list[_Signal] = []
    if _BOUNCE_LOCAL.match(local):
        out.append(("bounce", f"From is {_shown(local)}@"))
    elif _EXCHANGE_SYSTEM.match(local):
        out.append(("auto_reply", "From is an Exchange system mailbox"))
    if _NOREPLY_LOCAL.search(local) or _NOREPLY_DOMAIN.search(domain):
        out.append(("none", f"From is a no-reply address ({_shown(sender, 60)})"))
    if sender in own:
        # A helper may write from the desk's own mailbox, and spam forges it; neither is an
        # auto-reply, but answering ourselves is always wrong.  Our own mail coming back is
        # recognised by its Message-ID or loop header (_own_mail) and called auto_reply there.
        out.append(("none", "from our own address"))
    return out


_PRECEDENCE_KINDS: dict[str, AutoKind] = {
    "bulk": "list",
    "list": "list",
    "junk": "list",
    "auto_reply": "auto_reply",
    "auto-reply": "auto_reply",
    "autoreply": "auto_reply",
}


def _precedence(msg: Message) -> list[_Signal]:
    out: list[_Signal] = []
    for name in ("Precedence", "X-Precedence"):
        for value in _values(msg, name):
            token = _token(value)
            if token in _PRECEDENCE_KINDS:
                out.append((_PRECEDENCE_KINDS[token], f"{name}: {token}"))
    return out


# List-Id and List-Unsubscribe are the anchors' rule; the other RFC 2369 fields and the
# ezmlm/Google Groups "Mailing-List" appear on list mail whose List-Id was stripped.
_LIST_HEADERS = (
    "List-Id",
    "List-Unsubscribe",
    "List-Post",
    "List-Subscribe",
    "List-Owner",
    "Mailing-List",
    "X-Mailing-List",
)


def _list_headers(msg: Message) -> list[_Signal]:
    return [("list", f"{name} present") for name in _LIST_HEADERS if _has(msg, name)]


# Vendor headers of autoresponders (cPanel/Exim vacation, procmail recipes, webmail
# responders).  A value of "no"/"false" is taken at its word.
_AUTOREPLY_HEADERS = (
    "X-Autoreply",
    "X-Autorespond",
    "X-Autoresponder",
    "X-Auto-Reply",
    "X-Autoreply-From",
    "X-Mail-Autoreply",
    "X-Cron-Env",
)


def _autoreply_headers(msg: Message) -> list[_Signal]:
    out: list[_Signal] = []
    for name in _AUTOREPLY_HEADERS:
        for value in _values(msg, name):
            if _token(value) not in _FALSE_VALUES:
                out.append(("auto_reply", f"{name} present"))
                break
    for value in _values(msg, "X-Autogenerated"):
        if _token(value) == "reply":
            out.append(("auto_reply", "X-Autogenerated: reply"))
    return out


# [MS-OXCMAIL] X-Auto-Response-Suppress: DR/NDR/RN/NRN only suppress delivery and read
# receipts, which we never send; All, OOF and AutoReply ask for no automatic replies.
_RECEIPT_ONLY = frozenset({"dr", "ndr", "rn", "nrn", "none"})


def _response_suppress(msg: Message) -> list[_Signal]:
    """A request not to answer automatically, never evidence that the mail is automatic.

    Outlook puts it on ordinary human mail too; it must not turn a parent into an auto-reply.
    """
    out: list[_Signal] = []
    for value in _values(msg, "X-Auto-Response-Suppress"):
        tokens = [t for t in re.split(r"[\s,;]+", value) if t]
        if tokens and {t.lower() for t in tokens} <= _RECEIPT_ONLY:
            continue
        shown = _shown(", ".join(tokens))
        out.append(("none", f"X-Auto-Response-Suppress: {shown} (sender asks for no auto-reply)"))
    return out[:1]


_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_MDN_TYPES = frozenset({"message/disposition-notification", "message/global-disposition-notification"})


def _report(msg: Message) -> list[_Signal]:
    """Delivery reports (bounces) and read receipts, from the MIME structure.

    Only the top level and its direct parts are read: a parent forwarding a bounce as an
    attachment (message/rfc822) has written a real mail.
    """
    out: list[_Signal] = []
    try:
        ctype = msg.get_content_type()
        report_type = str(collapse_rfc2231_value(msg.get_param("report-type") or "")).lower()
        parts = msg.get_payload() if msg.is_multipart() else []
        part_types = {p.get_content_type() for p in parts if isinstance(p, Message)}
    except Exception:  # noqa: BLE001 - malformed MIME must not hide the header signals
        ctype, report_type, part_types = "", "", set()
    types = {ctype, *part_types}
    if ctype == "multipart/report" and report_type in ("delivery-status", "global-delivery-status"):
        out.append(("bounce", f"multipart/report; report-type={_shown(report_type)}"))
    elif types & _DSN_TYPES:
        out.append(("bounce", "delivery-status report part"))
    if ctype == "multipart/report" and "disposition-notification" in report_type:
        out.append(("auto_reply", "read receipt (disposition-notification)"))
    elif types & _MDN_TYPES:
        out.append(("auto_reply", "read receipt part (disposition-notification)"))
    if ctype == "multipart/report" and not out:
        out.append(("auto_reply", f"multipart/report; report-type={_shown(report_type)}"))
    if _values(msg, "X-Failed-Recipients"):
        out.append(("bounce", "X-Failed-Recipients present"))
    if _has(msg, "X-MS-Exchange-Message-Is-Ndr"):
        out.append(("bounce", "X-MS-Exchange-Message-Is-Ndr present"))
    return out


def _own_mail(
    msg: Message, own_domain: str, mail_domains: set[str], loop_header: str, prefix: str
) -> list[_Signal]:
    """Our own mail coming back (a forwarder, a redirect, a misconfigured list).

    A Message-ID at our Message-ID domain is ours when nobody else can write one there: when
    that domain is a dedicated one, or when the ID has mailbot's own prefix.  When it is also
    the school's mail domain, Outlook, Thunderbird and Roundcube give every colleague's mail
    an ID there, and a teacher's question is not a loop.  Our loop header with our domain (or
    no value) is ours too; with another domain it comes from another mailbot installation,
    which we do not answer automatically so that two help desks never acknowledge each other,
    but which may carry a person's answer, so it stays kind "none".
    """
    out: list[_Signal] = []
    if own_domain:
        for value in _values(msg, "Message-ID")[:1]:
            local, at, domain = _angle_content(value).rpartition("@")
            ours = own_domain not in mail_domains or (
                bool(prefix) and local.startswith(prefix.lower())
            )
            if at and domain == own_domain and ours:
                out.append(("auto_reply", "Message-ID is one of ours: our own mail came back"))
    if loop_header:
        for value in _values(msg, loop_header)[:1]:
            marker = value.strip().lower()
            if not marker or not own_domain or marker == own_domain:
                out.append(("auto_reply", f"{loop_header} is ours: our own mail came back"))
            else:
                out.append(("none", f"{loop_header}: {_shown(marker)} (another mailbot)"))
    return out


# Loop markers other help desks put on everything they send, human answers included.
_HELPDESK_LOOP_HEADERS = ("X-Loop", "X-RT-Loop-Prevention", "X-OTRS-Loop", "X-Znuny-Loop")


def _other_helpdesk(msg: Message) -> list[_Signal]:
    out: list[_Signal] = []
    for name in _HELPDESK_LOOP_HEADERS:
        values = _values(msg, name)
        if values and any(_token(v) not in _FALSE_VALUES for v in values):
            out.append(("none", f"{name} present (another system's loop marker)"))
    return out


def _exchange_rules(msg: Message) -> list[_Signal]:
    """Exchange marks mail its inbox rules generate (out-of-office, rule replies, forwards).

    A rule may forward a parent's real question, so this only forbids answering; an actual
    OOF also carries Auto-Submitted and is classified by that.
    """
    out: list[_Signal] = []
    for value in _values(msg, "X-MS-Exchange-Generated-Message-Source"):
        out.append(("none", f"X-MS-Exchange-Generated-Message-Source: {_shown(value)}"))
        break
    if _has(msg, "X-MS-Exchange-Inbox-Rules-Loop"):
        out.append(("none", "X-MS-Exchange-Inbox-Rules-Loop present (sent by an inbox rule)"))
    return out


_AUTORESPONDER_AGENT = re.compile(r"auto[-_ ]?(?:respond|reply|replie)|vacation", re.IGNORECASE)


def _mailer(msg: Message) -> list[_Signal]:
    for name in ("X-Mailer", "User-Agent"):
        for value in _values(msg, name):
            if _AUTORESPONDER_AGENT.search(value):
                return [("auto_reply", f"{name} is an autoresponder ({_shown(value)})")]
    return []


# Out-of-office subject prefixes of the common clients and servers (Outlook/Exchange in their
# Russian, English and European forms, Lotus Notes, webmail responders).  Only at the very
# start and followed by a colon, bracket or end: "Re: Автоответ: ..." is a person answering
# an auto-reply, and "Автоответ не приходит" is a question about one.
_VACATION_MARKERS = (
    r"автоответ(?:чик)?",
    r"автоматический\s+ответ",
    r"нет\s+на\s+месте",
    r"вне\s+офиса",
    r"автовідповідь",
    r"автоматична\s+відповідь",
    r"auto(?:matic|mated)?[\s_-]*(?:reply|replied|response|responder)",
    r"out\s+of\s+(?:the\s+)?office(?:\s+auto[\s-]*reply)?",
    r"vacation\s+(?:reply|response|notice|message)",
    r"abwesenheitsnotiz",
    r"automatische\s+antwort",
    r"r[ée]ponse\s+automatique",
    r"absence\s+du\s+bureau",
    r"respuesta\s+autom[áa]tica",
    r"resposta\s+autom[áa]tica",
    r"risposta\s+automatica",
    r"automatisch\s+antwoord",
    r"automatisk\s+svar",
    r"autosvar",
    r"automatyczna\s+odpowied[źz]",
    r"automatick[áa]\s+odpov[ěe]d[’']?",
)
_VACATION_SUBJECT = re.compile(
    r"^\s*[\[(]?\s*(?:" + "|".join(_VACATION_MARKERS) + r")\s*(?:[:：\])]|\s-\s|$)"
    r"|^\s*auto\s*:",  # Lotus Notes: "Auto: <subject>"
    re.IGNORECASE,
)
# Lotus Notes / HCL Domino: "Ivan Petrov is out of the office."
_NOTES_OOF = re.compile(r"\bis\s+out\s+of\s+(?:the\s+)?office\b", re.IGNORECASE)


def _subject(msg: Message) -> list[_Signal]:
    """The weakest signal: an out-of-office subject with no header to say so."""
    for value in _values(msg, "Subject"):
        subject = " ".join(value.split())
        if _VACATION_SUBJECT.match(subject) or _NOTES_OOF.search(subject):
            return [("auto_reply", f"subject looks like an out-of-office reply ({_shown(subject)})")]
        break
    return []
