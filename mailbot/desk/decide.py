"""Pure decisions about one parsed mail: is it automatic, which case, what is new, may we
answer it. The facts from the database come in as a ThreadFacts; nothing here does I/O."""

from __future__ import annotations

from dataclasses import dataclass

from mailbot.config import Config
from mailbot.desk.threads import ThreadFacts, ThreadMatch, find_tag, match
from mailbot.reading.loops import AutoVerdict, detect_auto
from mailbot.reading.parsing import ParsedMail
from mailbot.reading.quote_markers import RE_FORWARD_INTRO, RE_SEPARATOR
from mailbot.reading.quotes import split_reply_html, split_reply_text
from mailbot.reading.signatures import SignatureSplit, split_signature


@dataclass(frozen=True)
class MailFacts:
    auto: AutoVerdict
    thread: ThreadMatch
    new_text: str  # what the sender wrote now: no quoted history, no signature
    reply_to: str  # where an answer to the sender goes
    signature: str = ""  # the sign-off block cut from new_text («мама Беловой Софии, 4 А»)
    signer: str | None = None  # the name the signature gives, if any


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
    # forwarded message in it may be the very question (then the signature at its end is
    # the forwarded author's, and stays with the question).
    is_reply = thread.case is not None or bool(parsed.thread_ids)
    # HTML-only replies keep their quote containers (gmail_quote, divRplyFwdMsg ...), which
    # find the history more surely than the text made from them.
    if not is_reply:
        text = parsed.text.strip()
        split = SignatureSplit(text, "", None) if _forwards(text) else split_signature(text)
    elif parsed.text_from_html:
        split = split_reply_html(parsed.html)
    else:
        split = split_reply_text(parsed.text)
    reply_to = parsed.reply_to or parsed.from_addr
    if reply_to in helpdesk.own_addresses:
        reply_to = parsed.from_addr
    return MailFacts(auto=auto, thread=thread, new_text=split.body, reply_to=reply_to,
                     signature=split.signature, signer=split.name)


def _forwards(text: str) -> bool:
    return any(RE_SEPARATOR.match(line) or RE_FORWARD_INTRO.match(line)
               for line in text.splitlines())


def ack_decision(facts: MailFacts, recent_auto_replies: int, cap: int) -> AckDecision:
    """Whether a new case's sender gets an acknowledgement (the mail is recorded anyway)."""
    if not facts.auto.may_auto_reply:
        return AckDecision(False, ("loop protection", *facts.auto.reasons))
    if recent_auto_replies >= cap:
        return AckDecision(
            False, (f"{recent_auto_replies} automatic replies to this sender in the period",)
        )
    return AckDecision(True, ("new case",))
