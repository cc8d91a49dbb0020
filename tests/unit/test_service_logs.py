"""What the log says about servers, and how: outages once, refusals as such, JSON lines,
third-party loggers quiet, no progress bar outside a terminal."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from mailbot.adapters.clock import FixedClock
from mailbot.adapters.transport import Item, Result
from mailbot.service import logs, progress
from mailbot.service.watch import Outage, WatchedTransport

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)


class Scripted:
    """A transport whose answers are given in advance."""

    description = "SMTP smtp.school.example:587"

    def __init__(self, results: list[Result]) -> None:
        self.results = results

    def send(self, items, on_result) -> None:  # type: ignore[no-untyped-def]
        for item in items:
            on_result(item, self.results.pop(0))

    def check(self) -> str:
        return "ok"


def item(n: int) -> Item:
    return Item(n, "help@school.example", [f"user{n}@mail.example"], b"")


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_an_outage_is_two_warnings_however_many_attempts(
        caplog: pytest.LogCaptureFixture) -> None:
    down = Result("unreachable", "SMTP smtp.school.example:587: Connection refused")
    clock = FixedClock(NOW)
    transport = WatchedTransport(Scripted([down] * 30 + [Result("sent")]),
                                 Outage("outgoing mail"), clock)
    caplog.set_level(logging.INFO, logger="mailbot")
    for attempt in range(10):
        transport.send([item(1), item(2), item(3)], lambda _i, _r: None)
        clock.advance(minutes=1)
    assert transport.outage.down
    transport.send([item(4)], lambda _i, _r: None)
    said = warnings(caplog)
    assert len(said) == 2, said
    assert "unreachable" in said[0] and "Connection refused" in said[0]
    assert said[1].startswith("outgoing mail is back after 10 min (30 failed attempts)")
    assert not transport.outage.down


def test_a_permanent_refusal_is_worded_as_such(caplog: pytest.LogCaptureFixture) -> None:
    refused = Result("permanent", "550 5.1.1 <nobody@mail.example>: user unknown")
    transport = WatchedTransport(Scripted([refused]), Outage("outgoing mail"),
                                 FixedClock(NOW))
    caplog.set_level(logging.INFO, logger="mailbot")
    transport.send([item(7)], lambda _i, _r: None)
    [said] = warnings(caplog)
    assert said.startswith("send: permanently refused (5xx), not retried: mail 7 to user7@")
    assert "user unknown" in said and not transport.outage.down and transport.refused == 1


def test_one_recipients_delay_is_no_outage(caplog: pytest.LogCaptureFixture) -> None:
    deferred = Result("temporary", "user1@mail.example: 452 mailbox full")
    transport = WatchedTransport(Scripted([deferred]), Outage("outgoing mail"),
                                 FixedClock(NOW))
    caplog.set_level(logging.INFO, logger="mailbot")
    transport.send([item(1)], lambda _i, _r: None)
    assert warnings(caplog) == [] and not transport.outage.down


def test_outage_of_the_mailbox_counts_time(caplog: pytest.LogCaptureFixture) -> None:
    outage = Outage("mailbox IMAP imap.school.example:993")
    caplog.set_level(logging.INFO, logger="mailbot")
    for minute in range(0, 45, 5):
        outage.failed(NOW + timedelta(minutes=minute), "cannot connect: timed out")
    outage.ok(NOW + timedelta(minutes=45))
    outage.ok(NOW + timedelta(minutes=46))
    assert warnings(caplog) == [
        ("mailbox IMAP imap.school.example:993 unreachable: cannot connect: timed out; "
         "retrying quietly until it is back"),
        "mailbox IMAP imap.school.example:993 is back after 45 min (9 failed attempts)",
    ]


def test_one_job_failing_while_another_works_is_one_outage(
        caplog: pytest.LogCaptureFixture) -> None:
    """A read-only database: the poll with nothing to write works, the send fails."""
    outage = Outage("database")
    caplog.set_level(logging.INFO, logger="mailbot")
    for minute in range(10):
        outage.ok(NOW + timedelta(minutes=minute), "poll")
        outage.failed(NOW + timedelta(minutes=minute), "attempt to write a readonly database",
                      "send")
    assert outage.down and len(warnings(caplog)) == 1
    outage.ok(NOW + timedelta(minutes=12), "send")
    assert warnings(caplog)[1] == "database is back after 12 min (10 failed attempts)"
    assert not outage.down


def test_a_server_that_answers_is_up_whatever_it_said(
        caplog: pytest.LogCaptureFixture) -> None:
    down = Result("unreachable", "SMTP smtp.school.example:587: Connection refused")
    refused = Result("permanent", "550 5.1.1 user unknown")
    transport = WatchedTransport(Scripted([down, refused]), Outage("outgoing mail"),
                                 FixedClock(NOW))
    caplog.set_level(logging.INFO, logger="mailbot")
    transport.send([item(1), item(2)], lambda _i, _r: None)
    said = warnings(caplog)
    assert len(said) == 3 and said[1].startswith("outgoing mail is back")
    assert not transport.outage.down and transport.refused == 1


def test_json_lines_and_quiet_libraries(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    logs.setup("INFO", "json")
    logging.getLogger("apscheduler.executors.default").info("Running job ... executed")
    logging.getLogger("pymorphy3.opencorpora_dict.wrapper").info("Loading dictionaries")
    logging.getLogger("mailbot").info("poll: %d new mail", 3, extra={"seen": 3})
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["poll: 3 new mail"]
    assert lines[0]["level"] == "INFO" and lines[0]["seen"] == 3 and "time" in lines[0]
    logs.setup("DEBUG", "text")
    assert logging.getLogger("apscheduler").level == logging.DEBUG
    logs.setup("INFO", "text")
    assert logging.getLogger("apscheduler").level == logging.WARNING


def test_no_progress_bar_in_a_log(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stderr", io.StringIO())
    assert not progress.wanted()
    bar = progress.bar(10_000, "Входящие")
    bar.update()
    bar.close()
    with progress.busy("Сводка", after=0):
        pass
    assert __import__("sys").stderr.getvalue() == ""


def test_progress_bar_at_a_terminal_but_not_under_systemd(
        monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Tty()
    monkeypatch.setattr("sys.stderr", terminal)
    monkeypatch.delenv("INVOCATION_ID", raising=False)
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    assert progress.wanted()
    assert isinstance(progress.bar(5, "x"), progress._NoBar)  # too short to need one
    bar = progress.bar(500, "Входящие")
    bar.update(250)
    bar.close()
    assert "Входящие" in terminal.getvalue()
    monkeypatch.setenv("INVOCATION_ID", "0123")
    assert not progress.wanted()
