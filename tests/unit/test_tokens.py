import os
import stat

import pytest

from mailbot.desk import tokens

SECRET = b"test-secret-0123456789"


def test_a_notice_id_round_trips_to_its_case_and_person() -> None:
    mid = tokens.helper_message_id(SECRET, "school.example", 42, "ivanova", "notice")
    found = tokens.find_token(SECRET, ["other@mail.example", mid], [])
    assert found is not None and (found.case, found.person) == (42, "ivanova")


@pytest.mark.parametrize("change", [
    lambda mid: mid.replace("mailbot.42.", "mailbot.43."),       # another case
    lambda mid: mid.replace(".ivanova.", ".petrova."),           # another person
    lambda mid: mid[:-len("@school.example") - 1] + "0@school.example",  # a forged signature
])
def test_a_changed_token_is_refused(change) -> None:  # type: ignore[no-untyped-def]
    mid = tokens.helper_message_id(SECRET, "school.example", 42, "ivanova", "notice")
    assert tokens.find_token(SECRET, [change(mid)], []) is None


def test_another_secret_refuses_the_token() -> None:
    mid = tokens.helper_message_id(SECRET, "school.example", 42, "ivanova", "notice")
    assert tokens.find_token(b"another-secret-987654", [mid], []) is None


def test_the_plus_address_carries_the_token_too() -> None:
    addr = tokens.reply_address(SECRET, "help@school.example", 7, "kuznetsov")
    assert addr.startswith("help+c7.kuznetsov.") and addr.endswith("@school.example")
    found = tokens.find_token(SECRET, [], ["help@school.example", addr.upper()])
    assert found is not None and (found.case, found.person) == (7, "kuznetsov")
    assert tokens.find_token(SECRET, [], [addr.replace("c7.", "c8.")]) is None


def test_secret_file_is_created_private_and_reused(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("MAILBOT_TEST_SECRET", raising=False)
    path = tmp_path / "sub" / "mailbot.secret"
    first = tokens.load_secret("MAILBOT_TEST_SECRET", path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert tokens.load_secret("MAILBOT_TEST_SECRET", path) == first
    monkeypatch.setenv("MAILBOT_TEST_SECRET", "from-the-environment-123")
    assert tokens.load_secret("MAILBOT_TEST_SECRET", path) == b"from-the-environment-123"


def test_read_only_use_creates_no_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "none.secret"
    assert len(tokens.load_secret("", path, create=False)) == 64
    assert not path.exists()


def test_a_short_secret_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "short.secret"
    path.write_text("abc\n")
    with pytest.raises(ValueError, match="too short"):
        tokens.load_secret("", path)
