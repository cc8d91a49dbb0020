"""Cyrillic addresses (.рф domains, UTF-8 local parts) through real servers: read, stored,
answered — over SMTPUTF8 where the server offers it, with a clear failure where it does not."""

from __future__ import annotations

from mailbot.adapters.transport import Item, Result, SmtpTransport
from mailbot.config import Smtp
from tests.integration.mailflow import case_row, deliver
from tests.servers import SmtpCapture


def _mail(from_header: str, message_id: str) -> bytes:
    """Raw 8-bit mail as an SMTPUTF8 client sends it: UTF-8 straight in the headers."""
    return (f"From: {from_header}\r\nTo: help@school.example\r\n"
            f"Subject: Не могу войти в дневник\r\nMessage-ID: <{message_id}>\r\n"
            "Date: Mon, 23 Nov 2026 10:00:00 +0500\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            "Здравствуйте! Не могу войти в электронный дневник через Госуслуги.\r\n"
            ).encode()


def _acks(desk) -> list:  # type: ignore[no-untyped-def, type-arg]
    return [m for m in desk.smtp.messages if b".ack." in m.data.split(b"Message-ID:")[1][:80]]


def test_a_utf8_address_is_read_stored_and_answered_over_smtputf8(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, _mail("Мама Софии <Мама@Почта.РФ>", "c1@xn--80a1acny.xn--p1ai"))
    assert case_row(desk).requester_addr == "мама@почта.рф"
    desk.send()
    (ack,) = _acks(desk)
    # The local part in UTF-8 (SMTPUTF8), the domain in its xn-- form, which every server takes.
    assert ack.rcpt_tos == ("мама@xn--80a1acny.xn--p1ai",) and "SMTPUTF8" in ack.mail_options
    assert "<мама@xn--80a1acny.xn--p1ai>".encode() in ack.data.split(b"\r\n\r\n")[0]


def test_a_cyrillic_domain_with_a_latin_name_needs_no_smtputf8(desk) -> None:  # type: ignore[no-untyped-def]
    deliver(desk, _mail("Olga <olga@школа.рф>", "c2@mail.example"))
    assert case_row(desk).requester_addr == "olga@школа.рф"
    desk.send()
    (ack,) = _acks(desk)
    assert ack.rcpt_tos == ("olga@xn--80atdl2c.xn--p1ai",)
    assert "SMTPUTF8" not in ack.mail_options


def test_a_server_without_smtputf8_refuses_clearly() -> None:
    with SmtpCapture(smtputf8=False) as server:
        transport = SmtpTransport(Smtp(kind="smtp", host=server.host, port=server.port,
                                       security="none", timeout=10))
        results: list[Result] = []
        items = [Item(1, "help@school.example", ["мама@почта.рф"], b"Subject: x\r\n\r\nx\r\n"),
                 Item(2, "help@school.example", ["papa@xn--80a1acny.xn--p1ai"],
                      b"Subject: y\r\n\r\ny\r\n")]
        transport.send(items, lambda item, result: results.append(result))
        assert results[0].status == "permanent" and "SMTPUTF8" in results[0].detail
        assert results[1].status == "sent"
        assert [m.rcpt_tos for m in server.messages] == [("papa@xn--80a1acny.xn--p1ai",)]
