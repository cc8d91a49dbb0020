"""The life of a case: its states and the moves between them, as data.

    new ──assign──> assigned <──user replies── waiting_user
     │                 │  ╲──#ожидание──────────────╯
     │                 ├──#сэдиж / route──> waiting_vendor ──vendor answers──> assigned
     └─────────────────┴──#закрыть──> closed ──user replies within reopen_days──> assigned
                                                                      (or new, if no owner)
                       └──#прекратить──> stopped (final)

Every change goes through `moved`, which refuses a move the table does not allow, so a
stray command cannot, say, reopen a case that a helper stopped under clause 5.
"""

from __future__ import annotations

STATES = ("new", "assigned", "waiting_user", "waiting_vendor", "closed", "stopped")
OPEN_STATES = frozenset({"new", "assigned", "waiting_user", "waiting_vendor"})

LABELS_RU = {
    "new": "новое",
    "assigned": "назначено",
    "waiting_user": "ждёт ответа пользователя",
    "waiting_vendor": "передано в поддержку",
    "closed": "закрыто",
    "stopped": "помощь прекращена",
}

# state -> the states it may move to
_MOVES: dict[str, frozenset[str]] = {
    "new": frozenset({"assigned", "waiting_vendor", "closed", "stopped"}),
    "assigned": frozenset({"waiting_user", "waiting_vendor", "closed", "stopped"}),
    "waiting_user": frozenset({"assigned", "waiting_vendor", "closed", "stopped"}),
    "waiting_vendor": frozenset({"assigned", "waiting_user", "closed", "stopped"}),
    "closed": frozenset({"assigned", "new"}),
    "stopped": frozenset(),
}


class BadMove(ValueError):
    """A state change the table does not allow."""


def can_move(current: str, target: str) -> bool:
    return target in _MOVES.get(current, frozenset())


def moved(current: str, target: str) -> str:
    if current == target:
        return current
    if not can_move(current, target):
        raise BadMove(f"a case that is {current} cannot become {target}")
    return target
