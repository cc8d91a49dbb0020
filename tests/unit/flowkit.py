"""Plain data for flow tests: the school's own rule files, a mail, the facts, no database."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from mailbot import config as config_module
from mailbot.config import Config
from mailbot.desk import tokens
from mailbot.desk.decide import analyse
from mailbot.desk.keyring import Keyring
from mailbot.desk.plan import MessageView, Plan
from mailbot.desk.sender import identify
from mailbot.desk.threads import ThreadFacts
from mailbot.flows import Facts, Incoming, Situation
from mailbot.flows.choose import plan_for
from mailbot.reading.parsing import parse
from mailbot.school.rulebook import Rulebook, load_all
from mailbot.storage.models import Case

ROOT = Path(__file__).resolve().parents[2]
SECRET = b"flow-tests-secret"
KEYS = Keyring(SECRET)
NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)  # Thursday 11:00 in Yekaterinburg
RULE_FILES = ("people", "categories", "routes", "etiquette", "knowledge", "calendar", "schedule")
PARENT = ("Анна Петрова", "anna.petrova@mail.example")
IVANOVA = ("Надежда Иванова", "n.ivanova@school.example")
KUZNETSOV = ("Алексей Кузнецов", "a.kuznetsov@school.example")


@cache
def school(extra: str = "") -> tuple[Config, Rulebook]:
    """mailbot.toml naming the repository's rule files, loaded once per variant."""
    folder = Path(tempfile.mkdtemp(prefix="flowkit"))
    lines = ["[helpdesk]", 'address = "help@school.example"', "[files]",
             *(f'{k} = "{ROOT / "config" / (k + ".toml")}"' for k in RULE_FILES)]
    path = folder / "mailbot.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    config = config_module.load(path)
    return config, load_all(config)


def case(number: int = 7, **fields: object) -> Case:
    values: dict[str, object] = {
        "id": number, "mailbox_id": 1, "subject": "Не могу войти в дневник",
        "requester_addr": PARENT[1], "requester_name": PARENT[0], "status": "assigned",
        "created_at": datetime(2026, 12, 2, 5, 0, tzinfo=UTC),
        "updated_at": datetime(2026, 12, 2, 5, 0, tzinfo=UTC), "category": "login",
        "role": "parent", "assignee": "ivanova", "route": "person:ivanova"}
    values.update(fields)
    return Case(**values)


def question(number: int = 1, text: str = "Не могу войти в дневник.", **kw: object) -> MessageView:
    values: dict[str, object] = {"sender_role": "user", "kind": "question", "new_text": text,
                                 "from_name": PARENT[0], "from_addr": PARENT[1],
                                 "received_at": datetime(2026, 12, 2, 5, 0, tzinfo=UTC),
                                 "message_id": f"q{number}@mail.example"}
    values.update(kw)
    return MessageView(number, **values)  # type: ignore[arg-type]


def token_ref(case_number: int, person: str) -> str:
    """The Message-ID of our notice to a helper, which their reply cites."""
    return tokens.helper_message_id(KEYS, "school.example", case_number, person, "notice", NOW)


def situation(raw: bytes, facts: Facts | None = None, *, now: datetime = NOW,
              extra: str = "") -> Situation:
    config, rules = school(extra)
    parsed = parse(raw)
    mail_facts = analyse(parsed, config, ThreadFacts())
    sender = identify(parsed, mail_facts.auto, rules.people, KEYS, now,
                      config.security.authserv_id)
    mail = Incoming(parsed, mail_facts, sender, raw, "test:1")
    return Situation(mail, facts or Facts(), config, rules, now)


def plan(raw: bytes, facts: Facts | None = None, **kw: object) -> Plan:
    return plan_for(situation(raw, facts, **kw))  # type: ignore[arg-type]


def with_case(facts: Facts, **fields: object) -> Facts:
    assert facts.case is not None
    return replace(facts, case=case(facts.case.id or 7, **fields))
