"""Signatures and sign-offs: where what a person wrote ends and their signature begins.

Helpers answer from Outlook and OWA with «С уважением, Иванова Надежда Павловна, учитель
математики, тел. …»; parents write from phones whose clients add «Отправлено с iPhone»; the
administration signs with a corporate block. mailbot relays and stores only what was
written (``new_text``), signs the relay itself, and greets people by name: so the signature
is cut off, and the signer's name is kept apart.

``split_signature(text)`` is pure and works on a sender's own text (quotes.py calls it on
every answer block it finds). What it removes, and when:

- client footers on a line of their own («Отправлено с iPhone», "Sent from my Galaxy",
  «Загрузите Outlook для iOS») wherever they are;
- everything after a "-- " line (or the mark quote_html.py puts before an HTML signature
  container); after a bare "--" or another rule of dashes or underscores only when a
  signature block follows it (names, positions, schools, contacts, short lines);
- a sign-off at the end: «С уважением», «С ув.», «С наилучшими пожеланиями», "Best
  regards" … as the last line or followed by a signature block; «Всего доброго», «Хорошего
  дня» … likewise; «Спасибо», «Заранее благодарю», "Thanks," only when a block with a name,
  position or school follows (a closing «Спасибо!» stays: it is what the person said), and
  never when it is the whole message;
- a block with no sign-off above it — «Бухарова Т.В.» / «8-912-…», an Outlook block of
  name, position and school — when it holds a name or a position and the text above it is
  more than a greeting and does not lead into it («Данные ребёнка:», «обратиться к»); a
  trailing disclaimer paragraph («Это сообщение … конфиденциальн…», "This e-mail is
  confidential …", an antivirus footer), even wrapped over several lines.

Never a line of prose: a line with a verb or a question mark, a sign-off followed by words
(«С уважением отношусь к вашей работе, но…», «Спасибо, всё заработало!») and a phone number
inside a sentence stay. A postscript («P.S. …») after a signature stays in the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from mailbot.reading.quote_markers import CLIENT_SIGNATURE_STARTS, is_client_signature
from mailbot.reading.signature_lines import (
    Closing,
    LineKind,
    closing,
    display_name,
    inline_closing,
    is_disclaimer,
    line_kind,
    nominative_start,
)
from mailbot.text.greetings import is_greeting

__all__ = ["HTML_SIGNATURE_MARK", "SignatureSplit", "split_signature"]

HTML_SIGNATURE_MARK = "\ue000"  # quote_html.py writes it on a line before a signature container
_MAX_BLOCK = 20  # lines of a signature block (blank lines not counted)
_MAX_SHORT = 3  # unclassified short lines a signed block may hold
_BARE_KINDS = ("name", "role", "org", "contact", "rule", "disclaimer")  # a block with no sign-off
_RE_HARD_DELIMITER = re.compile(rf"^\s*(?:-- +|{HTML_SIGNATURE_MARK}\s*)$")
_RE_SOFT_DELIMITER = re.compile(r"^\s*(?:[-–—_=~*]{2,80}|—)\s*$")
_RE_PS = re.compile(r"^(?:p\.?\s?p?\.?\s?s\.?|п\.?\s?с\.?|зы)(?=[\s:.,-]|$)", re.IGNORECASE)
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d"
_RE_EMOJI = re.compile(f"[{_EMOJI}]+")
# What a line must start with for _RE_PS to match it once tidied.
_RE_PS_START = re.compile(r"[\s" + _EMOJI + "]*[pпз]", re.IGNORECASE)
# What a raw line starts with once whitespace and emoji are skipped, as far as _Text needs
# to know: nothing (the line is blank once tidied), a character a delimiter starts with, or
# the first word of a client footer (quote_markers.CLIENT_SIGNATURE_STARTS; when none could
# be read, the empty word: any line. is_client_signature reads a line without its links, so
# a line with a link may be a footer too).
_RE_LINE_START = re.compile(
    r"[\s" + _EMOJI + "]*(?:$"
    rf"|(?P<delimiter>[-–—_=~*{HTML_SIGNATURE_MARK}])"
    rf"|(?P<footer>{'|'.join(map(re.escape, CLIENT_SIGNATURE_STARTS))}))",
    re.IGNORECASE,
)
# A text that leads into the next line: «Данные ребёнка:», «обратиться к», «учителю —».
_RE_LEADS_ON = re.compile(
    r"(?:[:,;—–-]|\b(?:к|в|во|на|и|а|но|для|от|у|по|о|об|с|со|за|про|это|—|of|to|and|the|for"
    r"|is|are|by)|ребёнка|ребенка|сына|дочери|ученика|ученицы|учителя|учителю)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SignatureSplit:
    """A text cut in two: what the person wrote, and their signature.

    ``name`` is the signer's name as written in the signature — a full name («Иванова
    Надежда Павловна»), initials and a surname («Н. П. Иванова»), a first name and
    patronymic or a first name alone («Анна») — or None when the signature names nobody
    («мама Вероники», a client footer, no signature).
    """

    body: str
    signature: str
    name: str | None


class _Options(NamedTuple):
    keep_thanks: bool  # a «Спасибо!» that is all the body stays
    bare: bool  # a block with no sign-off above it may be cut


@dataclass(frozen=True)
class _Cut:
    start: int  # first line of the signature
    offset: int  # where it starts inside that line (0: the whole line)
    end: int  # line after it
    name: str | None


class _Text:
    """The lines of a text as the rules see them (whitespace collapsed, emoji gone), with
    the client footers and each line's kind, asked once. Whether a line belongs to a
    disclaimer paragraph is asked only for a line that is nothing else, so only such a
    line's paragraph is searched (the search is the costly part of a long text).

    A line is tidied (``line``) only when a rule asks for it: the rules read the end of a
    text, and of a long text's other lines only how they start is read (_RE_LINE_START):
    whether they are blank (``blanks``), may be a client footer, may be a delimiter.
    """

    def __init__(self, text: str) -> None:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.raw = text.split("\n")
        self._lines: dict[int, str] = {}
        # How each line starts: None (blank), "footer", "delimiter" or "text" (anything else).
        starts = [_RE_LINE_START.match(raw) for raw in self.raw]
        openings = [start.lastgroup if start else "text" for start in starts]
        self.blanks = [opening is None for opening in openings]  # empty once tidied
        self.delimiter_starts = [i for i, opening in enumerate(openings)
                                 if opening == "delimiter"]
        links = "://" in text
        self.footers = {i for i, opening in enumerate(openings)
                        if (opening == "footer" or (links and "://" in self.raw[i]))
                        and self.line(i) and is_client_signature(self.line(i))}
        self._paragraphs: dict[int, tuple[int, int]] | None = None
        self._disclaimers: dict[int, bool] = {}  # paragraph start -> it reads as one
        self._kinds: dict[int, LineKind | None] = {}

    def __len__(self) -> int:
        return len(self.raw)

    def line(self, i: int) -> str:
        """Line i with emoji and no-break spaces gone and whitespace collapsed."""
        if i not in self._lines:
            plain = _RE_EMOJI.sub(" ", self.raw[i]).replace("\u00a0", " ")
            self._lines[i] = " ".join(plain.split())
        return self._lines[i]

    def _paragraph_of(self) -> dict[int, tuple[int, int]]:
        """Each line of a paragraph of two lines or more -> that paragraph's (start, end)."""
        found: dict[int, tuple[int, int]] = {}
        start = 0
        for i in range(len(self.raw) + 1):
            if i < len(self.raw) and not self.blanks[i]:
                continue
            if i - start > 1:
                found.update(dict.fromkeys(range(start, i), (start, i)))
            start = i + 1
        return found

    def in_disclaimer(self, i: int) -> bool:
        """Line i is in a paragraph that reads as a disclaimer when joined (it is often
        wrapped)."""
        if self._paragraphs is None:
            self._paragraphs = self._paragraph_of()
        bounds = self._paragraphs.get(i)
        if bounds is None:
            return False
        start, end = bounds
        if start not in self._disclaimers:
            paragraph = " ".join(self.line(j) for j in range(start, end))
            self._disclaimers[start] = is_disclaimer(paragraph)
        return self._disclaimers[start]

    def kind(self, i: int) -> LineKind | None:
        if i not in self._kinds:
            line = self.line(i)
            kind = None if _RE_PS.match(line) else line_kind(line)  # a P.S. is never part
            if kind is None and self.in_disclaimer(i):
                kind = LineKind("disclaimer")  # a wrapped line of a disclaimer
            self._kinds[i] = kind
        return self._kinds[i]


def split_signature(text: str, *, keep_thanks: bool = True, bare: bool = True) -> SignatureSplit:
    """Split a sender's own text into body and signature (see the module's docstring).

    With ``keep_thanks`` (the default) a «Спасибо!» or «Хорошего дня!» that is all the body
    would keep stays in it; quotes.py passes False for an answer block after the first, where «Thanks,» over a
    name only signs the whole reply. With ``bare`` False a block of name and position with
    no sign-off or delimiter above it is not cut: quotes.py passes it for an answer block
    that more answers follow, where «Сидоров Максим Андреевич» answers «ФИО ребёнка?».
    Runs of blank lines in the body become one.
    """
    found = _Text(text)
    end = _delimiter(found)
    options = _Options(keep_thanks, bare)
    cut = _end_cut(found, end, options)
    if cut is None:
        ps = _postscript(found, end)
        cut = _end_cut(found, ps, options) if ps is not None else None
    # Above the first line a cut or the delimiter can take, only the footers leave the body.
    first = min(end, cut.start) if cut is not None else end
    body = [line for i, line in enumerate(found.raw[:first]) if i not in found.footers]
    signature = [found.raw[i] for i in sorted(found.footers) if i < first]
    for i in range(first, len(found)):
        line = found.raw[i]
        if cut is not None and cut.start <= i < cut.end:
            if i == cut.start and cut.offset:
                body.append(line[: cut.offset].rstrip())
                line = line[cut.offset :]
            signature.append(line)
        elif i in found.footers or i >= end:
            signature.append(line)
        else:
            body.append(line)
    name = cut.name if cut is not None else None
    if name is None and end < len(found):
        name = _first_name(found.line(i) for i in range(end + 1, len(found)))
    signature = [line for line in signature if line.strip() != HTML_SIGNATURE_MARK]
    return SignatureSplit(_tidy(body), _tidy(signature), display_name(name) if name else None)


def _delimiter(found: _Text) -> int:
    """Index of the line where a delimited signature starts (len(lines) if none)."""
    for i in found.delimiter_starts:  # no other line can match either pattern
        line = found.raw[i]
        if _RE_HARD_DELIMITER.match(line):
            return i
        if _RE_SOFT_DELIMITER.match(line) and _signed_block(found, i + 1):
            return i
    return len(found)


def _signed_block(found: _Text, start: int) -> bool:
    """The lines from start to the end read as a signature block that names someone."""
    known: list[LineKind] = []
    for i in range(start, len(found)):
        if found.blanks[i]:
            continue
        kind = found.kind(i)
        if kind is None or len(known) == _MAX_BLOCK:
            return False  # prose, or too long for a block
        known.append(kind)
    if not known:
        return False
    shorts = sum(k.kind == "short" for k in known)
    return shorts <= _MAX_SHORT and any(
        k.kind in ("name", "person", "role", "org", "footer", "disclaimer") for k in known
    )


def _postscript(found: _Text, end: int) -> int | None:
    for i in range(end - 1, 0, -1):
        if _RE_PS_START.match(found.raw[i]) and _RE_PS.match(found.line(i)):
            return i
    return None


def _end_cut(found: _Text, end: int, options: _Options) -> _Cut | None:
    """A sign-off and its block, or a block of name and position, at the end of lines[:end]."""
    blanks, footers = found.blanks, found.footers
    content = [i for i in range(end) if not blanks[i] and i not in footers]
    below: list[LineKind] = []  # the lines under the one looked at, bottom-up
    counted = 0  # lines of the block, disclaimers aside
    for pos in range(len(content) - 1, -1, -1):
        i = content[pos]
        line = found.line(i)
        sign_off = closing(line)
        if sign_off is not None and _closing_fits(sign_off, below):
            start = i
            if sign_off.kind != "formal" and options.keep_thanks and pos == 0:
                start = i + 1  # «Спасибо!», «Хорошего дня!» is all the person wrote
            return _Cut(start, 0, end, _closing_name(sign_off, below[::-1]))
        inline = _inline_cut(line, i, below, end)
        if inline is not None:
            return inline
        kind = found.kind(i)
        counted += kind is not None and kind.kind != "disclaimer"
        if kind is None or counted > _MAX_BLOCK:
            break
        below.append(kind)
    if not options.bare:
        return None
    block = list(zip(content[len(content) - len(below) :], below[::-1], strict=True))
    return _bare_cut(found, content, block, end)


def _closing_fits(found: Closing, below: list[LineKind]) -> bool:
    """Whether a sign-off line with these lines under it ends the text as a signature."""
    if found.tail:
        if found.kind == "thanks":
            return False  # «Спасибо, всё заработало!», «Спасибо, Ирина Викторовна!»
        tail = line_kind(found.tail)
        allowed = ("name", "person", "role") if found.spaced else (
            "name", "person", "role", "org", "contact")
        if tail is None or tail.kind not in allowed:
            return False
    if sum(k.kind == "short" for k in below) > _MAX_SHORT:
        return False
    if found.kind == "thanks":
        return any(k.kind in ("name", "person", "role", "org") for k in below)
    return True


def _closing_name(found: Closing, below: list[LineKind]) -> str | None:
    if found.tail and found.kind == "formal":
        tail = line_kind(found.tail)
        if tail is not None and tail.name:
            return tail.name
    for wanted in ("name", "person", "contact"):
        for kind in below:
            if kind.kind == wanted and kind.name:
                return kind.name
    return None


def _inline_cut(line: str, i: int, below: list[LineKind], end: int) -> _Cut | None:
    """«… не вижу оценки. С уважением, Анна» — a sign-off after the last sentence."""
    offset = inline_closing(line)
    if offset is None:
        return None
    found = closing(line[offset:])
    if found is None or found.kind == "thanks" or not _closing_fits(found, below):
        return None
    return _Cut(i, offset, end, _closing_name(found, below[::-1]))


def _bare_cut(found: _Text, content: list[int], block: list[tuple[int, LineKind]],
              end: int) -> _Cut | None:
    """A block with no sign-off: a name or a position with a school or a contact (or a
    disclaimer), under text that is more than a greeting and does not lead into it.
    ``block`` is the run of signature-like lines at the end of ``content``; its top may
    still be prose."""
    cut = len(block)
    while cut and block[cut - 1][1].kind in _BARE_KINDS:
        cut -= 1
    block = block[cut:]
    who = next((k for k, (_, kind) in enumerate(block) if kind.kind in ("name", "role", "org")),
               None)
    if who is None:  # only a disclaimer (and rules) may go then
        who = next((k for k, (_, kind) in enumerate(block) if kind.kind == "disclaimer"
                    and all(x.kind in ("disclaimer", "rule") for _, x in block[k:])), None)
        if who is None:
            return None
    while who and block[who - 1][1].kind == "rule":
        who -= 1  # a logo or a rule over the name belongs to the block
    block = block[who:]  # a block starts with who, not with a phone
    first = block[0][0]
    alone = (  # «Администратор ЭЖ» as a paragraph of its own (not the answer «Teacher.»)
        len(block) == 1 and block[0][1].kind == "role" and not found.line(first - 1)
        and not found.line(first).endswith(".") and nominative_start(found.line(first))
    )
    if not alone and not _names_signer(block):
        return None
    body = [i for i in content if i < first]
    if (not body or all(is_greeting(found.line(i)) for i in body)
            or _RE_LEADS_ON.search(found.line(body[-1]))):
        return None
    name = next((kind.name for _, kind in block if kind.kind == "name"), None)
    return _Cut(block[0][0], 0, end, name)


def _names_signer(block: list[tuple[int, LineKind]]) -> bool:
    """One person by name or by role, a position with a school or a contact, a school with a
    contact — or a disclaimer alone. Two names are a list of people, not a signature."""
    kinds = {kind.kind for _, kind in block}
    if sum(kind.kind == "name" for _, kind in block) > 1:
        return False
    if kinds <= {"disclaimer", "rule"}:
        return "disclaimer" in kinds
    if "name" in kinds or any(kind.kin for _, kind in block):
        return True
    return ("role" in kinds and bool(kinds & {"org", "contact"})) or kinds >= {"org", "contact"}


def _first_name(lines: Iterable[str]) -> str | None:
    """The signer's name in a delimited signature: the first line that names a person, or
    a line of capitalised words right under the delimiter ("Zoltan Kovacs")."""
    first = True
    for line in lines:
        if not line:
            continue
        found = closing(line)
        kind = line_kind(found.tail if found else line) if not found or found.tail else None
        if kind is not None and kind.name and (kind.kind in ("name", "contact") or first):
            return kind.name
        first = first and found is not None
    return None


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
