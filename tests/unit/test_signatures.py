"""Signatures: the labelled set of replies with and without them (tests/fixtures/signatures),
and the rules of mailbot.reading.signatures — what goes, what is never touched, which name
is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.reading import quote_html
from mailbot.reading.quotes import split_reply_html, strip_reply_text
from mailbot.reading.signatures import SignatureSplit, split_signature
from tests.benchload import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "signatures"


bench = load_benchmark("signatures")
CASES = bench.load_cases(FIXTURES)


def _signed(case) -> bool:
    return case.name is not None or bench.comparable(case.expected, case.format) != (
        bench.comparable(bench.quote_only(case), case.format)
    )


# --------------------------------------------------------------------------- the set


def test_labelled_set_is_big_and_varied_enough() -> None:
    signed = [case for case in CASES if _signed(case)]
    assert len(signed) >= 150
    assert len(CASES) - len(signed) >= 40  # traps and plain replies with nothing to strip
    assert sum(case.format == "html" for case in CASES) >= 25
    assert sum(case.name is not None for case in CASES) >= 100
    assert len({case.file for case in CASES}) >= 6


def test_labelled_files_are_well_formed() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert case.format in ("text", "html"), case.id
        assert case.body.strip(), case.id
        assert case.expected == case.expected.strip("\n"), case.id
        assert all(line == line.rstrip() for line in case.expected.split("\n")), case.id
        assert case.name is None or case.name == " ".join(case.name.split()), case.id


def test_benchmark_exactness_and_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--quiet"]) == 0
    first = capsys.readouterr().out.splitlines()[1]
    hits, total = first.split()[1].split("/")
    assert int(total) == len(CASES)
    assert int(hits) / int(total) >= 0.95


def test_html_cases_without_htmltext(monkeypatch: pytest.MonkeyPatch) -> None:
    """The BeautifulSoup fallback finds the same text and name on nearly every HTML case."""
    monkeypatch.setattr(quote_html, "_html_to_text", lambda: None)
    html = [case for case in CASES if case.format == "html"]
    hits = sum(bench.matches(case, split_reply_html(case.body)) for case in html)
    assert hits / len(html) >= 0.9


def test_stripping_twice_changes_nothing() -> None:
    for case in CASES:
        if case.format == "text":
            once = strip_reply_text(case.body)
            assert strip_reply_text(once) == once, case.id


# --------------------------------------------------------------------------- rules


@pytest.mark.parametrize(
    "text",
    [
        "Спасибо, всё заработало!",
        "С уважением отношусь к вашей работе, но ответа нет уже две недели.",
        "Спасибо!",
        "Заранее спасибо!",
        "Добрый день! Перезвоните мне, пожалуйста, по 8-912-604-33-21.",
        "Мой номер изменился, новый 8-919-700-11-22. Как поменять его в дневнике?",
        "Прошу привязать ребёнка. Данные ребёнка:\nКузнецов Иван Сергеевич, 5 «Б»",
        "Прошу открыть доступ учителям:\nПетрова Мария Ивановна\nСафонов Дмитрий Андреевич",
        "Спасибо, Ирина Викторовна!",
        "Thanks, but it still doesn't work.",
        "Cheers, all sorted now.",
        "Сидоров Максим Андреевич",
        "+7 912 000-11-22",
        "Добрый день!\nМария Ивановна",
        "Отправлено с опозданием, извините: ждали ответа учителя.",
        "Итог:\n--\nочень длинная строка продолжения мысли, а не подпись, совсем не подпись.",
    ],
)
def test_content_is_never_cut(text: str) -> None:
    assert split_signature(text) == SignatureSplit(text, "", None)


@pytest.mark.parametrize(
    ("signature", "name"),
    [
        ("С уважением,\nИванова Надежда Павловна\nучитель математики\nтел. 8 (34271) 2-15-48",
         "Иванова Надежда Павловна"),
        ("С уважением, Н. П. Иванова", "Н. П. Иванова"),
        ("С уважением,\nАнна Петрова", "Анна Петрова"),
        ("С уважением Ольга Сергеевна", "Ольга Сергеевна"),
        ("С ув. Петрова Ольга\n8-912-345-67-89", "Петрова Ольга"),
        ("С уваж., мама Кирилла Соколова, 3 «А»", None),
        ("С наилучшими пожеланиями,\nИгорь Дмитриевич", "Игорь Дмитриевич"),
        ("Всего доброго!", None),
        ("Заранее спасибо!\nСмирнова Ирина Александровна\n+7 902 471-18-60",
         "Смирнова Ирина Александровна"),
        ("Спасибо.\nСекретарь МАОУ «СОШ № 7»\nтел. (34271) 2-15-48", None),
        ("Бухарова Т.В.\n8-912-884-10-27", "Бухарова Т.В."),
        ("Директор МАОУ «СОШ № 12»\nСергеев Андрей Викторович\nтел./факс (342) 233-10-20",
         "Сергеев Андрей Викторович"),
        ("С ув.,\nучитель истории Шестакова Р.Ф.", "Шестакова Р.Ф."),
        ("Best regards,\nDaniel Moore\nDeputy Head", "Daniel Moore"),
        ("Thanks,\nHelen", "Helen"),
        ("-- \nАлексей Воронов\n+7 (922) 341-55-09", "Алексей Воронов"),
        ("Отправлено с iPhone", None),
        ("Отправлено с моего Galaxy", None),
        ("Sent from my Android", None),
        ("Отправлено из мобильной Яндекс Почты", None),
        ("Отправлено из Почты Mail.ru", None),
        ("Отправлено из мобильной Почты Mail.ru", None),
        ("Get Outlook for iOS", None),
        ("Загрузите Outlook для iOS", None),
    ],
)
def test_signatures_go_and_the_name_is_read(signature: str, name: str | None) -> None:
    body = "Добрый день! Оценка за контрольную так и не появилась, посмотрите, пожалуйста."
    found = split_signature(f"{body}\n\n{signature}\n")
    tidy = "\n".join(line.rstrip() for line in signature.split("\n"))  # "-- " loses its space
    assert found == SignatureSplit(body, tidy, name)


def test_thanks_alone_stays_but_its_name_goes() -> None:
    assert split_signature("Спасибо!\nМарина") == SignatureSplit("Спасибо!", "Марина", "Марина")
    assert split_signature("Thanks,\nJessica", keep_thanks=False) == SignatureSplit(
        "", "Thanks,\nJessica", "Jessica"
    )


def test_a_postscript_after_the_signature_stays() -> None:
    text = "Оценок нет.\n\nС уважением, Анна\n\nP.S. Учитель говорит, что всё выставила."
    assert split_signature(text) == SignatureSplit(
        "Оценок нет.\n\nP.S. Учитель говорит, что всё выставила.", "С уважением, Анна", "Анна"
    )


def test_a_sign_off_at_the_end_of_the_last_sentence() -> None:
    found = split_signature("Добрый день, оценки нет. С уважением, Анна Петрова")
    assert found == SignatureSplit("Добрый день, оценки нет.", "С уважением, Анна Петрова",
                                   "Анна Петрова")


def test_odd_input_does_not_break_it() -> None:
    for text in ("", "\n\n", "--", "-- ", "С уважением", "\ue000", "🙂", "a" * 10_000):
        found = split_signature(text)
        assert isinstance(found, SignatureSplit)


def test_a_pleasantry_alone_stays_a_formal_sign_off_alone_goes() -> None:
    assert split_signature("Хорошего дня!") == SignatureSplit("Хорошего дня!", "", None)
    assert split_signature("С уважением, Анна") == SignatureSplit("", "С уважением, Анна", "Анна")


def test_a_position_alone_as_the_last_paragraph_goes_but_not_one_led_into() -> None:
    assert split_signature("Прошу передать в СТП.\n\nАдминистратор ЭЖ").body == (
        "Прошу передать в СТП."
    )
    text = "Мне сказали обратиться к\n\nзаместителю директора по УВР"
    assert split_signature(text).body == text


def test_wrapped_disclaimers_and_names_on_contact_lines() -> None:
    text = (
        "Спасибо, всё получилось.\n\nС уважением,\n Татьяна      mailto:t.ch@list.example\n\n"
        "This e-mail and any attachments are confidential and may\nbe privileged. If you are "
        "not the intended recipient, please\nnotify the sender and delete it."
    )
    found = split_signature(text)
    assert (found.body, found.name) == ("Спасибо, всё получилось.", "Татьяна")


def test_names_in_capitals_or_lower_case_are_returned_capitalised() -> None:
    assert split_signature("Не могу войти.\nС УВАЖЕНИЕМ, СОКОЛОВ Д.").name == "Соколов Д."
    assert split_signature("не вижу оценки\nс уважением наталья").name == "Наталья"
