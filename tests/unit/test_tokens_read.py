"""`tokens.read` (a text's tokens and its index kept to a rule file's keys, in one pass over
memoised words) gives what the plain `tokenize` and `index` give, for a cold memo and a warm
one, with the stems of prefix words: on texts of repeated words, typos, abbreviations, Latin
look-alikes and signs, as mail has them."""

from __future__ import annotations

import random
from pathlib import Path

from mailbot.text import knowledge as knowledge_module
from mailbot.text.category_rules import load_rules
from mailbot.text.classify import _phrase_keys
from mailbot.text.knowledge import load_knowledge
from mailbot.text.tokens import Token, index, prefix_key, read, tokenize

CONFIG = Path(__file__).resolve().parents[2] / "config"

PIECES = [
    "Не", "могу", "войти", "в", "ЭЖ", "эж", "электронный", "журнал", "дневник", "пароль",
    "пороль", "востановить", "оценка", "оценки", "оценок", "четвертная", "четвертные",
    "годовая", "ДЗ", "д/з", "домашнее", "задание", "Госуслуги", "госуслуг", "ЕСИА", "логин",
    "oценка", "сына", "дочери", "7б", "9", "2026", "учитель", "расписание", "урок", "уроки",
    "ошибка", "500", "браузер", "телефон", "приложение", "Ёлка", "ещё", "—", ",", ".", "!",
    "\n", "  ", "xyz", "Error", "профиль", "родитель", "спасибо", "заранее",
]


def _texts(count: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(PIECES) for _ in range(rng.randint(0, 60)))
            for _ in range(count)]


def _plain(text: str, rules: object, keys: frozenset[str], stems: tuple[str, ...],
           ) -> tuple[list[Token], dict[str, list[int]]]:
    tokens = tokenize(text, rules)  # type: ignore[arg-type]
    where = {key: places for key, places in index(tokens).items() if key in keys}
    for stem in stems:
        places = [i for i, token in enumerate(tokens)
                  if token.abbr is None and token.folded.startswith(stem)]
        if places:
            where[prefix_key(stem)] = places
    return tokens, where


def test_read_is_tokenize_and_index_for_the_classifier() -> None:
    rules = load_rules(CONFIG / "categories.toml")
    keys = _phrase_keys(rules)
    for text in _texts(300) * 2:  # the second round reads from a warm memo
        assert read(text, rules, keys) == _plain(text, rules, keys, ())


def test_read_is_tokenize_and_index_for_the_knowledge_base() -> None:
    knowledge = load_knowledge(CONFIG / "knowledge.toml")
    keys, stems = knowledge_module._keys(knowledge), knowledge_module._stems(knowledge)
    assert stems  # the knowledge base has prefix words, so stems are checked
    for text in _texts(300, seed=4) * 2:
        assert read(text, knowledge.reader, keys, stems) == _plain(
            text, knowledge.reader, keys, stems)
