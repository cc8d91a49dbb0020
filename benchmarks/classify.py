"""Measure the request classifier on the labelled sets in tests/fixtures/requests/.

Prints accuracy (all, tuning set, held-out set), a confusion table, precision and recall per
category, the sender-role hint's accuracy, the time per message, and the misclassified
requests. While tuning the rules, look only at the tuning set's errors
(`--errors tuning`, the default); the held-out set is there to tell the truth afterwards.

    python benchmarks/classify.py [--errors tuning|holdout|all|none] [--rules PATH]
                                  [--typos SHARE]

`--typos 0.2` drops one letter from a fifth of the words of six letters or more (seeded,
so runs compare), to measure how the rules cope with careless typing.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import time
from collections import Counter
from pathlib import Path

from mailbot.text.classify import CATEGORY_IDS, OTHER, classify, load_rules
from mailbot.text.role_hints import guess_role_hint

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "requests"
SETS = {"tuning": FIXTURES / "requests.jsonl", "holdout": FIXTURES / "requests_holdout.jsonl"}
LABELS = (*CATEGORY_IDS, OTHER)
SHORT = {
    "login": "login", "parent_link": "p_link", "marks": "marks", "homework": "hw",
    "planning": "plan", "final_marks": "final", "reports": "reprt", "app_outage": "outag",
    "access_roles": "acces", "personal_data": "pdata", "howto_training": "howto",
    "complaint": "compl", "other": "other",
}


def read_set(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", choices=("tuning", "holdout", "all", "none"), default="tuning")
    parser.add_argument("--rules", type=Path, default=ROOT / "config" / "categories.toml")
    parser.add_argument("--reasons", action="store_true", help="print reasons of each error")
    parser.add_argument("--typos", type=float, default=0.0, help="share of long words to misspell")
    args = parser.parse_args()

    rules = load_rules(args.rules)
    rows = [(name, row) for name, path in SETS.items() for row in read_set(path)]
    if args.typos:
        rows = add_typos(rows, args.typos)
    classify("прогрев", "прогрев словаря", rules)  # load the dictionary outside the timing

    started = time.perf_counter()
    results = [classify(row["subject"], row["body"], rules) for _, row in rows]
    scored = list(zip(rows, results, strict=True))
    elapsed = time.perf_counter() - started
    cold = elapsed / len(rows)
    started = time.perf_counter()
    for _, row in rows:
        classify(row["subject"], row["body"], rules)
    warm = (time.perf_counter() - started) / len(rows)

    print(f"rules: {args.rules}")
    print(f"messages: {len(rows)}  time per message: {cold * 1000:.2f} ms first pass, "
          f"{warm * 1000:.2f} ms with the lemma cache warm")
    for name in ("all", *SETS):
        pairs = [(row["category"], res.category) for (set_name, row), res in scored
                 if name in ("all", set_name)]
        right = sum(1 for gold, got in pairs if gold == got)
        print(f"accuracy {name:8s} {right}/{len(pairs)} = {right / len(pairs):.1%}")

    print_confusion([(row["category"], res.category) for (_, row), res in scored])
    print_roles(rows)

    print(f"\nerrors ({args.errors}):")
    for (set_name, row), res in scored:
        if res.category == row["category"] or args.errors not in ("all", set_name):
            continue
        text = (row["subject"] + " | " + row["body"]).replace("\n", " ")
        print(f"  [{set_name}] {row['category']} -> {res.category} "
              f"{sorted(res.scores.items(), key=lambda kv: -kv[1])[:3]}: {text[:140]}")
        if args.reasons:
            for reason in res.reasons:
                print(f"      {reason}")


def add_typos(rows: list[tuple[str, dict[str, str]]], share: float,
              ) -> list[tuple[str, dict[str, str]]]:
    """The same requests with a letter left out of some long words, reproducibly."""
    rnd = random.Random(2026)

    def slip(match: re.Match[str]) -> str:
        word = match.group()
        if rnd.random() >= share:
            return word
        i = rnd.randrange(1, len(word))
        return word[:i] + word[i + 1:]

    def noisy(text: str) -> str:
        return re.sub(r"[А-Яа-яЁё]{6,}", slip, text)

    return [(name, {**row, "subject": noisy(row["subject"]), "body": noisy(row["body"])})
            for name, row in rows]


def print_confusion(pairs: list[tuple[str, str]]) -> None:
    counts = Counter(pairs)
    print("\nconfusion (rows: true, columns: predicted)")
    print(" " * 7 + "".join(f"{SHORT[c]:>7}" for c in LABELS))
    for gold in LABELS:
        cells = "".join(f"{counts[(gold, got)] or '.':>7}" for got in LABELS)
        print(f"{SHORT[gold]:>6} {cells}")
    print("\ncategory        precision  recall  support")
    for cat in LABELS:
        tp = counts[(cat, cat)]
        predicted = sum(n for (_, got), n in counts.items() if got == cat)
        support = sum(n for (gold, _), n in counts.items() if gold == cat)
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        print(f"{cat:15s} {precision:9.0%} {recall:7.0%} {support:8d}")


def print_roles(rows: list[tuple[str, dict[str, str]]]) -> None:
    """Role hints: how often a hint is given, and how often it is right when given."""
    given = right = 0
    wrong: list[str] = []
    for _, row in rows:
        role, _reasons = guess_role_hint(row["body"])
        if role is None:
            continue
        given += 1
        truth = "teacher" if row["role"] == "admin" else row["role"]  # staff either way
        if role == truth:
            right += 1
        else:
            wrong.append(f"  {row['role']} -> {role}: {row['body'][:100]!r}")
    print(f"\nrole hint: given for {given}/{len(rows)} messages, right in {right}/{given}"
          f" ({right / max(given, 1):.0%}); admin counts as teacher (staff)")
    for line in wrong:
        print(line)


if __name__ == "__main__":
    main()
