"""Bounces and delay notices read: recipients, status, reason and which mail of ours it was.

The labelled set (tests/fixtures/machine, see its make_machine.py) must be classified at
least 98% right; single mails below pin the shapes one by one, some of them written apart
from the set's templates.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailbot.reading.bounces import BounceReport, read_bounce
from mailbot.reading.loops import detect_auto
from mailbot.reading.parsing import MailError, parse

ROOT = Path(__file__).resolve().parents[1] / "fixtures"
MACHINE = ROOT / "machine"
OWN = ("help@school.example",)


def verdict_kind(raw: bytes) -> str:
    try:
        mail = parse(raw)
    except MailError:
        return "error"
    return detect_auto(mail.headers, from_addr=mail.from_addr, own_addresses=OWN,
                       own_domain="school.example").kind


def report(raw: str | bytes) -> BounceReport | None:
    data = raw.encode() if isinstance(raw, str) else raw
    return read_bounce(parse(data.lstrip(b"\n")))


def labelled() -> list[tuple[str, dict]]:
    labels = json.loads((MACHINE / "labels.json").read_text(encoding="utf-8"))
    return sorted(labels.items())


def test_the_set_is_large_and_varied() -> None:
    cases = labelled()
    assert len(cases) >= 300
    kinds = {label["kind"] for _, label in cases}
    assert kinds == {"bounce", "delay", "auto_reply", "challenge", "feedback", "list", "none"}


def test_kind_is_right_on_at_least_98_percent_of_the_set() -> None:
    cases = labelled()
    misses = [(name, label["kind"], got) for name, label in cases
              if (got := verdict_kind((MACHINE / name).read_bytes())) != label["kind"]]
    assert len(misses) <= len(cases) * 0.02, misses


def test_bounce_fields_are_right_on_the_set() -> None:
    wrong = []
    total = 0
    for name, label in labelled():
        if label["kind"] not in ("bounce", "delay"):
            continue
        total += 1
        got = read_bounce(parse((MACHINE / name).read_bytes()))
        if (got is None or got.kind != label["kind"]
                or sorted(got.recipients) != sorted(label["recipients"])
                or got.status != label["status"]
                or got.original_message_id != label["original_message_id"]):
            wrong.append((name, got))
    assert len(wrong) <= total * 0.02, wrong[:5]


def test_people_in_the_set_are_never_machine_mail() -> None:
    for name, label in labelled():
        if label["kind"] == "none":
            assert verdict_kind((MACHINE / name).read_bytes()) == "none", name


@pytest.mark.parametrize("name", ["bounce-postfix-dsn.eml", "bounce-mailru-exim.eml",
                                  "bounce-yandex-ru.eml"])
def test_shared_bounce_fixtures(name: str) -> None:
    got = report((ROOT / "mail" / name).read_bytes())
    assert got is not None and got.kind == "bounce"
    assert len(got.recipients) == 1 and got.permanent
    assert "[ЭЖ #" in got.original_subject
    assert got.original_message_id.endswith("@school.example")


def test_not_a_bounce_gives_none() -> None:
    assert report((ROOT / "mail" / "auto-exchange-oof.eml").read_bytes()) is None
    assert report((ROOT / "mail" / "cs-utf8-8bit-thunderbird.eml").read_bytes()) is None


# ------------------------------------------------------------ single shapes, written apart

OUTLOOK_COM_HTML_ONLY = """
Return-Path: <>
From: postmaster@outlook.com
To: help@school.example
Subject: Undeliverable: =?utf-8?B?W9Ct0JYgIzMxMF0g0J7RgtCy0LXRgg==?=
Date: Tue, 10 Mar 2026 05:00:00 +0000
Message-ID: <8f0c.ndr@BN8NAM11HT123.mail.protection.outlook.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

--b1
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: 8bit

<html><body><p><b><font color="#000066">Your message to <a href="mailto:old.parent@outlook.com">old.parent@outlook.com</a> couldn't be delivered.</font></b></p>
<p>old.parent wasn't found at outlook.com.</p>
<p>Remote Server returned '550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [BN8NAM11FT012.eop-nam11.prod.protection.outlook.com]'</p></body></html>
--b1
Content-Type: message/delivery-status

Reporting-MTA: dns;BN8NAM11HT123.mail.protection.outlook.com

Final-Recipient: rfc822;old.parent@outlook.com
Action: failed
Status: 5.5.0
Diagnostic-Code: smtp;550 5.5.0 Requested action not taken: mailbox unavailable
--b1
Content-Type: text/rfc822-headers

Message-ID: <mailbot.310.reply.0a0b0c0d0e0f1011@school.example>
Subject: =?utf-8?B?W9Ct0JYgIzMxMF0g0J7RgtCy0LXRgg==?=
References: <CAB12@mail.gmail.com> <mailbot.310.ack.1111@school.example>
--b1--
"""

RUSSIAN_ISP_PLAIN = """
From: =?utf-8?B?0J/QvtGH0YLQvtCy0LDRjyDRgdC40YHRgtC10LzQsA==?= <robot@mail.perm-isp.example>
To: help@school.example
Subject: =?utf-8?B?0JLQsNGI0LUg0L/QuNGB0YzQvNC+INC90LUg0LTQvtGB0YLQsNCy0LvQtdC90L4=?=
Date: Wed, 11 Mar 2026 09:00:00 +0500
Message-ID: <r1@mail.perm-isp.example>
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit

""" + "Уважаемый пользователь!\n\nК сожалению, ваше письмо не может быть доставлено по адресу\n" \
    "sergeeva.ks@perm-isp.example: ящик получателя переполнен (552 Quota exceeded).\n\n" \
    "----- Заголовки исходного сообщения -----\n" \
    "Message-ID: <mailbot.77.notice.abcdefabcdef0011@school.example>\n" \
    "Subject: =?utf-8?B?W9Ct0JYgIzc3XSDQktCw0Lwg0L3QsNC30L3QsNGH0LXQvdC+?=\n"

GMAIL_DELIVERY_INCOMPLETE = """
Return-Path: <>
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: help@school.example
Subject: Delivery Status Notification (Delay)
Date: Thu, 12 Mar 2026 10:00:00 -0700
Message-ID: <d1@mx.google.com>
Auto-Submitted: auto-replied
Content-Type: text/plain; charset=UTF-8

** Delivery incomplete **

There was a temporary problem delivering your message to kid.mama@rambler.example.
Gmail will retry for 45 more hours. You'll be notified if the delivery fails permanently.

The response from the remote server was:
451 4.7.1 Greylisting in action, please come back later
"""

CYRILLIC_DSN = """
Return-Path: <>
From: MAILER-DAEMON
To: help@school.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <c1@mx.school.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="c"

--c
Content-Type: text/plain

Your message could not be delivered.
--c
Content-Type: message/global-delivery-status

Reporting-MTA: dns; mx.school.example

Original-Recipient: rfc822;mama@xn--80a1acny.xn--p1ai
Final-Recipient: utf-8; МАМА@почта.рф
Action: failed
Status: 5.1.1 (bad destination mailbox address)
--c--
"""


def test_outlook_com_html_only_ndr() -> None:
    got = report(OUTLOOK_COM_HTML_ONLY)
    assert got is not None
    assert (got.kind, got.recipients, got.status, got.permanent) == (
        "bounce", ("old.parent@outlook.com",), "5.5.0", True)
    assert got.original_message_id == "mailbot.310.reply.0a0b0c0d0e0f1011@school.example"
    assert got.original_references == ("CAB12@mail.gmail.com", "mailbot.310.ack.1111@school.example")
    assert got.original_subject == "[ЭЖ #310] Ответ"
    assert "mailbox unavailable" in got.diagnostic and "\n" not in got.diagnostic


def test_russian_isp_bounce_without_any_machine_header() -> None:
    raw = RUSSIAN_ISP_PLAIN.lstrip("\n").encode("koi8-r")
    assert verdict_kind(raw) == "bounce"
    got = report(raw)
    assert got is not None
    assert got.recipients == ("sergeeva.ks@perm-isp.example",)
    assert got.status == "5.0.0" and got.permanent
    assert got.original_message_id == "mailbot.77.notice.abcdefabcdef0011@school.example"
    assert got.original_subject.startswith("[ЭЖ #77]")


def test_gmail_delivery_incomplete_is_a_delay() -> None:
    got = report(GMAIL_DELIVERY_INCOMPLETE)
    assert got is not None
    assert (got.kind, got.recipients, got.status, got.permanent) == (
        "delay", ("kid.mama@rambler.example",), "4.7.1", False)
    assert got.original_message_id == ""


def test_global_dsn_with_cyrillic_recipient() -> None:
    got = report(CYRILLIC_DSN)
    assert got is not None
    assert got.recipients == ("мама@почта.рф",)
    assert got.status == "5.1.1"


def test_postfix_bounce_that_gave_up_after_temporary_failures_is_not_permanent() -> None:
    raw = CYRILLIC_DSN.replace("5.1.1 (bad destination mailbox address)", "4.4.1")
    got = report(raw)
    assert got is not None and (got.kind, got.permanent) == ("bounce", False)


def test_backscatter_keeps_the_foreign_message_id() -> None:
    raw = OUTLOOK_COM_HTML_ONLY.replace(
        "<mailbot.310.reply.0a0b0c0d0e0f1011@school.example>", "<spam.4471@bulk.example>"
    ).replace("References: <CAB12@mail.gmail.com> <mailbot.310.ack.1111@school.example>\n", "")
    got = report(raw)
    assert got is not None and got.original_message_id == "spam.4471@bulk.example"
