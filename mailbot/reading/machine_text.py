"""What the text of machine mail says: bounce, delay, challenge, feedback or absence.

Servers and autoresponders that set no telling header still write the same formulas: Exim's
"This message was created automatically by mail delivery software", qmail's "Hi. This is the
qmail-send program", Exchange's "Delivery has failed to these recipients or groups", Mail.ru's
«К сожалению, Ваше письмо не может быть доставлено», a challenge-response filter's "please
confirm you are human".  This module finds them in the *notice*: the readable text of a
report (its first text part, or its HTML as text) cut before the returned original message,
so that our own quoted acknowledgement or the bounced question is never what is judged.

loops.py decides when the text may be read at all (a parent who writes «письмо не доставлено»
is not a bounce), and at which strength:

* ``strong`` formulas are what servers and filters write and people do not; they may be
  trusted in the opening lines of a mail that only has a machine-looking subject or a
  no-reply sender;
* ``weak`` phrases ("could not be delivered", «в отпуске») are read only in mail that
  already carries a machine signal (a daemon sender, ``<>``, Auto-Submitted, a report).

Pure; never raises.
"""

from __future__ import annotations

import re
from email.message import Message
from typing import Literal

from mailbot.reading.bodies import leaves, payload_bytes
from mailbot.reading.charsets import decode_bytes
from mailbot.reading.htmltext import html_to_text
from mailbot.reading.mime_headers import charset_of, content_type_of, disposition_of

__all__ = ["TextKind", "classify_text", "normalise", "notice_text", "subject_kind"]

TextKind = Literal["bounce", "delay", "challenge", "feedback", "auto_reply"]

NOTICE_LIMIT = 6000
OPENING_LIMIT = 700

# Where the returned original (or its headers) starts in a plain-text report.
ORIGINAL_MARKERS = re.compile(
    r"^[ \t>]*(?:"
    r"-{2,}\s*this is a copy of the message"
    r"|-{2,}\s*below this line is a copy of the message"
    r"|-{2,}\s*the header of the original message is following"
    r"|-{2,}\s*original message (?:follows|headers?)"
    r"|-{2,}\s*(?:original|forwarded) message\s*-{2,}"
    r"|-{2,}\s*исходное сообщение\s*-{2,}"
    r"|-{2,}\s*(?:заголовки|заголовок) (?:исходного|оригинального) (?:сообщения|письма)"
    r"|-{2,}\s*(?:копия|текст) (?:исходного|вашего|оригинального) (?:сообщения|письма)"
    r"|-{2,}\s*(?:returned|undelivered|bounced) message\s*-*"
    r"|original message headers:"
    r"|(?:the )?original message (?:follows|is attached|was)\b[^\n]{0,40}$"
    r"|(?:your |the )?original message:?\s*$"
    r"|заголовки исходного сообщения:"
    r")",
    re.IGNORECASE | re.MULTILINE,
)


def normalise(text: str) -> str:
    """Lower case, ё→е, typographic apostrophes and runs of whitespace made plain."""
    text = text.lower().replace("ё", "е").replace("’", "'").replace("\u00a0", " ")
    return " ".join(text.split())


def notice_text(msg: Message) -> str:
    """The readable notice of a (report-shaped) mail, before any returned original."""
    try:
        html = ""
        for part in leaves(msg):
            ctype = content_type_of(part)
            if disposition_of(part) == "attachment":
                continue
            if ctype == "text/plain":
                return _cut(decode_bytes(payload_bytes(part), charset_of(part)))
            if ctype == "text/html" and not html:
                html = decode_bytes(payload_bytes(part), charset_of(part))
        return _cut(html_to_text(html)) if html else ""
    except Exception:  # noqa: BLE001 - an unreadable notice is simply not evidence
        return ""


def _cut(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")[: NOTICE_LIMIT * 2]
    # The marker must not be the first thing (some reports open with a ruler line).
    for match in ORIGINAL_MARKERS.finditer(text):
        if text[: match.start()].strip() and match.start() > 40:
            text = text[: match.start()]
            break
    return text[:NOTICE_LIMIT]


# Words in quotation marks are someone quoting a server, not the server.
_QUOTED = re.compile(r"«[^»]{0,300}»|\"[^\"\n]{0,300}\"|“[^”]{0,300}”|„[^“”]{0,300}[“”]")


def opening(text: str) -> str:
    """The first lines of a text (the first 700 characters after leading blank lines)."""
    return text.strip()[:OPENING_LIMIT]


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts))


# ------------------------------------------------------------------------ phrase tables
# Matched against normalise()d text.  Order of the kinds matters (see classify_text).

_FEEDBACK_STRONG = _rx(
    r"this is an? (?:e-?mail )?(?:abuse|spam|feedback) report",
    r"feedback-type: ?(?:abuse|fraud|virus|other|not-spam|auth-failure|opt-out)",
    r"complaint about (?:a )?message from",
    r"junk mail reporting (?:program|partner)",
    r"(?:пожаловал\w*|отметил\w*) (?:на )?(?:ваше |это )?(?:письмо|сообщение) как (?:на )?спам",
    r"жалоб\w* на (?:ваше )?(?:письмо|рассылку|спам)",
)

_CHALLENGE_STRONG = _rx(
    r"(?:confirm|verify|prove|show)(?: to us)? (?:that )?you(?:'re| are) (?:a )?(?:human|real"
    r"|person|not a (?:ro)?bot|a live)",
    r"challenge[- ]response",
    r"spam ?arrest|boxbe|choicemail|mailinblack|bluebottle|tmda|mailblocks|spamblocker|qurb",
    r"my guest list|request to join (?:my|the) (?:guest|contact) list",
    r"(?:held|quarantined|on hold|waiting|awaiting|pending)[^.]{0,60}(?:until|pending|unless|for)"
    r" (?:you |your |the sender )?(?:verif|confirm|authenticat|respond|reply to this)",
    r"awaiting (?:your )?(?:verification|confirmation)",
    r"to (?:have|get) your (?:message|e-?mail|mail) delivered",
    r"(?:click|follow|visit|open) (?:on )?(?:the |this )?(?:link|url|button|page)[^.]{0,60}"
    r"(?:to (?:deliver|release) (?:your|the|this) (?:message|e-?mail|mail)|(?:will be|be|get)"
    r" delivered)",
    r"(?:please )?(?:verify|confirm) (?:that you sent|the sending of|your) (?:this |your )?"
    r"(?:message|e-?mail message) (?:to|before|so)",
    r"(?:verify|confirm) (?:that )?you sent (?:this|the|your) (?:message|e-?mail)",
    r"подтверд\w*,? что (?:вы|письмо отправили вы|это вы|отправитель)",
    r"(?:вы )?не (?:являетесь )?(?:ро)?бот\w*",
    r"(?:письмо|сообщение) (?:будет )?доставлен\w* (?:получателю |адресату )?(?:только )?после"
    r" (?:подтвержд|того,? как вы|проверки)",
    r"(?:для|чтобы) (?:доставки|ваше письмо было доставлено|письмо было доставлено|"
    r"сообщение было доставлено)[^.]{0,80}(?:перейдите|пройдите|нажмите|подтверд|ответьте)",
    r"(?:письмо|сообщение) (?:задержано|помещено в карантин|удерживается|ожидает)[^.]{0,80}"
    r"(?:до|пока|подтвержд)",
)

_DELAY_STRONG = _rx(
    r"this is a warning (?:message )?only",
    r"warning only\W+you do not need to resend",
    r"you do not need to resend your message",
    r"(?:has|have)(?: not|n't) (?:yet )?been delivered yet",
    r"(?:has|have) not yet been delivered",
    r"(?:message|mail|e-?mail) (?:has )?not (?:been )?delivered yet",
    r"delivery (?:to the following recipients? )?(?:is|has been|was) delayed",
    r"delivery attempts will continue",
    r"(?:will|shall) (?:continue to|keep) (?:try|trying|attempt|retry)",
    r"will be retried",
    r"(?:still|will keep|continue[sd]?) (?:being )?(?:retried|retrying|trying)",
    r"(?:will|would) retry",
    r"temporary problem delivering your message",
    r"could not send message for past",
    r"message delayed|delayed mail|delay(?:ed)? (?:delivery|notification)",
    r"попытк\w* (?:доставки |отправки )?(?:будут|будет) (?:продолжен|повторен)",
    r"(?:будет|будут|продолжит|продолжает|продолжим) (?:продолжать )?(?:повторять )?попытк",
    r"(?:пока|еще|ещё) не (?:было |был |была )?доставлен",
    r"доставка (?:письма |сообщения )?(?:задерживается|отложена|задержана)",
    r"задержк\w* (?:при )?доставк",
    r"это (?:только )?предупреждение",
    r"повторно отправлять (?:письмо |сообщение )?не (?:нужно|требуется)",
)

_BOUNCE_STRONG = _rx(
    r"this message was created automatically by mail delivery software",
    r"this is the mail system at host",
    r"i'm sorry to have to inform you that your message could not",
    r"this is the qmail-send program",
    r"i wasn't able to deliver your message",
    r"(?:delivery has failed|could not deliver) to these recipients",
    r"your message did not reach some or all of the intended recipients",
    r"delivery to the following recipients? failed",
    r"the following address(?:es)? (?:had permanent fatal errors|failed)",
    r"address not found \*\*|\*\* address not found",
    r"your message (?:wasn't|was not|couldn't be|could not be) delivered to",
    r"the original message was received at",
    r"an error occurred while trying to deliver the mail",
    r"sorry,? we were unable to deliver your message",
    r"this is an automatically generated delivery status notification",
    r"(?:your |the )message (?:could not be|was not|wasn't) delivered",
    r"unable to deliver (?:your |the )?message",
    r"was not delivered to:",
    r"not listed in (?:the )?(?:domino |public |names )*directory",
    r"ваше (?:письмо|сообщение) (?:для \S+ )?не (?:может быть|было|удалось|удается|смогло быть)"
    r" (?:доставлен|отправлен)",
    r"не удал\w* доставить (?:ваше |это )?(?:письмо|сообщение)",
    r"не удалось доставить сообщение следующим получателям",
    r"недоставленное (?:письмо|сообщение)",
)

_BOUNCE_WEAK = _rx(
    r"(?:could|can)(?:n't| ?not) be delivered|could not deliver|(?:was|were)(?:n't| not) delivered",
    r"(?:could|can)(?:n't| ?not) be reached|failure reasons|returned to sender|undeliverable",
    r"delivery (?:status notification \(failure\)|failure|failed|has failed)",
    r"(?:permanent|fatal) (?:fatal )?(?:error|failure)|failed permanently|address(?:es)? failed",
    r"(?:user|mailbox|recipient|address|account)\w* (?:unknown|not found|does not exist|doesn't"
    r" exist|unavailable|is (?:full|disabled|inactive|over quota))",
    r"no such (?:user|mailbox|recipient|address)|does not like recipient|mailbox full",
    r"(?:unable|not able|wasn't able) to deliver|giving up on|i've given up",
    r"(?:message|mail) (?:was )?rejected|rejected (?:your|the) message|could not be sent",
    r"\b5\.\d\.\d{1,3}\b|\b55[0-4][ -]",
    r"не (?:может|могло|смогло|удалось|удается) быть (?:доставлен|отправлен)|не удал\w* доставить",
    r"не (?:было |был |была )?доставлен|недоставлен|недоставляем|невозможно доставить",
    r"(?:адрес|ящик|получател|пользовател)\w* (?:не существует|не найден|отсутствует)",
    r"ящик\w* (?:получателя )?(?:переполнен|заблокирован|отключен|не существует)",
    r"ошибк\w* доставки|доставка (?:не удалась|невозможна)",
)

_ABSENCE_STRONG = _rx(
    r"^(?:автоответ|автоматический ответ|auto(?:matic)?[ -]?reply|out of (?:the )?office)\b",
    r"\b(?:i am|i'm|i will be|i'll be) (?:currently )?(?:out of (?:the )?office|on (?:annual |"
    r"parental |maternity |sick )?(?:leave|vacation|holiday))",
    r"\bя (?:сейчас |в настоящее время )?(?:нахожусь |буду )?в (?:ежегодном |очередном )?"
    r"(?:отпуске|командировке|декрет)",
    r"^(?:я )?(?:нахожусь )?в (?:ежегодном |очередном )?отпуске (?:до|с)\b",
)

_ABSENCE_WEAK = _rx(
    r"out of (?:the )?office|on (?:annual |parental |maternity |sick )?(?:leave|vacation|holiday)"
    r" (?:until|till|from|and)",
    r"\b(?:i am|i'm|i will be|i'll be) (?:currently )?(?:away|out|travell?ing|off)\b",
    r"limited (?:access to (?:my )?e-?mail|e-?mail access)",
    r"(?:respond|reply|get back to you|answer)[^.]{0,40}(?:upon|when|as soon as|after) (?:i |my )"
    r"?return",
    r"thank you for (?:your )?(?:e-?mail|message|letter|contacting)",
    r"(?:this is an? )?automatic(?:ally generated)? (?:reply|response|message|notification)",
    r"(?:we|i) (?:have )?received your (?:e-?mail|message|request|letter)",
    r"your (?:request|ticket|message|case) (?:\S+ )?(?:has been|was|is) (?:received|registered"
    r"|created|logged)",
    r"no longer (?:work|with|employed|in use|monitored|active)|is not monitored",
    r"автоответ|автоматическ\w* (?:ответ|сообщение|уведомление)",
    r"в (?:ежегодном |очередном |учебном )?(?:отпуске|командировке|декрет\w*)|на больничном",
    r"отсутству\w*|нет на месте|вне офиса|(?:вернусь|выйду на работу|буду на работе|буду на месте)",
    r"ограниченн\w* доступ\w* к (?:электронной )?почте",
    r"(?:ваше )?(?:письмо|сообщение|обращение|заявка) (?:\S+ )?(?:получен[оа]|принят[оа]"
    r"|зарегистрирован[оа])",
    r"спасибо за (?:ваше )?(?:письмо|обращение|сообщение)",
    r"больше не (?:работает|работаю|используется|обслуживается)|не работа\w* в (?:этой|данной)",
    r"отвечу (?:вам )?(?:после|по возвращении|когда|как только)",
)

# Strongest first: a challenge says "not delivered yet" and a delay "could not be delivered".
_STRONG: tuple[tuple[TextKind, re.Pattern[str]], ...] = (
    ("feedback", _FEEDBACK_STRONG),
    ("challenge", _CHALLENGE_STRONG),
    ("delay", _DELAY_STRONG),
    ("bounce", _BOUNCE_STRONG),
    ("auto_reply", _ABSENCE_STRONG),
)
_WEAK: tuple[tuple[TextKind, re.Pattern[str]], ...] = (
    ("bounce", _BOUNCE_WEAK),
    ("auto_reply", _ABSENCE_WEAK),
)


def classify_text(text: str, *, weak: bool, report: bool = False) -> tuple[TextKind, str] | None:
    """The kind the notice's own words give, with the phrase that decided; None if none.

    With ``weak`` False only the opening lines are read and only strong formulas count;
    with ``weak`` the whole notice is read and absence phrases count too, and with
    ``report`` (a daemon sender, ``<>``, a delivery report) also the loose bounce phrases.
    """
    plain = normalise(text if weak else _QUOTED.sub(" ", opening(text)))
    if not plain:
        return None
    for kind, pattern in _STRONG:
        if kind == "auto_reply" and not weak:
            continue  # an absence formula counts only in mail already marked automatic
        found = pattern.search(plain)
        if found:
            return kind, found.group(0)
    if not weak:
        return None
    for kind, pattern in _WEAK:
        if kind == "bounce" and not report:
            continue
        found = pattern.search(plain)
        if found:
            return kind, found.group(0)
    return None


# ------------------------------------------------------------------------------ subjects
# Subjects servers give their reports; anchored at the start, so that "Re: ..." and
# "Fwd: ..." (a person answering or passing one on) never match.

_SUBJECTS: tuple[tuple[TextKind, re.Pattern[str]], ...] = (
    ("delay", _rx(
        r"^delayed mail\b", r"^warning: could not send message", r"^warning: message .* delayed",
        r"^delivery status notification \(delay\)", r"^delivery delayed\b", r"^delayed\s*:",
        r"^delivery (?:status )?(?:delay|delayed) notification", r"^message delayed",
        r"^(?:mail )?delivery (?:is )?delayed", r"^задержка доставки", r"^доставка (?:письма )?"
        r"(?:задерживается|задержана|отложена)", r"^письмо (?:пока |еще |ещё )?не доставлено,",
        r"^(?:ваше )?письмо (?:пока|еще|ещё) не доставлено", r"^сообщение (?:пока|еще|ещё) не"
        r" доставлено", r"^отложенная доставка", r"^zustellung verz[oö]gert",
    )),
    ("bounce", _rx(
        r"^undelivered mail\b", r"^mail delivery failed", r"^returned mail\b", r"^undeliverable\b",
        r"^undeliverable mail", r"^delivery status notification \((?:failure|failed)\)",
        r"^failure notice", r"^delivery failure", r"^delivery notification: delivery has failed",
        r"^non[- ]?deliver", r"^message delivery failure", r"^permanent delivery failure",
        r"^mail system error", r"^message not delivered", r"^delivery failed",
        r"^returned message", r"^mail could not be delivered", r"^could not deliver",
        r"^недоставленное (?:сообщение|письмо)", r"^не ?доставлено\s*:", r"^недоставляемое",
        r"^ваше (?:сообщение|письмо) не (?:может быть |было )?доставлено",
        r"^не удается доставить", r"^не удалось доставить", r"^ошибка доставки",
        r"^возврат (?:письма|сообщения)", r"^unzustellbar", r"^non remis", r"^no entregado",
        r"^mail failure", r"^delivery_failure", r"^unable to deliver",
    )),
    ("challenge", _rx(
        r"^(?:please )?(?:confirm|verify)(?:ing)? (?:your|that you|sender|the sending|e-?mail "
        r"address verification for)", r"^\[?boxbe\]?|^spam ?arrest|^choicemail|^mailinblack",
        r"^(?:your )?(?:message|e-?mail) (?:is )?(?:awaiting|pending|requires) (?:your )?"
        r"(?:verification|confirmation)", r"^verification (?:required|needed|request)",
        r"^(?:please )?подтвердите (?:отправку|ваш|что|свой|письмо)",
        r"^требуется подтверждение", r"^антиспам", r"^(?:ваше )?письмо ожидает подтверждения",
        r"^anti-?spam",
    )),
    ("feedback", _rx(r"^(?:abuse|spam|fbl|feedback|complaint) report\b", r"^complaint about",
                     r"^жалоба на (?:спам|письмо)")),
)


def subject_kind(subject: str) -> tuple[TextKind, str] | None:
    """The kind a report-like subject gives (bounce, delay, challenge, feedback), or None."""
    plain = normalise(subject).lstrip("[(*! ").strip()
    for kind, pattern in _SUBJECTS:
        if pattern.search(plain):
            return kind, subject
    return None
