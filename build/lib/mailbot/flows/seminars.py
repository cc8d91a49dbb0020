"""Seminar registration and the schedule digest subscription, by mail (clause 4).

«#записаться 3» takes a seat if one is left and answers with an invitation (.ics);
«#отменить 3» gives it back with a cancellation (.ics); «#отписаться» / «#подписаться» change
the weekly schedule digest. Such a mail is a request, not a question: it is kept in a case
of its own that closes at once, so nothing is lost and no helper is bothered.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlmodel import func, select

from mailbot.desk.casework import Tx, may_auto_reply, queue, set_state
from mailbot.flows import Incoming, Outcome, record_message
from mailbot.jobs.periodic import seminar_mail
from mailbot.outgoing.replies import to_user
from mailbot.school.ics import cancel_ics
from mailbot.school.schedule import Slot, slots_between
from mailbot.storage import store
from mailbot.storage.models import Case, Registration, Subscription
from mailbot.text.requests import SignupRequest

SERVICE = "service"  # the category of such cases; digests leave them out


def handle(tx: Tx, mail: Incoming, request: SignupRequest) -> Outcome:
    parsed = mail.parsed
    # Seats and subscriptions belong to the From address: a Reply-To could name anyone.
    case = Case(mailbox_id=tx.mailbox_id, subject=parsed.subject[:2000],
                requester_addr=parsed.from_addr, requester_name=parsed.from_name[:300],
                status="new", created_at=tx.now, updated_at=tx.now, category=SERVICE)
    tx.session.add(case)
    tx.session.flush()
    record_message(tx, case, mail, kind="request")
    tx.log("service_request", case, parsed.from_addr, action=request.action,
           numbers=list(request.numbers))
    lines: list[str] = []
    for step in (request, *request.also):
        if step.action in ("signup", "cancel"):
            for number in step.numbers or (0,):
                lines.append(_seat(tx, case, step.action, number))
        elif step.action in ("subscribe", "unsubscribe"):
            lines.append(_subscription(tx, case, step.action == "subscribe"))
        else:
            lines.append(step.problem)
    if lines and may_auto_reply(tx, mail.facts, case.requester_addr).send:
        queue(tx, case, to_user(tx.app, case, "service_reply", kind="service_reply",
                                thread=mail.thread_point, automatic=True, lines=lines))
    set_state(tx, case, "closed", actor="mailbot", why=f"service request: {request.action}")
    return Outcome("opened", case.id, bool(lines), (f"service request: {request.action}",))


def _seat(tx: Tx, case: Case, action: str, number: int) -> str:
    slot = _seminar_slot(tx, number)
    if slot is None:
        return (f"Семинара № {number} в расписании нет или он уже прошёл. Номера ближайших "
                "семинаров есть в рассылке расписания.")
    assert slot.number is not None
    seat = tx.session.exec(select(Registration).where(
        Registration.mailbox_id == tx.mailbox_id, Registration.seminar_key == slot.key,
        Registration.addr == case.requester_addr)).first()
    # Each earlier cancellation raised the event's SEQUENCE in that person's calendar.
    revision = 2 * store.count_events_of(tx.session, tx.mailbox_id, "seminar_cancelled",
                                         case.requester_addr, f'"seminar": {number}}}')
    if action == "cancel":
        if seat is None or seat.status != "registered":
            return f"Вы не были записаны на семинар № {number}, отменять нечего."
        seat.status, seat.changed_at = "cancelled", tx.now
        tx.session.add(seat)
        helpdesk = tx.app.config.helpdesk
        ics = cancel_ics([slot], organizer_addr=helpdesk.address, uid_domain=helpdesk.domain,
                         stamp=tx.now, attendees=[case.requester_addr], revision=revision)
        queue(tx, case, seminar_mail(tx.app, "seminar_cancelled", slot, case.requester_addr,
                                     case.requester_name, kind="seminar_cancelled", ics=ics))
        tx.log("seminar_cancelled", case, case.requester_addr, seminar=number)
        return f"Запись на семинар № {number} отменена."
    if seat is not None and seat.status == "registered":
        return f"Вы уже записаны на семинар № {number} «{slot.title}»."
    _lock_seats(tx, slot.key)
    taken = tx.session.exec(select(func.count(Registration.id)).where(
        Registration.mailbox_id == tx.mailbox_id, Registration.seminar_key == slot.key,
        Registration.status == "registered")).one()
    if slot.seats is not None and taken >= slot.seats:
        tx.log("seminar_full", case, case.requester_addr, seminar=number, seats=slot.seats)
        return (f"К сожалению, на семинар № {number} «{slot.title}» мест больше нет "
                f"(всего {slot.seats}). Следите за расписанием: семинары повторяются.")
    if seat is None:
        seat = Registration(mailbox_id=tx.mailbox_id, seminar_key=slot.key, number=slot.number,
                            addr=case.requester_addr, name=case.requester_name,
                            created_at=tx.now, changed_at=tx.now)
    seat.status, seat.changed_at = "registered", tx.now
    tx.session.add(seat)
    tx.session.flush()
    queue(tx, case, seminar_mail(tx.app, "seminar_confirmed", slot, case.requester_addr,
                                 case.requester_name, kind="seminar_confirmed",
                                 revision=revision))
    tx.log("seminar_registered", case, case.requester_addr, seminar=number)
    return f"Вы записаны на семинар № {number} «{slot.title}». Приглашение придёт отдельным письмом."


def _lock_seats(tx: Tx, key: str) -> None:
    """Two workers must not both take the last seat. SQLite writes one transaction at a
    time already; on PostgreSQL a transaction lock per seminar serialises the count."""
    if tx.session.get_bind().dialect.name == "postgresql":
        tx.session.exec(text("SELECT pg_advisory_xact_lock(:key)").bindparams(
            key=zlib.crc32(key.encode())))


def _seminar_slot(tx: Tx, number: int) -> Slot | None:
    rules = tx.app.rules
    if rules.schedule is None or rules.calendar is None:
        return None
    seminar = rules.schedule.seminars.get(number)
    if seminar is None:
        return None
    for slot in slots_between(rules.schedule, rules.calendar, seminar.date, seminar.date):
        if slot.number == number and not slot.cancelled and slot.start > tx.now:
            return slot
    return None


def _subscription(tx: Tx, case: Case, subscribe: bool) -> str:
    row = tx.session.exec(select(Subscription).where(
        Subscription.mailbox_id == tx.mailbox_id,
        Subscription.addr == case.requester_addr)).first()
    if row is None:
        row = Subscription(mailbox_id=tx.mailbox_id, addr=case.requester_addr,
                           name=case.requester_name, changed_at=tx.now)
    row.subscribed, row.changed_at = subscribe, tx.now
    tx.session.add(row)
    tx.log("subscribed" if subscribe else "unsubscribed", case, case.requester_addr)
    if subscribe:
        return "Вы подписаны на еженедельную рассылку расписания консультаций и семинаров."
    return ("Вы отписаны от рассылки расписания консультаций и семинаров. Чтобы снова "
            "получать её, напишите нам #подписаться.")
