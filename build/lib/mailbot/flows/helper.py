"""A helper's verified reply (sender.py checked address and token): an answer relayed to the
user, or commands on its first lines (commands.py). A command that cannot run stops the
whole mail: nothing is relayed, and the helper is told why.
"""

from __future__ import annotations

from mailbot.desk import commands, states
from mailbot.desk.casework import Tx, first_response, queue, set_state, take
from mailbot.flows import (
    Incoming,
    Outcome,
    clause5,
    last_user_point,
    record_message,
    stored_files,
    triage,
    vendor,
)
from mailbot.outgoing.replies import to_helper, to_user
from mailbot.school.people import Person
from mailbot.storage import store
from mailbot.storage.models import Case, Message
from mailbot.text.rudeness import detect

HELPER_COMMANDS = triage.HELPER_COMMANDS


class NoSuchCase(ValueError):
    """A valid token names a case this mailbox does not hold (the mail goes to quarantine)."""


def handle(tx: Tx, mail: Incoming) -> Outcome:
    case = tx.session.get(Case, mail.sender.token_case)
    if case is None or case.mailbox_id != tx.mailbox_id:
        raise NoSuchCase(f"the reply token names case {mail.sender.token_case}, which is not here")
    people = tx.people
    assert people is not None  # a helper was recognised, so there is a people file
    person = people.persons[mail.sender.person_id]
    message = record_message(tx, case, mail, kind="reply")
    tx.log("helper_mail", case, person.id, message_id=mail.parsed.message_id,
           reasons=list(mail.sender.reasons))
    outcome = Outcome("joined", case.id, False, mail.sender.reasons)
    if mail.facts.auto.kind != "none":
        # An out-of-office reply to our notice must never reach the user.
        _mark(tx, message, "auto")
        tx.log("helper_auto_reply_ignored", case, person.id, auto=mail.facts.auto.kind)
        return outcome
    parsed = commands.parse_commands(mail.facts.new_text, allowed=HELPER_COMMANDS)
    if parsed.problems:
        _mark(tx, message, "rejected")
        triage.problem(tx, case, person, [p.problem for p in parsed.problems])
        return outcome
    refusal = _refusal(tx, case, person, [c.name for c in parsed.commands])
    if refusal:
        _mark(tx, message, "rejected")
        triage.problem(tx, case, person, [refusal])
        return outcome
    names = {c.name for c in parsed.commands}
    # With #заметка the whole text is the note; only an answer or #закрыть/#ожидание relay.
    relayed = "" if "note" in names else parsed.text
    if names and not names & {"close", "wait"}:
        relayed = ""
    if relayed and _held(tx, case, person, message, relayed):
        return outcome
    if not parsed.commands:
        _answer(tx, case, person, message, relayed)
        return outcome
    for command in parsed.commands:
        _run(tx, case, person, message, command, parsed.text, relayed)
    if parsed.text and names <= {"help", "approve"}:
        # Nothing else uses the words: say so rather than drop them without a trace.
        triage.problem(tx, case, person, [("Текст после команды не отправлен пользователю. "
                                           "Чтобы ответить, напишите ответ отдельным письмом "
                                           "без команды.")])
    return outcome


def _refusal(tx: Tx, case: Case, person: Person, names: list[str]) -> str:
    """Why this mail must not act at all (Russian, for the helper), or "" when it may."""
    label = states.LABELS_RU[case.status]
    if case.status == "stopped":
        return "Помощь по этому обращению прекращена, письмо не отправлено."
    people = tx.people
    assert people is not None
    if case.assignee and person.id != case.assignee and person.id not in _chain(tx, case):
        owner = people.persons.get(case.assignee)
        return (f"Обращение передано: {owner.name if owner else case.assignee}. "
                "Ваше письмо не отправлено пользователю.")
    if "stop" in names and len(set(names) - {"note"}) > 1:
        return "Команду #прекратить нельзя сочетать с другими командами, кроме #заметка."
    if {"vendor", "close"} <= set(names):
        return "Обращение нельзя одновременно передать в поддержку и закрыть."
    if "wait" in names and not states.can_move(case.status, "waiting_user"):
        return f"Обращение {label}: ожидать ответа пользователя по нему нельзя."
    if "vendor" in names:
        if people.vendor is None:
            return "Служба поддержки не указана в настройках (people.toml, [vendor])."
        if case.status == "waiting_vendor":
            return "Обращение уже передано в службу поддержки, ждём её ответа."
        if not states.can_move(case.status, "waiting_vendor"):
            return f"Обращение {label}: передать его в поддержку нельзя."
    return ""


def _chain(tx: Tx, case: Case) -> set[str]:
    """The supervisors above the case's helper: they may answer and act on it too."""
    people, chain = tx.people, set()
    current = case.assignee
    while people is not None and (boss := people.supervisor_of(current)) is not None:
        if boss.id in chain:
            break
        chain.add(boss.id)
        current = boss.id
    return chain


def _run(tx: Tx, case: Case, person: Person, message: Message, command: commands.Command,
         text: str, relayed: str) -> None:
    tx.log("command", case, person.id, command=command.name, arg=command.arg)
    if command.name == "note":
        _mark(tx, message, "note")
    elif command.name == "help":
        _mark(tx, message, "command")
        queue(tx, case, to_helper(tx.app, case, person, "guide", kind="guide",
                                  commands=triage.helper_commands()))
    elif command.name == "transfer":
        _transfer(tx, case, person, message, command.arg, text)
    elif command.name == "wait":
        if relayed:
            _answer(tx, case, person, message, relayed, waiting=True)
        set_state(tx, case, "waiting_user", actor=person.id, why="#ожидание")
    elif command.name == "close":
        _close(tx, case, person, message, relayed)
    elif command.name == "vendor":
        _mark(tx, message, "command")
        vendor.escalate(tx, case, person, note=text, by=person.id)
    elif command.name == "stop":
        _mark(tx, message, "command")
        clause5.stop(tx, case, person, note=text)
    elif command.name == "approve":
        _mark(tx, message, "command")
        vendor.approve(tx, case, person)


def _answer(tx: Tx, case: Case, person: Person, message: Message, text: str,
            *, waiting: bool = False) -> None:
    if not text.strip():
        _mark(tx, message, "empty")
        triage.problem(tx, case, person, [("В письме не найден текст ответа: пользователю ничего "
                                          "не отправлено. Напишите ответ над цитатой.")])
        return
    queue(tx, case, to_user(
        tx.app, case, "relay", kind="relay", thread=last_user_point(tx, case),
        automatic=False, answer=text, waiting=waiting, **signature(tx, person),
    ))
    first_response(tx, case)
    if case.status in ("new", "waiting_user") and not waiting:
        set_state(tx, case, "assigned", actor=person.id, why="the helper answered")


def _close(tx: Tx, case: Case, person: Person, message: Message, text: str) -> None:
    if not states.can_move(case.status, "closed"):
        triage.problem(tx, case, person, [f"Обращение уже {states.LABELS_RU[case.status]}."])
        return
    queue(tx, case, to_user(
        tx.app, case, "closing", kind="closing", thread=last_user_point(tx, case),
        automatic=False, answer=text, **signature(tx, person),
    ))
    if text.strip():
        first_response(tx, case)
    else:
        _mark(tx, message, "command")
    set_state(tx, case, "closed", actor=person.id, why="#закрыть")


def _transfer(tx: Tx, case: Case, person: Person, message: Message, query: str,
              comment: str) -> None:
    _mark(tx, message, "command")
    people = tx.people
    assert people is not None
    found = people.find(query)
    if [p.id for p in found] == [person.id] or (found and found[0].id == case.assignee):
        triage.problem(tx, case, person,
                       [f"Обращение уже у сотрудника «{query}»: передавать некому."])
        return
    if len(found) != 1:
        names = ", ".join(f"{p.name} ({p.position})" for p in found[:5])
        why = (f"Найдено несколько сотрудников по запросу «{query}»: {names}. Уточните."
               if found else f"Не найден сотрудник «{query}». Напишите фамилию или должность.")
        triage.problem(tx, case, person, [why])
        return
    target = found[0]
    take(tx, case, target, actor=person.id, why=f"#передать {query}")
    questions = _questions(tx, case)
    files = stored_files(tx, [m.id for m in questions])
    triage.notice(tx, case, target, None, attachments=files,
                  question="\n\n".join(m.new_text for m in questions[-3:]),
                  received_at=case.created_at, comment=comment,
                  transferred_from=f"{person.name} ({person.position})")


def _held(tx: Tx, case: Case, person: Person, message: Message, text: str) -> bool:
    """A rude answer is not relayed (clause 5): the helper gets it back with the passage."""
    lexicon = tx.app.rules.etiquette
    findings = detect(text, lexicon) if lexicon is not None else []
    if not findings:
        return False
    _mark(tx, message, "held")
    tx.log("helper_reply_held", case, person.id, findings=[f.to_json() for f in findings])
    queue(tx, case, to_helper(tx.app, case, person, "held", kind="held",
                              findings=triage.passages(text, findings), answer=text))
    return True


def _questions(tx: Tx, case: Case) -> list[Message]:
    """The user's mails so far, for a helper who takes the case over."""
    return [m for m in store.case_messages(tx.session, case.id) if m.sender_role == "user"]


def signature(tx: Tx, person: Person) -> dict[str, object]:
    people = tx.people
    show = people is not None and people.show_helper_address
    return {"helper_name": person.name, "helper_position": person.position,
            "helper_address": person.emails[0] if show else ""}


def _mark(tx: Tx, message: Message, kind: str) -> None:
    message.kind = kind
    tx.session.add(message)
