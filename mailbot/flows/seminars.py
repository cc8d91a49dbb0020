"""Seminar registration and the schedule digest subscription, by mail (clause 4).

«#записаться 3» takes a seat if one is left and answers with an invitation (.ics);
«#отменить 3» gives it back with a cancellation (.ics); «#отписаться» / «#подписаться» change
the weekly schedule digest. Such a mail is a request, not a question: it is kept in a case
of its own that closes at once, so nothing is lost and no helper is bothered.

The seats are read before the plan is made (facts.py, under a lock per seminar on
PostgreSQL so that two workers cannot both take the last seat).
"""

from __future__ import annotations

from datetime import datetime

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
    lines: list[str] = []
    for step in (request, *request.also):
        if step.action in ("signup", "cancel"):
            lines += [_seat(draft, s, step.action, n) for n in step.numbers or (0,)]
        elif step.action in ("subscribe", "unsubscribe"):
            lines.append(_subscription(draft, step.action == "subscribe"))
        else:
            lines.append(step.problem)
    limits = s.config.limits
    recent = s.facts.auto_replies.get(parsed.from_addr, 0)
    if lines and ack_decision(s.mail.facts, recent, limits.auto_replies_per_sender).send:
        draft.mail(MailSpec("service_reply", "service_reply", "user", thread=s.mail.thread_point,
                            automatic=True, context={"lines": lines}))
    draft.state("closed", actor="mailbot", why=f"service request: {request.action}")
    return draft.done("opened", acked=bool(lines), reasons=(f"service request: {request.action}",))


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


def _seat(draft: Draft, s: Situation, action: str, number: int) -> str:
    assert draft.case is not None
    slot = seminar_slot(s.rules, s.now, number)
    seats = s.facts.seats.get(number, SeatFacts(None, 0, 0))
    if slot is None:
        return (f"Семинара № {number} в расписании нет или он уже прошёл. Номера ближайших "
                "семинаров есть в рассылке расписания.")
    addr, name = draft.case.requester_addr, draft.case.requester_name
    revision = 2 * seats.cancellations  # each cancellation raised the event's SEQUENCE
    if action == "cancel":
        if seats.status != "registered":
            return f"Вы не были записаны на семинар № {number}, отменять нечего."
        draft.seat(Seat(slot.key, number, addr, name, "cancelled"))
        helpdesk = s.config.helpdesk
        ics = cancel_ics([slot], organizer_addr=helpdesk.address, uid_domain=helpdesk.domain,
                         stamp=s.now, attendees=[addr], revision=revision)
        draft.mail(seminar_spec("seminar_cancelled", slot, addr, name, ics))
        draft.log("seminar_cancelled", addr, seminar=number)
        return f"Запись на семинар № {number} отменена."
    if seats.status == "registered":
        return f"Вы уже записаны на семинар № {number} «{slot.title}»."
    if slot.seats is not None and seats.taken >= slot.seats:
        draft.log("seminar_full", addr, seminar=number, seats=slot.seats)
        return (f"К сожалению, на семинар № {number} «{slot.title}» мест больше нет "
                f"(всего {slot.seats}). Следите за расписанием: семинары повторяются.")
    draft.seat(Seat(slot.key, number, addr, name, "registered"))
    draft.mail(seminar_spec("seminar_confirmed", slot, addr, name,
                            invitation(s.config, slot, s.now, revision)))
    draft.log("seminar_registered", addr, seminar=number)
    return f"Вы записаны на семинар № {number} «{slot.title}». Приглашение придёт отдельным письмом."


def invitation(config: Config, slot: Slot, now: datetime, revision: int = 0) -> bytes:
    """The .ics of one seminar. PUBLISH, not REQUEST: clients then offer «add to calendar»
    instead of «accept», whose iTIP reply would come back to the help address as a new mail."""
    helpdesk = config.helpdesk
    return slot_ics([slot], organizer_addr=helpdesk.address, uid_domain=helpdesk.domain,
                    stamp=now, organizer_name=helpdesk.name, revision=revision)


def seminar_spec(template: str, slot: Slot, addr: str, name: str, ics: bytes,
                 **context: object) -> MailSpec:
    """A mail about one seminar to one person, with the invitation (or cancellation) attached."""
    return MailSpec(
        template, template, "others", recipients=((name, addr),), automatic=True,
        attachments=(FileAttachment("seminar.ics", "text/calendar", ics),), about_case=False,
        context={"person_name": name, "slot": slot_line(slot, signup_hint=False),
                 "slot_number": slot.number, "slot_title": slot.title, **context},
    )


def _subscription(draft: Draft, subscribe: bool) -> str:
    assert draft.case is not None
    addr = draft.case.requester_addr
    draft.subscribe(Subscribe(addr, draft.case.requester_name, subscribe))
    draft.log("subscribed" if subscribe else "unsubscribed", addr)
    if subscribe:
        return "Вы подписаны на еженедельную рассылку расписания консультаций и семинаров."
    return ("Вы отписаны от рассылки расписания консультаций и семинаров. Чтобы снова "
            "получать её, напишите нам #подписаться.")
