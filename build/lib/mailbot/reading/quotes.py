"""Quote and signature stripping: find what the sender actually wrote in a reply.

Why rules of our own: the common reply-parsing libraries know English clients only, and
Russian clients (Mail.ru, Yandex, Outlook and Gmail in Russian, Thunderbird, iOS, The Bat!)
write their reply headers differently. A help desk that keeps the whole history re-reads
old text as new; one that cuts too eagerly hides an answer written inside the quote
(failure class 6 in anchors.md). Both are measured on the labelled set in
``tests/fixtures/replies`` by ``benchmarks/quotes.py``.

Choices (the labelled set encodes them):

- Quoted lines are dropped, also around an inline answer: the result is only the sender's
  own text, so that checks run on it (obscenity, routing) never fire on quoted words. Each
  answer block written between quoted blocks is kept, blocks separated by one blank line.
- Reply headers ("… пишет:", "On … wrote:", Outlook's From/Sent block, …) and forwarded
  blocks are history. Text after an Outlook-style header or a forward marker cannot be told
  from history, so everything after it is cut.
- Client signatures are dropped: "Отправлено с iPhone", "Sent from my iPhone", "Получить
  Outlook для Android" and the like, and a block after a "-- " line (or a "--" line followed
  by a short block) up to the next quote. Typed sign-offs ("С уважением, Мария Ивановна")
  are kept: they are part of what the person wrote and tell the helper who wrote.
- The Bat!'s template greeting ("Здравствуйте, Имя." right before "Вы писали …:") is
  template boilerplate and is dropped with the header.
- Output is normalised: non-breaking and zero-width spaces handled, trailing whitespace
  stripped per line, runs of blank lines collapsed to one, no leading/trailing blank lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

__all__ = ["strip_reply_html", "strip_reply_text"]

# --------------------------------------------------------------------------- vocabulary

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

_BAT_HEADER = re.compile(
    rf"^вы\s+(?:писали|написали)\b.*{_TIME}(?::\d{{2}})?\s*:$", re.IGNORECASE
)
# Client reply headers, matched against a whole (possibly unwrapped) line. Gmail, Apple
# Mail, Thunderbird ("On …, Name wrote:", "… пишет:") are caught by the general rule in
# _is_strict_header.
_STRICT_HEADERS = [
    # Mail.ru: "Четверг, 9 апреля 2026, 17:30 +05:00 от Имя <addr>:"
    re.compile(
        rf"^(?:{_WEEKDAY},?\s*)?\d{{1,2}}\s+(?:{_MONTH})\s+\d{{4}}(?:\s*г\.?)?,?\s*(?:в\s+)?"
        rf"{_TIME}(?::\d{{2}})?(?:\s*(?:[+-]\d{{2}}:?\d{{2}}|utc|gmt|msk|мск)\S*)?\s+от\s+.+:$",
        re.IGNORECASE,
    ),
    # The Bat!: "Вы писали 1 апреля 2026 г., 10:15:03:"
    _BAT_HEADER,
    # Roundcube and others: "Имя писал 2026-04-11 10:40:"
    re.compile(
        rf"^.{{1,150}}\s{_VERB}\s+(?:{_NUM_DATE}|{_TEXT_DATE}[^,:]*?)[,\s]+(?:в\s+)?"
        rf"{_TIME}(?::\d{{2}})?\s*:$",
        re.IGNORECASE,
    ),
]
_RE_TEMPLATE_GREETING = re.compile(
    r"^(?:здравствуйте|добрый\s+день|привет|hello|hi),?\s+[^.!?:]{1,60}[.!,]?$", re.IGNORECASE
)


def _is_strict_header(line: str) -> bool:
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
    return dated and _starts_like_header(line) and bool(_RE_EMAIL_END.search(line))


def _is_soft_header(line: str) -> bool:
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


def _starts_like_header(line: str) -> bool:
    """Reply headers start with "On", a weekday or a date: a line of prose rarely does."""
    return bool(_RE_START.match(line)) and not _RE_CONTINUATION.match(line)


# Lines after which everything is history (Outlook, forwards).
_RE_SEPARATOR = re.compile(
    r"^\s*[-=]{2,}\s*(?:original\s+message|forwarded\s+message|message\s+transféré"
    r"|исходное\s+сообщение|оригинальное\s+сообщение|пересылаемое\s+сообщение"
    r"|пересланное\s+сообщение|переадресованное\s+сообщение|перенаправленное\s+сообщение"
    r"|(?:начало|конец)\s+(?:пересылаемого|пересланного|переадресованного)\s+сообщения)"
    r"(?:\s+(?:from|от)\s[^-=]*)?\s*[-=]{2,}",
    re.IGNORECASE,
)
_RE_FORWARD_INTRO = re.compile(
    r"^\s*(?:begin\s+forwarded\s+message|начало\s+(?:пересланного|переадресованного"
    r"|пересылаемого)\s+сообщения)\s*:?",
    re.IGNORECASE,
)
# Yahoo's Android app writes the header and the quoted text on one line.
_RE_HEADER_WITH_QUOTE = re.compile(
    rf"^\s*on\s.{{0,200}}?(?:{_TIME}|{_EMAIL}).{{0,200}}?\s(?:wrote|writes):\s{{2,}}\S",
    re.IGNORECASE,
)
_RE_RULE = re.compile(r"^\s*(?:_{8,}|-{8,}|={8,})\s*$")
_RE_FIELD = re.compile(
    r"^\s*\*?(from|sent|date|to|cc|subject|от|от\s+кого|отправлено|дата|кому|копия|тема)"
    r"\s*:\*?(?:\s|$)",
    re.IGNORECASE,
)
_FROM_FIELDS = {"from", "от", "от кого"}
_DATE_FIELDS = {"sent", "date", "отправлено", "дата"}

# Signatures mobile and desktop clients append on their own: "Отправлено с iPhone",
# "Sent from Yahoo Mail on Android", "Получить Outlook для Android" and the like.
_SIGNATURE_WORDS = (
    r"iphone|ipad|ipod|android|samsung|galaxy|huawei|honor|xiaomi|redmi|poco|realme|nokia"
    r"|motorola|blackberry|windows|mail\.ru|mail|почт[аеуыо]\w*|яндекс|yandex|outlook|gmail"
    r"|rambler|рамблер|mymail|spark|proton\w*|yahoo|aol|zoho|телефона|смартфона|планшета"
    r"|устройства|мобильн\w+|приложени[яе]|phone|mobile|tablet|device|mac"
)
_RE_CLIENT_SIGNATURE = re.compile(
    rf"^(?:(?:отправлено|отправленно|sent)\s+(?:с|со|из|через|from|via|with|using|on)\s"
    rf"(?=.*\b(?:{_SIGNATURE_WORDS})\b)"
    r"|(?:получить|скачать|скачайте|get|download)\s+(?:the\s+)?outlook\s+(?:для|for)\b)",
    re.IGNORECASE,
)
_RE_LINK = re.compile(r"\(\s*\S+://[^)]*\)|<\S+://[^>]*>|\S+://\S+")

_RE_WRAPPED_TAIL = re.compile(r"^>\s*:\s*$")
_RE_QUOTED = re.compile(r"^\s*(?:>|[A-ZА-ЯЁ]{1,3}>(?:\s|>|$))")
_SHORT_SIGNATURE = 6  # lines after a bare "--" that still read as a signature block
_SIGNATURE_WIDTH = 72  # and their longest length: prose runs longer
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


# --------------------------------------------------------------------------- text


@dataclass
class _Line:
    raw: str  # the line as sent, newline removed (to tell "-- " from "--")
    text: str  # stripped, whitespace collapsed: what the rules look at
    kind: str = "text"  # text | blank | quote | header


def strip_reply_text(text: str) -> str:
    """New text the sender wrote: quoted history, reply headers, forwarded blocks that are
    history, and client signatures removed; an answer written inline inside the quote is
    kept (the quoted lines it answers are dropped).

    A reply that is only quoted history gives "".
    """
    lines = _split(text)
    lines = lines[: _history_start(lines)]
    _mark_headers(lines)
    _mark_template_greeting(lines)
    blocks = _answer_blocks(lines)
    blocks = [_drop_signatures(block) for block in blocks]
    return _tidy([line.raw for block in blocks for line in [*block, _Line("", "", "blank")]])


def _split(text: str) -> list[_Line]:
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_ZERO_WIDTH)
    text = text.replace("\u00a0", " ").replace("\u202f", " ")
    result: list[_Line] = []
    for raw in text.split("\n"):
        stripped = " ".join(raw.split())
        if _RE_WRAPPED_TAIL.match(raw) and result and result[-1].kind == "text":
            # "… <ivan@mail.ru" + ">:" — a header wrapped right inside its address.
            result[-1] = _Line(result[-1].raw + ">:", result[-1].text + ">:")
            result.append(_Line("", "", "blank"))
            continue
        kind = "blank" if not stripped else "quote" if _RE_QUOTED.match(raw) else "text"
        result.append(_Line(raw, stripped, kind))
    return result


def _header_span(lines: list[_Line], i: int) -> tuple[int, bool] | None:
    """If a reply header starts at line i (it may be wrapped over up to three lines),
    return (index after it, strict). Wrapped forms must start like a header, so a line of
    the answer just above a header is never swallowed into it."""
    found: tuple[int, bool] | None = None
    for k in range(3):
        chunk = lines[i : i + k + 1]
        if len(chunk) < k + 1 or any(line.kind != "text" for line in chunk):
            break
        if k and (_ends_sentence(chunk[-2].text) or not _starts_like_header(lines[i].text)):
            break
        joined = " ".join(line.text for line in chunk)
        if _is_strict_header(joined):
            found = (i + k + 1, True)
            break
        if _is_soft_header(joined):
            found = (i + k + 1, False)
            break
    if found and found[0] - i > 1:
        # A header starting on the next line that ends at the same place wins.
        nxt = _header_span(lines, i + 1) if _starts_like_header(lines[i + 1].text) else None
        if nxt and nxt[0] == found[0]:
            return None
    return found


def _ends_sentence(text: str) -> bool:
    """A wrapped header never breaks after the end of a sentence ("Спасибо."), but may
    break after an abbreviation ("2026 г.", "мар.")."""
    return bool(re.search(r"(?:[!?:…]|\w{5,}\.)$", text))


def _next_content(lines: list[_Line], i: int) -> int | None:
    """Index of the first non-blank line at or after i."""
    for j in range(i, len(lines)):
        if lines[j].kind != "blank":
            return j
    return None


def _header_fields(lines: list[_Line], i: int) -> set[str]:
    """Names of the header fields (From:, Кому: …) in the block that starts at line i."""
    names: set[str] = set()
    for line in lines[i : i + 8]:
        match = _RE_FIELD.match(line.raw)
        if match:
            names.add(" ".join(match.group(1).lower().split()))
        elif names and (line.kind == "blank" or not line.raw.startswith((" ", "\t"))):
            break
    return names


def _is_header_block(lines: list[_Line], i: int) -> bool:
    """Outlook's From/Sent/To/Subject block (or a forward's From/Date/Subject)."""
    if not _RE_FIELD.match(lines[i].raw):
        return False
    names = _header_fields(lines, i)
    has_from = bool(names & _FROM_FIELDS)
    return has_from and (bool(names & _DATE_FIELDS) or len(names) >= 3)


def _history_start(lines: list[_Line]) -> int:
    """Index of the first line after which everything is history (len(lines) if none)."""
    for i, line in enumerate(lines):
        if line.kind != "text":
            continue
        if (_RE_SEPARATOR.fullmatch(line.text) or _RE_FORWARD_INTRO.fullmatch(line.text)
                or _RE_HEADER_WITH_QUOTE.match(line.raw)):
            return _extend_back(lines, i)
        if _RE_RULE.match(line.text):
            j = _next_content(lines, i + 1)
            if j is not None and _is_header_block(lines, j):
                return _extend_back(lines, i)
        if _is_header_block(lines, i):
            return _extend_back(lines, i)
        span = _header_span(lines, i)
        if span and span[1]:
            after = _next_content(lines, span[0])
            if after is not None and lines[after].kind == "text":
                return _extend_back(lines, i)
    return len(lines)


def _extend_back(lines: list[_Line], i: int) -> int:
    """Yandex puts "Кому: …;" / "Тема: …;" lines and a rule of dashes above its header."""
    while i > 0:
        prev = lines[i - 1]
        if prev.kind == "text" and (
            (_RE_FIELD.match(prev.raw) and not _is_header_block(lines, i - 1))
            or _RE_RULE.match(prev.text)
        ):
            i -= 1
        else:
            break
    return i


def _mark_headers(lines: list[_Line]) -> None:
    """Reply headers left after the cut introduce quoted lines: mark them as history."""
    i = 0
    while i < len(lines):
        span = _header_span(lines, i) if lines[i].kind == "text" else None
        if span is None:
            i += 1
            continue
        after = _next_content(lines, span[0])
        if after is None or lines[after].kind == "quote":
            for line in lines[_extend_back(lines, i) : span[0]]:
                line.kind = "header"
            i = span[0]
        else:
            i += 1


def _mark_template_greeting(lines: list[_Line]) -> None:
    """The Bat!'s template puts "Здравствуйте, Имя." right above "Вы писали …:"."""
    for i, line in enumerate(lines):
        if line.kind == "text" and _RE_TEMPLATE_GREETING.match(line.text):
            j = _next_content(lines, i + 1)
            if j is not None and lines[j].kind == "header" and _BAT_HEADER.match(lines[j].text):
                line.kind = "header"


def _answer_blocks(lines: list[_Line]) -> list[list[_Line]]:
    """The sender's own text, split where quoted history or a header interrupts it."""
    blocks: list[list[_Line]] = [[]]
    for line in lines:
        if line.kind in ("quote", "header"):
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append(line)
    return [block for block in blocks if any(line.kind == "text" for line in block)]


def _drop_signatures(block: list[_Line]) -> list[_Line]:
    kept: list[_Line] = []
    for i, line in enumerate(block):
        if line.kind == "text" and _is_signature_separator(block, i):
            break
        if line.kind == "text" and _is_client_signature(line.text):
            continue
        kept.append(line)
    return kept


def _is_signature_separator(block: list[_Line], i: int) -> bool:
    """"-- " always starts a signature; a bare "--" only when a short block of short lines
    (a name, a post, a phone) follows, not when the writer used it as a dash."""
    raw = block[i].raw
    if re.fullmatch(r"\s*-- +", raw):
        return True
    if raw.strip() != "--":
        return False
    rest = [line for line in block[i + 1 :] if line.kind == "text"]
    return 0 < len(rest) <= _SHORT_SIGNATURE and all(
        len(line.text) <= _SIGNATURE_WIDTH for line in rest
    )


def _is_client_signature(text: str) -> bool:
    """A whole short line naming a client or device, with no sentence punctuation in it
    ("Отправлено с опозданием, извините" is the writer's own sentence)."""
    bare = _RE_LINK.sub("", text).strip().rstrip(".")
    return (
        len(bare) <= 80
        and not re.search(r"[,;:!?]", bare)
        and bool(_RE_CLIENT_SIGNATURE.match(bare))
    )


def _tidy(lines: list[str]) -> str:
    out: list[str] = []
    for line in lines:
        value = line.rstrip()
        if not value and (not out or not out[-1]):
            continue
        out.append(value)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


# --------------------------------------------------------------------------- HTML

_BLOCK_EDGE = "\x00"  # where a block element starts or ends, in the fallback conversion
_QUOTE_MARK = ">"  # stands in for removed quoted history, so the text rules see a quote
_BLOCK_TAGS = (
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
    "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
)
# Everything from these nodes to the end of the document is history.
_CUT_IDS = ("appendonsend", "divrplyfwdmsg", "mail-editor-reference-message-container",
            "orimsghtmlseperator", "isforwardcontent", "origbody")
_CUT_CLASSES = ("moz-forward-container", "outlookmessageheader")
# These nodes are quoted history; answers around them are kept.
# (Gmail's own container, div.gmail_quote, is not one: a bottom or inline answer is
# written inside it, between its blockquotes.)
_QUOTE_CLASSES = ("yahoo_quoted", "protonmail_quote", "zmail_extra", "mail-quote-collapse",
                  "ik_mail_quote")
_ATTRIBUTION_CLASSES = ("gmail_attr", "moz-cite-prefix")
_SIGNATURE_IDS = ("mail-app-auto-signature", "ms-outlook-mobile-signature",
                  "ms-outlook-ios-signature")
_SIGNATURE_CLASSES = ("moz-signature", "gmail_signature", "gmail_signature_prefix")
_INVISIBLE_TAGS = ("script", "style", "head", "title", "meta", "xml")
_RE_BORDER_TOP = re.compile(r"border-top\s*:\s*solid", re.IGNORECASE)
_RE_BORDER_LEFT = re.compile(r"border-left\s*:\s*(?!none)\S", re.IGNORECASE)


def strip_reply_html(html: str) -> str:
    """Same as strip_reply_text for an HTML body.

    Quote containers (gmail_quote, Apple Mail and Thunderbird cite blockquotes, Mail.ru and
    Yandex blockquotes, …) are replaced by a single quoted line, so an answer written between
    them is still recognised as inline; Outlook's reply header (divRplyFwdMsg, the
    border-top "От:" block) and forward containers cut everything after them. The rest is
    converted to text and goes through strip_reply_text.
    """
    soup = BeautifulSoup(html, "html.parser")
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    hidden, history, signatures, quotes = [], [], [], []
    for node in soup.find_all(True):  # one pass: replies can be large newsletters
        if node.name in _INVISIBLE_TAGS:
            hidden.append(node)
        elif not node.attrs and node.name != "blockquote":
            continue
        elif _starts_history(node):
            history.append(node)
        elif _is_signature_node(node):
            signatures.append(node)
        elif node.name == "blockquote" or _has_class(node, _QUOTE_CLASSES + _ATTRIBUTION_CLASSES):
            quotes.append(node)
    for node in hidden:
        node.decompose()
    for node in history:
        if _attached(node):
            _cut_from(node)
    for node in signatures:
        if _attached(node):
            node.decompose()
    for node in quotes:
        if _attached(node):
            _replace_quote(soup, node)
    return strip_reply_text(_to_text(soup))


def _classes(node: Tag) -> list[str]:
    value = node.get("class") or []
    return [c.lower() for c in (value.split() if isinstance(value, str) else value)]


def _has_class(node: Tag, names: tuple[str, ...]) -> bool:
    """Class names match also with a prefix or suffix webmail adds (x_, _mr_css_attr)."""
    return any(name in c for c in _classes(node) for name in names)


def _node_id(node: Tag) -> str:
    value = node.get("id") or ""
    return str(value).lower()


def _cut_from(node: Tag) -> None:
    """Remove a node and everything after it in document order."""
    previous = node.find_previous_sibling()
    if previous is not None and previous.name == "hr":
        previous.extract()
    for ancestor in [node, *node.parents]:
        if ancestor.parent is None:
            break
        for sibling in list(ancestor.next_siblings):
            sibling.extract()
    node.extract()


def _attached(node: Tag) -> bool:
    return any(parent.name == "[document]" for parent in node.parents)


def _starts_history(node: Tag) -> bool:
    """Outlook's reply header, a forward container: history from here to the end."""
    node_id = _node_id(node)
    if any(node_id.endswith(i) for i in _CUT_IDS) or _has_class(node, _CUT_CLASSES):
        return True
    if _RE_BORDER_TOP.search(str(node.get("style") or "")) and node.name not in ("body", "html"):
        return bool(_RE_FIELD.match(node.get_text(" ", strip=True)[:40]))
    if _has_class(node, ("gmail_quote", "gmail_attr")):
        text = node.get_text(" ", strip=True)[:80]
        return bool(_RE_SEPARATOR.match(text) or _RE_FORWARD_INTRO.match(text))
    return False


def _is_signature_node(node: Tag) -> bool:
    return _node_id(node) in _SIGNATURE_IDS or _has_class(node, _SIGNATURE_CLASSES)


def _is_quote_node(node: Tag) -> bool:
    if node.name == "blockquote":
        if str(node.get("type") or "").lower() == "cite" or _has_class(node, ("quote",)):
            return True
        if "quote" in _node_id(node):
            return True
        if _RE_BORDER_LEFT.search(str(node.get("style") or "")):
            return True
        return _preceded_by_header(node)
    return _has_class(node, _QUOTE_CLASSES) or _has_class(node, _ATTRIBUTION_CLASSES)


def _preceded_by_header(node: Tag) -> bool:
    """A bare <blockquote> is a quote when a reply header stands right above it (Yandex);
    otherwise it is an indent the writer made ("Прошу изготовить:" + an indented list)."""
    strings = []
    for s in node.find_all_previous(string=True, limit=20):
        strings.append(str(s))
        if sum(len(x.strip()) for x in strings) > 300:
            break
    tail = " ".join("".join(reversed(strings)).split())
    tail = tail.replace("\u00a0", " ")[-300:]
    if not tail.endswith(":"):
        return False
    return any(_is_soft_header(tail[start:]) for start in _candidate_starts(tail))


def _candidate_starts(tail: str) -> list[int]:
    """Places in a run of text where a header might begin (block boundaries are lost)."""
    starts = [0]
    starts += [m.end() for m in re.finditer(r"[.!?]\s+|-{4,}\s*|;\s*", tail)]
    return starts[-6:]


def _replace_quote(soup: BeautifulSoup, node: Tag) -> None:
    if _is_quote_node(node):
        marker = soup.new_tag("div")
        marker.string = _QUOTE_MARK
        node.replace_with(marker)
    else:
        node.name = "div"  # a blockquote used as an indent, not a quote


def _to_text(soup: BeautifulSoup) -> str:
    converter = _html_to_text()
    if converter is not None:
        return converter(str(soup))
    return _fallback_text(soup)


def _html_to_text() -> Callable[[str], str] | None:
    try:
        from mailbot.reading.htmltext import html_to_text
    except ImportError:
        return None
    return html_to_text


def _fallback_text(soup: BeautifulSoup) -> str:
    """Block elements and <br> become line breaks; source line breaks inside text are
    spaces, as a browser shows them."""
    for string in list(soup.find_all(string=True)):
        if string.find_parent("pre") is None:
            string.replace_with(NavigableString(re.sub(r"[ \t\r\n\f]+", " ", str(string))))
    for br in soup.find_all("br"):
        br.replace_with("\n")
    for block in soup.find_all(_BLOCK_TAGS):
        block.insert_before(_BLOCK_EDGE)
        block.insert_after(_BLOCK_EDGE)
    text = soup.get_text()
    # A <br> that ends a block with text in it adds no line of its own.
    text = re.sub(rf"(?<=[^\n{_BLOCK_EDGE}])\n(?=[ ]*{_BLOCK_EDGE})", "", text)
    text = re.sub(rf"[ ]*{_BLOCK_EDGE}[{_BLOCK_EDGE} ]*", "\n", text)
    return "\n".join(line.strip(" ") for line in text.split("\n"))
