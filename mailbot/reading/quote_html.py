"""An HTML reply as text in which quoted history is marked the way plain-text clients mark it.

quotes.py finds the sender's own text in plain text. HTML clients mark history with
containers instead of "> " lines, so before conversion to text:

- quote containers (Apple Mail and Thunderbird cite blockquotes, Mail.ru and Yandex
  blockquotes, webmail quote classes such as yahoo_quoted, the attribution lines of Gmail
  and Thunderbird) become a single ">" line, so an answer written between them still reads
  as an inline answer;
- Outlook's reply header (divRplyFwdMsg, the border-top "От:" block) and forward containers
  cut everything after them in document order;
- a signature container (gmail_signature, moz-signature, OWA's #Signature, Outlook's
  _MailAutoSig bookmark, Apple Mail's, Mail.ru's signature widget …) gets a line with
  signatures.HTML_SIGNATURE_MARK before it, which signatures.py treats as a "-- " line: the
  signature goes, and the signer's name in it can still be read;
- invisible elements (script, style, head) are removed.

The text conversion is htmltext.html_to_text, with a plain BeautifulSoup conversion as a
fallback when that module cannot be imported.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bs4 import BeautifulSoup, Comment, NavigableString, Tag

from mailbot.reading.quote_markers import RE_FIELD, RE_FORWARD_INTRO, RE_SEPARATOR, is_soft_header
from mailbot.reading.signatures import HTML_SIGNATURE_MARK

__all__ = ["reply_html_to_text"]

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
                  "ms-outlook-ios-signature", "ms-outlook-android-signature", "signature",
                  "applemailsignature", "_rc_sig", "_mailautosig")
_SIGNATURE_CLASSES = ("moz-signature", "gmail_signature", "gmail_signature_prefix")
_SIGNATURE_DATA = {"data-signature-widget": "container", "data-marker": "__sig_pre__"}
_SIGNATURE_BLOCKS = ("p", "div", "td", "table", "li")
_INVISIBLE_TAGS = ("script", "style", "head", "title", "meta", "xml")
_RE_BORDER_TOP = re.compile(r"border-top\s*:\s*solid", re.IGNORECASE)
_RE_BORDER_LEFT = re.compile(r"border-left\s*:\s*(?!none)\S", re.IGNORECASE)


def reply_html_to_text(html: str) -> str:
    """The text of an HTML reply: quote containers replaced by a ">" line, history after an
    Outlook header or a forward container cut, signature containers marked."""
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
            _mark_signature(soup, node)
    for node in quotes:
        if _attached(node):
            _replace_quote(soup, node)
    return _to_text(soup)


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
        return bool(RE_FIELD.match(node.get_text(" ", strip=True)[:40]))
    if _has_class(node, ("gmail_quote", "gmail_attr")):
        text = node.get_text(" ", strip=True)[:80]
        return bool(RE_SEPARATOR.match(text) or RE_FORWARD_INTRO.match(text))
    return False


def _is_signature_node(node: Tag) -> bool:
    node_id = _node_id(node).removeprefix("x_")
    if node_id in _SIGNATURE_IDS or _has_class(node, _SIGNATURE_CLASSES):
        return True
    if node.name == "a" and str(node.get("name") or "").lower() == "_mailautosig":
        return True
    return any(str(node.get(key) or "").lower() == value for key, value in _SIGNATURE_DATA.items())


def _mark_signature(soup: BeautifulSoup, node: Tag) -> None:
    """A line with the signature mark before the container (before the paragraph an inline
    bookmark such as Outlook's _MailAutoSig stands in)."""
    target = node
    if node.name == "a":
        target = node.find_parent(_SIGNATURE_BLOCKS) or node
    marker = soup.new_tag("div")
    marker.string = HTML_SIGNATURE_MARK
    target.insert_before(marker)


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
    return any(is_soft_header(tail[start:]) for start in _candidate_starts(tail))


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
