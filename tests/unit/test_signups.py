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
