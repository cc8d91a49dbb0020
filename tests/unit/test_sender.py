"""Who wrote a mail: a From header alone never makes a helper."""

from __future__ import annotations

from mailbot.desk.decide import analyse
from mailbot.desk.sender import Sender, identify
from mailbot.desk.threads import ThreadFacts
from mailbot.reading.parsing import parse
from tests.mailfactory import make_mail
from tests.unit.flowkit import IVANOVA, KUZNETSOV, PARENT, SECRET, school, token_ref


def _who(raw: bytes, secret: bytes = SECRET) -> Sender:
    config, rules = school()
    parsed = parse(raw)
    return identify(parsed, analyse(parsed, config, ThreadFacts()).auto, rules.people, secret)


def test_a_helper_is_their_address_and_a_valid_token_of_theirs() -> None:
    sender = _who(make_mail(sender=IVANOVA, in_reply_to=token_ref(7, "ivanova")))
    assert (sender.role, sender.person_id, sender.token_case) == ("helper", "ivanova", 7)


def test_the_helpers_second_address_counts_too() -> None:
    sender = _who(make_mail(sender=("Надежда Иванова", "ezh@school.example"),
                            in_reply_to=token_ref(7, "ivanova")))
    assert sender.role == "helper"


def test_a_forged_from_without_a_token_is_a_user() -> None:
    sender = _who(make_mail(sender=IVANOVA, subject="Re: [ЭЖ #7] Не могу войти"))
    assert sender.role == "user" and sender.person_id == "ivanova"  # staff, but unverified
    assert "cites no token" in sender.reasons[0]


def test_someone_elses_token_is_not_accepted() -> None:
    sender = _who(make_mail(sender=KUZNETSOV, in_reply_to=token_ref(7, "ivanova")))
    assert sender.role == "user" and "not accepted" in sender.reasons[0]
    stranger = _who(make_mail(sender=PARENT, in_reply_to=token_ref(7, "ivanova")))
    assert stranger.role == "user" and stranger.person_id == ""


def test_a_token_signed_with_another_secret_is_worthless() -> None:
    sender = _who(make_mail(sender=IVANOVA, in_reply_to=token_ref(7, "ivanova")),
                  secret=b"another school")
    assert sender.role == "user"


def test_a_supervisor_is_a_helper_only_with_their_own_token() -> None:
    boss = ("Ольга Петрова", "o.petrova@school.example")
    assert _who(make_mail(sender=boss, in_reply_to=token_ref(7, "petrova"))).role == "helper"
    assert _who(make_mail(sender=boss, in_reply_to=token_ref(7, "ivanova"))).role == "user"


def test_the_vendor_by_address_and_machine_mail_as_system() -> None:
    vendor = _who(make_mail(sender=("Поддержка", "support@epos.example")))
    assert vendor.role == "vendor"
    robot = _who(make_mail(sender=PARENT, headers={"Auto-Submitted": "auto-replied"}))
    assert robot.role == "system"
