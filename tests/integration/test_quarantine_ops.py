"""Quarantine an operator can work: read a held mail decoded, dismiss it with a reason."""

from __future__ import annotations

from mailbot import quarantine
from mailbot.storage import db, store
from mailbot.worker import mailbox_id
from tests.mailfactory import make_mail


def _hold(desk, raw: bytes, reason: str) -> int:  # type: ignore[no-untyped-def]
    box = mailbox_id(desk.app)
    with db.session(desk.app.engine) as session:
        row = store.quarantine(session, box, f"test:{len(raw)}", raw, reason, desk.clock.now())
        session.commit()
        assert row.id is not None
        return row.id


def test_a_held_mail_is_shown_decoded_and_can_be_dismissed_once(desk) -> None:  # type: ignore[no-untyped-def]
    held = _hold(desk, make_mail(subject="Не могу войти", body="Пишет «ошибка 500»."),
                 "NoSuchCase: the reply token names case id 99, which is not here")
    text = quarantine.decoded(desk.app, held)
    assert text is not None
    assert "Reason: NoSuchCase" in text and "Subject: Не могу войти" in text
    assert "Пишет «ошибка 500»." in text and "=?utf-8?" not in text
    box = mailbox_id(desk.app)
    with db.session(desk.app.engine) as session:
        assert store.count_held_quarantine(session, box) == 1
    said = quarantine.dismiss(desk.app, held, "spam with a forged token")
    assert said is not None and "Dismissed" in said
    with db.session(desk.app.engine) as session:
        assert store.count_held_quarantine(session, box) == 0
    assert "already dismissed" in (quarantine.dismiss(desk.app, held, "again") or "")
    assert quarantine.decoded(desk.app, 12345) is None
    assert quarantine.dismiss(desk.app, 12345, "x") is None


def test_even_an_unreadable_mail_is_shown_with_why(desk) -> None:  # type: ignore[no-untyped-def]
    held = _hold(desk, b"\r\n\r\n", "unusable mail: empty message")
    text = quarantine.decoded(desk.app, held) or ""
    assert "Cannot be read: empty message" in text


def test_the_command_line_shows_and_dismisses(desk, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    held = _hold(desk, make_mail(subject="Сломанное письмо"), "ValueError: test")
    config = str(tmp_path / "mailbot.toml")

    def mailbot(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mailbot", "--config", config, *args],
                              capture_output=True, text=True, timeout=60, check=False)

    shown = mailbot("quarantine", "show", str(held))
    assert shown.returncode == 0 and "Subject: Сломанное письмо" in shown.stdout
    refused = mailbot("quarantine", "dismiss", str(held))
    assert refused.returncode != 0 and "--reason" in refused.stderr
    assert refused.stderr.strip().count("\n") == 0
    done = mailbot("quarantine", "dismiss", str(held), "--reason", "спам")
    assert done.returncode == 0 and "Dismissed" in done.stdout
