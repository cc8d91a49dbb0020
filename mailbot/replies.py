"""The mails mailbot writes: each function renders templates and builds the bytes."""

from __future__ import annotations

from dataclasses import dataclass

from mailbot.app import App
from mailbot.clock import to_local
from mailbot.compose import build, new_message_id
from mailbot.models import Case
from mailbot.parsing import ParsedMail
from mailbot.threads import tagged_subject


@dataclass(frozen=True)
class OutgoingMail:
    message_id: str
    raw: bytes


def _common(app: App) -> dict[str, object]:
    helpdesk = app.config.helpdesk
    return {
        "helpdesk_name": helpdesk.name,
        "school": helpdesk.school,
        "system_name": helpdesk.system_name,
    }


def ack_mail(app: App, case: Case, parsed: ParsedMail, rcpt: str) -> OutgoingMail:
    """The acknowledgement of a new case, threaded under the user's own mail."""
    helpdesk = app.config.helpdesk
    assert case.id is not None
    now = app.clock.now()
    rendered = app.templates.render(
        "ack",
        **_common(app),
        requester_name=parsed.from_name,
        case_number=case.id,
        subject=parsed.subject,
        tagged_subject=tagged_subject(parsed.subject, helpdesk.tag, case.id),
        received_local=to_local(now, helpdesk.timezone).strftime("%d.%m.%Y %H:%M"),
    )
    message_id = new_message_id(helpdesk.domain, case.id, "ack")
    raw = build(
        sender=(helpdesk.name, helpdesk.address),
        to=[(parsed.from_name, rcpt)],
        rendered=rendered,
        message_id=message_id,
        date=now,
        loop_domain=helpdesk.domain,
        in_reply_to=parsed.message_id,
        references=parsed.references,
        auto_submitted="auto-replied",
    )
    return OutgoingMail(message_id, raw)
