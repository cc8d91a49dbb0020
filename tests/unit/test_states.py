import pytest

from mailbot.desk import states


@pytest.mark.parametrize(("before", "after"), [
    ("new", "assigned"), ("assigned", "waiting_user"), ("waiting_user", "assigned"),
    ("assigned", "waiting_vendor"), ("waiting_vendor", "assigned"), ("assigned", "closed"),
    ("closed", "assigned"), ("waiting_user", "stopped"),
])
def test_allowed_moves(before: str, after: str) -> None:
    assert states.moved(before, after) == after


@pytest.mark.parametrize(("before", "after"), [
    ("stopped", "assigned"), ("stopped", "closed"), ("closed", "stopped"),
    ("closed", "waiting_user"), ("new", "waiting_user"),
])
def test_refused_moves(before: str, after: str) -> None:
    with pytest.raises(states.BadMove, match=f"{before} cannot become {after}"):
        states.moved(before, after)


def test_every_state_has_a_russian_label() -> None:
    assert set(states.LABELS_RU) == set(states.STATES)
    assert states.OPEN_STATES == {"new", "assigned", "waiting_user", "waiting_vendor"}
