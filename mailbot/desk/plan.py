"""What one mail will do, as data: a Plan of small steps that flows write and apply.py carries out.

A flow (flows/) is a pure function: the parsed mail, the facts read beforehand (facts.py), the
school's rules and the clock in, a Plan out. The Plan says which case the mail opens or
joins, every field that changes and why (as the events that go to the case's log), the mails
to send (a template, its context and the recipients), seats and subscriptions. `mailbot
explain` prints the same Plan the worker applies, so what it says is what happens.

Flows build a plan through a `Draft`: it keeps a detached copy of the case so that a later
decision sees an earlier one (a state moved, an owner taken), and it turns each change into
primitive steps (`Open`, `Set`, `Record`, `Mark`, `Event`, `Mail`, `Seat`, `Subscribe`,
`Undelivered`); the plan ends with
the mail's entry in the ledger of what was read from the server (`ledger`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from mailbot.desk import states
from mailbot.outgoing.compose import FileAttachment
from mailbot.outgoing.replies import ThreadPoint
from mailbot.storage.models import Case

OutcomeKind = Literal["opened", "joined", "duplicate", "already", "quarantined"]
Addressee = Literal["user", "helper", "others"]

# A mail answers in the user's thread: the user's latest mail in the case, looked up when the
# plan is applied (its References are stored, not part of the plan).
USER_THREAD = "user"


@dataclass(frozen=True)
class Outcome:
    kind: OutcomeKind
    case_id: int | None = None
    acked: bool = False
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageView:
    """A stored mail of the case, as flows read it (no bytes)."""

    id: int | None  # None: the mail being handled, not stored yet
    sender_role: str
    kind: str
    new_text: str
    from_name: str = ""
    from_addr: str = ""
    received_at: datetime | None = None
    message_id: str = ""


@dataclass(frozen=True)
class MailSpec:
    """One mail to send: which template, to whom, in which thread, with what."""

    template: str
    kind: str
    to: Addressee
    person: str = ""  # to="helper": the person's id in people.toml
    recipients: tuple[tuple[str, str], ...] = ()  # to="others": (name, address)
    thread: ThreadPoint | str | None = None  # USER_THREAD, a ThreadPoint, or a new thread
    automatic: bool = False
    attachments: tuple[FileAttachment, ...] = ()
    stored_files: tuple[int, ...] = ()  # attachments of these stored messages, too
    about_case: bool = True  # False: a mail about a seminar, not about the case
    context: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        whom = {"user": "the user", "helper": f"helper {self.person}",
                "others": ", ".join(addr for _, addr in self.recipients)}[self.to]
        files = [a.filename for a in self.attachments]
        if self.stored_files:
            files.append(f"stored files of messages {list(self.stored_files)}")
        return {"template": self.template, "kind": self.kind, "to": whom,
                "automatic": self.automatic, "attachments": files}


@dataclass(frozen=True)
class Open:
    """A new case with these fields; the following steps are about it."""

    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Set:
    fields: Mapping[str, Any]


@dataclass(frozen=True)
class Record:
    """Store the mail being handled in the case, as `kind` (with `text` as its new text)."""

    kind: str
    text: str | None = None


@dataclass(frozen=True)
class Mark:
    """Change the kind of the stored mail (a reply that turned out to be a command...)."""

    kind: str


@dataclass(frozen=True)
class Event:
    name: str
    actor: str
    detail: Mapping[str, Any]
    about_case: bool = True


@dataclass(frozen=True)
class Mail:
    spec: MailSpec


@dataclass(frozen=True)
class Seat:
    """A seminar seat of one address taken or given back."""

    key: str
    number: int
    addr: str
    name: str
    status: Literal["registered", "cancelled"]


@dataclass(frozen=True)
class Undelivered:
    """One of our outgoing mails came back: its outbox row is marked with the reason."""

    outbox_id: int
    detail: str


@dataclass(frozen=True)
class Subscribe:
    addr: str
    name: str
    subscribed: bool


Step = Open | Set | Record | Mark | Event | Mail | Seat | Subscribe | Undelivered


@dataclass(frozen=True)
class Plan:
    would: str  # the flow in one word: new_case, follow_up, helper_mail, service_request...
    case_id: int | None  # the existing case it works on first; None when it opens one
    steps: tuple[Step, ...]
    outcome: Outcome
    ledger: str = "message"  # the mail's row in the ledger of what was read from the server

    def to_json(self) -> list[dict[str, Any]]:
        return [describe(step) for step in self.steps]

    @property
    def mails(self) -> list[MailSpec]:
        return [s.spec for s in self.steps if isinstance(s, Mail)]

    @property
    def events(self) -> list[Event]:
        return [s for s in self.steps if isinstance(s, Event)]

    def event(self, name: str) -> Event | None:
        return next((e for e in self.events if e.name == name), None)


def describe(step: Step) -> dict[str, Any]:
    """One step as plain JSON for `mailbot explain`."""
    if isinstance(step, Mail):
        return {"mail": step.spec.to_json()}
    if isinstance(step, Event):
        return {"event": step.name, "actor": step.actor, **_plain(step.detail)}
    if isinstance(step, Open | Set):
        return {type(step).__name__.lower(): _plain(step.fields)}
    if isinstance(step, Record | Mark):
        return {type(step).__name__.lower(): step.kind}
    if isinstance(step, Seat):
        return {"seat": step.number, "addr": step.addr, "status": step.status}
    if isinstance(step, Undelivered):
        return {"undelivered": step.outbox_id, "detail": step.detail}
    return {"subscription": step.addr, "subscribed": step.subscribed}


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def detached(case: Case) -> Case:
    """A copy of a stored case that flows may change freely: the row itself stays as it is."""
    return Case(**case.model_dump())


class Draft:
    """A plan being written: the steps so far and the case as they leave it."""

    def __init__(self, would: str, now: datetime, case: Case | None = None,
                 messages: Sequence[MessageView] = ()) -> None:
        self.would = would
        self.now = now
        self.case_id = case.id if case is not None else None
        self.case: Case | None = detached(case) if case is not None else None
        self.messages: list[MessageView] = list(messages)
        self.steps: list[Step] = []

    # ------------------------------------------------------------------ the case

    def open(self, **fields: Any) -> Case:
        fields = {"status": "new", "created_at": self.now, "updated_at": self.now, **fields}
        self.case = Case(**fields)
        self.messages = []
        self.steps.append(Open(fields))
        return self.case

    def set(self, **fields: Any) -> None:
        assert self.case is not None
        changed = {k: v for k, v in fields.items() if getattr(self.case, k) != v}
        for key, value in changed.items():
            setattr(self.case, key, value)
        if changed:
            self.steps.append(Set(changed))

    def state(self, target: str, *, actor: str, why: str) -> None:
        """Move the case (refused by states.moved if the table forbids it), with its event."""
        assert self.case is not None
        before = self.case.status
        after = states.moved(before, target)
        if after == before:
            return
        fields: dict[str, Any] = {"status": after, "updated_at": self.now}
        if after in ("closed", "stopped"):
            fields["closed_at"] = self.now
        elif before in ("closed", "stopped"):
            fields["closed_at"] = None
        self.set(**fields)
        self.log("state", actor, before=before, after=after, why=why)

    def take(self, person_id: str, *, actor: str, why: str) -> None:
        """Give the case an owner; the caller sends the notice that tells them."""
        assert self.case is not None
        before = self.case.assignee
        self.set(assignee=person_id, route=f"person:{person_id}", updated_at=self.now)
        self.log("assigned", actor, before=before or None, after=person_id, why=why)
        if self.case.status in ("new", "waiting_user"):
            self.state("assigned", actor=actor, why=why)

    def first_response(self) -> None:
        assert self.case is not None
        if self.case.first_response_at is None:
            self.set(first_response_at=self.now)

    # ------------------------------------------------------------------ the mail

    def record(self, view: MessageView, kind: str, text: str | None = None) -> None:
        self.messages.append(replace(view, kind=kind,
                                     new_text=view.new_text if text is None else text))
        self.steps.append(Record(kind, text))

    def mark(self, kind: str) -> None:
        for i in range(len(self.messages) - 1, -1, -1):
            if self.messages[i].id is None:
                self.messages[i] = replace(self.messages[i], kind=kind)
                break
        self.steps.append(Mark(kind))

    def log(self, name: str, actor: str = "mailbot", /, **detail: Any) -> None:
        self.steps.append(Event(name, actor, detail, about_case=self.case is not None))

    def mail(self, spec: MailSpec) -> None:
        self.steps.append(Mail(spec))

    def seat(self, seat: Seat) -> None:
        self.steps.append(seat)

    def subscribe(self, row: Subscribe) -> None:
        self.steps.append(row)

    def undelivered(self, row: Undelivered) -> None:
        self.steps.append(row)

    def has_logged(self, name: str) -> bool:
        return any(isinstance(s, Event) and s.name == name for s in self.steps)

    # ------------------------------------------------------------------ the end

    def done(self, kind: OutcomeKind, *, acked: bool = False,
             reasons: Sequence[str] = ()) -> Plan:
        outcome = Outcome(kind, self.case_id, acked, tuple(reasons))
        return Plan(self.would, self.case_id, tuple(self.steps), outcome)
