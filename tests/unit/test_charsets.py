"""Charset recovery for Russian mail: bodies and headers with missing or wrong labels.

Every Russian input is encoded here with the real codec, the way a mailer would send it, and
the test checks that the original text comes back.
"""

from __future__ import annotations

import base64
import codecs
import email
import email.header
import quopri
import random
from email.message import Message

import pytest

from mailbot.reading.charset_names import normalize_charset
from mailbot.reading.charsets import best_codec, decode_bytes
from mailbot.reading.header_text import decode_header_value, decode_param_value
from mailbot.reading.plausibility import cyrillic_score, plausibility

# Bodies by different writers: a parent, a teacher, a 1C robot, a hurried phone user with typos.
BODIES = [
    "Здравствуйте, не могу войти в электронный дневник",
    (
        "Добрый день! Подскажите, пожалуйста, почему у сына не отображаются оценки за "
        "третью четверть? В приложении «Моя школа» всё пусто, а на сайте есть."
    ),
    (
        "Уважаемые коллеги!\nНапоминаю, что КТП по истории нужно загрузить до пятницы.\n"
        "С уважением,\nЗавуч Смирнова Е.В."
    ),
    "ВЫГРУЗКА ЗАВЕРШЕНА. Отчёт сформирован автоматически, отвечать на него не нужно.",
    (
        "здраствуйте у меня ребенок перешел из другой школы и я его не вижу в дневнике "
        "помогите пожалусто"
    ),
    (
        "Муж не может зайти через Госуслуги, пишет что учётная запись не подтверждена. "
        "СМС с кодом не приходит уже третий день!!!"
    ),
    "Прошу исправить отметку: 12.03 у Иванова Пети стоит «н», хотя он был на уроке.",
]

# (real charset of the bytes, label the mail carried)
MISLABELS = [
    ("koi8_r", None),
    ("koi8_r", "us-ascii"),
    ("koi8_r", "iso-8859-1"),
    ("koi8_r", "utf-8"),
    ("koi8_r", "windows-1251"),
    ("cp1251", None),
    ("cp1251", "us-ascii"),
    ("cp1251", "iso-8859-1"),
    ("cp1251", "utf-8"),
    ("cp1251", "koi8-r"),
    ("cp866", None),
    ("cp866", "windows-1251"),
    ("cp866", "koi8-r"),
    ("utf-8", None),
    ("utf-8", "windows-1251"),
    ("utf-8", "koi8-r"),
    ("utf-8", "iso-8859-1"),
]


def _encodable(text: str, codec: str) -> bool:
    """koi8-r and cp866 have no «» and no ё-less fallbacks: such mail cannot exist."""
    try:
        text.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize(
    ("text", "codec", "label"),
    [(t, c, lb) for t in BODIES for c, lb in MISLABELS if _encodable(t, c)],
)
def test_body_survives_wrong_or_missing_label(text: str, codec: str, label: str | None) -> None:
    assert decode_bytes(text.encode(codec), label) == text


@pytest.mark.parametrize(
    ("text", "codec"),
    [(t, c) for t in BODIES for c in ("koi8_r", "cp1251", "cp866", "utf-8") if _encodable(t, c)],
)
def test_correct_label_is_kept(text: str, codec: str) -> None:
    assert decode_bytes(text.encode(codec), codec) == text


# Two- and three-word subjects: too short for generic charset guessers.
SHORT = [
    "Оценки ребёнка",
    "Не работает",
    "Вопрос по КТП",
    "Пароль",
    "Срочно!",
    "Жалоба на учителя",
    "Домашнее задание",
    "Годовые оценки",
    "нет доступа",
    "Счёт",
]


@pytest.mark.parametrize(
    ("codec", "label"),
    [
        ("koi8_r", "windows-1251"),
        ("koi8_r", None),
        ("koi8_r", "iso-8859-1"),
        ("koi8_r", "utf-8"),
        ("cp1251", "koi8-r"),
        ("cp1251", None),
        ("cp1251", "us-ascii"),
    ],
)
@pytest.mark.parametrize("text", SHORT)
def test_short_subject_text_with_wrong_label(text: str, codec: str, label: str | None) -> None:
    assert decode_bytes(text.encode(codec), label) == text


@pytest.mark.parametrize("codec", ["cp1251", "koi8-r"])
@pytest.mark.parametrize(
    "text", ["ВМЕСТО ОТМЕТКИ", "ОБЪЕКТ", "ТЕКСТ ПЕРЕД УРОКОМ", "СРОЧНО", "ЭЖ", "ОГЭ", "СНИЛС"]
)
def test_correct_label_wins_for_ambiguous_capitals(text: str, codec: str) -> None:
    # Capitals read with the koi8-r/cp1251 twin give plausible lower-case letters
    # ("ОБЪЕКТ" -> "назейр"); the declared label must settle such a tie.
    assert decode_bytes(text.encode(codec), codec) == text


@pytest.mark.parametrize("label", [None, "us-ascii", "utf-8", "koi8-r", "windows-1251", "bogus"])
def test_pure_ascii_is_left_alone(label: str | None) -> None:
    text = "Re: Login problem, error 403 at https://school.example/login?x=1"
    assert decode_bytes(text.encode("ascii"), label) == text


WESTERN = [
    "Sehr geehrte Damen und Herren, vielen Dank für Ihre Grüße aus München.",
    "Größe: 5 cm, Preis: 12,50 €",
    "Merci beaucoup, à bientôt ! Café crème, très bien.",
    "Straße",
]


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (t, lb)
        for t in WESTERN
        for lb in ("iso-8859-1", "windows-1252", "latin1")
        if _encodable(t, lb)
    ],
)
def test_western_text_with_correct_label_stays_western(text: str, label: str) -> None:
    assert decode_bytes(text.encode(label), label) == text


def test_unlabelled_german_is_not_turned_into_cyrillic() -> None:
    text = "Vielen Dank für die schnelle Antwort, mit freundlichen Grüßen"
    assert decode_bytes(text.encode("cp1252"), None) == text


def test_utf8_labelled_as_one_byte_charset_is_read_as_utf8() -> None:
    text = "Ошибка 500 при входе в ЭПОС — помогите"
    for label in ("windows-1251", "koi8-r", "iso-8859-1", "cp866"):
        assert decode_bytes(text.encode("utf-8"), label) == text


def test_utf8_with_one_broken_byte_keeps_the_rest() -> None:
    text = "Добрый день! Не приходит код подтверждения. "
    data = text.encode() * 3 + b"\xff" + text.encode()
    result = decode_bytes(data, "utf-8")
    assert result.count("\ufffd") == 1
    assert result.replace("\ufffd", "") == text * 4


def test_mixed_russian_and_english_body() -> None:
    text = "Логин: ivanova.m@school59.ru, браузер Chrome 120, Windows 10. Пароль не подходит."
    for codec, label in (("koi8_r", "us-ascii"), ("cp1251", "iso-8859-1")):
        assert decode_bytes(text.encode(codec), label) == text


def test_large_body_is_judged_from_a_sample() -> None:
    text = "Прошу проверить оценки в журнале 7А класса за вторую четверть. " * 4000
    data = text.encode("koi8_r")
    assert decode_bytes(data, "iso-8859-1") == text


def test_word_glued_to_a_huge_data_uri_decides_the_charset() -> None:
    image = base64.b64encode(bytes(range(256)) * 400)
    data = b'<img src="data:image/png;base64,' + image + b'">' + "Привет".encode("koi8-r")
    assert decode_bytes(data, None).endswith('">Привет')


def test_non_ascii_compatible_declared_charset_is_used() -> None:
    text = "Привет из UTF-16"
    assert decode_bytes(text.encode("utf-16"), "utf-16") == text


def test_empty_and_junk_never_raise() -> None:
    assert decode_bytes(b"", "koi8-r") == ""
    rng = random.Random(20260401)
    labels = [None, "", "utf-8", "koi8-r", "x-unknown", "base64", "utf-16", '"windows-1251"', "?"]
    for _ in range(300):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 60)))
        for label in labels:
            assert isinstance(decode_bytes(data, label), str)


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("windows-1251", "cp1251"),
        ("Windows-1251", "cp1251"),
        ("cp-1251", "cp1251"),
        ("win-1251", "cp1251"),
        ("x-cp1251", "cp1251"),
        ("koi8r", "koi8_r"),
        ("KOI8-R", "koi8_r"),
        ('"koi8-r"', "koi8_r"),
        ("koi8-r*ru", "koi8_r"),
        ("utf-8" + " " * 200, "utf_8"),
        ("utf8", "utf_8"),
        ("UTF-8", "utf_8"),
        ("unicode-1-1-utf-8", "utf_8"),
        ("ibm866", "cp866"),
        ("us-ascii", "ascii"),
        ("iso-8859-1", "latin_1"),
    ],
)
def test_normalize_charset_aliases(label: str, codec: str) -> None:
    assert normalize_charset(label) == codecs.lookup(codec).name


@pytest.mark.parametrize("label", [None, "", "unknown-8bit", "x-unknown", "nonsense-42", "base64",
                                   "koi8" * 250_000, "koi8-r" + "-" * 1_000_000])
def test_normalize_charset_rejects_unusable_labels(label: str | None) -> None:
    assert normalize_charset(label) is None


def test_scores_rank_the_right_reading_first() -> None:
    text = "Не вижу второго ребёнка в приложении"
    data = text.encode("koi8_r")
    right = plausibility(data.decode("koi8_r"))
    for wrong in ("cp1251", "cp866", "latin-1"):
        assert right > plausibility(data.decode(wrong)) + 0.3
    assert best_codec(data, "windows-1251") == codecs.lookup("koi8-r").name
    assert cyrillic_score(text) == 1.0
    assert cyrillic_score("Hello") == 0.0
    assert cyrillic_score("ЭЖ login") == pytest.approx(2 / 7)


# ----------------------------------------------------------------------------- headers


def _b(text: str, codec: str, label: str | None = None) -> str:
    payload = base64.b64encode(text.encode(codec)).decode("ascii")
    return f"=?{label or codec}?B?{payload}?="


def _q(text: str, codec: str, label: str | None = None) -> str:
    payload = quopri.encodestring(text.encode(codec), header=True).decode("ascii")
    return f"=?{label or codec}?Q?{payload}?="


def test_adjacent_koi8_b_words_are_joined() -> None:
    value = _b("Не могу ", "koi8-r") + " " + _b("войти в дневник", "koi8-r")
    assert decode_header_value(value) == "Не могу войти в дневник"


def test_folded_encoded_words_and_whitespace() -> None:
    value = _b("Заявка на ", "koi8-r") + "\r\n\t" + _b("восстановление доступа", "koi8-r")
    assert decode_header_value(value) == "Заявка на восстановление доступа"
    assert decode_header_value("Re:  Fwd:\r\n   проверка   связи ") == "Re: Fwd: проверка связи"


def test_windows_1251_q_word_with_ascii_around() -> None:
    value = "Re: " + _q("Оценки за четверть", "cp1251", "windows-1251") + " (7Б)"
    assert decode_header_value(value) == "Re: Оценки за четверть (7Б)"


def test_mixed_charsets_in_one_header() -> None:
    value = _b("Иванова Мария", "koi8-r") + " " + _q("Сергеевна", "utf-8") + " <m@example.ru>"
    assert decode_header_value(value) == "Иванова МарияСергеевна <m@example.ru>"


@pytest.mark.parametrize(
    ("codec", "label"),
    [("koi8_r", "windows-1251"), ("cp1251", "koi8-r"), ("koi8_r", "us-ascii"), ("cp1251", "utf-8")],
)
def test_mislabelled_encoded_word(codec: str, label: str) -> None:
    for subject in ("Оценки ребёнка", "Не работает дневник", "Жалоба"):
        assert decode_header_value(_b(subject, codec, label)) == subject
        assert decode_header_value(_q(subject, codec, label)) == subject


def test_utf8_character_split_across_two_words() -> None:
    data = "Привет, школа".encode()
    first = base64.b64encode(data[:5]).decode()  # ends inside the two bytes of "е"
    second = base64.b64encode(data[5:]).decode()
    value = f"=?UTF-8?B?{first}?= =?utf-8?B?{second}?="
    assert decode_header_value(value) == "Привет, школа"


def test_lowercase_encoding_letter_and_missing_padding() -> None:
    payload = base64.b64encode("Пример".encode("koi8-r")).decode().rstrip("=")
    assert decode_header_value(f"=?koi8-r?b?{payload}?=") == "Пример"


def _message(raw_headers: bytes) -> Message:
    return email.message_from_bytes(raw_headers + b"\r\n\r\nbody\r\n")


@pytest.mark.parametrize("codec", ["cp1251", "koi8_r", "utf-8"])
def test_raw_8bit_subject_through_compat32(codec: str) -> None:
    subject = "Не могу войти в ЭЖ, помогите"
    msg = _message(b"Subject: " + subject.encode(codec) + b"\r\nFrom: a@example.ru")
    assert decode_header_value(msg["Subject"]) == subject


def test_raw_8bit_header_with_an_encoded_word_inside() -> None:
    raw = b"Subject: Re: " + "Оценки".encode("cp1251") + b" " + _b("за год", "utf-8").encode()
    assert decode_header_value(_message(raw)["Subject"]) == "Re: Оценки за год"


def test_raw_8bit_from_header_keeps_address() -> None:
    raw = b'From: "' + "Петров Иван".encode("koi8_r") + b'" <petrov@mail.example>'
    assert decode_header_value(_message(raw)["From"]) == '"Петров Иван" <petrov@mail.example>'


def test_header_given_as_bytes() -> None:
    assert decode_header_value("Тема: журнал".encode("cp1251")) == "Тема: журнал"


def test_header_object_built_by_code() -> None:
    header = email.header.Header("Расписание на завтра", "koi8-r")
    assert decode_header_value(header) == "Расписание на завтра"


def test_latin1_mojibake_string_is_recovered_but_real_latin1_kept() -> None:
    mojibake = "Оценки за четверть".encode("cp1251").decode("latin-1")
    assert decode_header_value(mojibake) == "Оценки за четверть"
    assert decode_header_value("Grüße aus Köln") == "Grüße aus Köln"
    assert decode_header_value("Привет") == "Привет"


def test_broken_headers_never_raise() -> None:
    rng = random.Random(7)
    pieces = ["=?", "?=", "?B?", "?Q?", "koi8-r", "utf-8", "x", "=D0", "\udcf0", "\r\n ", "ЖЖ"]
    for _ in range(500):
        value = "".join(rng.choice(pieces) for _ in range(rng.randrange(12)))
        assert isinstance(decode_header_value(value), str)
    assert decode_header_value(None) == ""
    assert decode_header_value("=?unknown-charset?B?!!!?=") == ""


def test_rfc2231_attachment_name() -> None:
    msg = _message(
        b"Content-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=koi8-r''%F7%C5%C4%CF%CD%CF%D3%D4%D8.pdf"
    )
    value = msg.get_param("filename", header="content-disposition")
    assert decode_param_value(value) == "Ведомость.pdf"


def test_rfc2231_attachment_name_with_wrong_charset() -> None:
    raw = "Отчёт 5А.xlsx".encode("cp1251").decode("latin-1")
    assert decode_param_value(("utf-8", "", raw)) == "Отчёт 5А.xlsx"


def test_attachment_name_as_encoded_word() -> None:
    assert decode_param_value(_b("Справка.docx", "koi8-r", "windows-1251")) == "Справка.docx"
