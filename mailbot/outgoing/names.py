"""How a letter addresses a person, as Russians expect.

A colleague or a parent is greeted by name and patronymic («Здравствуйте, Надежда
Павловна!»), never by surname and first name («Здравствуйте, Кузьмина Светлана!» reads as a
form letter, or a summons). When the patronymic is not known — a From name of two words, a
nickname, a Latin name, nothing — the greeting is the neutral «Здравствуйте!».
"""

from __future__ import annotations

import re

# Patronymics: -ович/-евич/-ич (Ильич, Кузьмич), -овна/-евна/-ична/-инична.
_PATRONYMIC = re.compile(r"^[А-ЯЁ][а-яё]+(?:ович|евич|ьич|ич|овна|евна|ична|инична)$")
_NAME = re.compile(r"^[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?$")


def address_name(full_name: str) -> str:
    """«Иванова Надежда Павловна», «Надежда Павловна Иванова» or «Надежда Павловна» →
    «Надежда Павловна»; anything without a recognisable patronymic → ""."""
    words = [w.strip(".,;:()«»\"'") for w in full_name.split()]
    words = [w for w in words if w]
    if not 2 <= len(words) <= 3 or not all(_NAME.match(w) for w in words):
        return ""
    for i in range(1, len(words)):
        if _PATRONYMIC.match(words[i]) and not _PATRONYMIC.match(words[i - 1]):
            return f"{words[i - 1]} {words[i]}"
    return ""


def greeting(full_name: object) -> str:
    """The first line of a letter: «Здравствуйте, Надежда Павловна!» or «Здравствуйте!»."""
    name = address_name(str(full_name or ""))
    return f"Здравствуйте, {name}!" if name else "Здравствуйте!"
