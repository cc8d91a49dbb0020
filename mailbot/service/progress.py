"""Progress bars for long work at a terminal (tqdm), and nothing at all anywhere else.

tqdm is small, has no dependencies of its own and draws on stderr; a bar appears only when
stderr is a terminal, outside systemd, and only for work long enough to need one.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from tqdm import tqdm

from mailbot.service.logs import under_systemd

MIN_ITEMS = 20  # fewer mails than this finish before a bar could be read


class Bar(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def wanted() -> bool:
    return sys.stderr.isatty() and not under_systemd()


def bar(total: int, label: str, unit: str = "писем") -> Bar:
    """A bar over `total` items, or a bar that draws nothing."""
    if total < MIN_ITEMS or not wanted():
        return _NoBar()
    return tqdm(total=total, desc=label, unit=f" {unit}", file=sys.stderr, leave=False,
                dynamic_ncols=True)


@contextmanager
def busy(label: str, after: float = 0.5) -> Iterator[None]:
    """A running clock beside `label` for one long call that has no steps to count (a
    digest over a large database); it appears only if the call takes longer than `after`."""
    if not wanted():
        yield
        return
    done = threading.Event()

    def draw() -> None:
        if done.wait(after):
            return
        with tqdm(total=None, desc=label, file=sys.stderr, leave=False,
                  bar_format="{desc}: {elapsed}") as clock:
            while not done.wait(0.2):
                clock.refresh()
    thread = threading.Thread(target=draw, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=1)
