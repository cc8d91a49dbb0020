"""What the labelled-text benchmarks share: how a result is compared with its label.

A label and a result match when their lines match, trailing spaces aside and runs of blank
lines counted as one; for mail that came as HTML, only the words of each non-empty line
count (the converter's spacing is not what is measured).
"""

from __future__ import annotations


def comparable(text: str, fmt: str) -> list[str]:
    """The form in which a result is compared with its label."""
    lines = [line.rstrip() for line in text.strip("\n").split("\n")]
    if fmt == "html":
        return [" ".join(line.split()) for line in lines if line.strip()]
    out: list[str] = []
    for line in lines:
        if not line and out and not out[-1]:
            continue
        out.append(line)
    return out
