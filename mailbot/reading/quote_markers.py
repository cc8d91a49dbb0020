"""What reply headers, forward separators, quoted lines and client signatures look like.

The vocabulary of the mail clients that write to a Russian school: Mail.ru, Yandex, Outlook
and Gmail in Russian and English, Thunderbird, Apple Mail and iOS, The Bat!, Roundcube,
Yahoo.  The common reply-parsing libraries know English clients only, and Russian clients
write their reply headers differently ("Четверг, 9 апреля 2026, 17:30 +05:00 от Имя
<addr>:", "Вы писали 1 апреля 2026 г., 10:15:03:", "пт, 15 мар. 2026 г. в 10:15, Имя
<addr>:").

Reply headers come in two strengths: a strict header is certainly a client's (it cuts even
unquoted text below it), a soft one ("Иван пишет:") counts only when quoted lines follow.
quotes.py decides what to do with the lines these patterns recognise; quote_html.py uses
them on the text of HTML nodes.
"""

from __future__ import annotations

import re

from mailbot.text import pattern_needs

__all__ = [
    "BAT_HEADER",
    "DATE_FIELDS",
    "FROM_FIELDS",
    "RE_FIELD",
    "RE_FORWARD_INTRO",
    "RE_HEADER_WITH_QUOTE",
    "RE_QUOTED",
    "RE_RULE",
    "RE_SEPARATOR",
    "RE_TEMPLATE_GREETING",
    "is_client_signature",
    "is_soft_header",
    "is_strict_header",
    "starts_like_header",
]

_WEEKDAY = (
    r"(?:понедельник|вторник|среда|четверг|пятница|суббота|воскресенье"
    r"|пн|вт|ср|чт|пт|сб|вс"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?"
)
_MONTH = (
    r"(?:янв|фев|мар|апр|ма[йя]|июн|июл|авг|сен|окт|ноя|дек)[а-я]*\.?"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
)
_NUM_DATE = r"\d{1,4}[./-]\d{1,2}[./-]\d{2,4}"
_TEXT_DATE = rf"(?:\d{{1,2}}\s+(?:{_MONTH})|(?:{_MONTH})\s+\d{{1,2}})"
_TIME = r"\d{1,2}:\d{2}"
_EMAIL = r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+"
_VERB = r"(?:пишет|пишут|писал[аи]?|писал\(а\)|написал[аи]?|написал\(а\)|wrote|writes)"

_RE_DATE = re.compile(rf"{_NUM_DATE}|{_TEXT_DATE}|\d{{4}}\s*г\.", re.IGNORECASE)
_RE_TIME = re.compile(_TIME)
_RE_EMAIL = re.compile(_EMAIL)
_RE_VERB_END = re.compile(rf"(?:^|[\s,])(?:{_VERB})\s*:$", re.IGNORECASE)
_RE_EMAIL_END = re.compile(rf"(?:{_EMAIL}\s*\]?\)?>?|<[^<>]*>|\"[^\"]+\")\s*:$")
_RE_OT = re.compile(r"\sот\s", re.IGNORECASE)
_RE_PRONOUN = re.compile(
    rf"(?:^|\s)(?:вы|ты|я|мы|он|она|они|you|i|we|he|she|they)\s+(?:\w+\s+)?{_VERB}\s*:$",
    re.IGNORECASE,
)

BAT_HEADER = re.compile(
    rf"^вы\s+(?:писали|написали)\b.*{_TIME}(?::\d{{2}})?\s*:$", re.IGNORECASE
)
# Client reply headers, matched against a whole (possibly unwrapped) line. Gmail, Apple
# Mail, Thunderbird ("On …, Name wrote:", "… пишет:") are caught by the general rule in
# is_strict_header.
_STRICT_HEADERS = [
    # Mail.ru: "Четверг, 9 апреля 2026, 17:30 +05:00 от Имя <addr>:"
    re.compile(
        rf"^(?:{_WEEKDAY},?\s*)?\d{{1,2}}\s+(?:{_MONTH})\s+\d{{4}}(?:\s*г\.?)?,?\s*(?:в\s+)?"
        rf"{_TIME}(?::\d{{2}})?(?:\s*(?:[+-]\d{{2}}:?\d{{2}}|utc|gmt|msk|мск)\S*)?\s+от\s+.+:$",
        re.IGNORECASE,
    ),
    # The Bat!: "Вы писали 1 апреля 2026 г., 10:15:03:"
    BAT_HEADER,
    # Roundcube and others: "Имя писал 2026-04-11 10:40:"
    re.compile(
        rf"^.{{1,150}}\s{_VERB}\s+(?:{_NUM_DATE}|{_TEXT_DATE}[^,:]*?)[,\s]+(?:в\s+)?"
        rf"{_TIME}(?::\d{{2}})?\s*:$",
        re.IGNORECASE,
    ),
]
RE_TEMPLATE_GREETING = re.compile(
    r"^(?:здравствуйте|добрый\s+день|привет|hello|hi),?\s+[^.!?:]{1,60}[.!,]?$", re.IGNORECASE
)


def is_strict_header(line: str) -> bool:
    """A line that is certainly a client's reply header, even with unquoted text below.

    Beyond the client patterns above: a date with a time, or an address, plus a closing
    "пишет:" / "написал(а):" / "wrote:" (Thunderbird, iOS, old Gmail); or a date and a time
    plus a closing address (Yandex, Gmail in Russian). A lone time is not enough: "Вчера в
    10:00 учитель написал:" is a sentence, not a header.
    """
    if len(line) > 300 or not line.endswith(":"):
        return False
    if any(p.match(line) for p in _STRICT_HEADERS):
        return True
    dated = bool(_RE_DATE.search(line)) and bool(_RE_TIME.search(line))
    email = bool(_RE_EMAIL.search(line))
    if _RE_VERB_END.search(line) and (dated or email):
        return True
    return dated and starts_like_header(line) and bool(_RE_EMAIL_END.search(line))


def is_soft_header(line: str) -> bool:
    """A line that introduces a quote only if quoted lines follow it ("Иван пишет:").

    "Вы написали:" or "I wrote:" above a quoted sentence is the writer's own words, not a
    client's header: a pronoun or a full stop inside rules the bare form out.
    """
    if len(line) > 300 or not line.endswith(":"):
        return False
    if (
        _RE_VERB_END.search(line)
        and len(line) <= 120
        and not _RE_PRONOUN.search(line)
        and not re.search(r"\w{3,}[.!?]\s", line)
    ):
        return True
    dated = bool(_RE_DATE.search(line)) and bool(_RE_TIME.search(line))
    return dated and (bool(_RE_EMAIL.search(line)) or bool(_RE_OT.search(line)))


_RE_START = re.compile(
    rf"^(?:on\s|\*?{_WEEKDAY}[,\s]|\d{{1,4}}[\s./-]|вы\s+писали|в\s+письме|\"|am\s|le\s)",
    re.IGNORECASE,
)
_RE_CONTINUATION = re.compile(rf"^<?{_EMAIL}>?", re.IGNORECASE)


def starts_like_header(line: str) -> bool:
    """Reply headers start with "On", a weekday or a date: a line of prose rarely does."""
    return bool(_RE_START.match(line)) and not _RE_CONTINUATION.match(line)


# Lines after which everything is history (Outlook, forwards).
RE_SEPARATOR = re.compile(
    r"^\s*[-=]{2,}\s*(?:original\s+message|forwarded\s+message|message\s+transféré"
    r"|исходное\s+сообщение|оригинальное\s+сообщение|пересылаемое\s+сообщение"
    r"|пересланное\s+сообщение|переадресованное\s+сообщение|перенаправленное\s+сообщение"
    r"|(?:начало|конец)\s+(?:пересылаемого|пересланного|переадресованного)\s+сообщения)"
    r"(?:\s+(?:from|от)\s[^-=]*)?\s*[-=]{2,}",
    re.IGNORECASE,
)
RE_FORWARD_INTRO = re.compile(
    r"^\s*(?:begin\s+forwarded\s+message|начало\s+(?:пересланного|переадресованного"
    r"|пересылаемого)\s+сообщения)\s*:?",
    re.IGNORECASE,
)
# Yahoo's Android app writes the header and the quoted text on one line.
RE_HEADER_WITH_QUOTE = re.compile(
    rf"^\s*on\s.{{0,200}}?(?:{_TIME}|{_EMAIL}).{{0,200}}?\s(?:wrote|writes):\s{{2,}}\S",
    re.IGNORECASE,
)
RE_RULE = re.compile(r"^\s*(?:_{8,}|-{8,}|={8,})\s*$")
RE_FIELD = re.compile(
    r"^\s*\*?(from|sent|date|to|cc|subject|от|от\s+кого|отправлено|дата|кому|копия|тема)"
    r"\s*:\*?(?:\s|$)",
    re.IGNORECASE,
)
FROM_FIELDS = {"from", "от", "от кого"}
DATE_FIELDS = {"sent", "date", "отправлено", "дата"}

# Signatures mobile and desktop clients append on their own: "Отправлено с iPhone",
# "Sent from Yahoo Mail on Android", "Получить Outlook для Android" and the like.
_SIGNATURE_WORDS = (
    r"iphone|ipad|ipod|android|samsung|galaxy|huawei|honor|xiaomi|redmi|poco|realme|nokia"
    r"|motorola|blackberry|windows|mail\.ru|mail|почт[аеуыо]\w*|яндекс|yandex|outlook|gmail"
    r"|rambler|рамблер|mymail|spark|proton\w*|yahoo|aol|zoho|телефона|смартфона|планшета"
    r"|устройства|мобильн\w+|приложени[яе]|phone|mobile|tablet|device|mac|vk|bluemail|ios"
    r"|ipados|macos"
    r"|aquamail|aqua\s+mail|k-9|edison|newton|airmail|mailbird|thunderbird|tecno|infinix|oppo"
    r"|vivo|oneplus|pixel|nothing|айфон\w*|андроид\w*|самсунг\w*|хонор\w*|хуавей\w*"
    r"|сяоми|ксиоми|редми|планшет\w*|смартфон\w*|телефон\w*|мобильник\w*"
)
_RE_CLIENT_SIGNATURE = re.compile(
    rf"^(?:(?:отправлено|отправленно|отправлена|sent|envoyé|gesendet|enviado|inviato)\s+"
    rf"(?:с|со|из|через|from|via|with|using|on|по|de|von|mit|da|desde)\s"
    rf"(?=.*\b(?:{_SIGNATURE_WORDS})\b)"
    r"|(?:получить|получите|скачать|скачайте|загрузить|загрузите|get|download)\s+(?:the\s+)?"
    r"outlook\s+(?:для|for)\b)",
    re.IGNORECASE,
)
# The words every line _RE_CLIENT_SIGNATURE takes begins with (its links aside), read from
# it: a reader of long texts (signatures.py) asks is_client_signature only about lines that
# start so or hold a link. () when they cannot be read: then every line is asked.
CLIENT_SIGNATURE_STARTS = pattern_needs.literals(_RE_CLIENT_SIGNATURE)[1]
_RE_LINK = re.compile(r"\(\s*\S+://[^)]*\)|<\S+://[^>]*>|\S+://\S+")  # always with "://"
# A footer is 80 characters without its links, and a link is not longer than a browser's
# address bar takes (2,000): a longer line is not a footer, and is not searched for links
# (`\S+://` tries every start of a run: 40 s for a run of 100,000 characters).
_LONGEST_FOOTER = 80 + 2_000
_RE_SENTENCE_MARK = re.compile(r"[,;:!?]")

# A quoted line: "> …", or The Bat!'s initials before the mark ("СП> …").
RE_QUOTED = re.compile(r"^\s*(?:>|[A-ZА-ЯЁ]{1,3}>(?:\s|>|$))")


def is_client_signature(text: str) -> bool:
    """A whole short line naming a client or device, with no sentence punctuation in it
    ("Отправлено с опозданием, извините" is the writer's own sentence)."""
    if len(text) > _LONGEST_FOOTER:
        return False  # and a pasted run of 100,000 characters is not searched for links
    bare = (_RE_LINK.sub("", text) if "://" in text else text).strip().rstrip(".")
    return (
        len(bare) <= 80
        and _RE_SENTENCE_MARK.search(bare) is None
        and bool(_RE_CLIENT_SIGNATURE.match(bare))
    )
