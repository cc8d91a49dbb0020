"""No crash on any header or part: every mail gives a ParsedMail or a one-line MailError.

Hand-built broken mails (the shapes found in the wild) and seeded random mutations of a few
realistic ones: 8-bit bytes in every header, Header objects where text is expected, broken
encodings, missing or wrong boundaries, truncation, deep nesting, empty or missing From.
Loop detection and bounce reading run on every mail that parses, and must not raise either.
"""

from __future__ import annotations

import random

import pytest

from mailbot.reading.bounces import read_bounce
from mailbot.reading.loops import detect_auto
from mailbot.reading.parsing import MailError, ParsedMail, parse

RU8 = "Отчёт за четверть".encode()
RU1251 = "Ведомость 5Б".encode("cp1251")

BASE_PLAIN = (
    b"Return-Path: <mama@mail.example>\r\n"
    b"From: =?utf-8?B?0JzQsNC80LA=?= <mama@mail.example>\r\n"
    b"To: help@school.example\r\n"
    b"Subject: =?utf-8?B?0J3QtSDQstC40LbRgyDQvtGG0LXQvdC60Lg=?=\r\n"
    b"Date: Mon, 02 Mar 2026 10:14:05 +0500\r\n"
    b"Message-ID: <abc123@mail.example>\r\n"
    b"References: <mailbot.1.ack.00@school.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n" + "Здравствуйте! Не вижу оценки.\r\n".encode()
)

BASE_MIXED = (
    b"From: Ivan <ivan@mail.example>\r\n"
    b"To: help@school.example\r\n"
    b"Subject: report\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/mixed; boundary="XYZ"\r\n'
    b"\r\n--XYZ\r\n"
    b"Content-Type: text/plain; charset=koi8-r\r\n\r\n" + "Привет".encode("koi8-r") + b"\r\n"
    b"--XYZ\r\n"
    b'Content-Type: application/pdf; name="' + RU8 + b'.pdf"\r\n'
    b'Content-Disposition: attachment; filename="' + RU8 + b'.pdf"\r\n'
    b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n"
    b"--XYZ\r\n"
    b"Content-Type: message/rfc822\r\n\r\n"
    b"From: a@b.example\r\nSubject: inner\r\n\r\ninner body\r\n"
    b"--XYZ--\r\n"
)

BASE_DSN = (
    b"Return-Path: <>\r\n"
    b"From: MAILER-DAEMON@mx.example (Mail Delivery System)\r\n"
    b"To: help@school.example\r\n"
    b"Subject: Undelivered Mail Returned to Sender\r\n"
    b"Message-Id: <20260307.ABC@mx.example>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n"
    b"\r\n--R\r\nContent-Type: text/plain\r\n\r\nThis is the mail system at host mx.example.\r\n"
    b"--R\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example\r\n\r\n"
    b"Final-Recipient: rfc822; kid@rambler.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
    b"--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    b"Message-ID: <mailbot.42.reply.aa@school.example>\r\nSubject: [\xd0\xad\xd0\x96 #42] x\r\n"
    b"--R--\r\n"
)

HAND_BUILT: dict[str, bytes] = {
    "yahoo-8bit-filename": BASE_MIXED,
    "8bit-content-disposition-garbage": BASE_MIXED.replace(
        b"Content-Disposition: attachment;", b"Content-Disposition: \xff\xfe\xfd;"
    ),
    "8bit-content-type": BASE_PLAIN.replace(b"text/plain; charset=utf-8",
                                            b"text/\xd0\xb0; charset=\xd0\xb1"),
    "8bit-message-id": BASE_PLAIN.replace(b"<abc123@mail.example>", b"<\xd0\xb0\xd0\xb1@x>"),
    "8bit-references": BASE_PLAIN.replace(b"<mailbot.1.ack.00@school.example>", RU1251),
    "8bit-date": BASE_PLAIN.replace(b"Mon, 02 Mar 2026 10:14:05 +0500", RU8),
    "8bit-to-and-cc": BASE_PLAIN.replace(b"To: help@school.example",
                                         b"To: " + RU8 + b" <\xd0\xb0@\xd0\xb1.\xd1\x80\xd1\x84>\r\n"
                                         b"Cc: " + RU1251),
    "8bit-from-cp1251-name": BASE_PLAIN.replace(b"=?utf-8?B?0JzQsNC80LA=?=", RU1251),
    "8bit-subject-koi8": BASE_PLAIN.replace(
        b"=?utf-8?B?0J3QtSDQstC40LbRgyDQvtGG0LXQvdC60Lg=?=", "Оценки".encode("koi8-r")
    ),
    "bad-encoded-words": BASE_PLAIN.replace(b"=?utf-8?B?0JzQsNC80LA=?=", b"=?bogus?Q?=FF=?="),
    "rfc2231-garbage": BASE_MIXED.replace(
        b'filename="' + RU8 + b'.pdf"', b"filename*0*=x-unknown''%FF%G0; filename*1=\xff"
    ),
    "rfc2231-no-charset": BASE_MIXED.replace(b'filename="' + RU8 + b'.pdf"',
                                             b"filename*=''%D0%BE%D1%82.pdf"),
    "missing-boundary-param": BASE_MIXED.replace(b'; boundary="XYZ"', b""),
    "wrong-boundary-param": BASE_MIXED.replace(b'boundary="XYZ"', b'boundary="NOPE"'),
    "unclosed-boundary": BASE_MIXED.replace(b"--XYZ--\r\n", b""),
    "empty-boundary": BASE_MIXED.replace(b'boundary="XYZ"', b'boundary=""'),
    "bad-base64": BASE_MIXED.replace(b"JVBERi0xLjQK", b"J!!V==B=E*R"),
    "bad-qp": BASE_PLAIN.replace(b"8bit", b"quoted-printable") + b"=Z=\r\n=",
    "unknown-cte": BASE_PLAIN.replace(b"8bit", b"x-uuencode\xff"),
    "utf16-declared": BASE_PLAIN.replace(b"charset=utf-8", b"charset=utf-16"),
    "base64-codec-as-charset": BASE_PLAIN.replace(b"charset=utf-8", b"charset=base64"),
    "empty-from": BASE_PLAIN.replace(b"From: =?utf-8?B?0JzQsNC80LA=?= <mama@mail.example>",
                                     b"From:"),
    "no-from": BASE_PLAIN.replace(
        b"From: =?utf-8?B?0JzQsNC80LA=?= <mama@mail.example>\r\n", b""
    ),
    "from-null": BASE_DSN.replace(b"MAILER-DAEMON@mx.example (Mail Delivery System)", b"<>"),
    "from-daemon-bare": BASE_DSN.replace(b"MAILER-DAEMON@mx.example (Mail Delivery System)",
                                         b"MAILER-DAEMON"),
    "from-name-only": BASE_DSN.replace(b"MAILER-DAEMON@mx.example (Mail Delivery System)",
                                       b"Mail Delivery System"),
    "dsn-truncated": BASE_DSN[: len(BASE_DSN) // 2],
    "dsn-8bit-fields": BASE_DSN.replace(b"kid@rambler.example", b"\xd0\xb4@\xd1\x88.\xd1\x80\xd1\x84"),
    "dsn-empty-part": BASE_DSN.replace(b"Reporting-MTA: dns; mx.example\r\n\r\n", b"")
    .replace(b"Final-Recipient: rfc822; kid@rambler.example\r\nAction: failed\r\n"
             b"Status: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n", b""),
    "only-headers": b"From: a@b.example\r\nSubject: x",
    "no-header-body-separator": b"From: a@b.example\r\nthis is not a header\r\n",
    "header-without-colon": b"Garbage line\r\nFrom: a@b.example\r\n\r\nbody",
    "nul-bytes": BASE_PLAIN.replace(b"Subject:", b"Subject: \x00\x00") + b"\x00\x01",
    "lone-cr-lines": BASE_PLAIN.replace(b"\r\n", b"\r"),
    "huge-header-line": BASE_PLAIN.replace(b"Subject:", b"X-Long: " + b"a" * 20000 + b"\r\nSubject:"),
    "rfc822-empty": b"From: a@b.example\r\nContent-Type: message/rfc822\r\n\r\n",
    "rfc822-garbage": b"From: a@b.example\r\nContent-Type: message/rfc822\r\n\r\n\xff\xfe\x00",
    "delivery-status-as-root": b"From: a@b.example\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"\xff: \xfe\r\n\r\nAction failed\r\n",
    "idna-broken": b"From: x <a@xn--zz-.xn--\xff>\r\n\r\nhi",
    "address-with-spaces": b"From: Ivan Petrov ivan at mail dot ru\r\n\r\nhi",
    "cyrillic-address": "From: Мама <мама@почта.рф>\r\n\r\nhi".encode(),
    "encoded-address": b"From: =?utf-8?B?0LzQsNC80LBAeG4tLTgwYTFhY255LnhuLS1wMWFp?=\r\n\r\nhi",
    "deep-nesting": (
        b"From: a@b.example\r\n"
        + b"".join(f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n'.encode()
                   for i in range(300))
        + b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    ),
    "content-type-no-slash": BASE_PLAIN.replace(b"text/plain; charset=utf-8", b"garbage"),
    "html-only-broken": b"From: a@b.example\r\nContent-Type: text/html\r\n\r\n<p><b>hi<td></table"
    b"<script>x",
}


def check(raw: bytes) -> ParsedMail | None:
    try:
        mail = parse(raw)
    except MailError as exc:
        text = str(exc)
        assert text and "\n" not in text and len(text) < 300, text
        return None
    assert isinstance(mail, ParsedMail)
    verdict = detect_auto(mail.headers, from_addr=mail.from_addr,
                          own_addresses=("help@school.example",), own_domain="school.example")
    assert verdict.kind in {"none", "list", "auto_reply", "bounce", "delay", "challenge",
                            "feedback"}
    read_bounce(mail)
    return mail


@pytest.mark.parametrize("name", sorted(HAND_BUILT))
def test_hand_built_broken_mail(name: str) -> None:
    check(HAND_BUILT[name])


def _mutations(raw: bytes, rng: random.Random) -> bytes:
    data = bytearray(raw)
    for _ in range(rng.randint(1, 6)):
        choice = rng.randrange(6)
        pos = rng.randrange(len(data) + 1)
        if choice == 0:  # 8-bit junk somewhere
            data[pos:pos] = bytes(rng.randrange(128, 256) for _ in range(rng.randint(1, 8)))
        elif choice == 1:  # truncate
            del data[pos:]
        elif choice == 2:  # drop a slice
            del data[pos : pos + rng.randint(1, 40)]
        elif choice == 3:  # structural characters
            data[pos:pos] = rng.choice([b"\r\n", b";", b"=?utf-8?B?", b"?=", b'"', b"--XYZ",
                                        b"\r\n\r\n", b"boundary=", b"*0*=", b"%", b"<>", b":"])
        elif choice == 4:  # duplicate a slice
            data[pos:pos] = data[pos : pos + rng.randint(1, 80)]
        elif data:  # flip bytes
            for _ in range(rng.randint(1, 5)):
                i = rng.randrange(len(data))
                data[i] = rng.randrange(256)
    return bytes(data)


@pytest.mark.parametrize("seed", range(40))
def test_random_mutations_never_crash(seed: int) -> None:
    rng = random.Random(seed)
    for base in (BASE_PLAIN, BASE_MIXED, BASE_DSN):
        for _ in range(10):
            check(_mutations(base, rng))


def test_ordinary_mail_without_address_is_a_mail_error() -> None:
    for name in ("empty-from", "no-from", "address-with-spaces"):
        with pytest.raises(MailError, match="no usable From address"):
            parse(HAND_BUILT[name])


@pytest.mark.parametrize("name", ["from-null", "from-daemon-bare", "from-name-only"])
def test_machine_mail_without_address_is_parsed(name: str) -> None:
    mail = parse(HAND_BUILT[name])
    assert mail.from_addr == ""  # Return-Path is <>
    report = read_bounce(mail)
    assert report is not None and report.recipients == ("kid@rambler.example",)


def test_machine_mail_takes_return_path_or_sender() -> None:
    raw = HAND_BUILT["from-daemon-bare"].replace(b"Return-Path: <>",
                                                 b"Return-Path: <MAILER-DAEMON@mx.example>")
    assert parse(raw).from_addr == "mailer-daemon@mx.example"
    raw = HAND_BUILT["from-name-only"].replace(b"Return-Path: <>\r\n",
                                               b"Sender: bounces@mx.example\r\n")
    assert parse(raw).from_addr == "bounces@mx.example"


def test_yahoo_raw_utf8_attachment_name_is_read() -> None:
    mail = parse(BASE_MIXED)
    names = [a.filename for a in mail.attachments]
    assert names[0] == "Отчёт за четверть.pdf"
    assert mail.attachments[0].data.startswith(b"%PDF")
    assert mail.text.strip() == "Привет"


def test_broken_boundaries_keep_the_text() -> None:
    for name in ("missing-boundary-param", "wrong-boundary-param", "unclosed-boundary"):
        mail = parse(HAND_BUILT[name])
        assert "Привет" in mail.text, name


def test_deep_nesting_is_cut_not_crashed() -> None:
    mail = check(HAND_BUILT["deep-nesting"])
    assert mail is not None
