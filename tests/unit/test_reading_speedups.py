"""The shortcuts of the reading code give what the plain computations they replace give."""

from __future__ import annotations

import random
import re

import pytest

from mailbot.reading import charsets, header_text, mime_headers, quotes, signatures
from mailbot.reading.quote_markers import CLIENT_SIGNATURE_STARTS, is_client_signature
from mailbot.reading.signatures import split_signature

_PIECES = [
    "Отправлено с iPhone", "отправлено 😀с iPhone", "Sent from my Galaxy", "ſent from my iPhone",
    "(http://x.ru) Sent from my iPhone", "Отправ(http://a.b)лено с iPhone", "😀 Sent from Mail",
    "Получить Outlook для Android", "get Outlook for iOS", "Скачайте Outlook для iOS",
    "😀", "\u200d", "\ufe0f", "\u00a0", " ", "\t", "\x0b", "\x1c", "\u2028", "\x85", "\u3000",
    "P.S. не забудьте", "😀 P. S. ещё", "п.с. и ещё", "ЗЫ: вот", "p.p.s.", "Пожалуйста",
    "С уважением,", "Иванова Надежда Павловна", "учитель математики", "тел. 8-912-345-67-89",
    "--", "-- ", "-----", "Это сообщение конфиденциально", "Спасибо!", "https://school.ru",
    "Не могу войти в электронный дневник.", "", "", "\r",
]


def _random_texts(count: int) -> list[str]:
    rng = random.Random(7)
    texts = []
    for _ in range(count):
        lines = []
        for _ in range(rng.randint(1, 12)):
            parts = rng.randint(1, 3)
            lines.append("".join(rng.choice(_PIECES) + rng.choice(["", " ", "😀", "\u00a0"])
                                 for _ in range(parts)))
        texts.append("\n".join(lines))
    return texts


def _line_char(cp: int) -> bool:
    """A character that can be inside a line: no surrogate, no line break."""
    return not 0xD800 <= cp < 0xE000 and cp not in (10, 13)


def _eager_lines(text: str) -> list[str]:
    """The tidied lines as _Text computed them for the whole text at once."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    plain = signatures._RE_EMOJI.sub(" ", text).replace("\u00a0", " ").split("\n")
    return [" ".join(line.split()) for line in plain]


def test_blanks_are_the_empty_tidied_lines_for_every_character() -> None:
    chars = [chr(cp) for cp in range(0x20000) if _line_char(cp)]  # planes 0 and 1
    raws = [raw for ch in chars for raw in (ch, f" {ch}\u00a0", f"{ch}😀")]
    found = signatures._Text("\n".join(raws))
    assert len(found) == len(raws)
    for i, raw in enumerate(raws):
        tidied = " ".join(signatures._RE_EMOJI.sub(" ", raw).replace("\u00a0", " ").split())
        assert found.blanks[i] == (tidied == ""), repr(raw)


def test_postscript_start_is_the_first_letter_of_the_ps_pattern_in_any_case() -> None:
    for cp in range(0x10000):
        ch = chr(cp)
        plain = re.match("p|п|з", ch, re.IGNORECASE) is not None
        assert (signatures._RE_PS_START.match(ch) is not None) == plain, hex(cp)


def test_lazy_lines_blanks_and_footers_equal_the_eager_ones() -> None:
    for text in _random_texts(3000):
        found = signatures._Text(text)
        lines = _eager_lines(text)
        assert len(found) == len(lines)
        assert [found.line(i) for i in range(len(lines))] == lines
        assert found.blanks == [not line for line in lines]
        eager_footers = {i for i, line in enumerate(lines) if line and is_client_signature(line)}
        assert found.footers == eager_footers
        for i, line in enumerate(lines):
            if line and signatures._RE_PS.match(line):
                assert signatures._RE_PS_START.match(found.raw[i])


def _plain_delimiter(found: signatures._Text) -> int:
    """_delimiter as it was: both patterns tried on every line, the whole block's kinds
    asked before its length."""
    def signed_block(start: int) -> bool:
        kinds = [found.kind(i) for i in range(start, len(found)) if not found.blanks[i]]
        if not kinds or len(kinds) > signatures._MAX_BLOCK or any(k is None for k in kinds):
            return False
        shorts = sum(k.kind == "short" for k in kinds if k is not None)
        return shorts <= signatures._MAX_SHORT and any(
            k is not None and k.kind in ("name", "person", "role", "org", "footer", "disclaimer")
            for k in kinds
        )

    for i, line in enumerate(found.raw):
        if signatures._RE_HARD_DELIMITER.match(line):
            return i
        if signatures._RE_SOFT_DELIMITER.match(line) and signed_block(i + 1):
            return i
    return len(found)


def test_delimiter_equals_trying_every_line() -> None:
    rng = random.Random(3)
    rules = ["--", "-- ", " -- ", "\ue000", " \ue000 ", "-----", "__", "—", "~~", "**", "- -",
             "—\u3000", "\t==", "-"]
    for text in _random_texts(3000):
        lines = text.split("\n")
        for _ in range(rng.randint(0, 2)):
            lines.insert(rng.randint(0, len(lines)), rng.choice(rules))
        if rng.random() < 0.5:
            lines += ["Иванова Надежда Павловна"] * rng.randint(0, 25)
        text = "\n".join(lines)
        assert signatures._delimiter(signatures._Text(text)) == _plain_delimiter(
            signatures._Text(text)), repr(text)


def test_delimiter_starts_hold_every_delimiter_for_every_character() -> None:
    lines = [line for cp in range(0x10000) if _line_char(cp)
             for line in (chr(cp), f"{chr(cp)}--", f"{chr(cp)}-- ", f"--{chr(cp)}")]
    found = signatures._Text("\n".join(lines))
    assert len(found) == len(lines)  # no character of these breaks a line
    starts = set(found.delimiter_starts)
    for i, line in enumerate(lines):
        if (signatures._RE_HARD_DELIMITER.match(line)
                or signatures._RE_SOFT_DELIMITER.match(line)):
            assert i in starts, repr(line)


def test_footers_for_every_character_before_a_footer() -> None:
    lines = [f"{chr(cp)}{footer}" for cp in range(0x10000) if _line_char(cp)
             for footer in ("Отправлено с iPhone", "sent from my iPhone", " Get Outlook for iOS")]
    found = signatures._Text("\n".join(lines))
    eager = {i for i, line in enumerate(_eager_lines("\n".join(lines)))
             if line and is_client_signature(line)}
    assert found.footers == eager


def test_a_reply_header_always_ends_with_a_colon() -> None:
    from mailbot.reading.quote_markers import is_soft_header, is_strict_header

    headers = ["Пн, 23 нояб. 2026 г. в 10:00, Анна <a@b.ru>:", "Иван пишет:", "On Mon, Bob wrote:",
               "23.11.2026 10:00, a@b.ru:", "Вы писали 1 марта 2026 г., 12:30:"]
    for header in headers:
        assert is_strict_header(header) or is_soft_header(header)
        for tail in ("", " ", ".", ": ок", ":)"):
            line = header[:-1] + tail
            assert not is_strict_header(line) and not is_soft_header(line)


def _structure(msg: object) -> object:
    """Everything the parser puts into a Message, parts included."""
    from email.message import Message

    if not isinstance(msg, Message):
        return ("not a message", repr(msg))
    payload = msg._payload
    if isinstance(payload, list):
        payload = [_structure(part) for part in payload]
    defects = [(type(d).__name__, str(d)) for d in msg.defects]
    return (msg._headers, payload, msg.preamble, msg.epilogue, defects, msg._unixfrom,
            repr(msg._charset), msg._default_type)


def test_one_feed_parses_as_message_from_bytes() -> None:
    import email
    from pathlib import Path

    from mailbot.reading import parsing

    fixtures = Path(__file__).resolve().parents[1] / "fixtures"
    mails = [path.read_bytes() for path in sorted(fixtures.rglob("*.eml"))]
    assert mails
    rng = random.Random(9)
    pieces = [b"\r", b"\n", b"\r\n", b"\x0c", b"\x1c", b"--", b"\n\n", b"\n--x--\n", b"\xd0\x90"]
    for index in range(len(mails) * 2):
        raw = bytearray(mails[index % len(mails)])
        if index >= len(mails):  # broken copies: pieces put in, bytes cut off
            for _ in range(rng.randint(1, 6)):
                at = rng.randint(0, len(raw))
                if rng.random() < 0.7:
                    raw[at:at] = rng.choice(pieces)
                else:
                    del raw[at : at + rng.randint(1, 40)]
        data = bytes(raw)
        expected = _structure(email.message_from_bytes(data))
        assert _structure(parsing._message(data)) == expected


def test_contact_patterns_are_skipped_only_where_they_cannot_match() -> None:
    from mailbot.reading import signature_lines as lines

    pieces = ["a@b.ru", "@", ".", "://", "http://x", "https://ya.ru/a", "www.ru", "WWW.SCHOOL.RU",
              "t.me/x", "vk.com/id1", "school.рф", "пн", "Пн-пт", "9:00–18:00", "10.00 — 17.00",
              "mon -", "тел.", "+7 912 654-99-63", "8(912)1234567", " ", "Анна", "mailto:", ","]
    rng = random.Random(13)
    for _ in range(20000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 6)))
        plain = lines._RE_URL.sub(" ", lines._RE_EMAIL.sub(" ", text))
        assert lines._without_addresses(text) == plain, text
        if lines._RE_HOURS.search(text):
            assert "-" in text or "–" in text or "—" in text, text


FOOTERS = [
    "Отправлено с iPhone", "Отправленно с моего Samsung Galaxy", "Отправлена из Почты Mail.ru",
    "Sent from my iPhone", "Sent from Yahoo Mail on Android", "Envoyé de mon iPhone",
    "Gesendet von meinem iPad", "Enviado desde mi Android", "Inviato da iPhone",
    "Получить Outlook для Android", "Получите Outlook для iOS", "Скачать Outlook для Android",
    "Скачайте Outlook для iOS", "Загрузите Outlook для Android", "Get Outlook for iOS",
    "Download Outlook for Android",
]


@pytest.mark.parametrize("footer", FOOTERS)
def test_every_client_footer_starts_as_signatures_expects(footer: str) -> None:
    # signatures.py asks is_client_signature only of lines starting with these words.
    assert is_client_signature(footer)
    assert CLIENT_SIGNATURE_STARTS  # read from the pattern
    assert footer.lower().startswith(CLIENT_SIGNATURE_STARTS)
    assert split_signature(f"Здравствуйте! Не открывается дневник.\n\n{footer}").body == (
        "Здравствуйте! Не открывается дневник.")


def _plain_pieces(value: str) -> list[header_text._Piece]:
    """header_text._pieces_from_str as it was, joining each adjacent word by a copy."""
    value = header_text._FOLD_RE.sub("", value)
    pieces: list[header_text._Piece] = []
    pos, after_word = 0, False
    for match in header_text._ENCODED_WORD_RE.finditer(value):
        gap = value[pos:match.start()]
        if gap and not (after_word and gap.isspace()):
            pieces.append(header_text._literal_piece(gap))
            after_word = False
        body = match.group("text")
        data = (header_text._decode_b(body) if match.group("encoding") in "bB"
                else header_text._decode_q(body))
        label = match.group("charset").split("*", 1)[0].lower()
        previous = pieces[-1] if pieces else None
        if after_word and previous is not None and previous.charset == label:
            previous.data = (previous.data or b"") + data
        else:
            pieces.append(header_text._Piece(data, label))
        after_word, pos = True, match.end()
    if value[pos:]:
        pieces.append(header_text._literal_piece(value[pos:]))
    return pieces


def test_encoded_words_are_joined_as_by_copying() -> None:
    rng = random.Random(5)
    words = ["=?utf-8?B?0J/RgNC4?=", "=?UTF-8?B?0LLQtdGC?=", "=?koi8-r?Q?=F0=D2=C9?=",
             "=?utf-8?q?=D0=BC_=D0=B8?=", "=?windows-1251?B?z/Do4uXy?=", "=?utf-8*ru?B?0Lk=?=",
             " ", "  ", "\r\n ", "text", "Re:", "ж", "=?", "?=", "\t"]
    for _ in range(3000):
        value = "".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
        assert header_text._pieces_from_str(value) == _plain_pieces(value), value


def test_a_long_run_of_8bit_bytes_is_sampled_by_its_head_and_stays_valid_utf8() -> None:
    # One token of 0.6 MB of valid UTF-8, whose characters take 2 and 3 bytes: cut anywhere,
    # the sample would often end inside a character.
    run = "Здравствуйте—€…".encode() * 20_000
    for shift in range(40):
        sample = charsets._sample(b"x" + run[shift:] + b"y")
        assert len(sample) < 200 and sample.decode("utf-8", "ignore")
        if run[shift] not in range(0x80, 0xC0):  # the token starts with a whole character
            assert sample.decode("utf-8")
    assert charsets.best_codec(run.decode().encode("cp1251")) == "cp1251"
    assert charsets.decode_bytes(run) == run.decode()


def _plain_split_params(value: str) -> list[str]:
    """mime_headers.split_params as it was: one character at a time."""
    out: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in value:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            out.append("".join(current))
            current = []
            continue
        current.append(ch)
    out.append("".join(current))
    return out


def test_params_split_as_character_by_character() -> None:
    rng = random.Random(3)
    alphabet = ['"', "\\", ";", "a", " ", "=", "\n", "ж", "*", "'"]
    for _ in range(50_000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 16)))
        assert mime_headers.split_params(value) == _plain_split_params(value), repr(value)


def test_a_sentence_end_is_read_from_the_line_end_alone() -> None:
    whole = re.compile(r"(?:[!?:…]|\w{5,}\.)$")  # quotes._ends_sentence searched whole lines
    rng = random.Random(1)
    alphabet = ["a", "ж", "5", "_", ".", "!", "?", ":", "…", " ", "\n", "-", "г"]
    for _ in range(100_000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert quotes._ends_sentence(line) == bool(whole.search(line)), repr(line)
