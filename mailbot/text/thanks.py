"""Is a reply only a thank-you? «Спасибо, всё заработало!» to a closed case closes nothing new.

A user often answers the helper's last mail with thanks. Reopening the case for that, and
sending the helper a follow-up, is noise; but a thank-you that also asks something («Спасибо!
А как теперь привязать второго ребёнка?») is a new question and must reach the helper.
The test is deliberately strict: short, thankful, and nothing that asks or complains.
"""

from __future__ import annotations

import re

_MAX_WORDS = 40
_THANKS = re.compile(
    r"\b(?:спасибо|спс|благодар\w*|признательн\w*|thanks?|thank you|"
    r"вс[её] (?:получилось|заработало|работает|в порядке|понятно|ясно)|"
    r"получилось|заработало|разобрал(?:ась|ся|ись)|помогло)\b", re.IGNORECASE)
# Words of a question, a problem or a request: such a reply is passed on to the helper.
_ASKS = re.compile(
    r"\?|\b(?:но|однако|только|а как|как|почему|зачем|когда|где|можно ли|подскажите|"
    r"помогите|объясните|уточните|проверьте|посмотрите|прошу|нужно|надо|хочу|"
    r"не\s+\w+|нет|снова|опять|ещё|еще|ошибк\w*|проблем\w*|жалоб\w*|"
    r"but|however|still|again|error|problem|please)\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def is_thanks_only(text: str) -> bool:
    """True for «Спасибо!», «Спасибо большое, всё заработало», «Благодарю за помощь»;
    False for anything that also asks, complains or reports a problem."""
    words = _WORD.findall(text)
    if not words or len(words) > _MAX_WORDS:
        return False
    return bool(_THANKS.search(text)) and not _ASKS.search(text)
