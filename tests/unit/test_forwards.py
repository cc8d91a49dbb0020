"""Finding the original sender of a forwarded mail: every fixture in tests/fixtures/forwards
(real client formats, charsets and encodings), then the rules one by one on small texts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailbot.reading.forwards import Forwarded, find_forwarded
from mailbot.reading.parsing import ParsedMail, parse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "forwards"
EXPECTED: dict[str, dict] = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))


def load(name: str) -> ParsedMail:
    return parse((FIXTURES / name).read_bytes())


def forwarded_in(mail: ParsedMail, **kw: str) -> Forwarded | None:
    attachments = [(a.content_type, a.data) for a in mail.attachments]
    return find_forwarded(mail.text, mail.html, attachments, **kw)


# --------------------------------------------------------------------------- the fixture set


def test_fixture_set_is_complete_and_varied() -> None:
    files = {p.name for p in FIXTURES.glob("*.eml")}
    assert files == set(EXPECTED)
    assert len(files) >= 25
    forwards = [n for n, e in EXPECTED.items() if e["forwarded"]]
    assert len(forwards) >= 20 and len(files) - len(forwards) >= 5
    raw = b"".join((FIXTURES / n).read_bytes().lower() for n in files)
    for needle in (b"koi8-r", b"windows-1251", b"quoted-printable", b"base64",
                   b"message/rfc822", b"\r\n"):
        assert needle in raw, needle
    html_only = [n for n in files if load(n).text_from_html]
    assert len(html_only) >= 5


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture(name: str) -> None:
    mail = load(name)
    want = EXPECTED[name]["forwarded"]
    got = forwarded_in(mail, subject=mail.subject)
    if want is None:
        assert got is None, EXPECTED[name]["why"]
        return
    assert got is not None, EXPECTED[name]["why"]
    assert (got.name, got.addr, got.subject) == (want["name"], want["addr"], want["subject"])
    assert got.comment == want["comment"]
    for phrase in want["text_contains"]:
        assert phrase in got.text
    for phrase in want["text_excludes"]:
        assert phrase not in got.text
    assert got.text == got.text.strip() and got.comment == got.comment.strip()


BOTH_PARTS = ["gmail-ru-alternative-qp.eml", "ios-ru-nachalo-peresylannogo.eml",
              "thunderbird-ru-perenapravlennoe.eml", "yandex-web-pereadresovannoe.eml"]


@pytest.mark.parametrize("name", BOTH_PARTS)
def test_the_html_part_alone_gives_the_same_sender(name: str) -> None:
    mail = load(name)
    want = EXPECTED[name]["forwarded"]
    got = find_forwarded("", mail.html)
    assert got is not None
    assert (got.name, got.addr, got.subject) == (want["name"], want["addr"], want["subject"])
    assert want["text_contains"][0] in got.text


def test_plain_text_is_read_before_html() -> None:
    # The HTML part of this mail holds only the comment; the text part has the forward.
    mail = load("gmail-en-forwarded-message-base64.eml")
    assert find_forwarded("", mail.html) is None
    found = forwarded_in(mail)
    assert found is not None and found.addr == "d.volkov@gmail.example"


def test_an_outlook_reply_is_told_from_a_forward_only_by_the_subject() -> None:
    mail = load("not-outlook-reply-original-message.eml")
    assert mail.subject.startswith("RE:")
    assert forwarded_in(mail, subject=mail.subject) is None
    without = forwarded_in(mail)  # the same block, nothing says it is a reply
    assert without is not None and without.addr == "nikitina.op@school.example"


# --------------------------------------------------------------------------- attachments

INNER = (
    "From: =?koi8-r?B?68/Xwcyj18E=?= <Kovaleva@Mail.Example>\n"
    "Subject: =?windows-1251?Q?=CF=E0=F0=EE=EB=FC?=\n"
    "Content-Type: text/plain; charset=utf-8\n\n"
    "Не могу войти.\n"
).encode()


def test_attached_message_decodes_its_headers() -> None:
    found = find_forwarded("Пересылаю.", attachments=[("Message/RFC822", INNER)])
    assert found == Forwarded("Ковалёва", "kovaleva@mail.example", "Пароль", "Не могу войти.",
                              "Пересылаю.")


def test_html_comment_when_there_is_no_text_part() -> None:
    found = find_forwarded("", "<p>Посмотрите <b>вложение</b></p>", [("message/rfc822", INNER)])
    assert found is not None and found.comment == "Посмотрите вложение"


@pytest.mark.parametrize("bad", [b"", b"\x00\xff garbage", b"Subject: no sender\n\ntext\n"])
def test_an_unusable_attachment_falls_back_to_the_inline_block(bad: bytes) -> None:
    text = ("См. ниже\n\n-------- Пересылаемое сообщение --------\n"
            "От: Орлова Г. <orlova@mail.example>\n\nТекст\n")
    found = find_forwarded(text, attachments=[("message/rfc822", bad), ("image/png", b"\x89P")])
    assert found is not None and found.addr == "orlova@mail.example"
    assert find_forwarded("Просто письмо", attachments=[("message/rfc822", bad)]) is None


def test_other_attachments_are_ignored() -> None:
    assert find_forwarded("", attachments=[("application/octet-stream", INNER)]) is None


# --------------------------------------------------------------------------- markers

BODY = "\n\nЗдравствуйте! Не вижу оценки.\n"


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",
        "---------- Пересылаемое сообщение ---------",
        "-------- Пересылаемое сообщение--------",
        "-------- Пересланное сообщение --------",
        "-------- Перенаправленное сообщение --------",
        "-------- Forwarded Message --------",
        "-------- Начало пересылаемого сообщения --------",
        "-------- Начало переадресованного сообщения --------",
        "-----Original Message-----",
        "-----Исходное сообщение-----",
        "-------- Оригинальное сообщение --------",
        "________________________________",
        "Begin forwarded message:",
        "Начало пересланного сообщения:",
        "Начало переадресованного сообщения:",
    ],
)
def test_forward_markers(marker: str) -> None:
    text = f"Коммент\n\n{marker}\nОт: Мария Иванова <m.ivanova@mail.example>\nТема: Оценки{BODY}"
    found = find_forwarded(text)
    assert found is not None
    assert (found.name, found.addr, found.subject) == ("Мария Иванова", "m.ivanova@mail.example",
                                                       "Оценки")
    assert found.text == "Здравствуйте! Не вижу оценки." and found.comment == "Коммент"


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Четверг, 9 апреля 2026, 17:30 +05:00 от Рустам Галиев <galiev@mail.example>:",
         "Рустам Галиев"),
        ('04.05.2026, 18:58, "Еремеева Наталья" <galiev@mail.example>:', "Еремеева Наталья"),
        ("04.05.2026, 18:58, Еремеева Наталья <galiev@mail.example>:", "Еремеева Наталья"),
        ('25.04.2026, 12:00, "МАОУ СОШ № 22" <galiev@mail.example>:', "МАОУ СОШ № 22"),
        ("04.05.2026, 18:58, galiev@mail.example:", ""),
    ],
)
def test_one_line_headers(header: str, name: str) -> None:
    text = f"-------- Пересылаемое сообщение --------\n{header}{BODY}"
    found = find_forwarded(text)
    assert found is not None and (found.name, found.addr) == (name, "galiev@mail.example")
    assert found.subject == "" and found.text == "Здравствуйте! Не вижу оценки."


def test_one_line_header_wrapped_inside_the_address() -> None:
    text = ("-------- Пересылаемое сообщение --------\n"
            "Четверг, 9 апреля 2026, 17:30 +05:00 от Рустам Галиев\n"
            "<galiev@mail.example>:" + BODY)
    found = find_forwarded(text)
    assert found is not None and found.name == "Рустам Галиев"
    assert found.text == "Здравствуйте! Не вижу оценки."


@pytest.mark.parametrize(
    ("value", "name", "addr"),
    [
        ("Иванова Мария [mailto:M.Ivanova@mail.example] ", "Иванова Мария",
         "m.ivanova@mail.example"),
        ("Служба поддержки [help@mail.example]", "Служба поддержки", "help@mail.example"),
        ('"Иванова, Мария" <m@mail.example>', "Иванова, Мария", "m@mail.example"),
        ("«Моя школа» <noreply@myschool.example>", "Моя школа", "noreply@myschool.example"),
        ("Администратор ЭЖ МАОУ «СОШ № 12» <admin@school.example>",
         "Администратор ЭЖ МАОУ «СОШ № 12»", "admin@school.example"),
        ("m@mail.example", "", "m@mail.example"),
        ("<m@mail.example>", "", "m@mail.example"),
        ("m@mail.example <m@mail.example>", "", "m@mail.example"),
        ("Help Desk On Behalf Of Школа № 5 <info@school.example>", "Школа № 5",
         "info@school.example"),
        ("=?utf-8?B?0JzQsNGA0LjRjw==?= <m@mail.example>", "Мария", "m@mail.example"),
        ("Мария <m@почта.рф>", "Мария", "m@почта.рф"),
    ],
)
def test_from_values(value: str, name: str, addr: str) -> None:
    text = (f"Коммент\n-----Original Message-----\nFrom: {value}\nSent: Monday, April 6, 2026"
            f"\nSubject: x{BODY}")
    found = find_forwarded(text)
    assert found is not None and (found.name, found.addr) == (name, addr)


def test_fields_in_any_order_wrapped_and_with_tabs_or_cells() -> None:
    text = ("-------- Forwarded Message --------\n"
            "Subject: \tОценки\n"
            "Date: | Wed, 25 Nov 2026 18:02:10 +0500\n"
            "To: a@school.example, b@school.example,\n"
            "    c@school.example\n"
            "From: | Бушуева Светлана <bushueva@mail.example>\n"
            "Cc: d@school.example" + BODY)
    found = find_forwarded(text)
    assert found is not None and found.addr == "bushueva@mail.example"
    assert found.subject == "Оценки" and found.text == "Здравствуйте! Не вижу оценки."


def test_outlook_field_block_without_a_rule() -> None:
    text = ("Коллеги, посмотрите.\n\nFrom: Mark Evans <mark@mail.example>\n"
            "Sent: Saturday, April 4, 2026 8:15 PM\nTo: Sarah Lee\nSubject: Diary" + BODY)
    found = find_forwarded(text)
    assert found is not None and (found.addr, found.subject) == ("mark@mail.example", "Diary")
    assert found.comment == "Коллеги, посмотрите."
    assert find_forwarded(text, subject="RE: Diary") is None
    assert find_forwarded(text, subject="Отв: Diary") is None
    assert find_forwarded(text, subject="FW: Diary") is not None


def test_a_definite_forward_marker_counts_even_under_a_reply_subject() -> None:
    text = "---------- Forwarded message ---------\nFrom: A <a@mail.example>" + BODY
    assert find_forwarded(text, subject="Re: Fwd: оценки") is not None


def test_the_text_of_a_quoted_forward_loses_one_quote_level_only() -> None:
    text = ("Начало пересланного сообщения:\n\n> От: Мария <m@mail.example>\n> Тема: Оценки\n>\n"
            "> Здравствуйте!\n> > старая цитата\n> Мария\n\nОтправлено с iPhone\n")
    found = find_forwarded(text)
    assert found is not None
    assert found.text == "Здравствуйте!\n> старая цитата\nМария"


def test_a_quoted_forward_that_opens_its_quote_counts() -> None:
    text = ("Forwarding.\n\n> Begin forwarded message:\n>\n> From: Sarah <s@mail.example>\n"
            "> Subject: Homework\n>\n> Hello!\n")
    found = find_forwarded(text)
    assert found is not None and (found.addr, found.text) == ("s@mail.example", "Hello!")


@pytest.mark.parametrize(
    "text",
    [
        # A reply header introduces the quote that holds the forward.
        ("Спасибо!\n\nпн, 13 апр. 2026 г. в 19:42, Служба <help@school.example>:\n"
         "> ---------- Forwarded message ---------\n> From: A <a@mail.example>\n>\n> Текст\n"),
        # The forward sits in the middle of quoted history.
        ("Спасибо!\n\n> Ответ службы.\n> -------- Пересылаемое сообщение --------\n"
         "> От: A <a@mail.example>\n>\n> Текст\n"),
    ],
)
def test_a_forward_inside_reply_history_is_not_a_forward(text: str) -> None:
    assert find_forwarded(text) is None


def test_forward_of_a_forward_takes_the_outermost_block() -> None:
    text = ("Смотрите цепочку.\n\n---------- Forwarded message ---------\n"
            "From: Классный руководитель <teacher@school.example>\nSubject: Fwd: оценки\n\n"
            "Передаю.\n\n---------- Forwarded message ---------\n"
            "From: Родитель <parent@mail.example>\nSubject: оценки\n\nНе вижу оценки.\n")
    found = find_forwarded(text)
    assert found is not None and found.addr == "teacher@school.example"
    assert found.text.startswith("Передаю.") and "parent@mail.example" in found.text


def test_end_marker_and_trailing_rule_are_cut() -> None:
    text = ("-------- Пересылаемое сообщение --------\nОт: A <a@mail.example>\n\nТекст\n"
            "-------- Конец пересылаемого сообщения --------\n\n--\nПодпись пересылающего\n")
    found = find_forwarded(text)
    assert found is not None and found.text == "Текст"
    text = "-------- Пересылаемое сообщение --------\nОт: A <a@mail.example>\n\nТекст\n\n"
    found = find_forwarded(text + "-" * 40)
    assert found is not None and found.text == "Текст"


def test_empty_forwarded_text() -> None:
    found = find_forwarded("-------- Пересылаемое сообщение --------\nОт: A <a@mail.example>\n")
    assert found is not None
    assert (found.addr, found.text, found.comment) == ("a@mail.example", "", "")


# --------------------------------------------------------------------------- not forwards


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n",
        "Здравствуйте! Не вижу оценки в дневнике.",
        "Учитель переслала мне пересылаемое сообщение, от: кого не знаю.\nТема: оценки",
        # A marker with no header, or a header with no address.
        "-------- Пересылаемое сообщение --------\nЗдравствуйте, вот текст.\n",
        "-----Исходное сообщение-----\nОт: Иванова Мария\nОтправлено: 6 апреля\nТема: x\n\nТекст",
        ("-------- Пересылаемое сообщение --------\nПонедельник, 27 апреля 2026, 9:00 +05:00 "
         "от Администрация школы:\n\nЗавтра сокращённые уроки."),
        # A rule of dashes in a signature is not Outlook's rule.
        "Спасибо!\n" + "-" * 40 + "\nС уважением, Орлова",
        "Четверг, 9 апреля 2026, 17:30 +05:00 от Служба <help@school.example>:\n> Текст\n",
    ],
)
def test_not_forwards(text: str) -> None:
    assert find_forwarded(text) is None


def test_odd_input_is_not_a_forward() -> None:
    # Thousands of header-like lines; the speed of this is in benchmarks/, not here.
    assert find_forwarded("From: A <a@mail.example>\n" * 5000) is None
    assert find_forwarded("> -------- Пересылаемое сообщение --------\n" * 5000) is None
