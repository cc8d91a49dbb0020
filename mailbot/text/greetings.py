"""Greetings and forms of address at the start of a line: «Добрый день!», «Уважаемая Надежда
Павловна!», «Коллеги,», «Hi 👋».

People greet before what they mean, so a line of nothing but greetings must not hide a
command or a request (desk/commands.py, text/requests.py), must not count as the body a
signature signs (reading/signatures.py), and is not the writer introducing themselves
(text/role_hints.py). One detector serves them all.
"""

from __future__ import annotations

import re

__all__ = ["CLEAN", "is_greeting", "strip_greeting"]

# Odd spaces become spaces, invisible characters go, full-width ASCII becomes ASCII: what
# phones and rich editors put into a line that a person reads as plain.
_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a" \
          "\u202f\u205f\u3000\t"
CLEAN = str.maketrans({
    **{ord(ch): " " for ch in _SPACES},
    **dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None),
    **{0xFF01 + i: chr(0x21 + i) for i in range(94)},  # full-width ASCII: ＃, Ａ...
    0xFE5F: "#",  # small number sign
})


# A greeting, in Russian or English, with «всем» before or after: «Здравствуйте»,
# «Добрый день», «Доброго времени суток», «Привет», «Hello», «Всем добрый вечер».
_GREETING = (
    r"(?i:(?:всем\s+)?(?:здра(?:в|вс)?ствуй(?:те)?|здрасс?ь?те|приветствую(?:\s+вас)?|привет"
    r"|добр(?:ый|ое|ого|ой)\s+(?:день|дня|вечер|вечера|утро|утра|ночи"
    r"|времени(?:\s+суток)?|суток)"
    r"|hello|hi|hey|good\s+(?:morning|afternoon|evening|day))(?:\s+всем)?)"
)
_POLITE = r"(?i:(?:много)?уважаем\w*|дорог\w*|мил\w*|dear)"
# Whom a letter is addressed to when it is no person: «коллеги», «служба поддержки».
_COLLECTIVE = (r"(?i:коллег[иа]|друзья|все|всем|команда|поддержка|служба(?:\s+поддержки)?"
               r"|(?:администрац|администратор|специалист|сотрудник|team|support)\w*)")
_NAME = r"[А-ЯЁA-Z][а-яёa-z]+(?:-[А-ЯЁA-Z][а-яёa-z]+)?"
_INITIALS = r"[А-ЯЁ]\.\s*(?:[А-ЯЁ]\.)?"
_NAMES = rf"{_NAME}(?:\s+(?:{_NAME}|{_INITIALS})){{0,2}}"
_PATRONYMIC = rf"(?:{_NAME}\s+){{1,2}}[А-ЯЁ][а-яё]+(?:вна|вич|чна|ична|ич)\b"
# Any form of address after a greeting; before one («Мария, добрый день!»); or alone on a
# line, where a bare capitalised word could be a request («Отписаться»), so it needs a
# polite word, a collective or a patronymic.
_ADDRESSEE = rf"(?:{_POLITE}\s+)?(?:{_COLLECTIVE}(?:\s+{_COLLECTIVE})?|{_NAMES})"
_ALONE = (rf"(?:{_POLITE}\s+(?:{_COLLECTIVE}|{_NAMES}|[а-яё]+(?:\s+[а-яё]+)?)"
          rf"|{_COLLECTIVE}|{_PATRONYMIC})")
_ENDS = r"(?=\s*(?:[^\w\s#№]|$))"  # a form of address ends at punctuation, an emoji or the end
_GREETING_RE = re.compile(
    rf"(?:{_GREETING}\b(?:[\s,]+{_ADDRESSEE}{_ENDS})?|{_ADDRESSEE}[\s,—–-]+(?={_GREETING}\b)"
    rf"|{_ALONE}{_ENDS})[^\w#№]*"
)


def strip_greeting(line: str) -> str:
    """The line without the greetings and forms of address it starts with.

    «Здравствуйте, Надежда Павловна! Запишите меня» -> «Запишите меня»; «Коллеги, добрый
    день 🙂» -> «»; a line that starts otherwise is returned as it is (stripped).
    """
    rest = line.translate(CLEAN).strip()
    while rest and (match := _GREETING_RE.match(rest)) is not None and match.end():
        rest = rest[match.end():].lstrip()
    return rest


def is_greeting(line: str) -> bool:
    """Whether a line holds nothing but greetings and forms of address (and punctuation
    or emoji): «Добрый день!», «Уважаемая Надежда Павловна!», «Коллеги,», «Hi 👋»."""
    return bool(line.strip()) and not strip_greeting(line)
