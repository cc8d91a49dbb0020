"""SendReport keeps the first MAX_ERRORS answers of a drain, not one per refused mail."""

from mailbot.outgoing import outbox


def test_a_long_drain_of_refusals_keeps_only_the_first_answers() -> None:
    report = outbox.SendReport()
    for i in range(outbox.MAX_ERRORS * 5):
        report.error(f"outbox {i} to a@b.example: 550 no such user")
    assert len(report.errors) == outbox.MAX_ERRORS
    assert report.errors[0] == "outbox 0 to a@b.example: 550 no such user"
