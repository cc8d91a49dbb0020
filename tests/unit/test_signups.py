import pytest

from mailbot.text.requests import read_request


@pytest.mark.parametrize(("subject", "body", "action", "numbers"), [
    ("Запись на семинар 3", "Спасибо!", "signup", (3,)),
    ("Запишите меня на семинар 2", "", "signup", (2,)),
    ("вопрос", "Прошу записать меня на семинар №3 и на семинар №4", "signup", (3, 4)),
    ("семинар", "#записаться 1", "signup", (1,)),
    ("Re: Расписание", "#Записаться 5.", "signup", (5,)),
    ("Отмена", "Отменить запись на семинар 3", "cancel", (3,)),
    ("Re: расписание", "Отписаться", "unsubscribe", ()),
    ("", "Отпишите меня от рассылки расписания, пожалуйста", "unsubscribe", ()),
    ("Подписаться на рассылку расписания", "", "subscribe", ()),
])
def test_requests_are_read(subject: str, body: str, action: str, numbers: tuple[int, ...]) -> None:
    request = read_request(subject, body)
    assert request is not None
    assert (request.action, request.numbers) == (action, numbers)


@pytest.mark.parametrize(("subject", "body"), [
    ("Отписаться от уведомлений", "Как отписаться от СМС-уведомлений в приложении?"),
    ("Семинар", ("Будет ли семинар 3 для родителей? Хотела бы прийти, но не знаю, для кого он "
                "и нужно ли записываться заранее, у меня двое детей в разных классах.")),
    ("Не могу войти", "Здравствуйте, не могу войти в дневник через Госуслуги."),
    ("#5 в списке", "Почему у сына #5 в списке класса?"),
])
def test_questions_are_not_requests(subject: str, body: str) -> None:
    assert read_request(subject, body) is None


@pytest.mark.parametrize(("subject", "body", "action", "numbers"), [
    ("", "Здравствуйте!\n\nЗапишите меня на семинар 2, пожалуйста", "signup", (2,)),
    ("Семинар", "Добрый день!\nЗапишите меня, пожалуйста, на семинар № 2\n\nС уважением, Анна",
     "signup", (2,)),
    ("", "Здравствуйте.\nПрошу записать меня на семинар 3", "signup", (3,)),
    ("", "Здравствуйте. Хочу записаться на семинар 2.", "signup", (2,)),
    ("", "Добрый день, Надежда Павловна!\nОтмените, пожалуйста, мою запись на семинар 3",
     "cancel", (3,)),
    ("Вопрос", "Здравствуйте! Можно записаться на семинар 2?", "signup", (2,)),
    ("", "Уважаемая Надежда Павловна!\nЯ хотела бы записаться на семинар 4", "signup", (4,)),
    ("", "Пожалуйста, запишите меня на семинар 5", "signup", (5,)),
    ("", "Коллеги, добрый день!\nХочу отказаться от семинара 3", "cancel", (3,)),
    ("", "Отменить мою запись, пожалуйста, на семинар 3", "cancel", (3,)),
    ("Re: Расписание", "Добрый день!\nОтписаться", "unsubscribe", ()),
    ("Здравствуйте! Запись на семинар 6", "", "signup", (6,)),
    ("", "Здравствуйте.\n#записаться 3", "signup", (3,)),
    ("", "Добрый вечер 🙂\n\n#отменить 2\nСпасибо!", "cancel", (2,)),
])
def test_a_greeting_and_courtesy_do_not_hide_a_request(
        subject: str, body: str, action: str, numbers: tuple[int, ...]) -> None:
    request = read_request(subject, body)
    assert request is not None
    assert (request.action, request.numbers) == (action, numbers)


@pytest.mark.parametrize("body", [
    # Not only a greeting before it: an introduction makes it a letter, read as a question.
    "Здравствуйте! Меня зовут Анна.\nЗапишите меня на семинар 2",
    "Добрый день!\nПодскажите, а семинар 2 будет? Хочу записаться на семинар 2.",
    # A long letter that mentions a seminar stays a question, however politely it starts.
    ("Здравствуйте!\nХочу записаться на семинар 2, но не понимаю, подойдёт ли он мне: я веду "
     "историю только второй год, журнал заполняю с трудом, а в расписании написано, что "
     "семинар для опытных пользователей. Может быть, лучше сначала прийти на консультацию? "
     "Подскажите, пожалуйста, как лучше поступить и куда обращаться."),
    "Здравствуйте!\n\nНе могу войти в дневник через Госуслуги.",
])
def test_after_a_greeting_a_question_is_still_a_question(body: str) -> None:
    assert read_request("Вопрос", body) is None


def test_several_commands_are_all_kept_in_order() -> None:
    request = read_request("семинары", "#отменить 1\n#записаться 2")
    assert request is not None
    assert (request.action, request.numbers) == ("cancel", (1,))
    assert [(r.action, r.numbers) for r in request.also] == [("signup", (2,))]


def test_a_command_without_its_number_is_answered_not_guessed() -> None:
    request = read_request("семинар", "#записаться")
    assert request is not None and request.action == "problem"
    assert "номер" in request.problem


def test_in_a_reply_only_explicit_commands_count() -> None:
    assert read_request("Re: [ЭЖ #4] вопрос", "Запишите меня на семинар 2",
                        commands_only=True) is None
    request = read_request("Re: [ЭЖ #4] вопрос", "#записаться 2", commands_only=True)
    assert request is not None and request.numbers == (2,)
    request = read_request("Re: [ЭЖ #4] вопрос", "Спасибо за ответ!\n#записаться 2",
                           commands_only=True)
    assert request is None  # «Спасибо» is not a greeting: the command is not on the first lines
    request = read_request("Re: [ЭЖ #4] вопрос", "Здравствуйте!\n#записаться 2",
                           commands_only=True)
    assert request is not None and request.numbers == (2,)
