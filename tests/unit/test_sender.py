"""Who wrote a mail: a From header alone never makes a helper."""

from __future__ import annotations

from datetime import datetime, timedelta

from mailbot.desk import tokens
from mailbot.desk.decide import analyse
from mailbot.desk.keyring import Keyring, Retired
from mailbot.desk.sender import Sender, identify
from mailbot.desk.threads import ThreadFacts
from mailbot.reading.parsing import parse
from tests.mailfactory import make_mail
from tests.unit.flowkit import IVANOVA, KEYS, KUZNETSOV, NOW, PARENT, SECRET, school, token_ref

OUR_SERVER = '[security]\nauthserv_id = "mx.school.example"\n'
DMARC_FAIL = {"Authentication-Results": "mx.school.example; spf=fail smtp.mailfrom=school.example;"
                                        " dmarc=fail (p=none) header.from=school.example"}


def _who(raw: bytes, keys: Keyring = KEYS, now: datetime = NOW, extra: str = "") -> Sender:
    config, rules = school(extra)
    parsed = parse(raw)
    return identify(parsed, analyse(parsed, config, ThreadFacts()).auto, rules.people, keys, now,
                    config.security.authserv_id)


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
                  keys=Keyring(b"another school"))
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


def test_an_expired_token_is_named_so_the_helper_can_answer_the_newest_notice() -> None:
    raw = make_mail(sender=IVANOVA, in_reply_to=token_ref(7, "ivanova"))
    assert _who(raw, now=NOW + timedelta(days=119)).role == "helper"
    late = _who(raw, now=NOW + timedelta(days=120))
    assert (late.role, late.person_id, late.token_case) == ("user", "ivanova", None)
    assert late.unverified.startswith("token expired on 2027-04-02 (case id 7, ivanova)")
    assert late.reasons == (late.unverified,)


def test_a_token_of_a_rotated_secret_counts_during_grace_only() -> None:
    raw = make_mail(sender=IVANOVA, in_reply_to=token_ref(7, "ivanova"))
    keys = Keyring(b"the-new-secret-after-rotation", (Retired(SECRET, NOW),), grace_days=30)
    assert _who(raw, keys, NOW + timedelta(days=29)).role == "helper"
    after = _who(raw, keys, NOW + timedelta(days=30))
    assert after.role == "user" and "token expired on 2027-01-02" in after.unverified


def test_an_old_form_token_still_makes_a_helper() -> None:
    sig = tokens.signature(SECRET, 7, "ivanova", None)
    raw = make_mail(sender=IVANOVA, in_reply_to=f"mailbot.7.notice.ivanova.a1b2c3.{sig}@school.example")
    assert _who(raw).role == "helper"


def test_dmarc_failing_staff_mail_is_unverified_whatever_token_it_cites() -> None:
    raw = make_mail(sender=IVANOVA, in_reply_to=token_ref(7, "ivanova"), headers=DMARC_FAIL)
    forged = _who(raw, extra=OUR_SERVER)
    assert (forged.role, forged.person_id, forged.token_case) == ("user", "ivanova", None)
    assert forged.unverified == "DMARC fail per mx.school.example (header.from=school.example)"
    # Without the school's server named, the header is anyone's word and is not read.
    assert _who(raw).role == "helper"
    # A genuine mail through our server, or a parent's failing one, is judged as before.
    fine = {"Authentication-Results": "mx.school.example; dkim=pass header.d=school.example;"
                                      " dmarc=pass header.from=school.example"}
    ok = make_mail(sender=IVANOVA, in_reply_to=token_ref(7, "ivanova"), headers=fine)
    assert _who(ok, extra=OUR_SERVER).role == "helper"
    parent = _who(make_mail(sender=PARENT, headers=DMARC_FAIL), extra=OUR_SERVER)
    assert parent.role == "user" and parent.unverified == ""


def test_dmarc_failing_vendor_mail_is_not_the_vendors_answer() -> None:
    raw = make_mail(sender=("Поддержка", "support@epos.example"), headers=DMARC_FAIL)
    forged = _who(raw, extra=OUR_SERVER)
    assert (forged.role, forged.person_id) == ("user", "")
    assert forged.unverified.startswith("DMARC fail per mx.school.example")
    assert "not accepted as the vendor's mail" in forged.reasons[0]
