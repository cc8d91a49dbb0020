"""Who wrote a mail, as far as mailbot may trust it: user, helper, vendor or system.

A helper is recognised only by BOTH their registered address and a valid signed token from
a mail we sent them (tokens.py); a From header alone proves nothing. The vendor's support is
recognised by its address or domain (its answers carry no token: its ticket system writes
them). Automatic mail from anyone else (bounces, out-of-office) is "system". When the
school's own mail server says a staff or vendor From failed DMARC (or DKIM and SPF with no
DMARC result), the mail is an outsider's whatever it cites (reading/auth_results.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from mailbot.desk import tokens
from mailbot.desk.keyring import Keyring
from mailbot.reading import auth_results
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
    # token, someone else's token, "token expired on 2027-03-23 ...", "DMARC fail per
    # mx.school.example ..."); empty when it is believed or comes from anyone else.
    unverified: str = ""


def identify(
    parsed: ParsedMail, auto: AutoVerdict, people: People | None, keys: Keyring,
    now: datetime, authserv_id: str = "",
) -> Sender:
    """`keys` and `now` check the token; `authserv_id` (security.authserv_id) names the
    school's mail server whose Authentication-Results are believed ("" = not read)."""
    person = people.by_address(parsed.from_addr) if people else None
    vendor = people is not None and people.vendor is not None and people.vendor.is_vendor(
        parsed.from_addr)
    forged = auth_results.failure(parsed.headers.items(), authserv_id) if (
        person is not None or vendor) else ""
    if forged:
        return _forged(parsed, auto, person.id if person else "", forged)
    token = tokens.find_token(keys, parsed.thread_ids, _delivered_to(parsed), now)
    staff = person.id if person is not None else ""
    if token is not None and staff and token.person == staff and token.expired_on is None:
        why = f"{parsed.from_addr} is {staff} and cites a valid token of case id {token.case}"
        return Sender("helper", staff, token.case, (why,))
    reasons = _doubts(parsed.from_addr, staff, token)
    doubt = reasons[-1] if staff and reasons else ""
    if vendor:
        return Sender("vendor", staff, None, (*reasons, f"{parsed.from_addr} is the vendor"))
    if auto.kind != "none":
        return Sender("system", staff, None, (*reasons, f"automatic mail ({auto.kind})"), doubt)
    return Sender("user", staff, None, reasons, doubt)


def _doubts(from_addr: str, staff: str, token: tokens.Token | None) -> tuple[str, ...]:
    """Why a mail is not a helper's, when it cites a token or comes from a staff address."""
    if token is not None and token.expired_on is not None and token.person == staff:
        why = (f"token expired on {token.expired_on.isoformat()} (case id {token.case}, {staff}): "
               "not accepted; the newest notice carries a fresh one")
    elif token is not None:
        stale = f" (expired on {token.expired_on.isoformat()})" if token.expired_on else ""
        why = (f"a token{stale} of {token.person} for case id {token.case}, but From is "
               f"{from_addr}: not accepted as a helper's mail")
    elif staff:
        why = (f"{from_addr} is {staff}, but the mail cites no token of ours: not accepted as "
               "a helper's mail")
    else:
        return ()
    return (why,)


def _forged(parsed: ParsedMail, auto: AutoVerdict, staff: str, failure: str) -> Sender:
    """A staff or vendor From that the school's own server says is not theirs: whatever
    token it cites, it is an outsider's mail (never the vendor's answer)."""
    whose = staff or "the vendor"
    why = f"{failure}: not accepted as {whose}'s mail from {parsed.from_addr}"
    role: SenderRole = "system" if auto.kind != "none" else "user"
    return Sender(role, staff, None, (why,), failure)


def _delivered_to(parsed: ParsedMail) -> tuple[str, ...]:
    """Every address the mail was sent to, envelope headers included (help+token@ lands in
    Delivered-To / X-Original-To when the visible To was rewritten)."""
    extra: list[str] = []
    for name in ("Delivered-To", "X-Original-To", "Envelope-To"):
        extra += [str(v).strip().strip("<>").lower() for v in parsed.headers.get_all(name, [])]
    return (*parsed.to, *parsed.cc, *extra)
