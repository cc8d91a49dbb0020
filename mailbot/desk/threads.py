"""Which case a mail belongs to. Pure: the facts come in, a decision goes out.

Order of evidence, strongest first:
1. In-Reply-To / References naming any stored message of a case (ours included);
2. a stored message that names *this* mail (a reply that arrived before its original);
3. the case tag in the subject, `[ЭЖ #42]`, behind any reply prefixes — accepted only from
   someone who already took part in that case, so a guessed number cannot join a stranger's
   conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Reply and forward prefixes of Russian and English clients, with counters: Re:, RE[2]:,
# Re^2:, Отв:, Ответ:, Fwd:, FW:, Пересл:, VS: (Nordic Outlook), AW:/WG: (German), ...
_PREFIX = re.compile(
    r"^\s*(?:(?:re|fwd?|aw|wg|vs|sv|tr|rif|r|отв|ответ|пересл|переслать|fw)"
    r"\s*(?:\[\d+\]|\(\d+\)|\^\d+)?\s*[:：]\s*)+",
    re.IGNORECASE,
)


def strip_prefixes(subject: str) -> str:
    """The subject without any run of reply/forward prefixes at its start."""
    previous = None
    while previous != subject:
        previous = subject
        subject = _PREFIX.sub("", subject, count=1)
    return subject.strip()


def case_name(case_id: int, number: int | None) -> str:
    """A case as a reason names it: `#5`, its number in its school, or `id 12` when its
    number is not known (the database's ids differ from the numbers in a district)."""
    return f"#{number}" if number is not None else f"id {case_id}"


def tag_text(tag: str, number: int) -> str:
    return f"[{tag} #{number}]"


def tag_pattern(tag: str) -> re.Pattern[str]:
    return re.compile(r"\[\s*" + re.escape(tag) + r"\s*#\s*(\d{1,9})\s*\]", re.IGNORECASE)


def find_tag(subject: str, tag: str) -> int | None:
    found = tag_pattern(tag).search(subject)
    return int(found.group(1)) if found else None


def tagged_subject(subject: str, tag: str, number: int) -> str:
    """`[ЭЖ #42] Не могу войти` — the user's subject without prefixes or old tags."""
    clean = tag_pattern(tag).sub("", strip_prefixes(subject)).strip()
    clean = strip_prefixes(clean)
    return f"{tag_text(tag, number)} {clean}".strip() if clean else tag_text(tag, number)


@dataclass(frozen=True)
class ThreadFacts:
    """What the database knows that bears on one mail."""

    by_reference: dict[str, int] = field(default_factory=dict)  # referenced Message-ID → case
    referencing_me: tuple[int, ...] = ()  # cases holding a mail that names this one
    tagged_case: int | None = None  # the case the subject's tag names, if it exists
    tagged_participants: frozenset[str] = frozenset()
    # The school's numbers of the cases above (the ids are the database's): reasons name a
    # case as people know it, «#5».
    numbers: dict[int, int] = field(default_factory=dict)

    def name(self, case: int) -> str:
        return case_name(case, self.numbers.get(case))


@dataclass(frozen=True)
class ThreadMatch:
    case: int | None
    reasons: tuple[str, ...]
    # The case the subject tag names, accepted or not: a doubted sender's mail citing it is
    # kept there, marked, rather than opening a case of its own (flows/user.py).
    tagged: int | None = None


def match(
    thread_ids: tuple[str, ...],
    sender: str,
    facts: ThreadFacts,
    *,
    tag_requires_participant: bool = True,
) -> ThreadMatch:
    for mid in thread_ids:
        if mid in facts.by_reference:
            case = facts.by_reference[mid]
            return ThreadMatch(case, (f"answers <{mid}> of case {facts.name(case)}",))
    if facts.referencing_me:
        case = min(facts.referencing_me)
        return ThreadMatch(case, (f"case {facts.name(case)} holds a reply to this mail",))
    if facts.tagged_case is not None:
        case = facts.tagged_case
        if not tag_requires_participant or sender.lower() in facts.tagged_participants:
            return ThreadMatch(case, (f"subject tag of case {facts.name(case)}",), case)
        ignored = f"subject tag of case {facts.name(case)} ignored: {sender} has not written in it"
        return ThreadMatch(None, (ignored,), case)
    return ThreadMatch(None, ("no reference or tag of a known case",))
