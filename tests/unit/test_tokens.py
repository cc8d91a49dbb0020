import os
import stat
from datetime import UTC, date, datetime, timedelta

import pytest

from mailbot.desk import keyring, tokens
from mailbot.desk.keyring import Keyring, KeyringError, Retired

SECRET = b"test-secret-0123456789"
OLD = b"the-previous-secret-42"
KEYS = Keyring(SECRET)
NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


def _notice(keys: Keyring = KEYS, when: datetime = NOW, case: int = 42,
            person: str = "ivanova") -> str:
    return tokens.helper_message_id(keys, "school.example", case, person, "notice", when)


def _undated(secret: bytes, case: int = 42, person: str = "ivanova") -> str:
    """A Message-ID of the first release: no issue day inside."""
    sig = tokens.signature(secret, case, person, None)
    return f"mailbot.{case}.notice.{person}.a1b2c3.{sig}@school.example"


def test_a_notice_id_round_trips_to_its_case_person_and_day() -> None:
    mid = _notice()
    assert mid.startswith("mailbot.42.notice.ivanova.") and f".{tokens.day_number(NOW)}." in mid
    found = tokens.find_token(KEYS, ["other@mail.example", mid], [], NOW)
    assert found is not None and (found.case, found.person) == (42, "ivanova")
    assert found.issued == date(2026, 12, 3) and found.expired_on is None


@pytest.mark.parametrize("change", [
    lambda mid: mid.replace("mailbot.42.", "mailbot.43."),       # another case
    lambda mid: mid.replace(".ivanova.", ".petrova."),           # another person
    lambda mid: mid.replace(".20790.", ".20900."),               # a later issue day
    lambda mid: mid[:-len("@school.example") - 1] + "0@school.example",  # a forged signature
])
def test_a_changed_token_is_refused(change) -> None:  # type: ignore[no-untyped-def]
    mid = _notice()
    assert ".20790." in mid  # 2026-12-03
    assert tokens.find_token(KEYS, [change(mid)], [], NOW) is None


def test_another_secret_refuses_the_token() -> None:
    assert tokens.find_token(Keyring(b"another-secret-987654"), [_notice()], [], NOW) is None


def test_the_plus_address_carries_the_token_too() -> None:
    addr = tokens.reply_address(KEYS, "help@school.example", 7, "kuznetsov", NOW)
    assert addr.startswith("help+c7.kuznetsov.20790.") and addr.endswith("@school.example")
    found = tokens.find_token(KEYS, [], ["help@school.example", addr.upper()], NOW)
    assert found is not None and (found.case, found.person) == (7, "kuznetsov")
    assert tokens.find_token(KEYS, [], [addr.replace("c7.", "c8.")], NOW) is None
    later = NOW + timedelta(days=121)
    stale = tokens.find_token(KEYS, [], [addr], later)
    assert stale is not None and stale.expired_on == date(2027, 4, 2)


def test_no_plus_address_past_64_octets_of_local_part() -> None:
    # «podderzhka-ezhednevnik» + case 123456 + a person id of 30 letters: 76 octets.
    person = "konstantinopolskaya-vasilisa-a"
    assert tokens.reply_address(KEYS, "podderzhka-ezhednevnik@school.example", 123456,
                                person, NOW) == ""
    # help+c123456.<28 letters>.20790.<16 hex>: 64 octets, the most a server must take.
    person = person[:-2]
    fits = tokens.reply_address(KEYS, "help@school.example", 123456, person, NOW)
    assert len(fits.split("@")[0]) == 64
    assert tokens.find_token(KEYS, [], [fits], NOW).person == person  # type: ignore[union-attr]


def test_a_token_is_accepted_for_token_days_then_reported_expired() -> None:
    keys = Keyring(SECRET, token_days=10)
    mid = _notice(keys)
    last_day = datetime(2026, 12, 12, 23, 59, tzinfo=UTC)
    assert tokens.find_token(keys, [mid], [], last_day).expired_on is None  # type: ignore[union-attr]
    found = tokens.find_token(keys, [mid], [], last_day + timedelta(minutes=1))
    assert found is not None and found.expired_on == date(2026, 12, 13)


def test_a_fresh_token_wins_over_an_expired_one_in_the_same_thread() -> None:
    keys = Keyring(SECRET, token_days=10)
    old, new = _notice(keys, NOW - timedelta(days=30)), _notice(keys, NOW)
    found = tokens.find_token(keys, [old, new], [], NOW)
    assert found is not None and found.where == new and found.expired_on is None


def test_a_rotated_secret_is_accepted_during_grace_only() -> None:
    retired_at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    before = _notice(Keyring(OLD), retired_at - timedelta(days=2))
    keys = Keyring(SECRET, (Retired(OLD, retired_at),), grace_days=30)
    assert tokens.find_token(keys, [before], [], NOW).expired_on is None  # type: ignore[union-attr]
    after = tokens.find_token(keys, [before], [], retired_at + timedelta(days=30))
    assert after is not None and after.expired_on == date(2026, 12, 31)
    # New tokens are signed with the current secret only.
    assert tokens.find_token(Keyring(OLD), [_notice(keys)], [], NOW) is None
    assert tokens.find_token(Keyring(SECRET), [_notice(keys)], [], NOW) is not None


def test_undated_tokens_live_as_long_as_their_secret_unless_a_date_ends_them() -> None:
    mid = _undated(SECRET)
    far = NOW + timedelta(days=1000)
    found = tokens.find_token(KEYS, [mid], [], far)
    assert found is not None and found.issued is None and found.expired_on is None
    ended = Keyring(SECRET, undated_until=date(2027, 1, 31))
    assert tokens.find_token(ended, [mid], [], NOW).expired_on is None  # type: ignore[union-attr]
    late = tokens.find_token(ended, [mid], [], datetime(2027, 1, 31, tzinfo=UTC))
    assert late is not None and late.expired_on == date(2027, 1, 31)
    # After a rotation they last as long as the grace of the secret that signed them.
    rotated = Keyring(b"a-brand-new-secret-0001", (Retired(SECRET, NOW),), grace_days=30)
    assert tokens.find_token(rotated, [mid], [], NOW + timedelta(days=29)).expired_on is None  # type: ignore[union-attr]
    assert tokens.find_token(rotated, [mid], [], NOW + timedelta(days=31)).expired_on  # type: ignore[union-attr]


def test_the_undated_plus_address_of_the_first_release_still_reads() -> None:
    sig = tokens.signature(SECRET, 7, "kuznetsov", None)
    found = tokens.find_token(KEYS, [], [f"help+c7.kuznetsov.{sig}@school.example"], NOW)
    assert found is not None and (found.case, found.issued) == (7, None)


# ------------------------------------------------------------------ the secret file


def test_secret_file_is_created_private_and_reused(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("MAILBOT_TEST_SECRET", raising=False)
    path = tmp_path / "sub" / "mailbot.secret"
    first, retired = keyring.load("MAILBOT_TEST_SECRET", path)
    assert retired == () and len(first) == 64
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert path.read_text().splitlines()[1] == f"current {first.decode()}"
    assert keyring.load("MAILBOT_TEST_SECRET", path) == (first, ())
    monkeypatch.setenv("MAILBOT_TEST_SECRET", "from-the-environment-123")
    assert keyring.load("MAILBOT_TEST_SECRET", path) == (b"from-the-environment-123", ())


def test_the_first_releases_file_is_the_current_secret(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mailbot.secret"
    path.write_text("0123456789abcdef0123456789abcdef\n")
    assert keyring.load("", path) == (b"0123456789abcdef0123456789abcdef", ())


def test_the_file_round_trips_current_and_retired() -> None:
    retired = (Retired(OLD, datetime(2026, 12, 1, 9, 0, tzinfo=UTC)),)
    text = keyring.format_file(SECRET, retired)
    assert text.startswith("#") and "retired 2026-12-01T09:00:00+00:00 the-previous" in text
    assert keyring.parse(text, "f") == (SECRET, retired)


@pytest.mark.parametrize(("text", "message"), [
    ("", "f: no current secret"),
    ("current abc\n", "f: line 1: the secret is too short"),
    ("current 0123456789abcdef\ncurrent 0123456789abcdef\n", "f: line 2: expected"),
    ("current 0123456789abcdef\nretired yesterday 0123456789abcdef\n",
     "f: line 2: 'yesterday' is not a date"),
])
def test_a_broken_file_is_one_clear_line(text: str, message: str) -> None:
    with pytest.raises(KeyringError, match=message):
        keyring.parse(text, "f")


def test_rotation_retires_the_current_and_drops_what_is_past_grace() -> None:
    ancient = Retired(b"an-ancient-secret-0000", NOW - timedelta(days=31))
    recent = Retired(OLD, NOW - timedelta(days=3))
    new, retired = keyring.rotated(SECRET, (recent, ancient), NOW, 30, b"new-secret-0123456789")
    assert new == b"new-secret-0123456789"
    assert retired == (Retired(SECRET, NOW), recent)


def test_the_previous_secret_from_the_environment(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MAILBOT_TEST_SECRET", "the-new-secret-value-1")
    monkeypatch.setenv("MAILBOT_TEST_SECRET_PREVIOUS",
                       "2026-12-01 the-previous-secret-42, 2026-09-01T10:00+03:00 older-secret-0123")
    current, retired = keyring.load("MAILBOT_TEST_SECRET", tmp_path / "unused")
    assert current == b"the-new-secret-value-1"
    assert retired == (Retired(OLD, datetime(2026, 12, 1, tzinfo=UTC)),
                       Retired(b"older-secret-0123", datetime(2026, 9, 1, 7, 0, tzinfo=UTC)))
    monkeypatch.setenv("MAILBOT_TEST_SECRET_PREVIOUS", "the-previous-secret-42")
    with pytest.raises(KeyringError, match=r"\$MAILBOT_TEST_SECRET_PREVIOUS: expected"):
        keyring.load("MAILBOT_TEST_SECRET", tmp_path / "unused")


def test_read_only_use_creates_no_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "none.secret"
    assert len(keyring.load("", path, create=False)[0]) == 64
    assert not path.exists()


def test_a_short_secret_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "short.secret"
    path.write_text("abc\n")
    with pytest.raises(ValueError, match="too short"):
        keyring.load("", path)


def test_replacing_the_file_keeps_it_private_and_leaves_no_temporary(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "mailbot.secret"
    keyring.write_new(path, keyring.format_file(SECRET, ()))
    keyring.replace_file(path, keyring.format_file(OLD, (Retired(SECRET, NOW),)))
    assert keyring.parse(path.read_text(), "f") == (OLD, (Retired(SECRET, NOW),))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["mailbot.secret"]
