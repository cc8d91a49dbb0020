"""The mails mailbot writes: each one rendered from templates/ and built as bytes.

Three kinds of addressee, three builders:
- `to_user`: from the help address, in the user's own thread (In-Reply-To their last mail);
- `to_helper`: to a person of people.toml about a case; its Message-ID carries the signed
  token that makes their reply count as theirs (tokens.py);
- `to_others`: anyone else (the vendor's support, a supervisor's report).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mailbot.app import App
from mailbot.desk import tokens
from mailbot.desk.threads import tagged_subject
from mailbot.outgoing.compose import FileAttachment, Rendered, build, new_message_id
from mailbot.outgoing.names import address_name
from mailbot.school.people import Person
from mailbot.storage.models import Case

if TYPE_CHECKING:
    from mailbot.desk.plan import MailSpec


@dataclass(frozen=True)
class OutgoingMail:
    kind: str
    message_id: str
    rcpt: tuple[str, ...]
    raw: bytes
    automatic: bool


@dataclass(frozen=True)
class ThreadPoint:
    """The mail an answer replies to: its Message-ID and the References it carried."""

    message_id: str = ""
    references: tuple[str, ...] = ()


def common(app: App, case: Case | None = None) -> dict[str, object]:
    helpdesk = app.config.helpdesk
    context: dict[str, object] = {
        "helpdesk_name": helpdesk.name,
        "helpdesk_address": helpdesk.address,
        "school": helpdesk.school,
        "system_name": helpdesk.system_name,
        "tag": helpdesk.tag,
        "reopen_days": app.config.conversation.reopen_days,
    }
    if case is not None:
        assert case.id is not None
        number = case.number if case.number is not None else case.id  # see models.Case
        context.update(
            case_number=number,
            subject=case.subject,
            tagged_subject=tagged_subject(case.subject, helpdesk.tag, number),
            requester_name=case.requester_name,
            requester_addr=case.requester_addr,
        )
    return context


def to_user(
    app: App, case: Case, template: str, *, kind: str, thread: ThreadPoint,
    automatic: bool, attachments: Sequence[FileAttachment] = (), **context: object,
) -> OutgoingMail:
    rendered = app.templates.render(template, **common(app, case), **context)
    return rendered_mail(app, case, rendered, kind=kind, thread=thread, automatic=automatic,
                         to=[(case.requester_name, case.requester_addr)],
                         attachments=attachments,
                         auto_submitted="auto-replied" if automatic else "")


def to_helper(
    app: App, case: Case, person: Person, template: str, *, kind: str,
    attachments: Sequence[FileAttachment] = (), **context: object,
) -> OutgoingMail:
    helpdesk = app.config.helpdesk
    assert case.id is not None
    rendered = app.templates.render(
        template, **common(app, case), person_name=address_name(person.name) or person.name,
        person_full_name=person.name, person_position=person.position, **context,
    )
    now = app.clock.now()
    message_id = tokens.helper_message_id(app.secret, helpdesk.domain, case.id, person.id, kind,
                                          now)
    reply_to = ""
    if app.config.security.plus_tokens:
        reply_to = tokens.reply_address(app.secret, helpdesk.address, case.id, person.id, now)
    rcpt = person.emails[0]
    raw = build(
        sender=(helpdesk.name, helpdesk.address),
        to=[(person.name, rcpt)],
        rendered=rendered,
        message_id=message_id,
        date=app.clock.now(),
        loop_domain=helpdesk.domain,
        auto_submitted="auto-generated",
        reply_to=reply_to,
        attachments=attachments,
    )
    return OutgoingMail(kind, message_id, (rcpt,), raw, True)


def to_others(
    app: App, case: Case | None, template: str, *, kind: str, to: Sequence[tuple[str, str]],
    attachments: Sequence[FileAttachment] = (), thread: ThreadPoint = ThreadPoint(),
    automatic: bool = True, **context: object,
) -> OutgoingMail:
    rendered = app.templates.render(template, **common(app, case), **context)
    return rendered_mail(app, case, rendered, kind=kind, to=to, attachments=attachments,
                         thread=thread, automatic=automatic)


def rendered_mail(
    app: App, case: Case | None, rendered: Rendered, *, kind: str,
    to: Sequence[tuple[str, str]], attachments: Sequence[FileAttachment] = (),
    thread: ThreadPoint = ThreadPoint(), automatic: bool = True,
    auto_submitted: str | None = None,
) -> OutgoingMail:
    """A mail whose text is already rendered (a digest), to anyone. Automatic mail is
    marked `auto-generated` unless the caller says otherwise (`auto-replied` for replies)."""
    helpdesk = app.config.helpdesk
    message_id = new_message_id(helpdesk.domain, case.id if case else None, kind)
    raw = build(
        sender=(helpdesk.name, helpdesk.address),
        to=list(to),
        rendered=rendered,
        message_id=message_id,
        date=app.clock.now(),
        loop_domain=helpdesk.domain,
        in_reply_to=thread.message_id,
        references=thread.references,
        auto_submitted=(auto_submitted if auto_submitted is not None
                        else "auto-generated" if automatic else ""),
        attachments=attachments,
    )
    return OutgoingMail(kind, message_id, tuple(addr for _, addr in to), raw, automatic)


def from_spec(app: App, case: Case | None, spec: MailSpec, *, thread: ThreadPoint,
              files: Sequence[FileAttachment]) -> OutgoingMail:
    """Render a planned mail (desk/plan.py) for the case it is about."""
    context = dict(spec.context)
    if spec.to == "user":
        assert case is not None
        return to_user(app, case, spec.template, kind=spec.kind, thread=thread,
                       automatic=spec.automatic, attachments=files, **context)
    if spec.to == "helper":
        assert case is not None and app.rules.people is not None
        person = app.rules.people.persons[spec.person]
        return to_helper(app, case, person, spec.template, kind=spec.kind, attachments=files,
                         **context)
    return to_others(app, case if spec.about_case else None, spec.template, kind=spec.kind,
                     to=spec.recipients, attachments=files, thread=thread,
                     automatic=spec.automatic, **context)
