"""Pure decisions about one parsed mail: is it automatic, which case, what is new, may we
answer it. The facts from the database come in as a ThreadFacts; nothing here does I/O."""

from __future__ import annotations

from dataclasses import dataclass

from mailbot.config import Config
from mailbot.desk.threads import ThreadFacts, ThreadMatch, find_tag, match
from mailbot.reading.loops import AutoVerdict, detect_auto
from mailbot.reading.parsing import ParsedMail
from mailbot.reading.quotes import strip_reply_html, strip_reply_text


@dataclass(frozen=True)
class MailFacts:
    auto: AutoVerdict
    thread: ThreadMatch
    new_text: str
    reply_to: str  # where an answer to the sender goes


@dataclass(frozen=True)
class AckDecision:
    send: bool
    reasons: tuple[str, ...]


def tagged_case(parsed: ParsedMail, config: Config) -> int | None:
    return find_tag(parsed.subject, config.helpdesk.tag)


def analyse(parsed: ParsedMail, config: Config, facts: ThreadFacts) -> MailFacts:
    helpdesk = config.helpdesk
    auto = detect_auto(
        parsed.headers,
        from_addr=parsed.from_addr,
        own_addresses=helpdesk.own_addresses,
        own_domain=helpdesk.domain,
    )
    thread = match(
        parsed.thread_ids, parsed.from_addr, facts,
        tag_requires_participant=config.limits.tag_requires_participant,
    )
    # A reply's quoted history is already in the case; a new mail is kept whole, since a
    # forwarded message in it may be the very question.
    is_reply = thread.case is not None or bool(parsed.thread_ids)
    # HTML-only replies keep their quote containers (gmail_quote, divRplyFwdMsg ...), which
    # find the history more surely than the text made from them.
    if not is_reply:
        new_text = parsed.text.strip()
    elif parsed.text_from_html:
        new_text = strip_reply_html(parsed.html)
    else:
        new_text = strip_reply_text(parsed.text)
    reply_to = parsed.reply_to or parsed.from_addr
    if reply_to in helpdesk.own_addresses:
        reply_to = parsed.from_addr
    return MailFacts(auto=auto, thread=thread, new_text=new_text, reply_to=reply_to)


def ack_decision(facts: MailFacts, recent_auto_replies: int, cap: int) -> AckDecision:
    """Whether a new case's sender gets an acknowledgement (the mail is recorded anyway)."""
    if not facts.auto.may_auto_reply:
        return AckDecision(False, ("loop protection", *facts.auto.reasons))
    if recent_auto_replies >= cap:
        return AckDecision(
            False, (f"{recent_auto_replies} automatic replies to this sender in the period",)
        )
    return AckDecision(True, ("new case",))
