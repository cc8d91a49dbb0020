"""The pure parts of retention and forgetting: what is due when, and what a scrub keeps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailbot.config import ConfigError, Retention, load
from mailbot.jobs.retention import PSEUDO, RAW, add_months, due
from mailbot.privacy.scrub import (
    ERASED_ADDR,
    ERASED_TEXT,
    address_list,
    mail_addresses,
    marks_of,
    scrub_detail,
)
from tests.mailfactory import make_mail

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=UTC)
RULES = Retention(raw_days=90, pseudonymise_months=12)


def staff(addr: str) -> bool:
    return addr in {"n.ivanova@school.example", "help@school.example"}


def test_add_months_keeps_the_day_or_takes_the_months_last() -> None:
    assert add_months(datetime(2026, 1, 31, 9, tzinfo=UTC), 1) == datetime(2026, 2, 28, 9,
                                                                            tzinfo=UTC)
    assert add_months(datetime(2026, 11, 15, tzinfo=UTC), 12) == datetime(2027, 11, 15,
                                                                          tzinfo=UTC)
    assert add_months(datetime(2026, 12, 1, tzinfo=UTC), 2) == datetime(2027, 2, 1, tzinfo=UTC)


def test_due_raw_after_n_days_pseudonym_after_m_months_each_once() -> None:
    closed = [
        (1, NOW - timedelta(days=89)),  # not yet
        (2, NOW - timedelta(days=90)),  # raw mail due today
        (3, add_months(NOW, -12)),  # both due: the pseudonym alone (it drops raw mail too)
        (4, NOW - timedelta(days=200)),  # raw done before
        (5, add_months(NOW, -13)),  # pseudonymised before
        (6, (add_months(NOW, -12) + timedelta(seconds=1)).replace(tzinfo=None)),  # naive UTC
    ]
    done = {(RAW, 4), (RAW, 5), (PSEUDO, 5)}
    assert due(closed, done, NOW, RULES) == [(RAW, 2), (PSEUDO, 3), (RAW, 6)]
    assert due(closed, done | {(RAW, 2), (PSEUDO, 3), (RAW, 6)}, NOW, RULES) == []


def test_detail_keeps_states_and_ids_but_not_words_or_addresses() -> None:
    detail = json.dumps({
        "before": "new", "after": "ivanova", "seminar": 3, "flag": True,
        "to": "anna@mail.example, n.ivanova@school.example",
        "findings": [{"kind": "insult", "word": "дурак", "start": 4}],
        "note": "Анна Петрова звонила", "reasons": ["subject tag ignored: anna@mail.example"],
    }, ensure_ascii=False)
    scrubbed = json.loads(scrub_detail(detail, staff))
    assert scrubbed == {
        "before": "new", "after": "ivanova", "seminar": 3, "flag": True,
        "to": f"{ERASED_ADDR}, n.ivanova@school.example",
        "findings": [{"kind": "insult", "word": ERASED_TEXT, "start": 4}],
        "note": ERASED_TEXT, "reasons": [f"subject tag ignored: {ERASED_ADDR}"],
    }
    assert scrub_detail("", staff) == "" and scrub_detail("not json", staff) == ERASED_TEXT


def test_address_lists_keep_the_staff_and_merge_the_erased() -> None:
    value = "A@Mail.example, n.ivanova@school.example, b@mail.example"
    assert address_list(value, staff) == f"{ERASED_ADDR}, n.ivanova@school.example"


def test_marks_find_and_redact_address_name_and_long_lines_in_any_case() -> None:
    marks = marks_of("Z.Kuk@Mail.Example", ["Зинаида Кукушкина", "З"],
                     ["Привет.\nСпасибо за помощь!\nУ нас фиолетовый жираф на экране."])
    assert marks.addr == "z.kuk@mail.example" and marks.names == ("Зинаида Кукушкина",)
    assert marks.lines == ("У нас фиолетовый жираф на экране.",)  # not the common phrases
    assert not marks.found_in("Спасибо за помощь! Анна")
    text = ("Пишет ЗИНАИДА КУКУШКИНА <z.kuk@mail.EXAMPLE>:\n"
            "> У нас фиолетовый жираф на экране.\nОтвет помощника.")
    assert marks.found_in(text) and not marks.found_in("Ответ помощника.")
    assert marks.redact(text) == (f"Пишет {ERASED_TEXT} <{ERASED_ADDR}>:\n"
                                  f"> {ERASED_TEXT}\nОтвет помощника.")


def test_mail_addresses_reads_the_headers_of_stored_mail() -> None:
    raw = make_mail(sender=("Анна", "Anna@Mail.Example"), to="help@school.example",
                    headers={"Cc": "Зина <z@почта.рф>"})
    assert mail_addresses(raw) == {"anna@mail.example", "help@school.example", "z@почта.рф"}
    assert mail_addresses(b"\xff\xfe garbage") == set()


def test_raw_days_shorter_than_reopening_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "mailbot.toml"
    path.write_text('[helpdesk]\naddress = "help@school.example"\n[retention]\n'
                    "raw_days = 7\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"retention.raw_days \(7\) must not be shorter than "
                                          r"conversation.reopen_days \(14\)"):
        load(path)
    path.write_text('[helpdesk]\naddress = "help@school.example"\n[retention]\n'
                    "pseudonymise_months = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="retention.pseudonymise_months"):
        load(path)


def test_the_address_pattern_is_tried_once_per_run_and_finds_the_same() -> None:
    """scrub._ADDRESS starts only where a run of its characters starts: the same matches as
    trying every start, on random texts of addresses and separators, and a run of 100,000
    characters without "@" is one pass, not 100,000 (forget reads every stored text)."""
    import random
    import re

    from mailbot.privacy import scrub

    every_start = re.compile(r"[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")
    rng = random.Random(3)
    pieces = ["anna", "@", ".", "-", "mail", "ru", "<", ">", " ", "\n", ",", ";", "(", ")",
              "[", "]", "'", '"', "ж", "1", "_", "+", "@@", "user@host.org", "="]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        assert [m.span() for m in scrub._ADDRESS.finditer(text)] == [
            m.span() for m in every_start.finditer(text)], text
    assert not list(scrub._ADDRESS.finditer("a" * 100_000))
