"""The header signals of loop protection: each reads one group of header fields.

Every function takes a parsed ``Message`` and returns the signals it finds, each a pair of
what it says the mail is (an AutoKind, ``"none"`` meaning only "do not answer") and a short
English reason.  loops.py combines them with what the report's structure and text say.
Header values are decoded without ever raising: a broken header must not stop loop
protection.
"""

from __future__ import annotations

import re
from email.header import Header
from email.message import Message
from typing import Literal

from mailbot.reading.header_text import decode_header_value

AutoKind = Literal["none", "auto_reply", "bounce", "list", "delay", "challenge", "feedback"]

# A signal: what it says the mail is ("none" = only "do not answer"), and why.
Signal = tuple[AutoKind, str]

# ------------------------------------------------------------------------------ header access


def header_values(msg: Message, name: str) -> list[str]:
    """All values of a header as text; a header the parser cannot give back is skipped."""
    try:
        raw = msg.get_all(name) or []
    except Exception:  # noqa: BLE001 - a broken header must not stop loop protection
        return []
    return [header_text(value) for value in raw]


def has_header(msg: Message, name: str) -> bool:
    try:
        return msg.get(name) is not None
    except Exception:  # noqa: BLE001
        return False


def header_text(value: object) -> str:
    """A header value as text (RFC 2047 words, raw 8-bit bytes), never raising: the reading
    of every other header (header_text.decode_header_value). email.header.decode_header,
    read here before, takes time growing with the square of the encoded words: 100,000 of
    them in one header took 13 s."""
    if isinstance(value, str | bytes | bytearray | Header):
        return decode_header_value(value)
    return str(value)


COMMENT = re.compile(r"\([^()]*\)")


def value_token(value: str) -> str:
    """The bare keyword of a structured value: comments and parameters removed, lower case.

    ``Auto-Replied; owner-email="x@y" (vacation)`` -> ``auto-replied``.
    """
    return COMMENT.sub(" ", value).split(";", 1)[0].strip().strip('"').strip().lower()


FALSE_VALUES = frozenset({"no", "false", "0", "off"})


def shown_text(text: str, limit: int = 40) -> str:
    """A header value fit for a reason: one line, printable, short (values can be hostile)."""
    clean = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if not clean:
        return "(empty)"
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


# ------------------------------------------------------------------------------------ signals


def auto_submitted(msg: Message) -> list[Signal]:
    """RFC 3834: any value but ``no`` marks a mail sent by a machine."""
    out: list[Signal] = []
    for value in header_values(msg, "Auto-Submitted"):
        token = value_token(value)
        if token != "no":
            out.append(("auto_reply", f"Auto-Submitted: {shown_text(token)}"))
    return out


def angle_content(value: str) -> str:
    value = COMMENT.sub(" ", value).strip()
    match = re.search(r"<([^<>]*)>", value)
    return (match.group(1) if match else value).strip().lower()


def null_sender(msg: Message) -> list[Signal]:
    """The envelope sender ``<>`` is reserved for delivery reports and auto-responders.

    It only says "automatic"; the report content decides whether it is a bounce.
    """
    out: list[Signal] = []
    for value in header_values(msg, "Return-Path"):
        inner = angle_content(value)
        if not inner:
            out.append(("auto_reply", "Return-Path is empty (<>)"))
        elif _BOUNCE_LOCAL.match(inner.split("@", 1)[0]):
            out.append(("auto_reply", f"Return-Path is {shown_text(inner)}"))
    return out[:1]


_BOUNCE_LOCAL = re.compile(r"^(?:mailer[-_.]?daemon|postmaster|mail[-_.]?daemon)(?:[+].*)?$")
# Exchange sends its NDRs and delivery reports from a system mailbox with a GUID-like name.
_EXCHANGE_SYSTEM = re.compile(r"^microsoftexchange[0-9a-f]{32}$")
_NOREPLY_LOCAL = re.compile(r"(?:^|[-_.+])(?:no|do[-_.]?not|dont)[-_.]?reply", re.IGNORECASE)
_NOREPLY_DOMAIN = re.compile(r"(?:^|\.)no[-_.]?reply\.", re.IGNORECASE)


def sender_address(sender: str, own: set[str]) -> list[Signal]:
    if not sender:
        return []
    local, _, domain = sender.partition("@")
    out: list[Signal] = []
    if _BOUNCE_LOCAL.match(local):
        out.append(("bounce", f"From is {shown_text(local)}@"))
    elif _EXCHANGE_SYSTEM.match(local):
        out.append(("auto_reply", "From is an Exchange system mailbox"))
    if _NOREPLY_LOCAL.search(local) or _NOREPLY_DOMAIN.search(domain):
        out.append(("none", f"From is a no-reply address ({shown_text(sender, 60)})"))
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


def precedence(msg: Message) -> list[Signal]:
    out: list[Signal] = []
    for name in ("Precedence", "X-Precedence"):
        for value in header_values(msg, name):
            token = value_token(value)
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


def list_headers(msg: Message) -> list[Signal]:
    return [("list", f"{name} present") for name in _LIST_HEADERS if has_header(msg, name)]


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


def autoreply_headers(msg: Message) -> list[Signal]:
    out: list[Signal] = []
    for name in _AUTOREPLY_HEADERS:
        for value in header_values(msg, name):
            if value_token(value) not in FALSE_VALUES:
                out.append(("auto_reply", f"{name} present"))
                break
    for value in header_values(msg, "X-Autogenerated"):
        if value_token(value) == "reply":
            out.append(("auto_reply", "X-Autogenerated: reply"))
    return out


# [MS-OXCMAIL] X-Auto-Response-Suppress: DR/NDR/RN/NRN only suppress delivery and read
# receipts, which we never send; All, OOF and AutoReply ask for no automatic replies.
_RECEIPT_ONLY = frozenset({"dr", "ndr", "rn", "nrn", "none"})


def response_suppress(msg: Message) -> list[Signal]:
    """A request not to answer automatically, never evidence that the mail is automatic.

    Outlook puts it on ordinary human mail too; it must not turn a parent into an auto-reply.
    """
    out: list[Signal] = []
    for value in header_values(msg, "X-Auto-Response-Suppress"):
        tokens = [t for t in re.split(r"[\s,;]+", value) if t]
        if tokens and {t.lower() for t in tokens} <= _RECEIPT_ONLY:
            continue
        shown = shown_text(", ".join(tokens))
        out.append(("none", f"X-Auto-Response-Suppress: {shown} (sender asks for no auto-reply)"))
    return out[:1]


def own_mail(
    msg: Message, own_domain: str, mail_domains: set[str], loop_header: str, prefix: str
) -> list[Signal]:
    """Our own mail coming back (a forwarder, a redirect, a misconfigured list).

    A Message-ID at our Message-ID domain is ours when nobody else can write one there: when
    that domain is a dedicated one, or when the ID has mailbot's own prefix.  When it is also
    the school's mail domain, Outlook, Thunderbird and Roundcube give every colleague's mail
    an ID there, and a teacher's question is not a loop.  Our loop header with our domain (or
    no value) is ours too; with another domain it comes from another mailbot installation,
    which we do not answer automatically so that two help desks never acknowledge each other,
    but which may carry a person's answer, so it stays kind "none".
    """
    out: list[Signal] = []
    if own_domain:
        for value in header_values(msg, "Message-ID")[:1]:
            local, at, domain = angle_content(value).rpartition("@")
            ours = own_domain not in mail_domains or (
                bool(prefix) and local.startswith(prefix.lower())
            )
            if at and domain == own_domain and ours:
                out.append(("auto_reply", "Message-ID is one of ours: our own mail came back"))
    if loop_header:
        for value in header_values(msg, loop_header)[:1]:
            marker = value.strip().lower()
            if not marker or not own_domain or marker == own_domain:
                out.append(("auto_reply", f"{loop_header} is ours: our own mail came back"))
            else:
                out.append(("none", f"{loop_header}: {shown_text(marker)} (another mailbot)"))
    return out


# Loop markers other help desks put on everything they send, human answers included.
_HELPDESK_LOOP_HEADERS = ("X-Loop", "X-RT-Loop-Prevention", "X-OTRS-Loop", "X-Znuny-Loop")


def other_helpdesk(msg: Message) -> list[Signal]:
    out: list[Signal] = []
    for name in _HELPDESK_LOOP_HEADERS:
        values = header_values(msg, name)
        if values and any(value_token(v) not in FALSE_VALUES for v in values):
            out.append(("none", f"{name} present (another system's loop marker)"))
    return out


def exchange_rules(msg: Message) -> list[Signal]:
    """Exchange marks mail its inbox rules generate (out-of-office, rule replies, forwards).

    A rule may forward a parent's real question, so this only forbids answering; an actual
    OOF also carries Auto-Submitted and is classified by that.
    """
    out: list[Signal] = []
    for value in header_values(msg, "X-MS-Exchange-Generated-Message-Source"):
        out.append(("none", f"X-MS-Exchange-Generated-Message-Source: {shown_text(value)}"))
        break
    if has_header(msg, "X-MS-Exchange-Inbox-Rules-Loop"):
        out.append(("none", "X-MS-Exchange-Inbox-Rules-Loop present (sent by an inbox rule)"))
    return out


_AUTORESPONDER_AGENT = re.compile(r"auto[-_ ]?(?:respond|reply|replie)|vacation", re.IGNORECASE)


def mailer(msg: Message) -> list[Signal]:
    for name in ("X-Mailer", "User-Agent"):
        for value in header_values(msg, name):
            if _AUTORESPONDER_AGENT.search(value):
                return [("auto_reply", f"{name} is an autoresponder ({shown_text(value)})")]
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
# A subject that is nothing but an absence notice: «Я в отпуске до 15.03», "Out of office
# until March 10".  Only the whole subject counts: «Я в отпуске до 15.03, как посмотреть
# оценки?» is a parent's question.
_ABSENCE_SUBJECT = re.compile(
    r"^(?:(?:я|меня)\s+)?(?:сейчас\s+)?(?:нахожусь\s+|буду\s+)?(?:в\s+(?:ежегодном\s+|очередном\s+)?"
    r"(?:отпуске|командировке|декрете)|на\s+больничном|нет\s+на\s+месте|вне\s+офиса"
    r"|отсутству\w+)"
    r"|^(?:i\s+am\s+|i'm\s+|currently\s+)?(?:out\s+of\s+(?:the\s+)?office|on\s+(?:vacation"
    r"|holiday|annual\s+leave|leave)|away\s+from\s+(?:the\s+)?office)",
    re.IGNORECASE,
)
_ABSENCE_TAIL = re.compile(
    r"^(?:\s+(?:до|по|с|until|till|through|from|to)\s+[\w.,/ -]{1,25}?)?\s*[.!]?\s*$",
    re.IGNORECASE,
)

# Lotus Notes / HCL Domino: "Ivan Petrov is out of the office."
_NOTES_OOF = re.compile(r"\bis\s+out\s+of\s+(?:the\s+)?office\b", re.IGNORECASE)


def subject(subjects: list[str]) -> list[Signal]:
    """The weakest signal: an out-of-office subject with no header to say so. `subjects`:
    the mail's Subject values as text (`header_values`)."""
    for value in subjects:
        subject = " ".join(value.split())
        absence = _ABSENCE_SUBJECT.match(subject)
        if absence and _ABSENCE_TAIL.match(subject[absence.end() :]):
            return [("auto_reply", f"subject is an absence notice ({shown_text(subject)})")]
        if _VACATION_SUBJECT.match(subject) or _NOTES_OOF.search(subject):
            return [("auto_reply", f"subject looks like an out-of-office reply ({shown_text(subject)})")]
        break
    return []


# Display names mail systems sign their reports with; a person is never called this.
_MACHINE_NAME = re.compile(
    r"^(?:mail deliver(?:y|ing)? (?:sub)?system|mail delivery service|mail delivery|delivery subsystem"
    r"|mail(?:er)?[-_ ]?daemon|postmaster|mail administrator|mail system|mail router"
    r"|(?:the )?mail ?(?:system|server) at .*|почтов\w* (?:система|служба|робот|сервер|программа)"
    r"(?: .*)?|систем\w* (?:доставки|доставка) (?:почты|сообщений)|служба доставки(?: почты)?"
    r"|почтовый робот яндекса|yandex (?:mail )?robot)$",
    re.IGNORECASE,
)


_EMPTY_ADDRESS = re.compile(r"<\s*>")
_QUOTED_OR_COMMENT = re.compile(r'"([^"]*)"|\(([^()]*)\)')
_ADDRESS_OR_COMMENT = re.compile(r"<[^<>]*>|\([^()]*\)")


def sender_name(msg: Message) -> list[Signal]:
    """A mail system's display name on From, or a From that is only ``<>``."""
    for value in header_values(msg, "From")[:1]:
        text = " ".join(value.split())
        if _EMPTY_ADDRESS.fullmatch(text):
            return [("auto_reply", "From is empty (<>)")]
        names = _QUOTED_OR_COMMENT.findall(text)
        candidates = [a or b for a, b in names]
        bare = _ADDRESS_OR_COMMENT.sub(" ", text).strip().strip('"').strip()
        candidates.append(bare)
        for name in candidates:
            if _MACHINE_NAME.match(" ".join(name.split())):
                return [("bounce", f"From is a mail system ({shown_text(name)})")]
    return []
