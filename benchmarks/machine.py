"""Measure machine-mail recognition on the labelled set in tests/fixtures/machine/.

Run: .venv/bin/python benchmarks/machine.py [--quiet] [--repeat N]

For every message: parse it (mailbot.reading.parsing), classify it (loops.detect_auto) and,
for bounces and delay notices, read the report (bounces.read_bounce).  Prints

* the accuracy of ``kind`` and a confusion table (rows: the label, columns: the verdict);
* for bounces and delays, how often the failed recipients, the status and the original
  Message-ID are exactly right;
* the time per message against a baseline measured in the same run: the standard library's
  ``email.message_from_bytes`` alone on the same bytes;
* every miss, with the reasons the verdict gave.

Always exits 0: this is a report; tests/unit/test_bounces.py holds the thresholds.
"""

from __future__ import annotations

import email
import json
import sys
import time
from collections import Counter
from pathlib import Path

from mailbot.reading.bounces import read_bounce
from mailbot.reading.loops import detect_auto
from mailbot.reading.parsing import MailError, parse

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "machine"
KINDS = ("none", "list", "auto_reply", "challenge", "feedback", "delay", "bounce", "error")
OWN = ("help@school.example",)
DOMAIN = "school.example"


def load() -> list[tuple[str, bytes, dict]]:
    labels = json.loads((FIXTURES / "labels.json").read_text(encoding="utf-8"))
    return [(name, (FIXTURES / name).read_bytes(), label) for name, label in sorted(labels.items())]


def judge(raw: bytes) -> tuple[str, tuple[str, ...], object]:
    """(kind, reasons, bounce report) for one message; kind "error" when it does not parse."""
    try:
        mail = parse(raw)
    except MailError as exc:
        return "error", (str(exc),), None
    verdict = detect_auto(mail.headers, from_addr=mail.from_addr, own_addresses=OWN,
                          own_domain=DOMAIN)
    report = read_bounce(mail) if verdict.kind in ("bounce", "delay") else None
    return verdict.kind, verdict.reasons, report


def _timing(cases: list[tuple[str, bytes, dict]], repeat: int) -> tuple[float, float]:
    started = time.perf_counter()
    for _ in range(repeat):
        for _, raw, _ in cases:
            email.message_from_bytes(raw)
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(repeat):
        for _, raw, _ in cases:
            judge(raw)
    ours = time.perf_counter() - started
    n = len(cases) * repeat
    return baseline / n, ours / n


def _field_checks(label: dict, report: object) -> dict[str, bool]:
    if report is None:
        return {"recipients": False, "status": False, "original_message_id": False}
    return {
        "recipients": sorted(report.recipients) == sorted(label["recipients"]),  # type: ignore[attr-defined]
        "status": report.status == label["status"],  # type: ignore[attr-defined]
        "original_message_id": (report.original_message_id  # type: ignore[attr-defined]
                                == label["original_message_id"]),
    }


def main(argv: list[str]) -> int:
    quiet = "--quiet" in argv
    repeat = int(argv[argv.index("--repeat") + 1]) if "--repeat" in argv else 3
    cases = load()
    confusion: Counter[tuple[str, str]] = Counter()
    fields: Counter[str] = Counter()
    reports = 0
    misses: list[str] = []
    for name, raw, label in cases:
        kind, reasons, report = judge(raw)
        confusion[(str(label["kind"]), kind)] += 1
        if kind != label["kind"]:
            misses.append(f"{name}: expected {label['kind']}, got {kind}: {'; '.join(reasons)}")
        if label["kind"] in ("bounce", "delay"):
            reports += 1
            for field, ok in _field_checks(label, report).items():
                fields[field] += ok
                if not ok and kind == label["kind"]:
                    got = getattr(report, field, None)
                    misses.append(f"{name}: {field} expected {label[field]!r}, got {got!r}")
    right = sum(n for (want, got), n in confusion.items() if want == got)
    print(f"kind: {right}/{len(cases)} = {right / len(cases):.1%} right")
    print("\nconfusion (rows: label, columns: verdict)")
    print(" " * 11 + "".join(f"{k[:9]:>10}" for k in KINDS))
    for want in KINDS[:-1]:
        row = [confusion[(want, got)] for got in KINDS]
        if any(row):
            print(f"{want:>11}" + "".join(f"{n or '.':>10}" for n in row))
    print(f"\nbounces and delays: {reports}")
    for field in ("recipients", "status", "original_message_id"):
        print(f"  {field:<20} {fields[field]}/{reports} = {fields[field] / max(reports, 1):.1%}")
    baseline, ours = _timing(cases, repeat)
    print(f"\ntime per message: {ours * 1000:.2f} ms (parse + detect_auto + read_bounce); "
          f"stdlib message_from_bytes alone {baseline * 1000:.2f} ms; ratio {ours / baseline:.1f}x")
    if misses and not quiet:
        print(f"\nmisses ({len(misses)}):")
        for line in misses:
            print("  " + line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
