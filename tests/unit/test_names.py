"""Greetings as Russians write them: name and patronymic, or a neutral «Здравствуйте!»."""

import pytest

from mailbot.outgoing.names import address_name, greeting


@pytest.mark.parametrize(("full", "expected"), [
    ("Иванова Надежда Павловна", "Надежда Павловна"),
    ("Надежда Павловна Иванова", "Надежда Павловна"),
    ("Надежда Павловна", "Надежда Павловна"),
    ("Кузнецов Алексей Ильич", "Алексей Ильич"),
    ("Сидоров Пётр Кузьмич", "Пётр Кузьмич"),
    ("Римская-Корсакова Анна Никитична", "Анна Никитична"),
    ("Петрова Ольга Викторовна,", "Ольга Викторовна"),
])
def test_name_and_patronymic_are_found_in_either_order(full: str, expected: str) -> None:
    assert address_name(full) == expected
    assert greeting(full) == f"Здравствуйте, {expected}!"


@pytest.mark.parametrize("full", [
    "Кузьмина Светлана", "Анна Петрова", "Anna Petrova", "мама Софии", "", "Ольга",
    "ИВАНОВА НАДЕЖДА ПАВЛОВНА", "Служба поддержки ЭПОС", "Петров Иван Иванович Сергеевич",
])
def test_without_a_patronymic_the_greeting_is_neutral(full: str) -> None:
    assert greeting(full) == "Здравствуйте!"


def test_none_is_neutral_too() -> None:
    assert greeting(None) == "Здравствуйте!"
