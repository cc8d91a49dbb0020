"""Clause 5 of the regulation: polite communication, and what follows when it breaks.

mailbot only flags and offers; people decide. A helper who receives a rude mail may stop
helping with `#прекратить`: the user is told politely, citing the clause, and the helper's
direct supervisor receives a report. A user who complains about a helper reaches that
helper's direct supervisor, never the helper (routing.py sends a new complaint there;
`complaint_in_follow_up` catches one written into an existing case).
"""

from __future__ import annotations

from mailbot.desk import states
from mailbot.desk.casework import Tx, queue, set_state
from mailbot.flows import last_user_point, triage
from mailbot.outgoing.replies import local_time, to_helper, to_user
from mailbot.school.people import Person
from mailbot.school.routing import named_person
from mailbot.storage import store
from mailbot.storage.models import Case
from mailbot.text.classify import classify
from mailbot.text.rudeness import detect


def stop(tx: Tx, case: Case, person: Person, *, note: str) -> None:
    if not states.can_move(case.status, "stopped"):
        why = f"Обращение уже {states.LABELS_RU[case.status]}: прекратить помощь по нему нельзя."
        triage.problem(tx, case, person, [why])
        return
    messages = store.case_messages(tx.session, case.id)
    lexicon = tx.app.rules.etiquette
    passages: list[str] = []
    for message in messages:
        if message.sender_role == "user" and lexicon is not None:
            passages += triage.passages(message.new_text, detect(message.new_text, lexicon))
    queue(tx, case, to_user(
        tx.app, case, "stopped", kind="stopped", thread=last_user_point(tx, case),
        automatic=False, helper_position=person.position,
    ))
    supervisor = tx.people.supervisor_of(person.id) if tx.people else None
    if supervisor is not None:
        queue(tx, case, to_helper(
            tx.app, case, supervisor, "stop_report", kind="stop_report", helper_name=person.name,
            helper_position=person.position, note=note, passages=passages,
            opened_local=local_time(tx.app, case.created_at),
            stopped_local=local_time(tx.app, tx.now),
            history=_thread_lines(tx, messages),
        ))
    tx.log("help_stopped", case, person.id, note=note, passages=passages,
           reported_to=supervisor.id if supervisor else None)
    set_state(tx, case, "stopped", actor=person.id, why="#прекратить (clause 5)")


def complaint_in_follow_up(tx: Tx, case: Case, text: str, actor: str) -> Person | None:
    """A user's reply that complains about a helper goes, once per case, to that helper's
    direct supervisor with the case history; the user is told to whom (the position).
    Returns the person complained about, so the caller does not send it to them."""
    rules = tx.app.rules
    people = rules.people
    if rules.categories is None or people is None or not text.strip():
        return None
    if classify("", text, rules.categories).category != "complaint":
        return None
    about = named_person(text, people) or people.persons.get(case.assignee)
    supervisor = people.supervisor_of(about.id) if about else None
    if about is None or supervisor is None:
        return None
    if store.has_event(tx.session, case.id, "complaint_forwarded", f'"{about.id}"'):
        # The supervisor has this complaint already: the new words go to them, once more.
        triage.followup(tx, case, supervisor, text)
        return about
    queue(tx, case, to_helper(
        tx.app, case, supervisor, "complaint", kind="complaint",
        helper_name=about.name, helper_position=about.position, complaint=text,
        history=_thread_lines(tx, store.case_messages(tx.session, case.id)),
        commands=triage.helper_commands(),
    ))
    tx.log("complaint_forwarded", case, actor, about=about.id, to=supervisor.id)
    queue(tx, case, to_user(
        tx.app, case, "complaint_received", kind="complaint_received",
        thread=last_user_point(tx, case), automatic=True,
        supervisor_position=supervisor.position or "руководитель",
    ))
    return about


def _thread_lines(tx: Tx, messages: list) -> list[dict[str, str]]:  # type: ignore[type-arg]
    """The case's history as a supervisor reads it: who, when, what (notes included)."""
    out = []
    for message in messages:
        who = {"user": "Пользователь", "helper": "Специалист", "vendor": "Поддержка"}.get(
            message.sender_role, "Автоматическое письмо")
        out.append({"who": f"{who}: {message.from_name or message.from_addr}",
                    "when": local_time(tx.app, message.received_at),
                    "kind": message.kind, "text": message.new_text.strip()})
    return out
