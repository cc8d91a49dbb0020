"""Measure signature stripping on the labelled replies in tests/fixtures/signatures/.

Run: .venv/bin/python benchmarks/signatures.py [--quiet]

Each case is a reply as a client sends it (plain text or HTML, often with the quoted
history), the new text a person would relay — without the signature — and the signer's
name. A case is exact when split_reply_text / split_reply_html return both: the text is
compared as benchmarks/quotes.py compares it (HTML ignoring blank lines and runs of
spaces), the name as written.

Prints exactness overall, per file and for the cases with and without a signature, then
every miss (a diff of the text, the names), then the speed: the time per reply of the whole
stripping against a baseline measured in the same run — the same quote stripping with
signature splitting switched off. blind.txt, written after the rules were tuned, is
reported apart as well as in the total. Always exits 0: the unit tests hold the threshold.
"""

from __future__ import annotations

import difflib
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from labelled import comparable

from mailbot.reading import quotes
from mailbot.reading.quotes import split_reply_html, split_reply_text
from mailbot.reading.signatures import SignatureSplit

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "signatures"
ROUNDS = 7


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    format: str
    name: str | None
    body: str
    expected: str


def parse_cases(text: str, file: str) -> list[Case]:
    """The cases of one file in the format of tests/fixtures/signatures/README.md."""
    cases: list[Case] = []
    fields: dict[str, str] = {}
    section: str | None = None
    lines: list[str] = []

    def flush_section() -> None:
        if section is not None:
            fields[section] = "\n".join(lines)

    for line in text.split("\n"):
        if line.startswith("@@ "):
            flush_section()
            key, _, value = line[3:].partition(" ")
            if key == "case" and fields:
                cases.append(_case(fields, file))
                fields = {}
            section, lines = (key, []) if key in ("body", "expected") else (None, [])
            if section is None:
                fields[key] = value.strip()
        elif section is not None:
            lines.append(line)
    flush_section()
    if fields:
        cases.append(_case(fields, file))
    return cases


def _case(fields: dict[str, str], file: str) -> Case:
    return Case(
        id=fields["case"], file=file, format=fields["format"], name=fields["name"] or None,
        body=fields["body"].rstrip("\n") + "\n", expected=fields["expected"].strip("\n"),
    )


def load_cases(folder: Path = FIXTURES) -> list[Case]:
    """Every labelled case, file by file in name order."""
    cases: list[Case] = []
    for path in sorted(folder.glob("*.txt")):
        cases.extend(parse_cases(path.read_text(encoding="utf-8"), path.stem))
    return cases


def strip(case: Case) -> SignatureSplit:
    return split_reply_html(case.body) if case.format == "html" else split_reply_text(case.body)


def quote_only(case: Case) -> str:
    """The text with quotes stripped and signature splitting switched off (the baseline)."""
    original = quotes.split_signature
    quotes.split_signature = _no_signature  # type: ignore[assignment]
    try:
        return strip(case).body
    finally:
        quotes.split_signature = original


def _no_signature(text: str, **_: object) -> SignatureSplit:
    return SignatureSplit(text, "", None)


def text_matches(case: Case, got: SignatureSplit) -> bool:
    return comparable(got.body, case.format) == comparable(case.expected, case.format)


def matches(case: Case, got: SignatureSplit) -> bool:
    return text_matches(case, got) and got.name == case.name


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} = {hits / total:.1%}" if total else "0/0"


def timings(cases: list[Case]) -> tuple[float, float]:
    """Seconds per reply with signatures and with quote stripping alone: the best of a few
    rounds, the two taken in turn so that a busy moment of the machine hits both."""
    best_full = best_base = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for case in cases:
            strip(case)
        best_full = min(best_full, (time.perf_counter() - started) / len(cases))
        original = quotes.split_signature
        quotes.split_signature = _no_signature  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            for case in cases:
                strip(case)
            best_base = min(best_base, (time.perf_counter() - started) / len(cases))
        finally:
            quotes.split_signature = original
    return best_full, best_base


def main(argv: list[str]) -> int:
    quiet = "--quiet" in argv
    cases = load_cases()
    groups: dict[str, list[bool]] = defaultdict(list)
    misses: list[tuple[Case, SignatureSplit]] = []
    for case in cases:
        got = strip(case)
        ok = matches(case, got)
        signed = comparable(case.expected, case.format) != comparable(
            quote_only(case), case.format) or case.name is not None
        for key in ("all", f"file={case.file}", f"format={case.format}",
                    "with a signature" if signed else "without one"):
            groups[key].append(ok)
        groups["text only"].append(text_matches(case, got))
        if not ok:
            misses.append((case, got))
    t_full, t_base = timings(cases)

    print(f"Signature stripping, labelled set: {len(cases)} replies")
    order = ("all", "text only", "with a signature", "without one")
    for key in sorted(groups, key=lambda k: (k not in order, order.index(k) if k in order
                                             else 0, k)):
        print(f"  {key:<22} {_rate(sum(groups[key]), len(groups[key]))}")
    print(f"\ntime per reply: {t_full * 1000:.3f} ms with signatures, {t_base * 1000:.3f} ms "
          f"quote stripping alone (baseline), ratio {t_full / t_base:.2f}")
    if misses and not quiet:
        print(f"\nMisses ({len(misses)}):")
        for case, got in misses:
            print(f"\n--- {case.id} ({case.file}, {case.format})")
            if got.name != case.name:
                print(f"  name: expected {case.name!r}, got {got.name!r}")
            diff = difflib.unified_diff(
                comparable(case.expected, case.format), comparable(got.body, case.format),
                "expected", "got", lineterm="", n=1,
            )
            for line in diff:
                print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
