"""Reference-article suggestions: the shipped knowledge base on realistic questions, the
scoring rules on a small hand-made base, and one-line errors for mistakes in the file."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from mailbot.text.classify import CATEGORY_IDS, OTHER
from mailbot.text.knowledge import (
    ROLES,
    Knowledge,
    KnowledgeError,
    Suggestion,
    knowledge_from_dict,
    load_knowledge,
    suggest,
)

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "config" / "knowledge.toml"


@pytest.fixture(scope="module")
def shipped() -> Knowledge:
    return load_knowledge(SHIPPED)


def ids(suggestions: list[Suggestion]) -> list[str]:
    return [s.article.id for s in suggestions]


# ------------------------------------------------------------------ the shipped file


def test_shipped_file_loads_with_a_realistic_starter_set(shipped: Knowledge) -> None:
    assert 25 <= len(shipped.articles) <= 35
    assert shipped.max_suggestions == 3
    assert len({a.id for a in shipped.articles}) == len(shipped.articles)
    for article in shipped.articles:
        assert article.url.startswith("https://"), article.id
        assert re.search(r"[А-Яа-яЁё]", article.title), article.id
        assert article.words and article.categories and article.audience


def test_every_category_has_an_article(shipped: Knowledge) -> None:
    covered = {cat for article in shipped.articles for cat in article.categories}
    assert covered == set(CATEGORY_IDS)


def test_relative_links_are_joined_to_the_base_url(shipped: Knowledge) -> None:
    (login,) = [a for a in shipped.articles if a.id == "login-gosuslugi"]
    assert login.url == shipped.base_url + "login-gosuslugi.html"


# Questions as people really type them: capitals, no punctuation, typos, ё and е.
QUESTIONS = [
    ("login", "НЕ МОГУ ЗАЙТИ В ДНЕВНИК ЧЕРЕЗ ГОСУСЛУГИ", "login-gosuslugi"),
    ("login", "забыла пароль от госуслуг как востановить", "password-forgotten"),
    ("login", "ЗАБЫЛ ПОРОЛЬ", "password-forgotten"),
    ("login", "пишет учётная запись не подтверждена что делать", "account-unconfirmed"),
    ("login", "смс с кодом не приходит уже час", "sms-code"),
    ("login", "сын хочет заходить в дневник со своего аккаунта а не с моего", "student-account"),
    ("login", "на госуслугах вхожу нормально а в эпосе пользователь не найден",
     "user-not-found"),
    ("parent_link", "не вижу дочку в дневнике, раньше была", "parent-no-child"),
    ("parent_link", "Как добавить второго ребенка? Старшую вижу а младшего нет", "second-child"),
    ("parent_link", "папа тоже хочет видеть дневник сына как дать ему доступ", "second-parent"),
    ("parent_link", "мы перевелись из другой школы а ребенка в дневнике нет",
     "transferred-student"),
    ("marks", "почему у ребенка нет оценок по математике за неделю", "marks-missing"),
    ("marks", "учитель поставил неправильную оценку в тетради 5 а в дневнике 3", "mark-wrong"),
    ("marks", "стоит Н а сын был на уроке", "absences"),
    ("marks", "почему энки стоят если болел справка есть", "absences"),
    ("howto_training", "как выставить оценку за самостоятельную", "teacher-put-mark"),
    ("homework", "не видно домашку на завтра", "homework-not-visible"),
    ("homework", "как прикрепить файл к дз", "homework-attach-file"),
    ("planning", "как загрузить КТП по алгебре", "ktp-import"),
    ("planning", "темы уроков не отображаются в журнале", "lesson-topics"),
    ("planning", "провела замену в 5б как отметить урок", "lesson-replacement"),
    ("planning", "в дневнике неправильное расписание на пятницу", "timetable"),
    ("final_marks", "когда появятся четвертные оценки", "final-marks"),
    ("final_marks", "как считается средний балл если у контрольной вес 2", "average-weights"),
    ("final_marks", "не могу исправить оценку пишет период закрыт", "period-closed"),
    ("reports", "как сформировать сводную ведомость по классу", "summary-sheet"),
    ("reports", "нужно распечатать журнал за прошлый год для архива", "journal-print-archive"),
    ("reports", "отчет по посещаемости за месяц выгрузить в эксель", "reports-performance"),
    ("app_outage", "в приложении Моя школа не приходят уведомления об оценках", "notifications"),
    ("app_outage", "ошибка 500 при входе в журнал", "site-errors"),
    ("app_outage", "приложение вылетает на андроиде после обновления", "app-moya-shkola"),
    ("app_outage", "как написать в техподдержку эпос и что указать", "support-request"),
    ("access_roles", "я новый учитель, нет доступа к журналу 7а", "teacher-access"),
    ("access_roles", "меня назначили классным руководителем 6б а вкладки нет", "teacher-access"),
    ("personal_data", "ошибка в фамилии ребёнка написано Семенова а надо Семёнова",
     "personal-data-fix"),
    ("personal_data", "неправильный снилс у сына", "personal-data-fix"),
    ("howto_training", "когда будет консультация по электронному журналу для новых учителей",
     "consultations"),
    ("howto_training", "есть памятка как работать в журнале", "teacher-first-steps"),
    ("complaint", "учитель нагрубила сыну хочу пожаловаться", "complaint"),
]


@pytest.mark.parametrize(("category", "text", "expected"), QUESTIONS)
def test_realistic_question_gets_a_fitting_article_first(
    shipped: Knowledge, category: str, text: str, expected: str
) -> None:
    found = suggest(shipped, category=category, text=text)
    assert found, text
    assert found[0].article.id == expected, [(s.article.id, s.reasons) for s in found]
    assert len(found) <= shipped.max_suggestions
    assert len(set(ids(found))) == len(found)
    scores = [s.score for s in found]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize(
    "text",
    [
        "Здравствуйте, у меня вопрос по дневнику, помогите пожалуйста",
        "добрый день подскажите пожалуйста",
        "ПОМОГИТЕ СРОЧНО!!!",
        "",
    ],
)
@pytest.mark.parametrize("category", [OTHER, "login", "marks", "howto_training"])
def test_vague_question_gets_nothing(shipped: Knowledge, category: str, text: str) -> None:
    assert suggest(shipped, category=category, text=text) == []


def test_other_without_any_word_gets_nothing(shipped: Knowledge) -> None:
    text = "Когда будет родительское собрание в 3Б и нужна ли сменная обувь"
    assert suggest(shipped, category=OTHER, text=text) == []


def test_off_category_article_needs_strong_evidence(shipped: Knowledge) -> None:
    # The classifier said «other», but the words leave no doubt.
    found = suggest(shipped, category=OTHER, text="не могу войти через госуслуги")
    assert ids(found)[:1] == ["login-gosuslugi"]
    # One word of another topic in a complaint is not enough for a login article.
    found = suggest(shipped, category="complaint", text="учитель нагрубил, пароль тут ни при чём")
    assert "password-forgotten" not in ids(found)


def test_role_filters_the_audience(shipped: Knowledge) -> None:
    text = "как прикрепить файл к домашнему заданию"
    assert ids(suggest(shipped, category="homework", text=text, role="teacher"))[0] == (
        "homework-attach-file")
    for_parent = suggest(shipped, category="homework", text=text, role="parent")
    assert "homework-attach-file" not in ids(for_parent)
    assert all("parent" in s.article.audience for s in for_parent)

    child = "не вижу ребенка в дневнике"
    assert ids(suggest(shipped, category="parent_link", text=child, role="parent"))[0] == (
        "parent-no-child")
    assert suggest(shipped, category="parent_link", text=child, role="teacher") == []
    # Without a role nothing is filtered.
    assert "parent-no-child" in ids(suggest(shipped, category="parent_link", text=child))


def test_same_question_same_answer(shipped: Knowledge) -> None:
    text = "Не могу войти, забыла пароль, СМС с кодом не приходит"
    first = suggest(shipped, category="login", text=text)
    assert first == suggest(shipped, category="login", text=text)
    assert len(first) == 3
    assert set(ids(first)) == {"password-forgotten", "sms-code", "login-gosuslugi"}


# ------------------------------------------------------------------ scoring, on a small base

SMALL: dict[str, Any] = {
    "settings": {"base_url": "https://help.example/ej/", "min_score": 2.5,
                 "category_bonus": 2.0, "min_share": 0.0},
    "article": [
        {"id": "password", "title": "Пароль", "link": "password.html",
         "categories": ["login"], "words": ["пароль", "забыть пароль", "ЕСИА"]},
        {"id": "homework", "title": "Домашнее задание", "link": "https://other.example/hw",
         "categories": ["homework"], "words": ["ДЗ", "домашк*", "задание"],
         "audience": ["parent", "student"]},
        {"id": "homework-twin", "title": "Домашнее задание ещё раз", "link": "twin.html",
         "categories": ["homework"], "words": ["ДЗ", "домашк*", "задание"]},
        {"id": "marks", "title": "Оценки", "link": "marks.html",
         "categories": ["marks"], "words": ["оценка", "ДЗ", "задание"]},
    ],
}


@pytest.fixture(scope="module")
def small() -> Knowledge:
    return knowledge_from_dict(SMALL, "small.toml")


def with_settings(**settings: Any) -> Knowledge:
    data = copy.deepcopy(SMALL)
    data["settings"].update(settings)
    return knowledge_from_dict(data, "small.toml")


def test_links_absolute_and_relative(small: Knowledge) -> None:
    urls = {a.id: a.url for a in small.articles}
    assert urls["password"] == "https://help.example/ej/password.html"
    assert urls["homework"] == "https://other.example/hw"


def test_phrase_claims_its_words(small: Knowledge) -> None:
    (found,) = suggest(small, category="login", text="Забыла пароль")
    assert found.score == 4.0  # phrase of two words + category
    assert any(r.startswith('phrase "Забыла пароль"') for r in found.reasons)
    assert not any(r.startswith("word") for r in found.reasons)


def test_overlapping_phrases_of_one_article_count_once() -> None:
    data = copy.deepcopy(SMALL)
    data["article"][0]["words"] = ["не могу войти", "войти через госуслуги", "госуслуги"]
    knowledge = knowledge_from_dict(data, "small.toml")
    (found,) = suggest(knowledge, category="login", text="не могу войти через Госуслуги")
    assert found.reasons == (
        'phrase "не могу войти" (не могу войти) +3.0',
        'word "Госуслуги" (госуслуги) +1.0',
        "category login +2.0",
    )
    assert found.score == 6.0


def test_repeated_word_counts_once(small: Knowledge) -> None:
    once = suggest(small, category="login", text="пароль")[0].score
    assert suggest(small, category="login", text="пароль, ПАРОЛЯ, паролем!")[0].score == once == 3


def test_category_bonus_needs_a_word_of_the_article(small: Knowledge) -> None:
    assert suggest(small, category="login", text="помогите войти в дневник") == []
    found = suggest(small, category="login", text="пароль")
    assert found[0].reasons[-1] == "category login +2.0"
    # Even a bonus above min_score does not bring an article the text says nothing about.
    generous = with_settings(category_bonus=5.0)
    assert suggest(generous, category="login", text="помогите войти в дневник") == []


def test_off_category_needs_more_words(small: Knowledge) -> None:
    assert suggest(small, category="homework", text="пароль") == []
    (found,) = suggest(small, category="homework", text="забыла пароль от ЕСИА")
    assert found.article.id == "password" and found.score == 3.0
    assert not any(r.startswith("category") for r in found.reasons)


def test_typo_counts_less_and_says_so(small: Knowledge) -> None:
    (found,) = suggest(small, category="login", text="не помню пороль")
    assert found.score == pytest.approx(2.8)
    assert any(r.startswith('typo for "пороль"') for r in found.reasons)


def test_abbreviation_only_as_a_whole_token(small: Knowledge) -> None:
    found = suggest(small, category="homework", text="Дз по русскому")
    assert ids(found) == ["homework", "homework-twin"]
    assert found[0].reasons[0] == 'word "Дз" (ДЗ) +1.0'
    assert suggest(small, category="homework", text="сын ходит на дзюдо") == []


def test_prefix_word_matches_jargon(small: Knowledge) -> None:
    found = suggest(small, category="homework", text="где домашку смотреть")
    assert ids(found) == ["homework", "homework-twin"]


def test_ties_keep_category_then_file_order() -> None:
    # Without a bonus, «ДЗ задание» gives each of three articles the same 2 points.
    knowledge = with_settings(category_bonus=0, min_score=1)
    found = suggest(knowledge, category="homework", text="ДЗ задание")
    assert ids(found) == ["homework", "homework-twin", "marks"]
    assert {s.score for s in found} == {2.0}
    found = suggest(knowledge, category="marks", text="ДЗ задание")
    assert ids(found) == ["marks", "homework", "homework-twin"]


def test_limit_and_max_suggestions(small: Knowledge) -> None:
    assert len(suggest(small, category="homework", text="ДЗ задание", limit=1)) == 1
    assert suggest(small, category="homework", text="ДЗ задание", limit=0) == []
    assert len(suggest(with_settings(max_suggestions=2), category="homework",
                       text="ДЗ задание")) == 2


def test_min_share_drops_a_weak_companion() -> None:
    text = "оценка за ДЗ, задание из домашки"
    # marks: 3 words + 2 = 5; each homework article: 3 words, off-category = 3.
    assert ids(suggest(with_settings(min_share=0.5), category="marks", text=text)) == [
        "marks", "homework", "homework-twin"]
    assert ids(suggest(with_settings(min_share=0.7), category="marks", text=text)) == ["marks"]


def test_role_leaves_out_articles_for_others(small: Knowledge) -> None:
    text = "домашка"
    assert "homework" in ids(suggest(small, category="homework", text=text, role="student"))
    assert "homework" not in ids(suggest(small, category="homework", text=text, role="teacher"))
    assert "homework-twin" in ids(suggest(small, category="homework", text=text, role="teacher"))


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"category": "logn"}, "unknown category"),
        ({"category": "login", "role": "admin"}, "unknown role"),
        ({"category": "login", "limit": -1}, "limit"),
    ],
)
def test_suggest_rejects_bad_arguments(small: Knowledge, kwargs: dict[str, Any],
                                       needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        suggest(small, text="пароль", **kwargs)


def test_roles_are_the_documented_ones() -> None:
    assert ROLES == ("parent", "student", "teacher", "staff")


# ------------------------------------------------------------------ mistakes in the file


def broken(change: Any) -> dict[str, Any]:
    data = copy.deepcopy(SMALL)
    change(data)
    return data


def article(data: dict[str, Any], i: int = 0) -> dict[str, Any]:
    return data["article"][i]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: article(d).update(categories=["mark"]),
         "article[1].categories[1]: unknown category 'mark'"),
        (lambda d: article(d).update(categories=[]), "article[1].categories: must be a non-empty"),
        (lambda d: article(d, 2).update(id="password"),
         "article[3].id: 'password' is already the id of article[1]"),
        (lambda d: article(d).update(id="Пароль"), "article[1].id: 'Пароль' must be"),
        (lambda d: article(d).pop("title"), "article[1].title: missing"),
        (lambda d: article(d).update(title="  "), "article[1].title: must be non-empty text"),
        (lambda d: article(d).update(title="Пароль\nи вход"), "article[1].title: must be one line"),
        (lambda d: article(d).pop("link"), "article[1].link: missing"),
        (lambda d: article(d).update(link="ftp://help.example/a"),
         "article[1].link: not a web address"),
        (lambda d: article(d).update(link="javascript:alert(1)"),
         "article[1].link: not a web address"),
        (lambda d: article(d).update(link="https:///nohost"), "article[1].link: not a web"),
        (lambda d: article(d).update(link="my page.html"), "article[1].link: a link cannot"),
        (lambda d: d["settings"].pop("base_url"),
         "article[1].link: relative link 'password.html' needs settings.base_url"),
        (lambda d: d["settings"].update(base_url="https://help.example/ej"),
         "settings.base_url: must end with /"),
        (lambda d: d["settings"].update(base_url="help.example/ej/"),
         "settings.base_url: not a web address"),
        (lambda d: article(d).update(lnk="x.html"), "article[1].lnk: unknown key"),
        (lambda d: d["settings"].update(max_suggestion=3), "settings.max_suggestion: unknown key"),
        (lambda d: d.update(articles=[]), "articles: unknown key"),
        (lambda d: d["settings"].update(max_suggestions=0), "settings.max_suggestions: must be"),
        (lambda d: d["settings"].update(min_score="много"), "settings.min_score: must be a number"),
        (lambda d: d["settings"].update(min_share=1.5), "settings.min_share: must be a share"),
        (lambda d: article(d).update(audience=["parents"]),
         "article[1].audience[1]: unknown role 'parents'"),
        (lambda d: article(d).update(words=[]), "article[1].words: must be a non-empty list"),
        (lambda d: article(d).update(words="пароль"), "article[1].words: must be a non-empty"),
        (lambda d: article(d).update(words=["пароль", 3]), "article[1].words[2]: must be"),
        (lambda d: article(d).update(words=["пароль", "пароля"]),
         "article[1].words[2]: 'пароля' is the same as 'пароль'"),
        (lambda d: article(d).update(words=["пароль", "пароль"]),
         "article[1].words[2]: 'пароль' is listed twice"),
        (lambda d: article(d).update(words=["что-то"]), "article[1].words[1]: 'что-то' is not"),
        (lambda d: article(d).update(words=["па*"]), "article[1].words[1]: a prefix needs"),
        (lambda d: d.update(article={"id": "x"}), "article: must be a list of [[article]]"),
        # The structure is checked before anything is compiled; entries counted from 1.
        (lambda d: article(d, 1).pop("id"), "article[2].id: missing"),
        (lambda d: article(d, 1).update(colour="red"), "article[2].colour: unknown key"),
        (lambda d: article(d, 1).update(words=["ДЗ", ""]),
         "article[2].words[2]: must be non-empty text"),
        (lambda d: article(d, 1).update(audience=["student", "student"]),
         "article[2].audience[2]: 'student' is listed twice"),
        (lambda d: article(d, 1).update(categories=["homework", "mark"]),
         "article[2].categories[2]: unknown category 'mark'"),
        (lambda d: d.update(settings=3), "settings: must be a table"),
        (lambda d: d["settings"].update(min_score=True), "settings.min_score: must be a number"),
        (lambda d: d["settings"].update(category_bonus=-1),
         "settings.category_bonus: must be at least 0"),
        (lambda d: d["settings"].update(base_url=3), "settings.base_url: must be text"),
        (lambda d: d.update(article=[{"id": "x"}, 3]), "article: must be a list of [[article]]"),
    ],
)
def test_mistake_is_one_line_naming_file_and_key(change: Any, needle: str) -> None:
    with pytest.raises(KnowledgeError) as caught:
        knowledge_from_dict(broken(change), "config/knowledge.toml")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("config/knowledge.toml: ")
    assert needle in message


def test_file_errors_are_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(KnowledgeError, match=r"nope\.toml: file not found"):
        load_knowledge(missing)
    bad = tmp_path / "knowledge.toml"
    bad.write_text('[[article]]\nid = "x\n', encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"knowledge\.toml: not valid TOML") as caught:
        load_knowledge(bad)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "knowledge.toml"
    path.write_text(
        '[settings]\nbase_url = "https://h.example/"\n\n'
        '[[article]]\nid = "ktp"\ntitle = "КТП"\nlink = "ktp.html"\n'
        'categories = ["planning"]\nwords = ["КТП", "тематическое планирование"]\n',
        encoding="utf-8",
    )
    knowledge = load_knowledge(path)
    assert knowledge.source == str(path)
    (found,) = suggest(knowledge, category="planning", text="не грузится ктп")
    assert found.article.url == "https://h.example/ktp.html"
    assert found.reasons == ('word "ктп" (КТП) +1.0', "category planning +2.0")
