"""Render a mail from templates and build it as bytes ready for the outbox.

One call renders the text and the HTML part from the same context (`<name>.txt.j2` and
`<name>.html.j2`; the subject is the template's `subject` block). Every header value is
made one line (`single_line`), so nothing a user wrote can inject a header, and non-ASCII
text is RFC 2047-encoded by the `email` package's compat32 `Header`; the bytes are those
the package's compat32 generator writes (tests/unit/test_compose_bytes.py).
"""

from __future__ import annotations

import base64
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.generator import NLCRE, BytesGenerator
from email.header import Header
from email.message import Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr
from functools import cache, lru_cache
from io import BytesIO
from itertools import groupby
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    Template,
    TemplateNotFound,
    select_autoescape,
)
from markupsafe import Markup, escape

from mailbot.outgoing.names import greeting
from mailbot.reading.addresses import ascii_domain

LOOP_HEADER = "X-Mailbot-Loop"
SMTP_COMPAT = compat32.clone(linesep="\r\n")


@dataclass(frozen=True)
class FileAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


class Templates:
    """The Jinja2 environment over templates/; built once and passed down."""

    def __init__(self, folder: Path) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(folder)),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # Compiled once per process and never looked up on disk again: without this,
            # every mail stats each template file it uses to see whether it changed. A
            # template changed while mailbot runs is seen after a restart.
            auto_reload=False,
        )
        self.env.filters["indent_quote"] = indent_quote
        self.env.filters["plural"] = plural
        self.env.filters["greeting"] = greeting
        # Names with no template of their own (most mails have no `.html.j2`): jinja2 caches
        # only what it found, and would look for these on disk again for every mail.
        self._missing: set[str] = set()

    def _optional(self, name: str) -> Template | None:
        if name in self._missing:
            return None
        try:
            return self.env.get_template(name)
        except TemplateNotFound:
            self._missing.add(name)
            return None

    def render(self, name: str, **context: object) -> Rendered:
        """Text, HTML and subject from one context.

        A mail without its own `<name>.html.j2` gets its HTML from the text through
        `_text.html.j2`, so every mail has both parts and the wording lives in one place.
        """
        text_template = self.env.get_template(f"{name}.txt.j2")
        subject, text = _subject_and_text(text_template, context)
        # The subject block sits on the template's first line: it is the subject, not text.
        if subject and text.startswith(subject):
            text = text[len(subject):].lstrip("\n")
        html_template = self._optional(f"{name}.html.j2")
        if html_template is None:
            html_template = self.env.get_template("_text.html.j2")
            context = {**context, "body_html": text_to_html(text)}
        return Rendered(
            subject=" ".join(subject.split()), text=text, html=html_template.render(**context)
        )


def _subject_and_text(template: Template, context: dict[str, object]) -> tuple[str, str]:
    """The template's `subject` block ("" without one) and the whole template, rendered in
    one jinja2 context: what `template.render(**context)` does, through jinja2's low-level
    API (`root_render_func`), with the block rendered in the same context first (a block
    changes nothing in its context; a second context for it cost as much as the block)."""
    ctx = template.new_context(context)  # a copy: rendering does not change `context`
    subject_block = template.blocks.get("subject")
    try:
        subject = "" if subject_block is None else "".join(subject_block(ctx))
        return subject, "".join(template.root_render_func(ctx))
    except Exception:  # noqa: BLE001 - re-raised by jinja2, as `render` does it
        template.environment.handle_exception()


def plural(number: int, one: str, few: str, many: str) -> str:
    """The Russian form for a count: 1 день, 2 дня, 5 дней (21 день, 11 дней)."""
    n = abs(int(number))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def indent_quote(text: str) -> str:
    """Someone else's words inside our mail, marked `> ` line by line."""
    lines = str(text).strip().splitlines() or ["(пусто)"]
    return "\n".join(f"> {line}".rstrip() for line in lines)


_URL = re.compile(r"https?://[^\s<>\"«»]+[^\s<>\"«».,;:!?)]")


_BLANK_LINES = re.compile(r"\n\s*\n")

# A block this short is remembered (`_short_block_html`); a longer one is someone's text.
_SHORT_BLOCK = 2000


def text_to_html(text: str) -> Markup:
    """Plain mail text as simple, escaped HTML: paragraphs, `- ` lists, `> ` quotes, links."""
    blocks = _BLANK_LINES.split(text.strip())
    return Markup("\n".join([
        _short_block_html(block) if len(block) <= _SHORT_BLOCK else _text_block_html(block)
        for block in blocks if block.strip()]))


@lru_cache(maxsize=256)
def _short_block_html(block: str) -> str:
    """`_text_block_html`, remembered: most blocks of a mail are the template's own words,
    the same in every mail of its kind (the signature, the helper's commands, the greeting),
    and were most of the time `text_to_html` took."""
    return _text_block_html(block)


def _text_block_html(block: str) -> str:
    """One block of text (no empty line inside) as HTML."""
    if ">" in block or "- " in block:
        return _block_html(block.splitlines())
    return "<p>" + _inline_lines(block.splitlines()) + "</p>"  # no quote, no list


def _block_html(lines: list[str]) -> str:
    """A block as its runs of quoted and unquoted lines, one after the other: «Текст
    обращения:» and the quote right under it are a paragraph, then the quote. (Run by run:
    split in two and each half again, 5,000 alternating lines went past Python's recursion
    limit.)"""
    return "".join(_run_html(list(run), quoted)
                   for quoted, run in groupby(lines, key=lambda line: line.startswith(">")))


def _run_html(lines: list[str], quoted: bool) -> str:
    if quoted:
        return ('<blockquote style="margin:8px 0;padding:4px 12px;border-left:3px solid '
                f'#d0d7de;color:#1f2328;">{_quoted_html([line[1:].strip() for line in lines])}'
                "</blockquote>")
    first_item = next((i for i, line in enumerate(lines) if line.startswith("- ")), None)
    if first_item is None:
        return "<p>" + _inline_lines(lines) + "</p>"
    # A lead-in («Что будет дальше:»), «- » items (an indented line continues one), and
    # whatever follows the list as a paragraph of its own.
    items: list[str] = []
    end = first_item
    for line in lines[first_item:]:
        if line.startswith("- "):
            items.append(line[2:])
        elif line.startswith("  "):
            items[-1] += " " + line.strip()
        else:
            break
        end += 1
    head, tail = lines[:first_item], lines[end:]
    lead = '<p style="margin-bottom:4px;">' + _inline_lines(head) + "</p>" if head else ""
    lis = "".join(f"<li>{_inline(item)}</li>" for item in items)
    rest = "<p>" + _inline_lines(tail) + "</p>" if tail else ""
    return f'{lead}<ul style="margin:0 0 12px;padding-left:20px;">{lis}</ul>{rest}'


# A line this long that does not end a sentence was wrapped by the writer's mail client.
_WRAPPED = 60


def _quoted_html(lines: list[str]) -> str:
    """Someone's words as paragraphs: empty lines part them, hard-wrapped lines are joined
    again (a short line, a list item or a sentence's end keeps its break)."""
    paragraphs: list[list[str]] = [[]]
    for line in lines:
        if not line:
            paragraphs.append([])
        elif (paragraphs[-1] and len(paragraphs[-1][-1]) >= _WRAPPED
              and not paragraphs[-1][-1].endswith((".", "!", "?", ":", ";"))
              and not line.startswith(("- ", "* ", "• "))):
            paragraphs[-1][-1] += " " + line
        else:
            paragraphs[-1].append(line)
    return "".join(f'<p style="margin:4px 0;">{_inline_lines(para)}</p>'
                   for para in paragraphs if para)


def _inline_lines(lines: list[str]) -> str:
    """`<br>`-separated `_inline` lines; without a link among them they are escaped in one
    piece (no line holds a line break: each comes from `splitlines`)."""
    joined = "\n".join(lines)
    if "http" not in joined:
        return str(escape(joined)).replace("\n", "<br>")
    return "<br>".join(_inline(line) for line in lines)


def _inline(line: str) -> str:
    if "http" not in line:  # no link: most lines (the same result, without the search)
        return str(escape(line))
    parts, last = [], 0
    for found in _URL.finditer(line):
        parts.append(str(escape(line[last:found.start()])))
        url = escape(found.group())
        parts.append(f'<a href="{url}">{url}</a>')
        last = found.end()
    parts.append(str(escape(line[last:])))
    return "".join(parts)


def new_message_id(domain: str, case: int | None, kind: str) -> str:
    """A Message-ID at our domain (without angle brackets)."""
    return f"mailbot.{case or 0}.{kind}.{secrets.token_hex(8)}@{domain}"


def single_line(text: str, limit: int = 250) -> str:
    return " ".join(text.split())[:limit]


def build(
    *,
    sender: tuple[str, str],
    to: list[tuple[str, str]],
    rendered: Rendered,
    message_id: str,
    date: datetime,
    loop_domain: str,
    in_reply_to: str = "",
    references: tuple[str, ...] = (),
    auto_submitted: str = "auto-replied",
    reply_to: str = "",
    attachments: Sequence[FileAttachment] = (),
) -> bytes:
    """The finished mail as bytes.

    Every header value passes through `single_line` (no line break can reach a header) and
    non-ASCII text is RFC 2047-encoded by compat32's `Header`. A mail without attachments
    (nearly all) is written directly, in the bytes the compat32 MIME classes and generator
    give for it (`_alternative`; tests/unit/test_compose_bytes.py compares the two); a mail
    with attachments is built with those classes (`_with_attachments`).
    """
    boundary = _boundary()
    to_line = ", ".join(_address(name, addr) for name, addr in to)
    headers: list[tuple[str, str]] = [("From", _address(*sender))]
    if to_line.isascii():
        headers.append(("To", to_line))
    if reply_to:
        headers.append(("Reply-To", _address(sender[0], reply_to)))
    headers.append(("Subject", single_line(rendered.subject, 900)))
    headers.append(("Date", format_datetime(date if date.tzinfo else date.replace(tzinfo=UTC))))
    headers.append(("Message-ID", f"<{single_line(message_id)}>"))
    if in_reply_to:
        headers.append(("In-Reply-To", f"<{single_line(in_reply_to)}>"))
    refs = [*references[-10:], in_reply_to] if in_reply_to else list(references[-10:])
    if refs:
        headers.append(
            ("References", " ".join(f"<{single_line(r)}>" for r in dict.fromkeys(refs) if r)))
    if auto_submitted:
        headers.append(("Auto-Submitted", auto_submitted))
    headers.append(("X-Auto-Response-Suppress", "All"))
    headers.append((LOOP_HEADER, single_line(loop_domain)))
    headers.append(("Content-Language", "ru"))
    if attachments:
        data = _with_attachments(boundary, rendered, headers, attachments)
    else:
        data = _alternative(boundary, rendered, headers)
    if not to_line.isascii():
        # compat32 would RFC 2047-encode the address itself; an SMTPUTF8 header is raw UTF-8.
        data = b"To: " + to_line.encode("utf-8") + b"\r\n" + data
    return data


def _alternative(boundary: str, rendered: Rendered, headers: list[tuple[str, str]]) -> bytes:
    """multipart/alternative of the text and the HTML part, as `_with_attachments`'s MIME
    classes and `_Generator` write it, without building and walking the message objects."""
    before, after = _alternative_head()
    out = [before, boundary.encode("ascii"), after, b"MIME-Version: 1.0\r\n"]
    out += [_header_line(name, value) for name, value in headers]
    out += [f"\r\n--{boundary}\r\n".encode("ascii"), _text_part_bytes(rendered.text, "plain"),
            f"\r\n--{boundary}\r\n".encode("ascii"), _text_part_bytes(rendered.html, "html"),
            f"\r\n--{boundary}--\r\n".encode("ascii")]
    return b"".join(out)


@cache
def _alternative_head() -> tuple[bytes, bytes]:
    """The Content-Type line of `_alternative`, around its boundary: every boundary has the
    same length and holds no character compat32 folds at, so the line folds the same way."""
    sample = _boundary_of(0)
    line = _plain_line("Content-Type", f'multipart/alternative; boundary="{sample}"')
    before, after = line.split(sample.encode("ascii"))
    return before, after


def _text_part_bytes(text: str, subtype: str) -> bytes:
    """`_text_part(text, subtype)` as the generator writes it inside a multipart."""
    return (f'Content-Type: text/{subtype}; charset="utf-8"\r\nMIME-Version: 1.0\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n").encode("ascii") + base64_lines(
                text.encode("utf-8"), b"\r\n")


def _with_attachments(boundary: str, rendered: Rendered, headers: list[tuple[str, str]],
                      attachments: Sequence[FileAttachment]) -> bytes:
    """Built with the compat32 MIME classes: with the modern EmailMessage API, building took
    about half of the ingest time in a profile (14 ms a mail under the profiler)."""
    body = MIMEMultipart("alternative", boundary=boundary)
    body.attach(_text_part(rendered.text, "plain"))
    body.attach(_text_part(rendered.html, "html"))
    msg = MIMEMultipart("mixed", boundary=_boundary())
    msg.attach(body)
    for item in attachments:
        msg.attach(_attachment(item))
    for name, value in headers:
        msg[name] = Header(value, "utf-8", header_name=name) if name == "Subject" else value
    out = BytesIO()
    _Generator(out, mangle_from_=False, policy=SMTP_COMPAT).flatten(msg)
    return out.getvalue()


def _boundary() -> str:
    """A multipart boundary no part can contain: every part is base64, whose lines hold at
    most two "=" (so the generator need not search the whole text for a free one)."""
    return _boundary_of(secrets.randbelow(10**19))


def _boundary_of(number: int) -> str:
    return "=" * 15 + f"{number:019d}" + "=="  # the email package's form


def _text_part(text: str, subtype: str) -> MIMENonMultipart:
    """What `MIMEText(text, subtype, "utf-8")` gives, byte for byte, with the body encoded
    in one call (the email package encodes it 57 bytes at a time)."""
    part = MIMENonMultipart("text", subtype, charset="utf-8")
    part["Content-Transfer-Encoding"] = "base64"
    part.set_payload(base64_lines(text.encode("utf-8")).decode("ascii"))
    return part


def base64_lines(data: bytes, newline: bytes = b"\n") -> bytes:
    """`base64.encodebytes(data)`: lines of 76 characters (57 bytes), each ending in
    `newline`; encoded in one call rather than 57 bytes at a time."""
    encoded = base64.b64encode(data)
    if not encoded:
        return b""
    return newline.join([encoded[i:i + 76] for i in range(0, len(encoded), 76)]) + newline


class _Generator(BytesGenerator):
    """BytesGenerator writing a part's lines in one piece rather than line by line, and a
    header that needs no folding as it is (the same bytes; line splitting and compat32's
    `Header` folding were most of the time of `build`)."""

    def _write_lines(self, lines: str) -> None:
        if not lines:
            return
        if "\r" in lines:
            self.write(self._NL.join(NLCRE.split(lines)))
        else:  # the same split on "\n" alone, without the regular expression
            self.write(lines.replace("\n", self._NL))

    def _write_headers(self, msg: Message) -> None:
        for name, value in msg.raw_items():
            if type(value) is str and self.policy is SMTP_COMPAT:
                self._fp.write(_plain_line(name, value))
            else:
                self._fp.write(self.policy.fold_binary(name, value))
        self.write(self._NL)


def _header_line(name: str, value: str) -> bytes:
    """One header as compat32 (SMTP_COMPAT) writes it; the Subject as `Header(value,
    "utf-8")`, RFC 2047 encoded."""
    return _subject_line(value) if name == "Subject" else _plain_line(name, value)


def _plain_line(name: str, value: str) -> bytes:
    """A header whose value compat32 folds as it is (not through `Header(value, "utf-8")`)."""
    if unfolded(name, value, _LIMIT):
        return f"{name}: {value}\r\n".encode("ascii")
    if unbroken(name, value, _LIMIT):
        return f"{name}: \r\n {value}\r\n".encode("ascii")
    return _folded(name, value)


_LIMIT = SMTP_COMPAT.max_line_length


@lru_cache(maxsize=256)
def _folded(name: str, value: str) -> bytes:
    """From and To: the same few, again and again."""
    return SMTP_COMPAT.fold_binary(name, value)


@lru_cache(maxsize=256)
def _subject_line(subject: str) -> bytes:
    """A case's mails share their subject (the acknowledgement, the notice)."""
    return SMTP_COMPAT.fold_binary("Subject", Header(subject, "utf-8", header_name="Subject"))


def unfolded(name: str, value: object, limit: int) -> bool:
    """Whether compat32 would write this header as `name: value` unchanged: a plain string of
    printable ASCII that fits on one line and does not end in a space (which `Header` drops).
    tests/unit/test_compose_bytes.py compares the two on random headers."""
    return (type(value) is str and value.isascii() and value.isprintable() and name.isascii()
            and len(name) + len(value) + 2 <= limit and not value.endswith(" ")
            and value != "")


def unbroken(name: str, value: str, limit: int) -> bool:
    """Whether compat32 would write this header as `name: ` and the value whole on a line of
    its own: one word of printable ASCII (no space to fold at) too long for the first line,
    a long Message-ID. tests/unit/test_compose_bytes.py compares the two."""
    return (type(value) is str and value.isascii() and value.isprintable() and name.isascii()
            and len(name) + len(value) + 2 > limit and " " not in value)


def _attachment(item: FileAttachment) -> MIMEBase:
    maintype, _, subtype = item.content_type.partition("/")
    if maintype == "message" or not subtype:
        maintype, subtype = "application", "octet-stream"  # re-sent as a plain file
    part = MIMEBase(maintype, subtype)
    if item.content_type == "text/calendar":
        # RFC 5545 §8.1: the charset, and the METHOD the file itself declares.
        part.set_param("charset", "utf-8")
        found = re.search(rb"^METHOD:(\w+)", item.data, re.MULTILINE)
        if found:
            part.set_param("method", found.group(1).decode())
    # What `encoders.encode_base64` does, with the bytes encoded in one call.
    part.set_payload(base64_lines(item.data).decode("ascii"))
    part["Content-Transfer-Encoding"] = "base64"
    # RFC 2231 for non-ASCII names: the form every client reads.
    filename = single_line(item.filename, 200) or "file"
    part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", filename))
    return part


@lru_cache(maxsize=256)  # the help desk's own name and address in every mail
def _address(name: str, addr: str) -> str:
    """«Name <addr>» for a header: the domain in its xn-- form; a non-ASCII local part
    (мама@почта.рф) is written as UTF-8, which only an SMTPUTF8 server accepts."""
    wire = ascii_domain(single_line(addr, 320))
    name = single_line(name, 200)
    if wire.isascii():
        return formataddr((name, wire), charset="utf-8")
    shown = Header(name, "utf-8").encode() if name else ""
    return f"{shown} <{wire}>" if shown else wire
