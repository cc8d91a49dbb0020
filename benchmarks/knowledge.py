"""Measure the reference-article suggestions on the labelled requests in tests/fixtures/requests/.

For every request (subject, body, labelled category, sender's role) it asks for suggestions
with the *labelled* category, so the numbers measure the knowledge base, not the classifier
(`--classified` passes classify()'s decision instead, as the worker will).
It prints, for all requests and per category:

- fit: how often the top suggestion's categories include the labelled category
  (over the requests that got a suggestion at all);
- covered: the share of requests with at least one suggestion;
- the time per request of `suggest` against the bare `classify` call on the same texts.

«other» requests are counted apart: for them the right answer is usually no article.

    python benchmarks/knowledge.py [--knowledge PATH] [--rules PATH] [--role] [--classified]
                                   [--misses tuning|holdout|all|none]

`--role` passes the labelled role (admin counts as staff) to filter by audience;
`--misses` lists the requests whose top article is off-category or that got none.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

from mailbot.text.classify import CATEGORY_IDS, OTHER, classify, load_rules
from mailbot.text.knowledge import Suggestion, load_knowledge, suggest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "requests"
SETS = {"tuning": FIXTURES / "requests.jsonl", "holdout": FIXTURES / "requests_holdout.jsonl"}
ROLE_OF = {"parent": "parent", "student": "student", "teacher": "teacher", "admin": "staff"}
ROUNDS = 5


def read_rows() -> list[dict[str, str]]:
    """Every labelled request, with the name of its set under "set"."""
    rows: list[dict[str, str]] = []
    for name, path in SETS.items():
        with path.open(encoding="utf-8") as handle:
            rows.extend({**json.loads(line), "set": name} for line in handle if line.strip())
    return rows


def text_of(row: dict[str, str]) -> str:
    return f"{row['subject']}\n{row['body']}"


def per_request(action: Callable[[dict[str, str]], object], rows: list[dict[str, str]]) -> float:
    """Seconds per request, the best of a few rounds (the lemma cache is warm by then)."""
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for row in rows:
            action(row)
        best = min(best, (time.perf_counter() - started) / len(rows))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--knowledge", type=Path, default=ROOT / "config" / "knowledge.toml")
    parser.add_argument("--rules", type=Path, default=ROOT / "config" / "categories.toml")
    parser.add_argument("--role", action="store_true", help="filter by the labelled role")
    parser.add_argument("--classified", action="store_true",
                        help="use classify()'s category instead of the label, as the worker does")
    parser.add_argument("--misses", choices=("tuning", "holdout", "all", "none"), default="none",
                        help="list the requests of a set that got none or an off-category top")
    args = parser.parse_args()

    knowledge = load_knowledge(args.knowledge)
    rules = load_rules(args.rules)
    rows = read_rows()

    decided = {id(row): classify(row["subject"], row["body"], rules).category for row in rows}

    def ask(row: dict[str, str]) -> list[Suggestion]:
        role = ROLE_OF.get(row["role"]) if args.role else None
        category = decided[id(row)] if args.classified else row["category"]
        return suggest(knowledge, category=category, text=text_of(row), role=role)

    results = [ask(row) for row in rows]  # also warms the lemma cache for the timing
    for row in rows:
        classify(row["subject"], row["body"], rules)
    t_suggest = per_request(ask, rows)
    t_classify = per_request(lambda row: classify(row["subject"], row["body"], rules), rows)

    print(f"knowledge: {args.knowledge} ({len(knowledge.articles)} articles), "
          f"requests: {len(rows)}, role filter: {'on' if args.role else 'off'}, category: "
          f"{'classify()' if args.classified else 'the label'}")
    report(rows, results)
    print(f"\ntime per request: suggest {t_suggest * 1000:.3f} ms, classify "
          f"{t_classify * 1000:.3f} ms, ratio suggest/classify {t_suggest / t_classify:.2f}")
    if args.misses != "none":
        print_misses(rows, results, args.misses)


def report(rows: list[dict[str, str]], results: list[list[Suggestion]]) -> None:
    print(f"\n{'category':15s} {'requests':>8s} {'covered':>9s} {'top fits':>10s} "
          f"{'mean n':>7s}")
    for cat in (*CATEGORY_IDS, OTHER):
        line(cat, *count([(row, res) for row, res in zip(rows, results, strict=True)
                          if row["category"] == cat]))
    print("-" * 53)
    for name in SETS:
        line(name, *count([(row, res) for row, res in zip(rows, results, strict=True)
                           if row["set"] == name and row["category"] != OTHER]))
    line("all but other", *count([(row, res) for row, res in zip(rows, results, strict=True)
                                  if row["category"] != OTHER]))


def count(pairs: list[tuple[dict[str, str], list[Suggestion]]]) -> tuple[int, int, int, int]:
    """(requests, with a suggestion, whose top article has their category, articles shown)."""
    covered = sum(1 for _, res in pairs if res)
    fits = sum(1 for row, res in pairs if res and row["category"] in res[0].article.categories)
    return len(pairs), covered, fits, sum(len(res) for _, res in pairs)


def line(name: str, n: int, covered: int, fits: int, shown: int) -> None:
    fit = f"{fits / covered:.0%}" if covered else "-"
    print(f"{name:15s} {n:8d} {covered / n:9.0%} {fit:>10s} {shown / n:7.2f}")


def print_misses(rows: list[dict[str, str]], results: list[list[Suggestion]],
                 which: str) -> None:
    print(f"\nmisses of {which} (labelled category: top article or none):")
    for row, res in zip(rows, results, strict=True):
        cat = row["category"]
        if which not in ("all", row["set"]):
            continue
        if cat == OTHER and not res:
            continue
        if res and cat in res[0].article.categories and cat != OTHER:
            continue
        top = f"{res[0].article.id} {res[0].score:.1f} {list(res[0].reasons)}" if res else "none"
        text = text_of(row).replace("\n", " | ")
        print(f"  {cat}: {top}\n      {text[:150]}")


if __name__ == "__main__":
    main()
