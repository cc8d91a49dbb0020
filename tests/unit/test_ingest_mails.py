"""The mails of benchmarks/ingest.py are what issue 14 asks the ingest rate be measured on:
5-20 KB of Russian text about one topic, 10% replies to earlier mails of the set, some long
ones, 1% with a 1 MB attachment; and mailbot reads every one of them."""

from __future__ import annotations

from mailbot.reading.parsing import parse
from tests.benchload import load_benchmark

ingest = load_benchmark("ingest")


def test_the_benchmark_mails_are_realistic_and_the_same_each_run() -> None:
    raws = ingest.mails(400)
    parsed = [parse(raw) for raw in raws]
    again = [parse(raw) for raw in ingest.mails(400)]
    assert [p.text for p in again] == [p.text for p in parsed], "a fixed seed: the same mails"
    ids = {p.message_id for p in parsed}
    replies = [p for p in parsed if p.in_reply_to]
    assert 20 <= len(replies) <= 60
    assert all(p.in_reply_to[0] in ids for p in replies), "replies answer mails of the set"
    assert sum(len(raw) > 1_000_000 for raw in raws) == 4
    assert sum(60_000 < len(raw) < 1_000_000 for raw in raws) >= 3, "some long ones"
    ordinary = sorted(len(raw) for raw in raws if len(raw) < 60_000)
    assert 5_000 <= ordinary[len(ordinary) // 10] and ordinary[len(ordinary) * 9 // 10] <= 25_000
    assert all("Здравствуйте" in p.text or "Добр" in p.text for p in parsed)
    assert ingest.describe(raws).startswith("400 mails:")
