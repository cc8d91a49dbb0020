"""A helper's verified reply (sender.py checked address and token): an answer relayed to the
user, or commands on its first lines (desk/commands.py). A command that cannot run stops the
whole mail: nothing is relayed, and the helper is told why.
"""

from __future__ import annotations

from mailbot.desk import states
from mailbot.desk.commands import (
    HELPER_COMMANDS,
    SPECS,
    Command,
    helper_guide,
    parse_commands,
)
from mailbot.desk.plan import USER_THREAD, Draft, MailSpec, Plan
from mailbot.flows import Situation, clause5, triage, vendor
from mailbot.school.people import People, Person
from mailbot.storage.models import Case
from mailbot.text.greetings import is_greeting


class NoSuchCase(ValueError):
    """A valid token names a case this mailbox does not hold (the mail goes to quarantine)."""


def plan(s: Situation) -> Plan:
    mail = s.mail
    case = s.facts.case
    if case is None or case.id != mail.sender.token_case:
        raise NoSuchCase(f"the reply token names case id {mail.sender.token_case}, which is not here")
    people = s.people
    assert people is not None  # a helper was recognised, so there is a people file
    person = people.persons[mail.sender.person_id]
    draft = Draft("helper_mail", s.now, case, s.facts.messages)
    draft.record(mail.view(s.now), "reply")
    draft.log("helper_mail", person.id, message_id=mail.parsed.message_id,
              reasons=list(mail.sender.reasons))
    _act(draft, s, person)
    return draft.done("joined", reasons=mail.sender.reasons)


def _act(draft: Draft, s: Situation, person: Person) -> None:
    assert draft.case is not None
    if s.mail.facts.auto.kind != "none":
        # An out-of-office reply to our notice must never reach the user.
        draft.mark("auto")
        draft.log("helper_auto_reply_ignored", person.id, auto=s.mail.facts.auto.kind)
        return
    parsed = parse_commands(s.mail.facts.new_text, allowed=HELPER_COMMANDS)
    names = [c.name for c in parsed.commands]
    problems = [p.problem for p in parsed.problems] or [
        why for why in [_refusal(s, draft.case, person, names)] if why]
    if problems:
        draft.mark("rejected")
        triage.problem(draft, person, problems)
        return
    relayed = _relayed(parsed.text, set(names))
    if relayed and _held(draft, s, person, relayed):
        return
    if not parsed.commands:
        _answer(draft, s, person, relayed)
        return
    for command in parsed.commands:
        _run(draft, s, person, command, parsed.text, relayed)
    if parsed.text and set(names) <= {"help", "approve"}:
        # Nothing else uses the words: say so rather than drop them without a trace.
        triage.problem(draft, person, [("Текст после команды не отправлен пользователю. "
                                        "Чтобы ответить, напишите ответ отдельным письмом "
                                        "без команды.")])


def _relayed(text: str, names: set[str]) -> str:
    """What reaches the user: an answer alone, or the text of #закрыть / #ожидание.
    With #заметка the whole text is the note."""
    if "note" in names or (names and not names & {"close", "wait"}):
        return ""
    return text


def _refusal(s: Situation, case: Case, person: Person, names: list[str]) -> str:
    """Why this mail must not act at all (Russian, for the helper), or "" when it may."""
    people = s.people
    assert people is not None
    label = states.LABELS_RU[case.status]
    if case.status == "stopped":
        return "Помощь по этому обращению прекращена, письмо не отправлено."
    if case.assignee and person.id != case.assignee and person.id not in _chain(people, case):
        owner = people.persons.get(case.assignee)
        return (f"Обращение передано: {owner.name if owner else case.assignee}. "
                "Ваше письмо не отправлено пользователю.")
    if "stop" in names and len(set(names) - {"note"}) > 1:
        return "Команду #прекратить нельзя сочетать с другими командами, кроме #заметка."
    if {"vendor", "close"} <= set(names):
        return "Обращение нельзя одновременно передать в поддержку и закрыть."
    if "wait" in names and not states.can_move(case.status, SPECS["wait"].moves_to):
        return f"Обращение {label}: ожидать ответа пользователя по нему нельзя."
    if "vendor" in names:
        if people.vendor is None:
            return "Служба поддержки не указана в настройках (people.toml, [vendor])."
        if case.status == SPECS["vendor"].moves_to:
            return "Обращение уже передано в службу поддержки, ждём её ответа."
        if not states.can_move(case.status, SPECS["vendor"].moves_to):
            return f"Обращение {label}: передать его в поддержку нельзя."
    return ""


def _chain(people: People, case: Case) -> set[str]:
    """The supervisors above the case's helper: they may answer and act on it too."""
    chain: set[str] = set()
    current = case.assignee
    while (boss := people.supervisor_of(current)) is not None:
        if boss.id in chain:
            break
        chain.add(boss.id)
        current = boss.id
    return chain


def _run(draft: Draft, s: Situation, person: Person, command: Command, text: str,
         relayed: str) -> None:
    draft.log("command", person.id, command=command.name, arg=command.arg)
    if command.name == "note":
        draft.mark("note")
    elif command.name == "transfer":
        _transfer(draft, s, person, command.arg, text)
    elif command.name == "wait":
        if relayed:
            _answer(draft, s, person, relayed, waiting=True)
        draft.state("waiting_user", actor=person.id, why="#ожидание")
    elif command.name == "close":
        _close(draft, s, person, relayed)
    else:
        draft.mark("command")
        if command.name == "help":
            draft.mail(MailSpec("guide", "guide", "helper", person=person.id,
                                context={"commands": helper_guide()}))
        elif command.name == "vendor":
            vendor.escalate(draft, s, person, note=text, by=person.id)
        elif command.name == "stop":
            clause5.stop(draft, s, person, note=text)
        elif command.name == "approve":
            vendor.approve(draft, s, person)


def _answer(draft: Draft, s: Situation, person: Person, text: str, *,
            waiting: bool = False) -> None:
    assert draft.case is not None
    if not text.strip():
        draft.mark("empty")
        triage.problem(draft, person, [("В письме не найден текст ответа: пользователю "
                                        "ничего не отправлено. Напишите ответ над цитатой.")])
        return
    draft.mail(MailSpec("relay", "relay", "user", thread=USER_THREAD,
                        context={"answer": text, "waiting": waiting, **signature(s, person)}))
    draft.first_response()
    if draft.case.status in ("new", "waiting_user") and not waiting:
        draft.state("assigned", actor=person.id, why="the helper answered")


def _close(draft: Draft, s: Situation, person: Person, text: str) -> None:
    assert draft.case is not None
    if not states.can_move(draft.case.status, SPECS["close"].moves_to):
        triage.problem(draft, person, [f"Обращение уже {states.LABELS_RU[draft.case.status]}."])
        return
    # The closing mail greets the user itself: the helper's own «Добрый день!» would be twice.
    lines = text.strip().splitlines()
    answer = "\n".join(lines[1:]).strip() if lines and is_greeting(lines[0]) else text
    draft.mail(MailSpec("closing", "closing", "user", thread=USER_THREAD,
                        context={"answer": answer, **signature(s, person)}))
    if text.strip():
        draft.first_response()
    else:
        draft.mark("command")
    draft.state("closed", actor=person.id, why="#закрыть")


def _transfer(draft: Draft, s: Situation, person: Person, query: str, comment: str) -> None:
    assert draft.case is not None and s.people is not None
    draft.mark("command")
    found = s.people.find(query)
    if [p.id for p in found] == [person.id] or (found and found[0].id == draft.case.assignee):
        triage.problem(draft, person, [f"Обращение уже у сотрудника «{query}»: передавать некому."])
        return
    if len(found) != 1:
        names = ", ".join(f"{p.name} ({p.position})" for p in found[:5])
        why = (f"Найдено несколько сотрудников по запросу «{query}»: {names}. Уточните."
               if found else f"Не найден сотрудник «{query}». Напишите фамилию или должность.")
        triage.problem(draft, person, [why])
        return
    target = found[0]
    draft.take(target.id, actor=person.id, why=f"#передать {query}")
    # The user's own questions (never a mail of a doubted address: that one shows in the
    # history, marked «не подтверждено»).
    questions = [m for m in draft.messages if m.sender_role == "user" and m.kind == "question"]
    stored = [m.id for m in questions if m.id is not None]
    # The conversation so far (what the user was already told), without this very mail and
    # without mail that did nothing.
    said = [m for m in draft.messages if m.id is not None
            and m.kind not in ("auto", "rejected", "empty", "held", "vendor_auto")]
    triage.notice(draft, s, target, None, stored_files=stored,
                  withheld=[f.withheld() for f in s.facts.files_of(stored) if not f.passed],
                  question="\n\n".join(m.new_text for m in questions[-3:]),
                  received_at=draft.case.created_at, comment=comment,
                  transferred_from=f"{person.name} ({person.position})",
                  history=triage.thread_lines(s, said) if len(said) > 1 else ())


def _held(draft: Draft, s: Situation, person: Person, text: str) -> bool:
    """A rude answer is not relayed (clause 5): the helper gets it back with the passage."""
    findings = triage.rudeness(s, text)
    if not findings:
        return False
    draft.mark("held")
    draft.log("helper_reply_held", person.id, findings=[f.to_json() for f in findings])
    draft.mail(MailSpec("held", "held", "helper", person=person.id,
                        context={"findings": triage.passages(text, findings), "answer": text}))
    return True


def signature(s: Situation, person: Person) -> dict[str, object]:
    show = s.people is not None and s.people.show_helper_address
    return {"helper_name": person.name, "helper_position": person.position,
            "helper_address": person.emails[0] if show else ""}
