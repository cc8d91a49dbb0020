"""Trust in a helper's answer over time, through real Dovecot and a real SMTP server:
`mailbot secret rotate` keeps answers to older notices working for the grace period and
no longer; the school's own server saying DMARC failed outweighs any token."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from mailbot import app as app_module
from mailbot import cli
from mailbot.desk import keyring, tokens
from mailbot.desk.keyring import Keyring
from mailbot.service import check
from mailbot.storage import db
from mailbot.storage.models import Event, Message
from tests.integration.mailflow import IVANOVA, USER, Sent, case_row, deliver, reply_to, text_of
from tests.mailfactory import make_mail

VOLKOV = ("Сергей Волков", "volkov.s@mail.example")
OUR_SERVER = 'authserv_id = "mx.school.example"'


def _restart(desk) -> None:  # type: ignore[no-untyped-def]
    """What `systemctl restart mailbot` does after a rotation: the secret is read anew."""
    old = desk.app
    desk.app = app_module.build(desk.config, desk.clock)
    old.engine.dispose()


def _last_message(desk, case_id: int) -> Message:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        rows = session.exec(select(Message).where(Message.case_id == case_id)
                            .order_by(Message.id)).all()  # type: ignore[arg-type]
        return rows[-1]


def _logged(desk, text: str) -> bool:  # type: ignore[no-untyped-def]
    with db.session(desk.app.engine) as session:
        return any(text in event.detail for event in session.exec(select(Event)).all())


def test_rotation_keeps_old_notices_for_the_grace_period_only(make_desk, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("MAILBOT_SECRET", raising=False)
    desk = make_desk(security="token_days = 3650")  # only the rotation ends the old token
    deliver(desk, make_mail(message_id="q1@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    deliver(desk, reply_to(notice, sender=IVANOVA, body="Попробуйте войти через Госуслуги."))
    assert len(Sent(desk).of("relay", USER[1])) == 1

    assert cli.main(["--config", str(desk.config.source_path), "secret", "rotate"]) == 0
    old_secret_file = desk.config.secret_path.read_text()
    new, retired = keyring.parse(old_secret_file, "secret file")
    assert len(retired) == 1 and retired[0].secret != new
    _restart(desk)
    said: list[str] = []
    check.run(desk.config, out=said.append)
    assert f"secret: {desk.config.secret_path}; 1 previous secret(s) still accepted, until" in (
        "\n".join(said))

    # During the grace period an answer to the notice sent before the rotation still counts.
    desk.clock.current = retired[0].at + timedelta(days=29)
    deliver(desk, reply_to(notice, sender=IVANOVA, body="Проверьте, пожалуйста, ещё раз."))
    assert "Проверьте, пожалуйста" in text_of(Sent(desk).of("relay", USER[1])[-1])

    # A new notice is signed with the new secret only.
    deliver(desk, make_mail(sender=VOLKOV, message_id="q2@mail.example"))
    fresh = Sent(desk).of("notice", IVANOVA[1])[-1]
    fresh_id = fresh["Message-ID"].strip("<> ")
    now = desk.clock.now()
    assert tokens.find_token(Keyring(retired[0].secret), [fresh_id], [], now) is None
    assert tokens.find_token(desk.app.secret, [fresh_id], [], now) is not None

    # After the grace period the old notice's token is no longer accepted ...
    desk.clock.current = retired[0].at + timedelta(days=31)
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#закрыть\nГотово."))
    assert len(Sent(desk).of("relay", USER[1])) == 2 and Sent(desk).of("closing") == []
    assert case_row(desk, 1).status != "closed"
    assert _last_message(desk, 1).sender_role == "user"
    grace_end = (retired[0].at + timedelta(days=30)).date().isoformat()
    assert _logged(desk, f"token expired on {grace_end}")
    # ... while an answer to the new notice is.
    deliver(desk, reply_to(fresh, sender=IVANOVA, body="Сергей, зайдите через Госуслуги."))
    assert "Сергей, зайдите" in text_of(Sent(desk).one("relay", VOLKOV[1]))


def test_a_dmarc_failing_staff_mail_is_not_relayed_whatever_token_it_cites(make_desk) -> None:  # type: ignore[no-untyped-def]
    desk = make_desk(security=OUR_SERVER)
    deliver(desk, make_mail(message_id="d1@mail.example"))
    notice = Sent(desk).one("notice", IVANOVA[1])
    # Someone who saw the notice answers it with the helper's From; our server found DMARC
    # failing for school.example.
    failing = {"Authentication-Results": "mx.school.example; spf=fail (sender IP is"
                                         " 198.51.100.7) smtp.mailfrom=school.example;"
                                         " dmarc=fail (p=quarantine) header.from=school.example"}
    deliver(desk, reply_to(notice, sender=IVANOVA, body="#закрыть\nВсё решено, пароль: 1234",
                           headers=failing))
    sent = Sent(desk)
    assert sent.of("relay") == [] and sent.of("closing") == []
    assert case_row(desk).status == "assigned"
    assert _last_message(desk, 1).sender_role == "user"
    assert _logged(desk, "DMARC fail per mx.school.example")
    # The genuine helper's answer, passing at the same server, is relayed as ever.
    passing = {"Authentication-Results": "mx.school.example; dkim=pass header.d=school.example;"
                                         " spf=pass smtp.mailfrom=school.example;"
                                         " dmarc=pass header.from=school.example"}
    deliver(desk, reply_to(notice, sender=IVANOVA, body="Попробуйте войти через Госуслуги.",
                           headers=passing))
    assert "через Госуслуги" in text_of(Sent(desk).one("relay", USER[1]))
