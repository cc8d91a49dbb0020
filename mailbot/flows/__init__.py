"""What an incoming mail does, by who wrote it: a user (user.py), a helper (helper.py), the
vendor's support (vendor.py) or a machine (machine.py: bounces, auto-replies ...);
clause5.py and seminars.py are steps of those flows.

Every flow is a pure function of a `Situation` — the mail, the facts read beforehand
(facts.py), the school's rules and the clock — and returns a Plan (desk/plan.py) that
apply.py carries out inside the mail's transaction. `plan_for` picks the flow.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from mailbot.adapters.clock import local_text
from mailbot.config import Config
from mailbot.desk.decide import MailFacts
from mailbot.desk.plan import MessageView
from mailbot.desk.sender import Sender
from mailbot.outgoing.compose import FileAttachment
from mailbot.outgoing.replies import ThreadPoint
from mailbot.reading.parsing import AttachmentPart, ParsedMail
from mailbot.reading.risky import risk
from mailbot.school.people import People
from mailbot.school.rulebook import Rulebook
from mailbot.storage.models import Case

TOO_LARGE = "файл слишком большой"


@dataclass(frozen=True)
class Withheld:
    """An attachment not passed on: its name, why (Russian), and whether it is kept with
    its mail (a risky file is; one too large to store is not)."""

    name: str
    why: str
    kept: bool = True

    def to_context(self) -> dict[str, object]:
        return {"name": self.name or "(без имени)", "why": self.why, "kept": self.kept}


@dataclass(frozen=True)
class StoredFile:
    """An attachment stored with a mail of the case, as flows judge it before passing the
    mail's files on (apply.stored_files leaves out the same ones)."""

    message_id: int
    name: str
    risk: str  # why it must not be passed on (reading/risky.py), "" when it may
    stored: bool  # False: too large, never kept

    @property
    def passed(self) -> bool:
        return self.stored and not self.risk

    def withheld(self) -> Withheld:
        return Withheld(self.name, self.risk or TOO_LARGE, kept=self.stored)


@dataclass(frozen=True)
class Incoming:
    """One mail on its way in, with everything decided about it so far."""

    parsed: ParsedMail
    facts: MailFacts
    sender: Sender
    raw: bytes
    source_key: str

    @property
    def actor(self) -> str:
        return self.sender.person_id if self.sender.role == "helper" else self.parsed.from_addr

    @cached_property
    def _risks(self) -> tuple[tuple[AttachmentPart, str], ...]:
        return tuple((a, risk(a.filename, a.content_type, a.data))
                     for a in self.parsed.attachments)

    def files(self, limit: int) -> tuple[FileAttachment, ...]:
        """The attachments passed on to a helper or the vendor: small enough to keep, and
        neither programs nor macros nor archives holding them (reading/risky.py)."""
        return tuple(FileAttachment(a.filename, a.content_type, a.data)
                     for a, why in self._risks if a.size <= limit and not why)

    def withheld(self, limit: int) -> tuple[Withheld, ...]:
        """The attachments `files` leaves out, and why (the helper is told)."""
        return tuple(Withheld(a.filename, why or TOO_LARGE, kept=a.size <= limit)
                     for a, why in self._risks if why or a.size > limit)

    @property
    def thread_point(self) -> ThreadPoint:
        return ThreadPoint(self.parsed.message_id, self.parsed.references)

    def view(self, now: datetime) -> MessageView:
        """The mail as a message of its case, before it is stored."""
        parsed = self.parsed
        return MessageView(None, self.sender.role, "", self.facts.new_text, parsed.from_name,
                           parsed.from_addr, now, parsed.message_id)


@dataclass(frozen=True)
class SeatFacts:
    """One seminar's seats as the database holds them, read under the seminar's lock."""

    status: str | None  # the writer's own seat: registered, cancelled or never taken
    taken: int  # seats registered by anyone
    cancellations: int  # the writer's earlier cancellations (each raised the .ics SEQUENCE)


@dataclass(frozen=True)
class VendorMatch:
    """How a vendor mail was tied to a case: "reference", "ticket" or "tag", and why."""

    trust: str
    why: str


@dataclass(frozen=True)
class Returned:
    """Our outgoing mail that a bounce or a delay notice is about (its outbox row)."""

    outbox_id: int
    kind: str  # ack, relay, notice ...
    rcpt: str
    automatic: bool
    how: str  # how it was found, for the log


@dataclass(frozen=True)
class Facts:
    """Everything a flow may know from the database, read before it decides (facts.py)."""

    case: Case | None = None  # the case the mail belongs to (thread, token or vendor match)
    messages: tuple[MessageView, ...] = ()  # that case's stored mails, oldest first
    events: tuple[tuple[str, str], ...] = ()  # that case's log entries flows ask about
    open_counts: Mapping[str, int] = field(default_factory=dict)  # open cases per helper
    auto_replies: Mapping[str, int] = field(default_factory=dict)  # recent, per address
    stopped: Case | None = None  # the requester's case stopped lately (clause 5)
    vendor: VendorMatch | None = None
    seats: Mapping[int, SeatFacts] = field(default_factory=dict)  # by seminar number
    returned: Returned | None = None  # a bounce: the mail of ours that came back
    undelivered: tuple[str, ...] = ()  # the case's mail that came back: «адрес: причина»
    # Addresses whose mail came back as undeliverable lately: no automatic mail to them.
    hard_bounced: frozenset[str] = frozenset()
    # The case's stored attachments (read for a helper's mail, whose commands pass them on).
    files: tuple[StoredFile, ...] = ()

    def has_event(self, kind: str, text: str) -> bool:
        return any(k == kind and text in detail for k, detail in self.events)

    def files_of(self, message_ids: Sequence[int | None]) -> list[StoredFile]:
        """The stored attachments of these messages, in the order they were stored."""
        wanted = set(message_ids)
        return [f for f in self.files if f.message_id in wanted]

    def last_event(self, kind: str) -> dict[str, object]:
        """The detail of the case's latest log entry of this kind ({} when there is none)."""
        details = [detail for k, detail in self.events if k == kind]
        return json.loads(details[-1]) if details else {}


@dataclass(frozen=True)
class Situation:
    """What a flow decides from: the mail, the facts, the configuration, rules and clock."""

    mail: Incoming
    facts: Facts
    config: Config
    rules: Rulebook
    now: datetime

    @property
    def people(self) -> People | None:
        return self.rules.people

    @property
    def file_limit(self) -> int:
        return self.config.limits.max_attachment_bytes

    def local(self, moment: datetime) -> str:
        """A moment as the school reads it in mail: 03.12.2026 14:05."""
        return local_text(moment, self.config.helpdesk.timezone)
