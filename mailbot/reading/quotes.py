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
- Signatures are dropped, and the signer's name kept apart (signatures.py): client
  footers ("Отправлено с iPhone", "Получить Outlook для Android"), a block after a "-- "
  line up to the next quote, sign-offs («С уважением, Мария Ивановна», "Best regards")
  with the block of name, position, school and phone under them, and such a block alone
  at the end. What is relayed and stored is what the person wrote; mailbot signs the relay
  itself. split_reply_text / split_reply_html return the signature and the name too.
- The Bat!'s template greeting ("Здравствуйте, Имя." right before "Вы писали …:") is
  template boilerplate and is dropped with the header.
- Output is normalised: non-breaking and zero-width spaces handled, trailing whitespace
  stripped per line, runs of blank lines collapsed to one, no leading/trailing blank lines.

This module is the stripping algorithm on lines of text. What headers, separators, quoted
lines and client footers look like is in quote_markers.py; how an HTML body becomes text
with its quotes and signature containers marked is in quote_html.py; where a signature
starts is in signatures.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailbot.reading.quote_html import reply_html_to_text
from mailbot.reading.quote_markers import (
    BAT_HEADER,
    DATE_FIELDS,
    FROM_FIELDS,
    RE_FIELD,
    RE_FORWARD_INTRO,
    RE_HEADER_WITH_QUOTE,
    RE_QUOTED,
    RE_RULE,
    RE_SEPARATOR,
    RE_TEMPLATE_GREETING,
    is_soft_header,
    is_strict_header,
    starts_like_header,
)
from mailbot.reading.signatures import SignatureSplit, split_signature

__all__ = [
    "SignatureSplit", "split_reply_html", "split_reply_text", "strip_reply_html", "strip_reply_text"
]

_RE_WRAPPED_TAIL = re.compile(r"^>\s*:\s*$")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)


# --------------------------------------------------------------------------- text


@dataclass
class _Line:
    raw: str  # the line as sent, newline removed (to tell "-- " from "--")
    text: str  # stripped, whitespace collapsed: what the rules look at
    kind: str = "text"  # text | blank | quote | header


def strip_reply_text(text: str) -> str:
    """New text the sender wrote: quoted history, reply headers, forwarded blocks that are
    history, and signatures removed; an answer written inline inside the quote is kept (the
    quoted lines it answers are dropped).

    A reply that is only quoted history gives "".
    """
    return split_reply_text(text).body


def split_reply_text(text: str) -> SignatureSplit:
    """strip_reply_text's result as ``body``, with the signature it removed and the signer's
    name (signatures.SignatureSplit)."""
    lines = _split(text)
    lines = lines[: _history_start(lines)]
    _mark_headers(lines)
    _mark_template_greeting(lines)
    return _split_blocks(_answer_blocks(lines))


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
        kind = "blank" if not stripped else "quote" if RE_QUOTED.match(raw) else "text"
        result.append(_Line(raw, stripped, kind))
    return result


def _header_span(lines: list[_Line], i: int) -> tuple[int, bool] | None:
    """If a reply header starts at line i (it may be wrapped over up to three lines),
    return (index after it, strict). Wrapped forms must start like a header, so a line of
    the answer just above a header is never swallowed into it."""
    if not any(line.text.endswith(":") for line in lines[i : i + 3]):
        return None  # every header (is_strict_header, is_soft_header) ends with a colon
    found: tuple[int, bool] | None = None
    for k in range(3):
        chunk = lines[i : i + k + 1]
        if len(chunk) < k + 1 or any(line.kind != "text" for line in chunk):
            break
        if k and (_ends_sentence(chunk[-2].text) or not starts_like_header(lines[i].text)):
            break
        joined = " ".join(line.text for line in chunk)
        if is_strict_header(joined):
            found = (i + k + 1, True)
            break
        if is_soft_header(joined):
            found = (i + k + 1, False)
            break
    if found and found[0] - i > 1:
        # A header starting on the next line that ends at the same place wins.
        nxt = _header_span(lines, i + 1) if starts_like_header(lines[i + 1].text) else None
        if nxt and nxt[0] == found[0]:
            return None
    return found


# A sentence's end: "!", "?", ":" or "…", or a dot after five letters (not "г.", "мар.").
_SENTENCE_END = re.compile(r"(?:[!?:…]|\w{5}\.)\n?\Z")


def _ends_sentence(text: str) -> bool:
    """A wrapped header never breaks after the end of a sentence ("Спасибо."), but may
    break after an abbreviation ("2026 г.", "мар."). Only the line's last seven characters
    can tell, and only they are searched: searched whole, a line of 100,000 letters took
    the pattern seconds at each start."""
    return _SENTENCE_END.search(text[-7:]) is not None


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
        match = RE_FIELD.match(line.raw)
        if match:
            names.add(" ".join(match.group(1).lower().split()))
        elif names and (line.kind == "blank" or not line.raw.startswith((" ", "\t"))):
            break
    return names


def _is_header_block(lines: list[_Line], i: int) -> bool:
    """Outlook's From/Sent/To/Subject block (or a forward's From/Date/Subject)."""
    if not RE_FIELD.match(lines[i].raw):
        return False
    names = _header_fields(lines, i)
    has_from = bool(names & FROM_FIELDS)
    return has_from and (bool(names & DATE_FIELDS) or len(names) >= 3)


def _history_start(lines: list[_Line]) -> int:
    """Index of the first line after which everything is history (len(lines) if none)."""
    for i, line in enumerate(lines):
        if line.kind != "text":
            continue
        if (RE_SEPARATOR.fullmatch(line.text) or RE_FORWARD_INTRO.fullmatch(line.text)
                or RE_HEADER_WITH_QUOTE.match(line.raw)):
            return _extend_back(lines, i)
        if RE_RULE.match(line.text):
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
            (RE_FIELD.match(prev.raw) and not _is_header_block(lines, i - 1))
            or RE_RULE.match(prev.text)
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
        if line.kind == "text" and RE_TEMPLATE_GREETING.match(line.text):
            j = _next_content(lines, i + 1)
            if j is not None and lines[j].kind == "header" and BAT_HEADER.match(lines[j].text):
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


def _split_blocks(blocks: list[list[_Line]]) -> SignatureSplit:
    """Each answer block without its signature. A block after the first that is only a
    sign-off («Thanks,» / «Jessica» under inline answers) signs the whole reply and goes; a
    name with no sign-off above it is cut only from the last block (in an earlier one it
    answers a question)."""
    bodies: list[str] = []
    signatures: list[str] = []
    names: list[str] = []
    for index, block in enumerate(blocks):
        text = "\n".join(line.raw for line in block)
        found = split_signature(text, keep_thanks=not bodies, bare=index == len(blocks) - 1)
        if found.body.strip():
            bodies.append(found.body)
        if found.signature.strip():
            signatures.append(found.signature)
        if found.name:
            names.append(found.name)
    body = _tidy([line for text in bodies for line in [*text.split("\n"), ""]])
    signature = _tidy([line for text in signatures for line in [*text.split("\n"), ""]])
    return SignatureSplit(body, signature, names[-1] if names else None)


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


def strip_reply_html(html: str) -> str:
    """Same as strip_reply_text for an HTML body.

    Quote containers (gmail_quote, Apple Mail and Thunderbird cite blockquotes, Mail.ru and
    Yandex blockquotes, …) are replaced by a single quoted line, so an answer written between
    them is still recognised as inline; Outlook's reply header (divRplyFwdMsg, the
    border-top "От:" block) and forward containers cut everything after them. The rest is
    converted to text and goes through strip_reply_text; a signature container (gmail_signature,
    OWA's #Signature, Outlook's _MailAutoSig …) is marked as a "-- " line would be.
    """
    return split_reply_text(reply_html_to_text(html)).body


def split_reply_html(html: str) -> SignatureSplit:
    """split_reply_text for an HTML body."""
    return split_reply_text(reply_html_to_text(html))
