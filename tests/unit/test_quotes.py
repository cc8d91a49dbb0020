"""Quote and signature stripping: the labelled set of replies, case by case, and the rules
behind it (what counts as history, what is the sender's own text)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailbot.reading import quote_html
from mailbot.reading.quotes import (
    split_reply_html,
    split_reply_text,
    strip_reply_html,
    strip_reply_text,
)
from tests.benchload import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "replies"


bench = load_benchmark("quotes")
CASES = bench.load_cases(FIXTURES)
HTML_CASES = [case for case in CASES if case.format == "html"]


# --------------------------------------------------------------------------- the set


def test_labelled_set_is_big_and_varied_enough() -> None:
    assert len(CASES) >= 80
    assert sum(case.lang == "ru" for case in CASES) >= 40
    assert len(HTML_CASES) >= 15
    assert len({case.client for case in CASES}) >= 8
    assert sum(case.expected == "" for case in CASES) >= 3  # replies with nothing new


def test_labelled_files_are_well_formed() -> None:
    for path in sorted(FIXTURES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        assert set(data) == {"id", "client", "lang", "format", "body", "expected"}, path.name
        assert path.stem == data["id"]
        assert data["id"].startswith(path.name[:4]) and data["client"] in data["id"]
        assert data["lang"] in ("ru", "en") and data["format"] in ("text", "html")
        expected = data["expected"]
        assert expected == expected.strip("\n"), path.name
        assert all(line == line.rstrip() for line in expected.split("\n")), path.name


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_labelled_reply(case) -> None:
    got = bench.strip(case)
    assert bench.comparable(got, case.format) == bench.comparable(case.expected, case.format)


@pytest.mark.parametrize("case", HTML_CASES, ids=[case.id for case in HTML_CASES])
def test_labelled_html_reply_without_htmltext(case, monkeypatch: pytest.MonkeyPatch) -> None:
    """The BeautifulSoup fallback, used when mailbot.reading.htmltext cannot be imported, finds the
    same text (its paragraph spacing may differ, which the comparison ignores)."""
    monkeypatch.setattr(quote_html, "_html_to_text", lambda: None)
    got = strip_reply_html(case.body)
    assert bench.comparable(got, "html") == bench.comparable(case.expected, "html")


def test_benchmark_rate_and_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--quiet"]) == 0
    first = capsys.readouterr().out.splitlines()[1]
    hits, total = first.split()[1].split("/")
    assert int(total) == len(CASES)
    assert int(hits) / int(total) >= 0.95


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.format == "text"], ids=lambda c: c.id
)
def test_stripping_twice_changes_nothing(case) -> None:
    once = strip_reply_text(case.body)
    assert strip_reply_text(once) == once


# --------------------------------------------------------------------------- rules


def test_inline_answers_are_kept_and_the_questions_dropped() -> None:
    body = (
        "01.04.2026 16:40, Служба поддержки ЭЖ пишет:\n"
        "> Какой класс?\n"
        "7 «Б»\n"
        "> Какой предмет?\n"
        "Алгебра\n"
    )
    assert strip_reply_text(body) == "7 «Б»\n\nАлгебра"


def test_a_reply_that_is_only_history_is_empty() -> None:
    body = "> Ваше обращение закрыто.\n>\n> Служба поддержки\n"
    assert strip_reply_text(body) == ""
    assert strip_reply_text("Отправлено с iPhone\n\n" + body) == ""


@pytest.mark.parametrize(
    "line",
    [
        "Вы писали 1 апреля, что оценку исправят, но её нет:",
        "Вчера в 18:40 учитель написал:",
        "Консультация 15.04.2026 в 14:00, каб. 12:",
        "Учитель пишет в дневнике: «не выполнено ДЗ».",
        "On Monday the teacher wrote:",
        "От: Ивановой М.П., мамы ученика 3 «А»",
    ],
)
def test_ordinary_lines_with_dates_or_verbs_do_not_cut(line: str) -> None:
    body = f"Добрый день!\n{line}\nоценки до сих пор нет."
    assert strip_reply_text(f"{body}\n\nС уважением, Анна") == body


@pytest.mark.parametrize(
    "header",
    [
        "Четверг, 9 апреля 2026, 17:30 +05:00 от Служба поддержки <help@school.example>:",
        '04.05.2026, 18:58, "Служба поддержки" <help@school.example>:',
        "пт, 15 мар. 2026 г. в 10:15, Служба поддержки <help@school.example>:",
        "On Fri, Mar 15, 2026 at 10:15 AM Help Desk <help@school.example> wrote:",
        "01.04.2026 10:15, Служба поддержки пишет:",
        "On 01/04/2026 10:15, Help Desk wrote:",
        "15 марта 2026 г., в 10:15, Служба поддержки <help@school.example> написал(а):",
    ],
)
def test_client_headers_cut_unquoted_history(header: str) -> None:
    body = f"Спасибо, получилось.\n\n{header}\nЗдравствуйте! Попробуйте ещё раз.\n"
    assert strip_reply_text(body) == "Спасибо, получилось."


@pytest.mark.parametrize(
    "separator",
    [
        "-----Исходное сообщение-----",
        "-----Original Message-----",
        "-------- Пересылаемое сообщение --------",
        "---------- Forwarded message ---------",
        "Begin forwarded message:",
        "Начало пересланного сообщения:",
    ],
)
def test_separators_cut_everything_after(separator: str) -> None:
    body = f"Посмотрите, пожалуйста.\n\n{separator}\nОт: Школа\nТема: ДЗ\n\nТекст письма.\n"
    assert strip_reply_text(body) == "Посмотрите, пожалуйста."


def test_outlook_header_block_cuts_but_a_lone_field_does_not() -> None:
    outlook = "Принято.\n\nОт: Служба\nОтправлено: 2 апреля 2026 г. 9:14\nКому: я\n\nТекст."
    assert strip_reply_text(outlook) == "Принято."
    lesson = "Добавьте урок:\nДата: 14.04.2026\nТема: Дроби"
    assert strip_reply_text(lesson + "\n\nЛаптева Е.Н.") == lesson


@pytest.mark.parametrize(
    "signature",
    [
        "Отправлено с iPhone",
        "Отправлено из мобильной Почты Mail.ru",
        "Отправлено из мобильной Яндекс Почты",
        "Отправлено из Яндекс Почты для Android",
        "Получить Outlook для Android",
        "Sent from my iPhone",
        "Get Outlook for iOS",
        "Sent from Yahoo Mail on Android",
    ],
)
def test_client_signatures_are_dropped(signature: str) -> None:
    assert strip_reply_text(f"Хорошо, спасибо.\n\n{signature}\n") == "Хорошо, спасибо."


def test_own_sentences_that_start_like_a_signature_stay() -> None:
    body = "Отправлено с опозданием, извините: ждали ответа учителя.\nSent from the school office."
    assert strip_reply_text(body) == body


def test_sign_offs_and_dash_signatures_go_and_the_name_is_kept() -> None:
    body = "Спасибо!\n\nС уважением,\nМария Ивановна\n\n-- \nМАОУ «СОШ № 5»\nтел. 2-15-48"
    assert strip_reply_text(body) == "Спасибо!"
    found = split_reply_text(body)
    assert found.name == "Мария Ивановна"
    assert found.signature.startswith("С уважением,\nМария Ивановна") and "2-15-48" in found.signature
    short = "Спасибо!\n--\nМария\n"
    assert strip_reply_text(short) == "Спасибо!"
    prose = "Итог:\n--\n" + "очень длинная строка продолжения мысли, а не подпись, " * 2
    assert strip_reply_text(prose) == prose.rstrip()


def test_a_sign_off_after_inline_answers_signs_the_whole_reply() -> None:
    body = "> Какой класс?\n5 «А»\n> Какой предмет?\nАлгебра\n\nСпасибо,\nАнна\n"
    found = split_reply_text(body)
    assert (found.body, found.name) == ("5 «А»\n\nАлгебра", "Анна")
    assert strip_reply_text("> Какое ФИО ребёнка?\nСидоров Максим Андреевич\n") == (
        "Сидоров Максим Андреевич"
    )


def test_html_signature_containers_go_but_their_name_is_read() -> None:
    html = (
        '<div dir="ltr">Спасибо, всё видно.<br><br>-- <br><div class="gmail_signature">'
        "<div>Алексей Воронов</div><div>+7 (922) 341-55-09</div></div></div>"
    )
    found = split_reply_html(html)
    assert (found.body, found.name) == ("Спасибо, всё видно.", "Алексей Воронов")
    assert "\ue000" not in found.signature + found.body


def test_the_bat_template_greeting_goes_with_its_header() -> None:
    body = (
        "Здравствуйте, Служба.\n\nВы писали 1 апреля 2026 г., 10:15:03:\n\n"
        "СП> Какой класс?\n\n5 «А».\n\n-- \nС уважением,\n Пётр   mailto:p@school.example\n"
    )
    assert strip_reply_text(body) == "5 «А»."


def test_whitespace_is_normalised() -> None:
    body = "Привет \r\n\u00a0\r\n\r\n\r\nвторая строка\u200b\r\n\r\n> цитата\r\n"
    assert strip_reply_text(body) == "Привет\n\nвторая строка"


# --------------------------------------------------------------------------- HTML rules


def test_html_inline_answers_between_gmail_blockquotes_survive() -> None:
    html = (
        '<div class="gmail_quote"><div class="gmail_attr">On Tue, Mar 31, 2026 at 9:30 AM '
        "Desk &lt;help@school.example&gt; wrote:<br></div>"
        '<blockquote class="gmail_quote">Which class?</blockquote><div>8B</div>'
        '<blockquote class="gmail_quote">Which subject?</blockquote><div>History</div></div>'
    )
    assert strip_reply_html(html) == "8B\n\nHistory"


def test_html_indent_blockquote_is_not_a_quote_but_a_cited_one_is() -> None:
    indent = "<p>Темы:</p><blockquote>Дроби<br>Проценты</blockquote><p>Спасибо.</p>"
    assert "Проценты" in strip_reply_html(indent)
    cited = '<p>Спасибо.</p><blockquote type="cite">Проценты</blockquote>'
    assert strip_reply_html(cited) == "Спасибо."


def test_html_outlook_header_cuts_the_rest_of_the_document() -> None:
    html = (
        '<div class="WordSection1"><p>Спасибо.</p><div><div style="border:none;'
        'border-top:solid #E1E1E1 1.0pt"><p><b>От:</b> Служба<br><b>Отправлено:</b> '
        "2 апреля</p></div></div><p>Старое письмо.</p></div><p>Ещё старое.</p>"
    )
    assert strip_reply_html(html) == "Спасибо."
