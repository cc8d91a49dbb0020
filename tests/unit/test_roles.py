"""The writer's role from their own words, the way parents and students really name
themselves: «мама Беловой Софии, 4 А», «папа ученика 5"А"», «ученица 10Б» — in the first
sentence after the greeting or in the closing lines, in any case, with or without class
letters — and the same words about someone else, which name nobody's role."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailbot.school.people import People
from mailbot.school.people_file import load_people
from mailbot.text.role_hints import guess_role_hint
from mailbot.text.roles import label, role_of

ROOT = Path(__file__).resolve().parents[2]

# (text, role the writer has). Written for this test the way parents write, not taken
# from the classifier's labelled set, so they measure the genitive phrasing on its own.
SIGNED_PARENTS = [
    "Здравствуйте! Не вижу оценок за четверть.\n—\nМама Беловой Софии, 4 А",
    "Не открывается электронный дневник с телефона.\nРодитель Петрова Ивана",
    ("Прошу привязать второго ребёнка к учётной записи.\n\nС уважением,\n"
     "законный представитель Сидоровой Алины, 2\"Б\""),
    ("Добрый день! В дневнике не видно домашнего задания по английскому.\n\n"
     "С уважением, мама Лизы Орловой 5-а"),
    "Нет оценки за контрольную от 12 марта.\nКузнецова Ольга, мама Артёма Кузнецова, 8 В класс",
    ("Сообщения учителю не отправляются, пишет ошибку.\n--\nпапа ученика 6 \"А\" Смирнова\n"
     "+7 912 345-67-89"),
    "Почему не видно итоговых оценок?\nЗаранее спасибо, мать ученицы 7Б класса Ивановой",
    "Не могу зайти в ЭПОС, пишет учетная запись не подтверждена\nбабушка Миши Кузнецова (3 В)",
    "В электронном дневнике неверная дата рождения.\nОпекун Никиты Волкова, 1 Г",
    "Приложение Моя школа не присылает уведомления.\nМАМА ЕГОРОВА ДАНИИЛА 9Б",
    "Не приходят уведомления об оценках\n\nотец Захара Белова 3 «Б»",
    ("Здравствуйте, у сына не отображается расписание на завтра.\n\nС уважением, Громова "
     "Елена (мама Громова Кирилла, 2 «А» класс)"),
    "Вход через госуслуги не работает\nДедушка Ани Соловьёвой 1А",
]
INTRODUCED_PARENTS = [
    "Добрый день. Папа ученика 5 А. Не могу войти в дневник через Госуслуги.",
    "Здравствуйте, мать ученицы 7Б класса Ивановой. Не приходит СМС для входа.",
    "Здравствуйте! Бабушка Миши Кузнецова (3 В). Не видно домашнего задания.",
    "ДОБРЫЙ ДЕНЬ! МАМА УЧЕНИКА 6-А КЛАССА. НЕ МОГУ ЗАЙТИ В ЭПОС",
    "здравствуйте мама лизы орловой 5а класс не вижу оценки",
    "Добрый день, мама Беловой Софии, 4 А, не вижу оценки за контрольную",
    "Здравствуйте, это папа Ильи Смирнова из 2 Б. Подскажите, как привязать ребёнка?",
    ("Уважаемая Надежда Павловна!\nРодитель Петрова Ивана, 5\"Б\", подскажите, почему не "
     "видно оценок?"),
    "Вас беспокоит мама Алисы Фёдоровой, 3а. Не открывается дневник.",
    ("Доброго времени суток. Законный представитель несовершеннолетнего Козлова Максима. "
     "Прошу исправить ФИО в дневнике."),
    "Здравствуйте, родители ученицы 1В Морозовой, у нас не отображается расписание.",
    "Добрый день! Мама Софии, мне не приходит код из СМС",
    "Папа (законный представитель) Орлова Егора, 6Б. Не вижу оценок.",
    "Здравствуйте!\nМама Ивана\nНе приходят уведомления",
    "Я мама ученицы 3А, не могу войти",  # with «я», as before
    "Добрый вечер! Пишет мама Виктории Лебедевой, 9 Б. Почему не видно оценок по химии?",
    "Доброе утро. Мать Павловой Киры 6-Б. В дневнике оценка 2, а учитель говорит 4.",
    "Добрый день, папа Ромы Ильина 3б, подскажите пожалуйста как восстановить пароль",
]
STUDENTS = [
    "Здравствуйте, я ученик 9 А, не могу войти в дневник",
    "Здравствуйте. Ученица 10Б. Не вижу оценку за сочинение.",
    "не показывает домашку по физике\nученица 10Б",
    "Почему у меня н за 5 марта, я был в школе?\nПетров Иван, ученик 8 \"В\" класса",
    "Добрый день! Ученик 11 А класса Соколов Дмитрий, не могу войти через Госуслуги.",
    "Здравствуйте, обучающийся 7-б, прошу исправить оценку",
    "Здравствуйте. Ученик 6 \"Г\" класса. Не могу войти.",
    "привет ученица 8а не вижу дз по алгебре",
    "Не работает приложение.\nМаксим Орлов, ученик 7-в",
]
# The same words about someone else: a teacher or a student writing about a parent or a
# pupil. No role, or the writer's own (a teacher's) where their words say it.
ABOUT_SOMEONE_ELSE = [
    ("Родитель ученика 5Б пишет мне оскорбления по ночам", None),
    ("Мама ученика 5Б, Иванова, пишет мне в дневнике каждый вечер. Как это отключить?", None),
    ("Мама ученика 5Б мне пишет каждый день, как отключить сообщения?", None),
    ("Папа ученика 6 А не может войти в ЭПОС, просит помочь. Что ему ответить?", None),
    ("Мама ученицы 3Б попросила исправить фамилию. Как это сделать?", None),
    ("Бабушка ученицы 3 В просит прислать инструкцию по входу.", None),
    ("Ученик 9 А класса не отображается в журнале по алгебре.", None),
    ("Здравствуйте, ученица 10Б Петрова, у неё не открывается дневник", None),
    ("Мама сказала написать вам, у меня не работает дневник", None),
    ("Мама тоже не может войти в дневник", None),
    ("Спасибо, мама", None),
    ("Мама ученика 2 А принесла справку, как отметить в журнале пропуск по болезни?", None),
    ("Папа Тимура Зайцева сказал, что не видит оценок. Проверьте, пожалуйста.", None),
    ("Родитель ученицы 5Б просит восстановить доступ", None),
    (("Здравствуйте. Законный представитель ученика 8 Б Кравцов А.С. не может войти в ЭПОС, "
      "прошу помочь"), None),
    ("Ученица 10Б не видит свои оценки, хотя я их выставила.", "teacher"),
    ("Коллеги, родитель ученицы 4Б жалуется, что не видит оценок.", "teacher"),
    ("Мама ученика 5Б у меня в классе не может войти в дневник", "teacher"),
    ("Не сохраняются темы уроков.\nИванова Мария Петровна, классный руководитель 5 А", "teacher"),
]
LABELLED = ([(t, "parent") for t in SIGNED_PARENTS + INTRODUCED_PARENTS]
            + [(t, "student") for t in STUDENTS] + ABOUT_SOMEONE_ELSE)


@pytest.mark.parametrize(("text", "role"), LABELLED, ids=[t[:40] for t, _ in LABELLED])
def test_labelled_example(text: str, role: str | None) -> None:
    found, reasons = guess_role_hint(text)
    assert found == role, reasons
    if role is not None:
        assert any(r.startswith(role) for r in reasons)


def test_the_labelled_set_is_varied() -> None:
    texts = [t for t, _ in LABELLED]
    assert len(SIGNED_PARENTS) >= 10 and len(INTRODUCED_PARENTS) >= 10 and len(STUDENTS) >= 5
    assert any(t.isupper() for t in texts) and any(t == t.lower() for t in texts)
    for written in ('5"Б"', "5-а", "8 В класс", "(3 В)", "3 «Б»", "9Б", "1 Г"):
        assert any(written in t for t in texts), written


def test_a_signature_and_an_introduction_are_one_piece_of_evidence() -> None:
    _role, reasons = guess_role_hint("Здравствуйте, мама Софии, 4 А. Не вижу оценок.\n"
                                     "Мама Беловой Софии, 4 А")
    assert [r for r in reasons if "as a parent" in r] == [
        'parent +3.0: signed as a parent "мама беловой софии, 4 а"']


# --------------------------------------------------------------------------- role_of


@pytest.fixture(scope="module")
def people() -> People:
    return load_people(ROOT / "config" / "people.toml")


def test_role_of_a_stranger_who_signs_as_a_parent(people: People) -> None:
    guess = role_of("belova@mail.example", SIGNED_PARENTS[0], people)
    assert guess.role == "parent" and label(guess.role) == "родитель"
    guess = role_of("belova@mail.example", SIGNED_PARENTS[0], None)
    assert guess.role == "parent"


def test_role_of_a_student_at_the_school_domain(people: People) -> None:
    guess = role_of("s.ivanov@school.example", STUDENTS[1], people)
    assert guess.role == "student"
    assert guess.reasons[0] == "s.ivanov@school.example is at a school domain"


def test_role_of_someone_who_writes_about_a_parent_stays_unknown(people: People) -> None:
    guess = role_of("someone@mail.example", ABOUT_SOMEONE_ELSE[0][0], people)
    assert guess.role == "unknown"
