"""Commands on the first lines of a reply: what helpers and users really type, what counts as
a command, what is text, and what comes back to the writer as a problem."""

from __future__ import annotations

import re

import pytest

from mailbot.desk.commands import (
    COMMAND_NAMES,
    USER_COMMANDS,
    Command,
    ParsedCommands,
    guide_lines,
    parse_commands,
)
from mailbot.text.greetings import is_greeting, strip_greeting


def names(parsed: ParsedCommands) -> list[str]:
    return [c.name for c in parsed.commands]


def only(parsed: ParsedCommands) -> Command:
    assert len(parsed.commands) == 1, parsed
    return parsed.commands[0]


def problem_text(parsed: ParsedCommands) -> str:
    assert len(parsed.problems) == 1, parsed
    return parsed.problems[0].problem


# --------------------------------------------------------------------------- the vocabulary


def test_every_alias_belongs_to_one_command_and_the_main_word_is_russian() -> None:
    seen: dict[str, str] = {}
    for name, aliases in COMMAND_NAMES.items():
        assert re.fullmatch(r"[а-яё]+", aliases[0]), name
        for alias in aliases:
            assert alias not in seen, f"{alias} is both {seen.get(alias)} and {name}"
            seen[alias] = name


ARGS = {"transfer": " Петровой", "signup": " 3", "cancel": " 3"}
ALIASES = [(alias, name) for name, aliases in COMMAND_NAMES.items() for alias in aliases]


@pytest.mark.parametrize(("alias", "name"), ALIASES, ids=[a for a, _ in ALIASES])
def test_every_spelling_is_recognised(alias: str, name: str) -> None:
    parsed = parse_commands(f"#{alias}{ARGS.get(name, '')}\nТекст ответа.")
    assert names(parsed) == [name]
    assert parsed.problems == ()
    assert parsed.text == "Текст ответа."


@pytest.mark.parametrize(
    "line",
    [
        "#закрыть",
        "#Закрыть",
        "#ЗАКРЫТЬ",
        "# закрыть",
        "#Закрыть.",
        "#закрыть!",
        "#закрыть!!!",
        "#закрыть:",
        "  #закрыть  ",
        "＃закрыть",  # full-width number sign
        "\u200b#закрыть",  # zero-width space copied from a web page
        "#зaкрыть",  # Latin «a»
        "#ЗAКРЫТЬ",  # Latin capital A
        "#сlose",  # Cyrillic «с»
        "#CLОSE",  # Cyrillic «О»
        "#pfrhsnm",  # «закрыть» typed in the English layout
        "#сдщыу",  # «close» typed in the Russian layout
        "№закрыть",  # Shift+3 in the Russian layout
    ],
)
def test_what_phones_and_keyboards_do_to_a_command(line: str) -> None:
    parsed = parse_commands(f"{line}\nСпасибо за обращение.")
    assert names(parsed) == ["close"]
    assert parsed.problems == ()
    assert parsed.commands[0].line == line.strip()
    assert parsed.text == "Спасибо за обращение."


def test_spaces_of_every_kind_after_the_command() -> None:
    for space in ("\u00a0", "\u202f", "\u3000", "\t", "  "):
        line = f"#передать{space}Петровой Н. А."
        assert only(parse_commands(line)) == Command("transfer", "Петровой Н. А.", line.strip())


def test_layout_switched_word_with_punctuation_keys() -> None:
    # «ожидание» in the English layout has «;» for «ж».
    assert names(parse_commands("#j;blfybt")) == ["wait"]
    assert names(parse_commands("#gthtlfnm: Bdfyjdjq")) == ["transfer"]


# --------------------------------------------------------------------------- where commands are


def test_leading_blank_lines_and_crlf() -> None:
    parsed = parse_commands("\r\n\r\n  \r\n#ожидание\r\nПришлите, пожалуйста, снимок экрана.\r\n")
    assert names(parsed) == ["wait"]
    assert parsed.text == "Пришлите, пожалуйста, снимок экрана."


def test_several_command_lines_with_blank_lines_between() -> None:
    parsed = parse_commands("#закрыть\n\n#заметка дубль обращения 412\n\nОтвет уже отправлен.")
    assert names(parsed) == ["close", "note"]
    assert parsed.text == "дубль обращения 412\n\nОтвет уже отправлен."


def test_the_block_ends_at_the_first_text_line() -> None:
    parsed = parse_commands("#ожидание\nДобрый день!\n#закрыть сразу после ответа")
    assert names(parsed) == ["wait"]
    assert parsed.problems == ()
    assert parsed.text == "Добрый день!\n#закрыть сразу после ответа"


def test_a_hashtag_inside_the_text_is_not_a_command() -> None:
    text = "Спасибо! Если понадобится, напишите #помощь, и придёт памятка."
    parsed = parse_commands(text)
    assert parsed.commands == () and parsed.problems == ()
    assert parsed.text == text


def test_a_command_alone_below_text_is_reported_not_carried_out() -> None:
    parsed = parse_commands("Оценку исправили.\n#закрыть\nЕсли что, пишите.")
    assert parsed.commands == ()
    assert "не в начале письма" in problem_text(parsed)
    assert parsed.problems[0].line == "#закрыть"
    assert parsed.text == "Оценку исправили.\n#закрыть\nЕсли что, пишите."


# --------------------------------------------------------------------------- greetings first


@pytest.mark.parametrize(
    "greeting",
    [
        "Добрый день!",
        "Здравствуйте.",
        "Здравствуйте, Надежда Павловна!",
        "Уважаемая Надежда Павловна!",
        "Надежда Павловна, добрый день!",
        "Коллеги,",
        "Добрый вечер, коллеги 🙂",
        "Доброго времени суток!!!",
        "доброе утро)",
        "Привет 👋",
        "Hello,",
        "Hi Maria!",
        "Здраствуйте",  # the common typo
        "Уважаемая Надежда Павловна!\nДобрый день!",  # two greeting lines
        "Здравствуйте!\n",  # a blank line after it
    ],
)
def test_a_greeting_before_the_commands_does_not_hide_them(greeting: str) -> None:
    parsed = parse_commands(f"{greeting}\n#закрыть\nГотово, оценка исправлена.")
    assert names(parsed) == ["close"]
    assert parsed.problems == ()
    # The greeting is what the writer said, so it stays in the text; the command line goes.
    assert parsed.text == f"{greeting}\nГотово, оценка исправлена."


def test_a_users_greeting_before_a_seminar_command() -> None:
    parsed = parse_commands("Здравствуйте.\n#записаться 3", USER_COMMANDS)
    assert [(c.name, c.arg) for c in parsed.commands] == [("signup", "3")]
    assert parsed.text == "Здравствуйте."


@pytest.mark.parametrize(
    "first",
    [
        "Добрый день, оценку исправили.",  # a greeting and text on one line
        "Спасибо,",
        "Мария,",  # a bare name could be anything: it needs a greeting or «уважаемая»
        "Отписаться",
        "🙂",
        "...",
    ],
)
def test_only_greetings_may_stand_before_the_commands(first: str) -> None:
    parsed = parse_commands(f"{first}\n#закрыть")
    assert parsed.commands == ()
    assert "не в начале письма" in problem_text(parsed)


def test_a_greeting_after_a_command_is_text_and_ends_the_block() -> None:
    parsed = parse_commands("Добрый день!\n#ожидание\nЗдравствуйте!\n#закрыть")
    assert names(parsed) == ["wait"]
    assert "не в начале письма" in problem_text(parsed)


@pytest.mark.parametrize(
    ("line", "rest"),
    [
        ("Здравствуйте! Запишите меня на семинар 2", "Запишите меня на семинар 2"),
        ("Добрый день, Надежда Павловна! Оценку исправили.", "Оценку исправили."),
        ("Здравствуйте, Запишите меня", "Запишите меня"),  # a capital is not a name here
        ("Коллеги, добрый день 🙂", ""),
        ("Оценку исправили.", "Оценку исправили."),
    ],
)
def test_strip_greeting(line: str, rest: str) -> None:
    assert strip_greeting(line) == rest
    assert is_greeting(line) == (rest == "")


def test_text_paragraphs_are_kept_as_written() -> None:
    body = "Мария Ивановна, добрый день!\n\nОценка исправлена.\n  — отступ сохранён"
    parsed = parse_commands(f"#закрыть\n\n{body}\n\n")
    assert parsed.text == body


# --------------------------------------------------------------------------- the rest of a line


def test_close_with_the_answer_on_the_same_line() -> None:
    parsed = parse_commands("#закрыть Спасибо, всё работает\n\nЕсли что, пишите.")
    assert only(parsed).arg == "Спасибо, всё работает"
    assert parsed.text == "Спасибо, всё работает\n\nЕсли что, пишите."


@pytest.mark.parametrize(
    ("line", "arg"),
    [
        ("#заметка проверила, логин верный", "проверила, логин верный"),
        ("#ожидание — жду снимок экрана", "жду снимок экрана"),
        ("#прекратить: третье письмо с оскорблениями", "третье письмо с оскорблениями"),
        ("#stop", ""),
    ],
)
def test_free_text_after_note_wait_stop_opens_the_text(line: str, arg: str) -> None:
    parsed = parse_commands(f"{line}\nПодробности ниже.")
    assert only(parsed).arg == arg
    assert parsed.text == (f"{arg}\nПодробности ниже." if arg else "Подробности ниже.")


@pytest.mark.parametrize(
    ("line", "target"),
    [
        ("#передать Петровой", "Петровой"),
        ("#передать: Петровой Н.А.", "Петровой Н.А."),
        ("#Передать завучу.", "завучу"),
        ("#передать — заместителю директора по УВР!", "заместителю директора по УВР"),
        ("#transfer «Ивановой М. И.»", "Ивановой М. И."),
        ("#assign petrova", "petrova"),
        ("#передать-Сидорову", "Сидорову"),
    ],
)
def test_transfer_takes_the_rest_of_the_line_as_its_target(line: str, target: str) -> None:
    parsed = parse_commands(f"{line}\nОна ведёт этот класс.")
    assert only(parsed).arg == target
    assert parsed.text == "Она ведёт этот класс."  # the target is not relayed as text


def test_commands_chained_on_one_line() -> None:
    parsed = parse_commands("#закрыть #заметка дубль")
    assert [(c.name, c.arg) for c in parsed.commands] == [("close", ""), ("note", "дубль")]
    assert parsed.text == "дубль"


# --------------------------------------------------------------------------- seminars


@pytest.mark.parametrize(
    ("line", "numbers"),
    [
        ("#записаться 3", ["3"]),
        ("#записаться №3", ["3"]),
        ("#Записаться на семинар № 4, пожалуйста", ["4"]),
        ("#записаться 3 и 5", ["3", "5"]),
        ("#signup 2, 7; 9", ["2", "7", "9"]),
        ("#записаться 3 в 15:00", ["3"]),
        ("#записаться03", ["3"]),
        ("#записаться 3, 3", ["3"]),
        ("#отменить 12.", ["12"]),
    ],
)
def test_seminar_numbers(line: str, numbers: list[str]) -> None:
    parsed = parse_commands(line, USER_COMMANDS)
    assert [c.arg for c in parsed.commands] == numbers
    assert parsed.problems == ()


@pytest.mark.parametrize(
    "line", ["#записаться", "#записаться на семинар", "#записаться завтра 3", "#cancel"]
)
def test_seminar_command_without_a_number_is_a_problem(line: str) -> None:
    parsed = parse_commands(line, USER_COMMANDS)
    assert parsed.commands == ()
    text = problem_text(parsed)
    assert "номер семинара" in text and "3" in text


@pytest.mark.parametrize("line", ["#передать", "#передать:", "#передать.", "#transfer  "])
def test_transfer_without_a_target_is_a_problem(line: str) -> None:
    parsed = parse_commands(f"{line}\nПетровой")
    assert parsed.commands == ()
    assert "кому передать" in problem_text(parsed)
    assert parsed.text == "Петровой"  # the next line is text, never a guessed target


# --------------------------------------------------------------------------- not commands


@pytest.mark.parametrize(
    "text",
    [
        "#5 в списке у меня нет оценки",
        "#5",
        "#12345",
        "#ЭЖ не открывается с утра",
        "#КТП",
        "# Вопрос по оценкам",
        "#",
        "№ 12, кабинет информатики",
        "№школы указан неверно",
        "Добрый день, #закрыть не работает",
    ],
)
def test_what_people_write_with_a_number_sign_is_text(text: str) -> None:
    parsed = parse_commands(text)
    assert parsed.commands == () and parsed.problems == ()
    assert parsed.text == text


def test_stop_in_russian_is_not_corrected_to_the_vendor_command() -> None:
    assert names(parse_commands("#стоп")) == ["stop"]
    assert names(parse_commands("#СТП")) == ["vendor"]


# --------------------------------------------------------------------------- unknown words


@pytest.mark.parametrize(
    ("line", "suggestion"),
    [
        ("#закрт", "#закрыть"),
        ("#закрытъ", "#закрыть"),
        ("#зкарыть", "#закрыть"),
        ("#передть Петровой", "#передать"),
        ("#clsoe", "#close"),
        ("#заметк", "#заметка"),
        ("#ожидане", "#ожидание"),
        ("#подписатся", "#подписаться"),
    ],
)
def test_a_typo_is_a_problem_with_the_nearest_command(line: str, suggestion: str) -> None:
    parsed = parse_commands(f"{line}\nОтвет пользователю.")
    assert parsed.commands == ()
    word = line.split()[0]
    assert problem_text(parsed) == (
        f"Команда «{word}» не распознана. Возможно, вы имели в виду «{suggestion}»?"
    )
    assert parsed.text == "Ответ пользователю."  # the unknown line is never relayed


def test_an_unknown_word_far_from_every_command_points_to_the_guide() -> None:
    parsed = parse_commands("#готово\nВсё исправлено.")
    assert parsed.commands == ()
    assert "«#готово» не распознана" in problem_text(parsed)
    assert "#помощь" in problem_text(parsed)
    assert parsed.text == "Всё исправлено."


def test_a_typo_after_a_space_is_still_caught() -> None:
    parsed = parse_commands("# закрт")
    assert "«#закрыть»" in problem_text(parsed)


# --------------------------------------------------------------------------- conflicts


def test_close_and_wait_conflict_and_neither_is_carried_out() -> None:
    parsed = parse_commands("#закрыть\n#ожидание\nТекст")
    assert parsed.commands == ()
    text = problem_text(parsed)
    assert "«#закрыть»" in text and "«#ожидание»" in text
    assert parsed.problems[0].line == "#ожидание"


def test_close_and_transfer_conflict() -> None:
    parsed = parse_commands("#передать Петровой\n#закрыть")
    assert parsed.commands == ()
    assert "противоречат" in problem_text(parsed)


def test_two_different_transfers_conflict() -> None:
    parsed = parse_commands("#передать Петровой\n#transfer Иванову")
    assert parsed.commands == ()
    text = problem_text(parsed)
    assert "«Петровой»" in text and "«Иванову»" in text


def test_repeats_are_merged_without_a_problem() -> None:
    parsed = parse_commands("#передать Петровой\n#передать петровой\n#заметка\n#note")
    assert [(c.name, c.arg) for c in parsed.commands] == [("transfer", "Петровой"), ("note", "")]
    assert parsed.problems == ()


def test_other_commands_survive_a_conflict() -> None:
    parsed = parse_commands("#закрыть\n#ожидание\n#заметка проверить в пятницу")
    assert names(parsed) == ["note"]
    assert len(parsed.problems) == 1


def test_signup_and_cancel_of_the_same_seminar_conflict() -> None:
    parsed = parse_commands("#записаться 3, 4\n#отменить 3", USER_COMMANDS)
    assert [(c.name, c.arg) for c in parsed.commands] == [("signup", "4")]
    assert "семинара 3" in problem_text(parsed)


def test_subscribe_and_unsubscribe_conflict() -> None:
    parsed = parse_commands("#подписаться\n#отписаться", USER_COMMANDS)
    assert parsed.commands == ()
    assert "подписаться" in problem_text(parsed)


# --------------------------------------------------------------------------- contexts


def test_a_user_cannot_close_a_case() -> None:
    parsed = parse_commands("#закрыть\nСпасибо!", USER_COMMANDS)
    assert parsed.commands == ()
    text = problem_text(parsed)
    assert "недоступна" in text
    assert "«#записаться»" in text and "«#закрыть»" not in text.split("недоступна")[1]
    assert parsed.text == "Спасибо!"


def test_a_users_typo_is_matched_only_against_what_users_may_write() -> None:
    assert "«#записаться»" in problem_text(parse_commands("#записатся 3", USER_COMMANDS))
    parsed = parse_commands("#закрт", USER_COMMANDS)
    assert "Возможно" not in problem_text(parsed)
    assert "Здесь можно использовать" in problem_text(parsed)


def test_allowed_names_must_exist() -> None:
    with pytest.raises(ValueError, match="unknown command names: zakryt"):
        parse_commands("#закрыть", frozenset({"close", "zakryt"}))


def test_an_empty_context_allows_nothing() -> None:
    parsed = parse_commands("#помощь", frozenset())
    assert parsed.commands == ()
    assert "Здесь команды не используются." in problem_text(parsed)


# --------------------------------------------------------------------------- the result


def test_has_and_get() -> None:
    parsed = parse_commands("#передать Петровой\n#заметка срочно")
    assert parsed.has("transfer") and not parsed.has("close")
    transfer = parsed.get("transfer")
    assert transfer is not None and transfer.arg == "Петровой"
    assert parsed.get("close") is None


def test_empty_and_plain_texts() -> None:
    assert parse_commands("") == ParsedCommands((), (), "")
    assert parse_commands("\n \n") == ParsedCommands((), (), "")
    assert parse_commands("Просто ответ.") == ParsedCommands((), (), "Просто ответ.")


def test_every_problem_is_one_polite_russian_line() -> None:
    samples = [
        "#закрт", "#готово", "#передать", "#закрыть\n#ожидание", "#передать А\n#передать Б",
        "Привет\n#закрыть", "#подписаться\n#отписаться",
    ]
    for sample in samples:
        for problem in parse_commands(sample).problems:
            assert "\n" not in problem.problem
            assert re.search(r"[а-яё]", problem.problem)
            assert problem.problem.endswith((".", "?", "»."))
    user = ["#закрыть", "#записаться", "#записаться 1\n#отменить 1"]
    for sample in user:
        assert parse_commands(sample, USER_COMMANDS).problems


# --------------------------------------------------------------------------- the guide


def test_guide_lists_every_command_in_order_and_each_line_works() -> None:
    lines = guide_lines()
    assert len(lines) == len(COMMAND_NAMES)
    for (written, explanation), name in zip(lines, COMMAND_NAMES, strict=True):
        assert re.search(r"[а-яё]", explanation) and "\n" not in explanation
        word = written.split()[0]
        parsed = parse_commands(f"{word}{ARGS.get(name, '')}")
        assert names(parsed) == [name], written
        for alias in COMMAND_NAMES[name][1:]:
            assert f"#{alias}" in explanation


def test_guide_for_users_shows_only_their_commands() -> None:
    written = [w.split()[0] for w, _ in guide_lines(USER_COMMANDS)]
    assert written == ["#записаться", "#отменить", "#отписаться", "#подписаться"]
