"""compose.build's shortcuts give the bytes the email package would give."""

from __future__ import annotations

import base64
import random

from mailbot.outgoing import compose

ALPHABET = "ab;, \t=<>@.\"()-:?" + "xyz" * 3


def test_base64_lines_are_encodebytes() -> None:
    rng = random.Random(3)
    for size in [*range(200), 57 * 10, 57 * 10 + 1, 5000]:
        data = rng.randbytes(size)
        assert compose.base64_lines(data) == base64.encodebytes(data).decode("ascii")


def test_a_header_written_unfolded_is_what_compat32_writes() -> None:
    rng = random.Random(14)
    policy = compose.SMTP_COMPAT
    checked = 0
    for _ in range(20000):
        name = rng.choice(("To", "Message-ID", "X-Mailbot-Loop", "Content-Transfer-Encoding"))
        value = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 90)))
        if compose.unfolded(name, value, policy.max_line_length):
            checked += 1
            assert f"{name}: {value}\r\n".encode() == policy.fold_binary(name, value), value
    assert checked > 3000


def test_a_header_that_needs_folding_or_encoding_is_left_to_compat32() -> None:
    limit = compose.SMTP_COMPAT.max_line_length
    assert not compose.unfolded("Subject", "Привет", limit)
    assert not compose.unfolded("To", "a" * 80, limit)
    assert not compose.unfolded("To", "a\tb", limit)
    assert not compose.unfolded("To", "trailing ", limit)
    assert not compose.unfolded("To", "", limit)
    assert compose.unfolded("To", "a" * (limit - 4), limit)
