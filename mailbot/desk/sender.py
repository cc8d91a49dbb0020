"""Who wrote a mail, as far as mailbot may trust it: user, helper, vendor or system.

A helper is recognised only by BOTH their registered address and a valid signed token from
a mail we sent them (tokens.py); a From header alone proves nothing. The vendor's support is
recognised by its address or domain (its answers carry no token: its ticket system writes
them). Automatic mail from anyone else (bounces, out-of-office) is "system".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mailbot.desk import tokens
from mailbot.reading.loops import AutoVerdict
from mailbot.reading.parsing import ParsedMail
from mailbot.school.people import People

SenderRole = Literal["user", "helper", "vendor", "system"]


@dataclass(frozen=True)
class Sender:
    role: SenderRole
    person_id: str = ""  # the helper, when role is helper; a staff member writing as a user
    token_case: int | None = None  # the case the helper's token names
    reasons: tuple[str, ...] = ()
    # Why a mail from a staff or vendor address is not believed to be theirs (no valid
    # token, someone else's token, ...); empty when it is believed or comes from anyone else.
    unverified: str = ""


def identify(
    parsed: ParsedMail, auto: AutoVerdict, people: People | None, secret: bytes,
) -> Sender:
    person = people.by_address(parsed.from_addr) if people else None
    token = tokens.find_token(secret, parsed.thread_ids, _delivered_to(parsed))
    if token is not None and person is not None and token.person == person.id:
        why = f"{parsed.from_addr} is {person.id} and cites a valid token of case {token.case}"
        return Sender("helper", person.id, token.case, (why,))
    reasons: list[str] = []
    if token is not None:
        reasons.append(f"a token of {token.person} for case {token.case}, but From is "
                       f"{parsed.from_addr}: not accepted as a helper's mail")
    elif person is not None:
        reasons.append(f"{parsed.from_addr} is {person.id}, but the mail cites no token of "
                       "ours: not accepted as a helper's mail")
    staff = person.id if person is not None else ""
    doubt = reasons[-1] if person is not None and reasons else ""
    if people is not None and people.vendor is not None and people.vendor.is_vendor(
        parsed.from_addr
    ):
        return Sender("vendor", staff, None, (*reasons, f"{parsed.from_addr} is the vendor"))
    if auto.kind != "none":
        return Sender("system", staff, None, (*reasons, f"automatic mail ({auto.kind})"), doubt)
    return Sender("user", staff, None, tuple(reasons), doubt)


def _delivered_to(parsed: ParsedMail) -> tuple[str, ...]:
    """Every address the mail was sent to, envelope headers included (help+token@ lands in
    Delivered-To / X-Original-To when the visible To was rewritten)."""
    extra: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "Envelope-To"):
        extra += [str(v).strip().strip("<>").lower() for v in parsed.headers.get_all(name, [])]
    return (*parsed.to, *parsed.cc, *extra)
