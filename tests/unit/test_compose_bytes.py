"""compose.build's shortcuts give the bytes the email package would give."""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from email.generator import BytesGenerator
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from io import BytesIO

import pytest

from mailbot.outgoing import compose

ALPHABET = "ab;, \t=<>@.\"()-:?" + "xyz" * 3
WORD = ALPHABET.replace(" ", "").replace("\t", "")
WORDS = ("Здравствуйте", "Re:", "[ЭЖ #12]", "не", "открывается", "дневник", "school", "—",
         "ученика", "5А", "«кавычки»", "a" * 40, "", "  ", "ё", "Fwd:", ";", ",")


def test_base64_lines_are_encodebytes() -> None:
    rng = random.Random(3)
    for size in [*range(200), 57 * 10, 57 * 10 + 1, 5000]:
        data = rng.randbytes(size)
        assert compose.base64_lines(data) == base64.encodebytes(data)
        assert compose.base64_lines(data, b"\r\n") == base64.encodebytes(data).replace(
            b"\n", b"\r\n")


def test_a_header_written_unfolded_is_what_compat32_writes() -> None:
    rng = random.Random(14)
    policy = compose.SMTP_COMPAT
    checked = 0
    for _ in range(20000):
        name = rng.choice(("To", "Message-ID", "X-Mailbot-Loop", "Content-Transfer-Encoding"))
        value = "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 90)))
        if compose.unfolded(name, value, policy.max_line_length):
            checked += 1
            assert f"{name}: {value}\r\n".encode() == policy.fold_binary(name, value), value
    assert checked > 3000


def test_a_header_that_needs_folding_or_encoding_is_left_to_compat32() -> None:
    limit = compose.SMTP_COMPAT.max_line_length
    assert not compose.unfolded("Subject", "Привет", limit)
    assert not compose.unfolded("To", "a" * 80, limit)
    assert not compose.unfolded("To", "a\tb", limit)
    assert not compose.unfolded("To", "trailing ", limit)
    assert not compose.unfolded("To", "", limit)
    assert compose.unfolded("To", "a" * (limit - 4), limit)


def _words(rng: random.Random, most: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randrange(most + 1)))


def _text(rng: random.Random) -> str:
    lines = [_words(rng, 12) for _ in range(rng.randrange(0, 40))]
    return rng.choice(("\n", "\r\n", "\n\n")).join(lines) + rng.choice(("", "\n"))


def _reference(boundary: str, headers: dict[str, str], text: str, html: str) -> bytes:
    """The mail as the email package alone writes it: MIMEText parts, compat32 folding."""
    msg = MIMEMultipart("alternative", boundary=boundary)
    msg.attach(MIMEText(text, "plain", "utf-8"))
    msg.attach(MIMEText(html, "html", "utf-8"))
    for name, value in headers.items():
        msg[name] = Header(value, "utf-8", header_name=name) if name == "Subject" else value
    out = BytesIO()
    BytesGenerator(out, mangle_from_=False, policy=compose.SMTP_COMPAT).flatten(msg)
    return out.getvalue()


@pytest.mark.parametrize("seed", range(4))
def test_a_mail_without_attachments_is_what_the_email_package_writes(
    seed: int, monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(seed)
    for _ in range(150):
        boundary = compose._boundary()
        monkeypatch.setattr(compose, "_boundary", lambda b=boundary: b)
        sender = (rng.choice(("Служба помощи по электронному журналу", "Help", "")),
                  "help@school.example")
        to = [(rng.choice(("Надежда Павловна Иванова", "Anna", "", "О'Нил, Пётр")),
               rng.choice(("n.ivanova@school.example", "x@почта.рф")))
              for _ in range(rng.randrange(1, 3))]
        rendered = compose.Rendered(subject=_words(rng, 20), text=_text(rng), html=_text(rng))
        message_id = f"mailbot.{rng.randrange(10**6)}.{'notice' * rng.randrange(1, 4)}@x.example"
        in_reply_to = rng.choice(("", "q1@mail.example", "a" * 90 + "@mail.example"))
        references = tuple(f"r{i}.{'z' * rng.randrange(30)}@mail.example"
                           for i in range(rng.randrange(0, 14)))
        auto = rng.choice(("auto-replied", "auto-generated", ""))
        reply_to = rng.choice(("", "help+t.abc123@school.example"))
        date = datetime(2026, 12, 3, 6, tzinfo=UTC) + timedelta(minutes=rng.randrange(10**6))
        raw = compose.build(sender=sender, to=to, rendered=rendered, message_id=message_id,
                            date=date, loop_domain="school.example", in_reply_to=in_reply_to,
                            references=references, auto_submitted=auto, reply_to=reply_to)
        # The same headers in the same order, set on the email package's own classes.
        to_line = ", ".join(compose._address(n, a) for n, a in to)
        headers = {"From": compose._address(*sender)}
        if to_line.isascii():
            headers["To"] = to_line
        if reply_to:
            headers["Reply-To"] = compose._address(sender[0], reply_to)
        headers["Subject"] = compose.single_line(rendered.subject, 900)
        headers["Date"] = compose.format_datetime(date)
        headers["Message-ID"] = f"<{message_id}>"
        if in_reply_to:
            headers["In-Reply-To"] = f"<{in_reply_to}>"
        refs = [*references[-10:], in_reply_to] if in_reply_to else list(references[-10:])
        if refs:
            headers["References"] = " ".join(f"<{r}>" for r in dict.fromkeys(refs) if r)
        if auto:
            headers["Auto-Submitted"] = auto
        headers |= {"X-Auto-Response-Suppress": "All", compose.LOOP_HEADER: "school.example",
                    "Content-Language": "ru"}
        expected = _reference(boundary, headers, rendered.text, rendered.html)
        if not to_line.isascii():
            expected = b"To: " + to_line.encode() + b"\r\n" + expected
        assert raw == expected


def test_a_long_header_of_one_word_is_on_a_line_of_its_own_as_compat32_writes_it() -> None:
    rng = random.Random(15)
    policy = compose.SMTP_COMPAT
    checked = 0
    for _ in range(5000):
        name = rng.choice(("Message-ID", "In-Reply-To", "References"))
        value = "".join(rng.choice(WORD) for _ in range(rng.randrange(300)))
        if compose.unbroken(name, value, policy.max_line_length):
            checked += 1
            assert f"{name}: \r\n {value}\r\n".encode() == policy.fold_binary(name, value), value
    assert checked > 3000
    assert not compose.unbroken("Message-ID", "<a b>" * 30, policy.max_line_length)
    assert not compose.unbroken("Message-ID", "<short@x>", policy.max_line_length)


def test_an_attachment_is_what_the_email_package_encodes() -> None:
    from email import encoders
    from email.mime.base import MIMEBase

    rng = random.Random(16)
    for size in (0, 1, 56, 57, 58, 1000, 100_000):
        data = rng.randbytes(size)
        item = compose.FileAttachment("отчёт.pdf", "application/pdf", data)
        expected = MIMEBase("application", "pdf")
        expected.set_payload(data)
        encoders.encode_base64(expected)
        expected.add_header("Content-Disposition", "attachment",
                            filename=("utf-8", "", "отчёт.pdf"))
        assert compose._attachment(item).as_bytes() == expected.as_bytes()
