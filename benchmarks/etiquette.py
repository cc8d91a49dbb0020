"""Measure mailbot.text.rudeness on the labelled sentences: precision, recall, F1 and the errors.

Usage:  python benchmarks/etiquette.py [--sentences PATH] [--lexicon PATH] [--min-confidence X]

Each line of the labelled set is {"text", "label": "obscene" | "insult" | "clean", "note"}.
A sentence's predicted label is "obscene" if any obscene finding is at or above the threshold,
else "insult" if any insult finding is, else "clean" (obscene outranks insult in the labels
too).  Printed: flagged-vs-clean precision/recall/F1, the same per kind (one kind against
everything else), the time per sentence, and every misclassified sentence with its findings.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from mailbot.text.rudeness import Finding, detect, load_lexicon

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ROOT / "tests" / "fixtures" / "etiquette" / "sentences.jsonl"
LEXICON = ROOT / "config" / "etiquette.toml"


def predicted_label(findings: list[Finding], threshold: float) -> str:
    """Collapse a sentence's findings into one label, obscene first."""
    kinds = {f.kind for f in findings if f.confidence >= threshold}
    if "obscene" in kinds:
        return "obscene"
    if "insult" in kinds:
        return "insult"
    return "clean"


def prf(gold: list[bool], pred: list[bool]) -> tuple[float, float, float, int, int, int]:
    """Precision, recall, F1 and the true-positive, false-positive, false-negative counts."""
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, tp, fp, fn


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=Path, default=SENTENCES)
    parser.add_argument("--lexicon", type=Path, default=LEXICON)
    parser.add_argument("--min-confidence", type=float, default=0.0)
    args = parser.parse_args(argv)

    rows = [json.loads(line) for line in args.sentences.read_text(encoding="utf-8").splitlines()
            if line.strip()]
    lexicon = load_lexicon(args.lexicon)
    detect("прогрев", lexicon)  # load the morphology outside the timing

    started = time.perf_counter()
    results = [detect(row["text"], lexicon) for row in rows]
    elapsed = time.perf_counter() - started

    gold = [row["label"] for row in rows]
    pred = [predicted_label(f, args.min_confidence) for f in results]
    hard = sum(1 for row in rows if row.get("note", "").startswith("hard"))
    counts = {label: gold.count(label) for label in ("obscene", "insult", "clean")}
    print(f"sentences: {len(rows)} {counts}, hard negatives: {hard}")
    print(f"threshold: confidence >= {args.min_confidence}")
    print(f"{'':10} {'precision':>9} {'recall':>7} {'F1':>6}   tp  fp  fn")
    lines = [("flagged", [g != "clean" for g in gold], [p != "clean" for p in pred])]
    for kind in ("obscene", "insult"):
        lines.append((kind, [g == kind for g in gold], [p == kind for p in pred]))
    for name, g, p in lines:
        precision, recall, f1, tp, fp, fn = prf(g, p)
        print(f"{name:10} {precision:9.3f} {recall:7.3f} {f1:6.3f} {tp:4} {fp:3} {fn:3}")
    print(f"speed: {elapsed / len(rows) * 1e3:.2f} ms per sentence")

    errors = [(row, p, f) for row, p, f in zip(rows, pred, results, strict=True)
              if p != row["label"]]
    print(f"\nerrors: {len(errors)}")
    for row, p, findings in errors:
        found = ", ".join(f"{f.kind}:{f.word}({f.confidence})" for f in findings) or "-"
        print(f"  [{row['label']} -> {p}] {row['text']}\n      note: {row.get('note', '')}; "
              f"found: {found}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
