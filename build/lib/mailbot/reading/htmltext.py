"""Readable plain text from the HTML part of an e-mail.

Many Russian mailers (Outlook, Mail.ru, Yandex, Gmail) send HTML only, or a text part that is
worse than the HTML one.  What later stages need from it is the text a person sees: lines
where the mail shows lines, no CSS or Outlook XML, links kept as ``text (url)`` so that a
helper can follow them, and quoted history kept recognisable (``> `` prefixes for
``<blockquote>``, a line of underscores for ``<hr>`` as in Outlook's own plain text) so that
the quote stripper can cut it off.

The converter is a single pass of one tokenizing regular expression (linear in the input,
about 30 ms for 200 KB of real mail HTML; ``html.parser`` was slower and quadratic on some
garbage) with a small stack of open elements; it tolerates unclosed and stray tags the way
browsers roughly do, and never raises: on any internal failure it falls back to stripping
tags.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from urllib.parse import unquote

__all__ = ["html_to_text"]

# Elements whose content is never shown.
_SKIP = frozenset(
    {"style", "script", "title", "template", "svg", "xml", "head", "object", "applet",
     "iframe", "frameset", "noembed", "datalist"}
)  # fmt: skip
# Elements that may appear in <head>; any other start tag means the body has begun.
_HEAD_CONTENT = frozenset({"title", "meta", "link", "style", "script", "base", "noscript", "xml"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr", "basefont", "bgsound", "frame", "keygen", "image"}
)  # fmt: skip
# Block elements and the break they cause: 1 = new line, 2 = new paragraph (blank line).
_BLOCK = {
    **dict.fromkeys(
        ("div", "li", "tr", "table", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre",
         "section", "article", "header", "footer", "nav", "aside", "main", "form", "fieldset",
         "center", "figure", "figcaption", "caption", "address", "details", "summary",
         "legend", "body", "html", "menu", "dir", "option", "tbody", "thead", "tfoot"),
        1,
    ),
    **dict.fromkeys(("p", "h1", "h2", "h3", "h4", "h5", "h6"), 2),
}  # fmt: skip
# Start tags that implicitly close an open <p>.
_CLOSES_P = frozenset(
    {"address", "article", "aside", "blockquote", "div", "dl", "fieldset", "footer", "form",
     "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "menu", "nav", "ol", "p", "pre",
     "section", "table", "ul", "li", "dd", "dt", "center"}
)  # fmt: skip
_CELLS = frozenset({"td", "th"})
_LISTS = frozenset({"ul", "ol", "menu", "dir"})

_HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|mso-hide\s*:\s*all", re.IGNORECASE)
_SPACES_RE = re.compile(r"[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
_INVISIBLE_RE = re.compile(r"[\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad\u034f]")
# Bullets Outlook writes as text in Symbol font (and people type), at the start of a line.
_BULLET_RE = re.compile(r"^(\s*)[·•▪◦●]\s+")
_URLISH_RE = re.compile(
    r"^(?:[a-z][a-z0-9+.-]*://|www\.)\S+$|^[^\s@]+@[^\s@]+\.[^\s@]+$", re.IGNORECASE
)
_FILENAME_RE = re.compile(
    r"\.(?:png|jpe?g|gif|bmp|webp|svg|tiff?)$|^cid:|^image\d*$", re.IGNORECASE
)
_DULL_ALT = frozenset(
    {"image", "img", "picture", "photo", "logo", "icon", "spacer", "pixel", "banner",
     "изображение", "картинка", "фото", "рисунок", "логотип", "описание"}
)  # fmt: skip
_RAW_TEXT = frozenset({"script", "style", "noembed", "noframes"})
# Tags whose attributes are read, and a hint that another tag may be hidden.
_ATTR_TAGS = frozenset({"a", "img", "p", "ol"})
_ATTR_HINT_RE = re.compile(r"none|hidden|mso-hide", re.IGNORECASE)
_ATTR_RE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>"']+)))?""")
# Markup tokens; text is whatever lies between them.  Possessive quantifiers keep broken
# markup (an unclosed quote) from backtracking.
_TOKEN_RE = re.compile(
    r"""<!--.*?(?:--!?>|\Z)"""
    r"""|<(?P<start>[a-zA-Z][^\s/>]*+)(?P<attrs>(?:[^>"']++|"[^"]*+"|'[^']*+')*+)>"""
    r"""|</\s*(?P<end>[a-zA-Z][^\s/>]*+)[^>]*+>"""
    r"""|<![^>]*+>|<\?[^>]*+>""",
    re.DOTALL,
)
_MAX_STACK_SEARCH = 200
_CELL_SEPARATOR = " | "
_HR_LINE = "_" * 32


@dataclass
class _Open:
    """An open element and the state it changed, undone when it closes."""

    tag: str
    skip: bool = False
    hidden: bool = False
    quote: bool = False
    pre: bool = False
    list_kind: str | None = None
    anchor: bool = False
    block: int = 0


@dataclass
class _List:
    kind: str
    next_number: int


@dataclass
class _Anchor:
    href: str
    text: list[str]


class _Converter:
    """Collects (quote depth, text) lines from tokenizer events."""

    def __init__(self, hide_hidden: bool) -> None:
        self.hide_hidden = hide_hidden
        self.hidden_chars = 0
        self.lines: list[tuple[int, str]] = []
        self.cur: list[str] = []
        self.cur_has_text = False
        self.cur_nbsp = False  # the line holds only &nbsp;: a deliberate empty line
        self.cur_depth = 0
        self.pending_break = 0
        self.pending_space = False
        self.pending_cell = False
        self.pending_marker = ""
        self.stack: list[_Open] = []
        self.skip = 0
        self.hidden = 0
        self.quote = 0
        self.pre = 0
        self.in_head = False
        self.lists: list[_List] = []
        self.anchor: _Anchor | None = None

    # ----------------------------------------------------------------- output helpers

    def _flush(self) -> None:
        text = "".join(self.cur).rstrip()
        depth = self.cur_depth if self.cur_has_text else self.quote
        self.lines.append((depth, text))
        self.cur = []
        self.cur_has_text = False
        self.cur_nbsp = False
        self.pending_space = False
        self.pending_cell = False

    def _apply_break(self) -> None:
        if not self.pending_break:
            return
        if self.cur_has_text or self.cur_nbsp:
            self._flush()  # Outlook's <p>&nbsp;</p> and Mail.ru's <div>&nbsp;</div>
        else:
            self.cur = []
        # A paragraph gap, but not at the edge of a quote: "> " alone is noise there.
        last = self.lines[-1] if self.lines else (self.quote, "")
        if self.pending_break >= 2 and last[1] and last[0] == self.quote:
            self.lines.append((self.quote, ""))
        self.pending_break = 0
        self.pending_space = False

    def _request_break(self, level: int) -> None:
        self.pending_break = max(self.pending_break, level)

    def _line_break(self) -> None:
        """<br>: end the current line, even an empty one (that makes a blank line)."""
        self._apply_break()
        self._flush()

    def _write(self, text: str) -> None:
        """Append visible inline text to the current line."""
        self._apply_break()
        if not self.cur_has_text:
            self.cur_depth = self.quote
            self.cur = [self.pending_marker] if self.pending_marker else []
            self.pending_marker = ""
            self.cur_has_text = True
        elif self.pending_cell:
            self.cur.append(_CELL_SEPARATOR)
        elif self.pending_space:
            self.cur.append(" ")
        self.pending_space = False
        self.pending_cell = False
        self.cur.append(text)
        if self.anchor is not None:
            self.anchor.text.append(text)

    # ----------------------------------------------------------------- tokenizer events

    def feed(self, markup: str) -> None:
        """Tokenize with one regular expression: linear in the input even for broken markup
        (the stdlib parser is several times slower and quadratic on some garbage)."""
        pos = 0
        length = len(markup)
        while pos < length:
            match = _TOKEN_RE.search(markup, pos)
            if match is None:
                self.handle_data(_unescape(markup[pos:]))
                break
            if match.start() > pos:
                self.handle_data(_unescape(markup[pos : match.start()]))
            pos = match.end()
            name = match.group("start")
            if name is not None:
                tag = name.lower()
                raw_attrs = match.group("attrs") or ""
                self._start(tag, _attributes(tag, raw_attrs), raw_attrs.rstrip().endswith("/"))
                if tag in _RAW_TEXT:  # script/style content is not markup: skip to its end
                    end = re.compile(rf"</{tag}\s*>", re.IGNORECASE).search(markup, pos)
                    pos = end.start() if end else length
                elif tag == "pre" and markup.startswith("\n", pos):
                    pos += 1  # a newline right after <pre> is not content
                continue
            name = match.group("end")
            if name is not None:
                self.handle_endtag(name.lower())
            # comments, <!DOCTYPE>, <![if ...]>, <?xml ...?> carry no text

    def handle_data(self, data: str) -> None:
        if self.in_head:
            if not data.strip() or self.skip > 1:
                return
            self._leave_head()  # text outside any head element: the body has begun
        if self.skip:
            if self.hidden:
                self.hidden_chars += len(data.strip())
            return
        data = _INVISIBLE_RE.sub("", data)
        if self.pre:
            self._write_pre(data)
            return
        if data[:1].isspace() or data[:1] == "\u00a0":
            self.pending_space = self.cur_has_text
        words = _SPACES_RE.sub(" ", data).strip()
        if not words and "\u00a0" in data:
            self._apply_break()
            self.cur_nbsp = not self.cur_has_text
        if words:
            self._write(words)
            self.pending_space = _SPACES_RE.match(data[-1]) is not None
        if self.anchor is not None and self.pending_space:
            self.anchor.text.append(" ")

    def _write_pre(self, data: str) -> None:
        for i, part in enumerate(data.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
            if i:
                self._line_break()
            part = part.replace("\t", "    ").replace("\u00a0", " ")
            if part.strip():
                self._write(part.rstrip() if self.cur_has_text else part)

    def handle_endtag(self, tag: str) -> None:
        if tag == "br":
            if not self.skip:
                self._line_break()
            return
        if tag == "head":
            self._leave_head()
            return
        if tag == "p" and self._find(tag) is None and not self.skip:
            self._request_break(2)  # a stray </p> still ends a paragraph in browsers
            return
        index = self._find(tag)
        if index is not None:
            self._pop_to(index)

    # ----------------------------------------------------------------- structure

    def _leave_head(self) -> None:
        if not self.in_head:
            return
        self.in_head = False
        index = self._find("head")
        if index is not None:
            self._pop_to(index)

    def _find(self, tag: str, stop: frozenset[str] = frozenset()) -> int | None:
        lowest = max(0, len(self.stack) - _MAX_STACK_SEARCH)
        for i in range(len(self.stack) - 1, lowest - 1, -1):
            name = self.stack[i].tag
            if name == tag:
                return i
            if name in stop:
                return None
        return None

    def _pop_to(self, index: int) -> None:
        while len(self.stack) > index:
            self._close(self.stack.pop())

    def _close(self, entry: _Open) -> None:
        if entry.anchor:
            self._close_anchor()
        if entry.skip:
            self.skip -= 1
            self.hidden -= 1 if entry.hidden else 0
            return
        if entry.quote:
            self.pending_break = 1  # end the last quoted line, without a quoted blank line
            self._apply_break()
            self.quote -= 1
        if entry.pre:
            self.pre -= 1
        if entry.list_kind is not None and self.lists:
            self.lists.pop()
        if entry.block:
            self._request_break(entry.block)

    def _implicit_closes(self, tag: str) -> None:
        if tag in _CLOSES_P and self.stack and self.stack[-1].tag == "p":
            self._pop_to(len(self.stack) - 1)
        if tag == "li":
            index = self._find("li", stop=_LISTS)
        elif tag in ("dt", "dd"):
            index = self._find("dd", stop=frozenset({"dl"}))
            if index is None:
                index = self._find("dt", stop=frozenset({"dl"}))
        elif tag == "tr":
            index = self._find("tr", stop=frozenset({"table"}))
        elif tag in _CELLS:
            index = self._find("td", stop=frozenset({"tr", "table"}))
            if index is None:
                index = self._find("th", stop=frozenset({"tr", "table"}))
        elif tag == "a":
            index = self._find("a")
        else:
            index = None
        if index is not None:
            self._pop_to(index)

    def _start(self, tag: str, attrs: dict[str, str | None], self_closing: bool) -> None:
        if tag == "head":
            if not self.in_head and not self.lines and not self.cur_has_text:
                self.in_head = True
                self.skip += 1
                self.stack.append(_Open(tag, skip=True))
            return
        if self.in_head and tag not in _HEAD_CONTENT:
            self._leave_head()
        if tag == "br":
            if not self.skip:
                self._line_break()
            return
        self._implicit_closes(tag)
        entry = _Open(tag)
        hidden = self.hide_hidden and (
            "hidden" in attrs or _HIDDEN_STYLE_RE.search(attrs.get("style") or "") is not None
        )
        if self.skip or tag in _SKIP or hidden or tag.startswith(("w:", "v:", "m:")):
            if tag in _VOID or self_closing:
                return
            entry.skip = True
            entry.hidden = hidden
            self.skip += 1
            self.hidden += 1 if hidden else 0
            self.stack.append(entry)
            return
        self._open_visible(tag, attrs, entry)
        if tag in _VOID or self_closing:
            if entry.anchor or entry.block or entry.quote or entry.pre or entry.list_kind:
                self._close(entry)
            return
        self.stack.append(entry)

    def _open_visible(self, tag: str, attrs: dict[str, str | None], entry: _Open) -> None:
        if tag == "img":
            self._image(attrs)
            return
        if tag == "hr":
            self._request_break(1)
            self._write(_HR_LINE)
            self._request_break(1)
            return
        if tag in _CELLS:
            self.pending_cell = self.cur_has_text and not self.pending_break
            return
        if tag == "a":
            href = (attrs.get("href") or "").strip()
            self.anchor = _Anchor(href, [])
            entry.anchor = True
            return
        block = _BLOCK.get(tag, 0)
        if tag == "p" and "mso" in (attrs.get("class") or "").lower():
            block = 1  # Outlook paragraphs have no margins: one per line
        if block:
            self._request_break(block)
            entry.block = block
        if tag == "blockquote":
            self._request_break(1)
            self._apply_break()
            self.quote += 1
            entry.quote = True
        elif tag == "pre":
            self.pre += 1
            entry.pre = True
        elif tag in _LISTS:
            self.lists.append(_List(tag, _start_number(attrs)))
            entry.list_kind = tag
        elif tag == "li":
            self._list_item()

    def _list_item(self) -> None:
        indent = "  " * max(0, len(self.lists) - 1)
        if self.lists and self.lists[-1].kind == "ol":
            number = self.lists[-1].next_number
            self.lists[-1].next_number = number + 1
            self.pending_marker = f"{indent}{number}. "
        else:
            self.pending_marker = f"{indent}- "

    def _image(self, attrs: dict[str, str | None]) -> None:
        alt = _SPACES_RE.sub(" ", attrs.get("alt") or "").strip()
        if not alt or len(alt) > 80 or not any(ch.isalpha() for ch in alt):
            return
        if _FILENAME_RE.search(alt) or alt.lower().rstrip(":.") in _DULL_ALT:
            return
        if self.pending_space or self.cur_has_text:
            self.pending_space = True
        self._write(f"[{alt}]")
        self.pending_space = True

    def _close_anchor(self) -> None:
        anchor, self.anchor = self.anchor, None
        if anchor is None:
            return
        text = _SPACES_RE.sub(" ", "".join(anchor.text)).strip()
        target = _link_target(anchor.href)
        if not text or not target or _URLISH_RE.match(text):
            return
        if _same_target(text, target):
            return
        self.pending_space = True
        self._write(f"({target})")

    def close(self) -> None:
        self._pop_to(0)
        self._apply_break()
        if self.cur_has_text:
            self._flush()


def _attributes(tag: str, raw: str) -> dict[str, str | None]:
    """Attributes of a start tag, parsed only for the tags and styles that matter here."""
    if tag not in _ATTR_TAGS and _ATTR_HINT_RE.search(raw) is None:
        return {}
    attrs: dict[str, str | None] = {}
    for match in _ATTR_RE.finditer(raw):
        name = match.group(1).lower()
        value = match.group(2)
        if value is None:
            value = match.group(3)
        if value is None:
            value = match.group(4)
        attrs.setdefault(name, html.unescape(value) if value else value)
    return attrs


def _unescape(text: str) -> str:
    return html.unescape(text) if "&" in text else text


def _start_number(attrs: dict[str, str | None]) -> int:
    try:
        return int((attrs.get("start") or "1").strip())
    except ValueError:
        return 1


def _link_target(href: str) -> str:
    """The part of a link worth showing: http(s) URLs as they are, mailto as the address."""
    lowered = href.lower()
    if lowered.startswith(("http://", "https://")):
        return href
    if lowered.startswith("mailto:"):
        return unquote(href[7:].split("?", 1)[0]).strip()
    return ""


def _bare(value: str) -> str:
    value = value.strip().lower()
    for prefix in ("http://", "https://", "mailto:"):
        value = value.removeprefix(prefix)
    return value.removeprefix("www.").rstrip("/")


def _same_target(text: str, target: str) -> bool:
    return _bare(text) == _bare(target)


def _render(lines: list[tuple[int, str]]) -> str:
    out: list[str] = []
    for depth, text in lines:
        text = _BULLET_RE.sub(r"\1- ", text)
        line = ("> " * depth + text).rstrip()
        blank = not text.strip()
        if blank and (not out or not out[-1].lstrip("> ").strip()):
            continue  # at most one empty line in a row, none at the start
        out.append(line)
    while out and not out[-1].lstrip("> ").strip():
        out.pop()
    return "\n".join(out)


def _convert(markup: str, hide_hidden: bool) -> tuple[str, int]:
    parser = _Converter(hide_hidden)
    parser.feed(markup)
    parser.close()
    return _render(parser.lines), parser.hidden_chars


_TAG_RE = re.compile(
    r"<(script|style|head|title)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>", re.IGNORECASE | re.DOTALL
)
_BREAK_TAG_RE = re.compile(r"<(?:br|/p|/div|/li|/tr|/h\d)\b[^>]*>", re.IGNORECASE)


def _strip_tags(markup: str) -> str:
    """Last resort when the parser fails: drop tags, keep line breaks of the obvious ones."""
    text = _BREAK_TAG_RE.sub("\n", markup)
    text = html.unescape(_TAG_RE.sub(" ", text))
    lines = (_SPACES_RE.sub(" ", _INVISIBLE_RE.sub("", line)).strip() for line in text.split("\n"))
    return _render([(0, line) for line in lines])


def html_to_text(markup: str) -> str:
    """Plain text of a mail's HTML body, as a reader sees it.  Never raises.

    Block elements start new lines (paragraphs and headings leave one empty line, never
    more), list items get ``- `` or ``1. ``, links read ``text (url)``, meaningful image
    descriptions read ``[alt]``, ``<blockquote>`` lines get ``> `` per level, ``<hr>`` becomes
    a line of underscores, and hidden elements (``display:none``) are left out unless they
    hold all of the text.
    """
    if not markup:
        return ""
    try:
        if isinstance(markup, bytes):
            markup = markup.decode("utf-8", "replace")
        markup = markup.replace("\r\n", "\n").replace("\x00", "")
        text, hidden_chars = _convert(markup, hide_hidden=True)
        if not text and hidden_chars:
            text, _ = _convert(markup, hide_hidden=False)
        return text
    except Exception:  # noqa: BLE001 - a broken mail must still be readable
        try:
            return _strip_tags(str(markup))
        except Exception:  # noqa: BLE001
            return ""
