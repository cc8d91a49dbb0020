"""Clause 5 of the regulation: polite communication, and what follows when it breaks.

mailbot only flags and offers; people decide. A helper who receives a rude mail may stop
helping with `#прекратить`: the user is told politely, citing the clause, and the helper's
direct supervisor receives a report. A user who complains about a helper reaches that
helper's direct supervisor, never the helper (routing.py sends a new complaint there;
`complaint_in_follow_up` catches one written into an existing case).
"""

from __future__ import annotations

from mailbot.desk import states
from mailbot.desk.commands import helper_guide
from mailbot.desk.plan import USER_THREAD, Draft, MailSpec
from mailbot.flows import Situation, triage
from mailbot.school.people import Person
from mailbot.school.routing import named_person
from mailbot.text.classify import classify


def stop(draft: Draft, s: Situation, person: Person, *, note: str) -> None:
    assert draft.case is not None
    if not states.can_move(draft.case.status, "stopped"):
        why = (f"Обращение уже {states.LABELS_RU[draft.case.status]}: прекратить помощь по "
               "нему нельзя.")
        triage.problem(draft, person, [why])
        return
    passages: list[str] = []
    for message in draft.messages:  # the user's own words: not a doubted address's
        if message.sender_role == "user" and message.kind not in triage.UNVERIFIED_KINDS:
            passages += triage.passages(message.new_text, triage.rudeness(s, message.new_text))
    draft.mail(MailSpec("stopped", "stopped", "user", thread=USER_THREAD,
                        context={"helper_position": person.position}))
    supervisor = s.people.supervisor_of(person.id) if s.people else None
    if supervisor is not None:
        draft.mail(MailSpec("stop_report", "stop_report", "helper", person=supervisor.id, context={
            "helper_name": person.name, "helper_position": person.position, "note": note,
            "passages": passages, "opened_local": s.local(draft.case.created_at),
            "stopped_local": s.local(s.now), "history": triage.thread_lines(s, draft.messages),
        }))
    draft.log("help_stopped", person.id, note=note, passages=passages,
              reported_to=supervisor.id if supervisor else None)
    draft.state("stopped", actor=person.id, why="#прекратить (clause 5)")


def complaint_in_follow_up(draft: Draft, s: Situation, text: str, actor: str) -> Person | None:
    """A user's reply that complains about a helper goes, once per case, to that helper's
    direct supervisor with the case history; the user is told to whom (the position).
    Returns the person complained about, so the caller does not send it to them."""
    assert draft.case is not None
    rules, people = s.rules, s.people
    if rules.categories is None or people is None or not text.strip():
        return None
    if classify("", text, rules.categories).category != "complaint":
        return None
    about = named_person(text, people) or people.persons.get(draft.case.assignee)
    supervisor = people.supervisor_of(about.id) if about else None
    if about is None or supervisor is None:
        return None
    if s.facts.has_event("complaint_forwarded", f'"{about.id}"'):
        # The supervisor has this complaint already: the new words go to them, once more.
        triage.followup(draft, supervisor, text)
        return about
    draft.mail(MailSpec("complaint", "complaint", "helper", person=supervisor.id, context={
        "helper_name": about.name, "helper_position": about.position, "complaint": text,
        "history": triage.thread_lines(s, draft.messages), "commands": helper_guide(),
    }))
    draft.log("complaint_forwarded", actor, about=about.id, to=supervisor.id)
    if draft.case.requester_addr in s.facts.hard_bounced:
        return about  # the user's mail comes back: no automatic word to them
    draft.mail(MailSpec("complaint_received", "complaint_received", "user", thread=USER_THREAD,
                        automatic=True,
                        context={"supervisor_position": supervisor.position or "руководитель"}))
    return about
