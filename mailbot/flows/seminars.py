"""Seminar registration and the schedule digest subscription, by mail (clause 4).

«#записаться 3» takes a seat if one is left; «#отменить 3» gives it back; «#отписаться» /
«#подписаться» change the weekly schedule digest. Such a mail is a request, not a question:
it is kept in a case of its own that closes at once, so nothing is lost and no helper is
bothered. It gets one answer: what was done, with an invitation (.ics) for every seat taken
and a cancelling .ics for every seat given back, under a subject that says what happened.

The seats are read before the plan is made (facts.py, under a lock per seminar on
PostgreSQL so that two workers cannot both take the last seat).
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from mailbot.config import Config
from mailbot.desk.decide import ack_decision
from mailbot.desk.plan import Draft, MailSpec, Plan, Seat, Subscribe
from mailbot.flows import SeatFacts, Situation
from mailbot.outgoing.compose import FileAttachment
from mailbot.school.ics import cancel_ics, slot_ics
from mailbot.school.rulebook import Rulebook
from mailbot.school.schedule import Slot, slot_line, slots_between
from mailbot.text.requests import SignupRequest

SERVICE = "service"  # the category of such cases; digests leave them out


def plan(s: Situation, request: SignupRequest) -> Plan:
    parsed = s.mail.parsed
    draft = Draft("service_request", s.now)
    # Seats and subscriptions belong to the From address: a Reply-To could name anyone.
    draft.open(subject=parsed.subject[:2000], requester_addr=parsed.from_addr,
               requester_name=parsed.from_name[:300], category=SERVICE)
    draft.record(s.mail.view(s.now), "request")
    draft.log("service_request", parsed.from_addr, action=request.action,
              numbers=list(request.numbers))
    answer = _Answer()
    for step in (request, *request.also):
        if step.action in ("signup", "cancel"):
            for number in step.numbers or (0,):
                answer.add(_seat(draft, s, step.action, number))
        elif step.action in ("subscribe", "unsubscribe"):
            answer.add(_subscription(draft, step.action == "subscribe"))
        else:
            answer.add(_Done(step.problem, "Ваш запрос"))
    limits = s.config.limits
    recent = s.facts.auto_replies.get(parsed.from_addr, 0)
    allowed = ack_decision(s.mail.facts, recent, limits.auto_replies_per_sender).send
    if parsed.from_addr in s.facts.hard_bounced:
        draft.log("reply_skipped", reasons=["mail to this address came back lately"])
        allowed = False
    # A seat's invitation goes even past the cap of automatic replies (never to machine mail).
    bounced = parsed.from_addr in s.facts.hard_bounced
    if answer.lines and (allowed or (answer.files and s.mail.facts.auto.may_auto_reply
                                     and not bounced)):
        draft.mail(MailSpec("service_reply", "service_reply", "user", thread=s.mail.thread_point,
                            automatic=True, attachments=tuple(answer.files),
                            context={"lines": answer.lines, "summary": answer.subject}))
    draft.state("closed", actor="mailbot", why=f"service request: {request.action}")
    return draft.done("opened", acked=bool(answer.lines),
                      reasons=(f"service request: {request.action}",))


class _Done(NamedTuple):
    """One thing a request did: the answer's line, its subject, the .ics if any."""

    line: str
    subject: str
    ics: bytes | None = None


class _Answer:
    """The one answer to a request: its lines, the .ics files, and a subject that says what
    happened (the first thing done, or «Ответ на ваш запрос» when several things were)."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.files: list[FileAttachment] = []
        self.subjects: list[str] = []

    def add(self, done: _Done) -> None:
        self.lines.append(done.line)
        self.subjects.append(done.subject)
        if done.ics is not None:
            self.files.append(FileAttachment(f"seminar-{len(self.files) + 1}.ics",
                                             "text/calendar", done.ics))

    @property
    def subject(self) -> str:
        distinct = list(dict.fromkeys(self.subjects))
        return distinct[0] if len(distinct) == 1 else "Ответ на ваш запрос"


def requested_numbers(request: SignupRequest) -> list[int]:
    """The seminars whose seats a request touches (facts.py reads those)."""
    return [n for step in (request, *request.also) if step.action in ("signup", "cancel")
            for n in step.numbers]


def seminar_slot(rules: Rulebook, now: datetime, number: int) -> Slot | None:
    """The seminar's next meeting, if it is in the schedule and still ahead."""
    if rules.schedule is None or rules.calendar is None:
        return None
    seminar = rules.schedule.seminars.get(number)
    if seminar is None:
        return None
    for slot in slots_between(rules.schedule, rules.calendar, seminar.date, seminar.date):
        if slot.number == number and not slot.cancelled and slot.start > now:
            return slot
    return None


def _seat(draft: Draft, s: Situation, action: str, number: int,
          ) -> _Done:
    """What a sign-up or a cancellation did: the answer's line, its subject, the .ics."""
    assert draft.case is not None
    slot = seminar_slot(s.rules, s.now, number)
    seats = s.facts.seats.get(number, SeatFacts(None, 0, 0))
    if slot is None:
        return _Done(f"Семинара № {number} в расписании нет или он уже прошёл. Номера ближайших "
                "семинаров есть в рассылке расписания.", "Семинар не найден")
    addr, name = draft.case.requester_addr, draft.case.requester_name
    revision = 2 * seats.cancellations  # each cancellation raised the event's SEQUENCE
    if action == "cancel":
        if seats.status != "registered":
            return _Done(f"Вы не были записаны на семинар № {number}, отменять нечего.",
                    f"Записи на семинар № {number} не было")
        draft.seat(Seat(slot.key, number, addr, name, "cancelled"))
        ics = cancellation(s.config, slot, addr, s.now, revision)
        draft.log("seminar_cancelled", addr, seminar=number)
        return _Done(f"Ваша запись на семинар № {number} отменена:\n{slot_line(slot, signup_hint=False)}"
                "\nФайл во вложении уберёт семинар из вашего календаря. Записаться снова можно "
                f"письмом со словами #записаться {number}, пока есть свободные места.",
                f"Запись на семинар № {number} отменена", ics)
    if seats.status == "registered":
        return _Done(f"Вы уже записаны на семинар № {number} «{slot.title}».",
                f"Вы уже записаны на семинар № {number}")
    if slot.seats is not None and seats.taken >= slot.seats:
        draft.log("seminar_full", addr, seminar=number, seats=slot.seats)
        return _Done(f"К сожалению, на семинар № {number} «{slot.title}» мест больше нет "
                f"(всего {slot.seats}). Следите за расписанием: семинары повторяются.",
                f"На семинар № {number} мест нет")
    draft.seat(Seat(slot.key, number, addr, name, "registered"))
    draft.log("seminar_registered", addr, seminar=number)
    return _Done(f"Вы записаны на семинар:\n{slot_line(slot, signup_hint=False)}\nПриглашение для "
            "календаря приложено к письму: откройте его, чтобы добавить семинар в свой "
            "календарь. Накануне мы пришлём напоминание. Если планы изменятся, ответьте на это "
            f"письмо: #отменить {number}.",
            f"Вы записаны на семинар № {number} «{slot.title}»",
            invitation(s.config, slot, s.now, revision))


def invitation(config: Config, slot: Slot, now: datetime, revision: int = 0) -> bytes:
    """The .ics of one seminar. PUBLISH, not REQUEST: clients then offer «add to calendar»
    instead of «accept», whose iTIP reply would come back to the help address as a new mail."""
    helpdesk = config.helpdesk
    return slot_ics([slot], organizer_addr=helpdesk.address, uid_domain=helpdesk.domain,
                    stamp=now, organizer_name=helpdesk.name, revision=revision)


def cancellation(config: Config, slot: Slot, addr: str, now: datetime, revision: int) -> bytes:
    """The .ics that takes one person's seminar out of their calendar (METHOD:CANCEL)."""
    helpdesk = config.helpdesk
    return cancel_ics([slot], organizer_addr=helpdesk.address, uid_domain=helpdesk.domain,
                      stamp=now, attendees=[addr], revision=revision)


def seminar_spec(template: str, slot: Slot, addr: str, name: str, ics: bytes,
                 **context: object) -> MailSpec:
    """A mail about one seminar to one person, with the invitation (or cancellation) attached."""
    return MailSpec(
        template, template, "others", recipients=((name, addr),), automatic=True,
        attachments=(FileAttachment("seminar.ics", "text/calendar", ics),), about_case=False,
        context={"person_name": name, "slot": slot_line(slot, signup_hint=False),
                 "slot_number": slot.number, "slot_title": slot.title, **context},
    )


def _subscription(draft: Draft, subscribe: bool) -> _Done:
    assert draft.case is not None
    addr = draft.case.requester_addr
    draft.subscribe(Subscribe(addr, draft.case.requester_name, subscribe))
    draft.log("subscribed" if subscribe else "unsubscribed", addr)
    if subscribe:
        return _Done("Вы подписаны на еженедельную рассылку расписания консультаций и семинаров.",
                "Вы подписаны на рассылку расписания")
    return _Done("Вы отписаны от рассылки расписания консультаций и семинаров. Чтобы снова "
            "получать её, напишите нам #подписаться.", "Вы отписаны от рассылки расписания")
