"""Measure quote and signature stripping on the labelled set of replies.

Run: .venv/bin/python benchmarks/quotes.py [--quiet]

Each case in tests/fixtures/replies/*.json has the body as a client sends it and the
exact new text a person would take from it. Plain-text cases must match exactly (after
the normalisation of mailbot.reading.quotes: trailing spaces and runs of blank lines). HTML cases
are compared line by line ignoring blank lines and runs of spaces, because how paragraphs
are spaced is the job of the HTML-to-text converter, not of quote stripping.

Prints exact-match accuracy overall, per client, per language and per format, then every
failure with a diff. Always exits 0: this is a report, the unit tests hold the threshold.
"""

from __future__ import annotations

import difflib
import json
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from labelled import comparable

from mailbot.reading.quotes import strip_reply_html, strip_reply_text

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "replies"


@dataclass(frozen=True)
class Case:
    id: str
    client: str
    lang: str
    format: str
    body: str
    expected: str


def load_cases(folder: Path = FIXTURES) -> list[Case]:
    """All labelled replies, in file-name order."""
    cases = []
    for path in sorted(folder.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        cases.append(Case(**{field: data[field] for field in Case.__dataclass_fields__}))
    return cases


def strip(case: Case) -> str:
    return strip_reply_html(case.body) if case.format == "html" else strip_reply_text(case.body)


def matches(case: Case, got: str) -> bool:
    return comparable(got, case.format) == comparable(case.expected, case.format)


def _rate(hits: int, total: int) -> str:
    return f"{hits}/{total} = {hits / total:.1%}" if total else "0/0"


def main(argv: list[str]) -> int:
    quiet = "--quiet" in argv
    cases = load_cases()
    groups: dict[str, list[bool]] = defaultdict(list)
    failures: list[tuple[Case, str]] = []
    html_strict = 0
    started = time.perf_counter()
    for case in cases:
        got = strip(case)
        ok = matches(case, got)
        if case.format == "html":
            html_strict += comparable(got, "text") == comparable(case.expected, "text")
        for key in ("all", f"client={case.client}", f"lang={case.lang}", f"format={case.format}"):
            groups[key].append(ok)
        if not ok:
            failures.append((case, got))
    elapsed = time.perf_counter() - started

    print(f"Quote stripping, labelled set: {len(cases)} replies ({elapsed * 1000:.0f} ms)")
    for key in sorted(groups, key=lambda k: (k != "all", k.split("=")[0], -len(groups[k]), k)):
        results = groups[key]
        print(f"  {key:<22} {_rate(sum(results), len(results))}")
    print(f"  {'html, blank lines too':<22} {_rate(html_strict, len(groups['format=html']))}")
    if failures and not quiet:
        print(f"\nFailures ({len(failures)}):")
        for case, got in failures:
            print(f"\n--- {case.id} [{case.format}]")
            diff = difflib.unified_diff(
                comparable(case.expected, case.format), comparable(got, case.format),
                "expected", "got", lineterm="", n=1,
            )
            for line in diff:
                print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
