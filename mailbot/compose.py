"""Render a mail from templates and build it as bytes ready for the outbox.

One call renders the text and the HTML part from the same context (`<name>.txt.j2` and
`<name>.html.j2`; the subject is the template's `subject` block). Headers are set through
the `email` package's header registry, which encodes non-ASCII text and refuses line breaks,
so nothing a user wrote can inject a header.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

LOOP_HEADER = "X-Mailbot-Loop"


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
        )

    def render(self, name: str, **context: object) -> Rendered:
        text_template = self.env.get_template(f"{name}.txt.j2")
        html_template = self.env.get_template(f"{name}.html.j2")
        subject_block = text_template.blocks.get("subject")
        subject = ""
        if subject_block is not None:
            subject = "".join(subject_block(text_template.new_context(dict(context))))
        return Rendered(
            subject=" ".join(subject.split()),
            text=text_template.render(**context),
            html=html_template.render(**context),
        )


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
) -> bytes:
    """The finished mail as bytes."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = _address(*sender)
    msg["To"] = [_address(name, addr) for name, addr in to]
    msg["Subject"] = single_line(rendered.subject, 900)
    msg["Date"] = format_datetime(date if date.tzinfo else date.replace(tzinfo=UTC))
    msg["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    refs = [*references[-10:], in_reply_to] if in_reply_to else list(references[-10:])
    if refs:
        msg["References"] = " ".join(f"<{r}>" for r in dict.fromkeys(refs) if r)
    if auto_submitted:
        msg["Auto-Submitted"] = auto_submitted
    msg["X-Auto-Response-Suppress"] = "All"
    msg[LOOP_HEADER] = loop_domain
    msg["Content-Language"] = "ru"
    msg.set_content(rendered.text, charset="utf-8")
    msg.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return msg.as_bytes()


def _address(name: str, addr: str) -> Address:
    return Address(display_name=single_line(name, 200), addr_spec=addr)
