"""Requests about seminars and the schedule digest, written by users in plain words.

«Запись на семинар 3», «#записаться 3», «Отменить запись на семинар 3», «Отписаться»: a
short mail whose subject or opening line says one of these is a request, not a question, and
gets a confirmation instead of a case for a helper. A longer mail that merely mentions a
seminar is a question like any other.

People write politely: a greeting may come first («Здравствуйте!», «Добрый день, Надежда
Павловна!», on its own line or before the request on the same one), and the request itself
may be wrapped in courtesy — «Запишите меня, пожалуйста, на семинар № 2», «Прошу записать
меня на семинар 3», «Хочу записаться на семинар 2», «Можно записаться на семинар 2?»,
«Отмените, пожалуйста, мою запись на семинар 3». Only greetings may come before it: a mail
that opens with anything else is read as a question.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from mailbot.desk.commands import USER_COMMANDS, parse_commands
from mailbot.desk.threads import strip_prefixes
from mailbot.text.greetings import strip_greeting

_NUMBER = r"(?:№|#|номер)?\s*(\d{1,3})"
_SEMINAR = r"(?:семинар\w*|тренинг\w*|обучени\w*)"
# Courtesy before the verb: «Пожалуйста, запишите», «Прошу записать», «Я хотела бы
# записаться», «Можно ли записаться», «Могу ли я записаться».
_LEAD = (r"(?:(?:пожалуйста|прошу|просим|я|мы|хочу|хотим|хотел[аи]?|хотелось|бы|можно|ли"
         r"|могу|можем|нельзя|мне|нам|также|тоже)[\s,]+)*")
# Between the verb and the seminar: «меня, пожалуйста,», «нас тоже», «мою».
_FILL = r"(?:[\s,]+(?:меня|нас|мою|нашу|пожалуйста|тоже|также))*[\s,]+"
_PHRASES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("cancel", re.compile(rf"^\s*{_LEAD}(?:отмен\w*|отказ\w*|удалит\w*|удалите){_FILL}"
                          rf"(?:от\s+)?(?:мо\w+\s+|наш\w+\s+)?(?:запис\w+{_FILL})?"
                          rf"(?:на\s+)?{_SEMINAR}\s*{_NUMBER}\b",
                          re.IGNORECASE)),
    ("signup", re.compile(rf"^\s*{_LEAD}(?:запис\w*|запиш\w*|зарегистрир\w*){_FILL}"
                          rf"(?:на\s+)?{_SEMINAR}\s*{_NUMBER}\b", re.IGNORECASE)),
    # «Отписаться» alone is the answer to our digest; «как отписаться от СМС в приложении»
    # is a question, so a phrase must name the schedule mailing.
    ("unsubscribe", re.compile(r"^\s*(?:отписат\w*|отпишите)\s+(?:меня\s+)?(?:от\s+)?"
                               r"(?:рассылк\w*|расписани\w*)|^\s*(?:отписаться|unsubscribe)"
                               r"[\s.!]*$", re.IGNORECASE)),
    ("subscribe", re.compile(r"^\s*(?:подписат\w*|подпишите)\s+(?:меня\s+)?(?:на\s+)?"
                             r"(?:рассылк\w*|расписани\w*)", re.IGNORECASE)),
)
_MAX_WORDS = 40  # a request is short; a long letter is a question that mentions seminars


_SEMINAR_NUMBER = re.compile(rf"{_SEMINAR}\s*{_NUMBER}\b", re.IGNORECASE)
_USER_WORDS = ("#записаться", "#отменить", "#отписаться", "#подписаться")


@dataclass(frozen=True)
class SignupRequest:
    action: str  # signup | cancel | subscribe | unsubscribe | problem
    numbers: tuple[int, ...] = ()
    also: tuple[SignupRequest, ...] = ()  # further requests in the same mail, in order
    problem: str = ""  # for "problem": what to tell the writer (Russian)


# facts.py asks about a user's mail to know what to load, then user.plan asks again about the
# same text: the answer (immutable) is kept for the last few mails rather than read twice.
@functools.lru_cache(maxsize=64)
def read_request(subject: str, text: str, *, commands_only: bool = False,
                 ) -> SignupRequest | None:
    """The request in a user's mail, or None when it is an ordinary question.

    Commands («#записаться 3») count on the first lines, after greetings if any (see
    `parse_commands`). A phrase counts in the subject or in the opening line — the first
    line that is not only a greeting, without the greeting it starts with — when the whole
    mail is short (`_MAX_WORDS`). In a reply within a case (`commands_only`) only an
    explicit «#записаться N» counts: the acknowledgement offers it, and a phrase there is
    more likely part of the conversation.
    """
    parsed = parse_commands(text, allowed=USER_COMMANDS)
    if parsed.commands:
        steps: dict[str, list[int]] = {}
        for command in parsed.commands:  # «#отменить 1» then «#записаться 2»: both, in order
            steps.setdefault(command.name, [])
            if command.arg.isdigit():
                steps[command.name].append(int(command.arg))
        requests = [SignupRequest(name, tuple(numbers)) for name, numbers in steps.items()]
        requests += [SignupRequest("problem", problem=p.problem) for p in parsed.problems]
        return SignupRequest(requests[0].action, requests[0].numbers, tuple(requests[1:]))
    if parsed.problems and any(p.line.strip().lower().startswith(_USER_WORDS)
                               for p in parsed.problems):
        # «#записаться» without a number: the writer meant a request; say what is missing.
        return SignupRequest("problem", problem=parsed.problems[0].problem)
    if commands_only or len(text.split()) > _MAX_WORDS:
        return None
    for candidate in (strip_greeting(strip_prefixes(subject)), _opening(text)):
        for action, pattern in _PHRASES:
            if pattern.search(candidate):
                numbers = tuple(int(n) for n in _SEMINAR_NUMBER.findall(candidate))
                return SignupRequest(action, numbers)
    return None


def _opening(text: str) -> str:
    """The first line that says more than a greeting, without the greeting it starts with:
    «Здравствуйте!\\n\\nДобрый день! Запишите меня…» -> «Запишите меня…»."""
    for line in text.splitlines():
        rest = strip_greeting(line)
        if rest:
            return rest
    return ""
