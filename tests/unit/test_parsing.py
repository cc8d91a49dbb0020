"""Parsing: addresses in their canonical form, report parts readable, machine senders."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.reading.addresses import ascii_domain, canonical_address, first_address
from mailbot.reading.parsing import MailError, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"


def mail(head: str, body: str = "Здравствуйте!") -> bytes:
    return (head.strip("\n") + "\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
            "Content-Transfer-Encoding: 8bit\n\n" + body + "\n").encode()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("мама@почта.рф", "мама@почта.рф"),
        ("МАМА@ПОЧТА.РФ", "мама@почта.рф"),
        ("mama@xn--80a1acny.xn--p1ai", "mama@почта.рф"),
        ("MAMA@XN--80A1ACNY.XN--P1AI", "mama@почта.рф"),
        ("директор@школа.рф", "директор@школа.рф"),
        ("<Ivan.Petrov@Mail.Example>", "ivan.petrov@mail.example"),
        ("user@mail.example.", "user@mail.example"),
        ("x@xn--broken-.xn--", "x@xn--broken-.xn--"),
        ("not an address", ""),
        ("@mail.example", ""),
        ("user@", ""),
    ],
)
def test_canonical_address(value: str, expected: str) -> None:
    assert canonical_address(value) == expected


def test_ascii_domain_for_sending() -> None:
    assert ascii_domain("мама@почта.рф") == "мама@xn--80a1acny.xn--p1ai"
    assert ascii_domain("a@b.example") == "a@b.example"


@pytest.mark.parametrize(
    "from_line",
    [
        "From: Мама <мама@почта.рф>",  # raw UTF-8 (SMTPUTF8)
        "From: =?utf-8?B?0JzQsNC80LA=?= <мама@почта.рф>",
        "From: Мама <мама@xn--80a1acny.xn--p1ai>",
        "From: =?utf-8?B?0LzQsNC80LA=?=@xn--80a1acny.xn--p1ai",  # encoded local part
        "From: \"Мама\" <МАМА@ПОЧТА.РФ>",
    ],
)
def test_cyrillic_from_addresses(from_line: str) -> None:
    parsed = parse(mail(from_line + "\nTo: директор@школа.рф, help@school.example"))
    assert parsed.from_addr == "мама@почта.рф"
    assert parsed.to == ("директор@школа.рф", "help@school.example")


def test_cp1251_raw_address_header() -> None:
    raw = b"From: " + "Мама <мама@почта.рф>".encode("cp1251") + b"\n\nhi\n"
    assert parse(raw).from_addr == "мама@почта.рф"


def test_first_address_skips_unusable_ones() -> None:
    assert first_address(["undisclosed-recipients:;", "Ivan <IVAN@mail.example>"]) == (
        "Ivan", "ivan@mail.example")
    assert first_address([]) == ("", "")


def test_display_name_with_encoded_comma() -> None:
    # «Иванова, Мария» encoded: the comma must not split the address list.
    parsed = parse(mail("From: =?utf-8?B?0JjQstCw0L3QvtCy0LAsINCc0LDRgNC40Y8=?= <m@mail.example>"))
    assert (parsed.from_name, parsed.from_addr) == ("Иванова, Мария", "m@mail.example")


def test_delivery_status_part_is_readable() -> None:
    parsed = parse((FIXTURES / "bounce-postfix-dsn.eml").read_bytes())
    status = [a for a in parsed.attachments if a.content_type == "message/delivery-status"]
    assert len(status) == 1
    assert status[0].filename == "delivery-status.txt"
    text = status[0].data.decode()
    assert "Final-Recipient:" in text and "Status:" in text and status[0].size > 50


def test_rfc822_headers_part_is_named() -> None:
    parsed = parse((FIXTURES / "bounce-yandex-ru.eml").read_bytes())
    names = {a.content_type: a.filename for a in parsed.attachments}
    assert names["text/rfc822-headers"] == "original-headers.txt"
    assert names["message/delivery-status"] == "delivery-status.txt"


@pytest.mark.parametrize(
    "head",
    [
        "Return-Path: <>\nFrom: <>\nSubject: Undelivered Mail Returned to Sender",
        "From: MAILER-DAEMON\nSubject: failure notice",
        "From: Mail Delivery System\nSubject: Mail delivery failed: returning message to sender",
        "From: Mail Delivery Subsystem\nAuto-Submitted: auto-replied\nSubject: x",
    ],
)
def test_machine_mail_without_address(head: str) -> None:
    body = "This message was created automatically by mail delivery software."
    parsed = parse(mail(head, body))
    assert parsed.from_addr == ""


def test_person_without_address_is_still_an_error() -> None:
    with pytest.raises(MailError, match="no usable From address"):
        parse(mail("From: Мама\nSubject: Оценки"))
    with pytest.raises(MailError, match="no usable From address"):
        parse(mail("From: noreply\nSubject: Оценки"))
