"""The sender's role as far as their own words tell it: parent, student or teacher.

«Мой сын не видит оценки», «я ученица 9 класса», «Коллеги, …» or a signature such as
«Петрова Н.В., учитель математики» each give a role some points (`guess_role_hint`). It is
only a hint: for a known address the staff list decides (`mailbot.text.roles`).
"""

from __future__ import annotations

import re

from mailbot.text.words import WORD_RE, analyse, fold

_PARENT = (r"(?:мама|мать|папа|отец|родитель|родительница|бабушка|дедушка|опекун"
           r"|законный представитель)")
_KID = r"(?:сын\w*|доч\w*|ребен\w*|дет(?:и|ей|ям|ьми)|внук\w*|внучк\w*)"
_PUPIL = r"(?:ученик|ученица|учащийся|учащаяся|обучающийся|обучающаяся|школьник|школьница)"
_STAFF = (r"(?:учитель|учительница|педагог|классный руководитель|кл\.?\s*рук\w*|логопед"
          r"|психолог|завуч|социальный педагог|совместитель|молодой специалист"
          r"|зам\w*\.?\s+директора|администратор|секретарь)")
_NAME = r"(?:[а-я]+\s+[а-я]\.\s*(?:[а-я]\.)?,?\s*)"  # «петрова н.в.,»

# (role, points, what it means, regex). Anywhere in the text:
_TEXT_CUES: tuple[tuple[str, float, str, str], ...] = (
    ("parent", 3.0, "«я мама/папа/…»", rf"\bя\s*[-—,]?\s*{_PARENT}\b"),
    ("parent", 2.0, "«мой сын / моя дочь / наш ребёнок»", rf"\b(?:мо[йяеюи]\w*|наш\w*)\s+{_KID}"),
    ("parent", 2.0, "writes about a son or daughter",
     (r"\b(?:сын|сына|сыну|сыном|сыне|дочь|дочери|дочерью|дочка|дочки|дочке|дочку|дочкой"
      r"|внук\w*|внучк\w*)\b")),
    ("parent", 3.0, "«как родитель / роль — родитель»",
     r"\b(?:как|роль\W{1,3}|в\s+роли)\s*родител[ья]\b"),
    ("parent", 2.0, "«у меня двое детей»", r"\bу\s+(?:меня|нас)\s+(?:двое|трое|\d)\s+дет"),
    ("parent", 1.0, "«ребёнку поставили»",
     r"\b(?:ребенку|сыну|дочери|дочке)\s+(?:поставили|вывели|выставили)"),
    ("student", 3.0, "«я ученик/ученица»", rf"\bя\s*[-—,]?\s*{_PUPIL}\b"),
    ("student", 3.0, "«я учусь / я в N классе»",
     r"\bя\s+(?:учусь|в\s+\d{1,2}\s*[а-я]?\s+классе)\b"),
    ("student", 2.0, "«мне N лет»", r"\bмне\s+1?\d\s+(?:лет|год)"),
    ("student", 2.0, "«мне поставили»",
     (r"\bмне\s+(?:не\s+)?(?:(?:по|вы)?ставил[аи]?|ставят|ставит)\b"
      r"|\b(?:ставит|ставят|поставил[аи]?)\s+мне\b")),
    ("student", 1.5, "«одноклассники»", r"\bодноклассни\w*"),
    ("student", 1.0, "«у меня оценки»",
     r"\bу\s+меня\s+(?:не\s+\w+\s+)?(?:оценк|отметк|итогов|средний|двойк)\w*"),
    ("teacher", 3.0, "«я учитель/…»", rf"\bя\s*[-—,]?\s*(?:новый\s+|новая\s+)?{_STAFF}\b"),
    ("teacher", 2.0, "«коллеги»", r"(?:^|[\s,])коллеги\b"),
    ("teacher", 2.0, "«в моём классе / мои ученики»",
     r"\b(?:в\s+моем\s+классе|у\s+меня\s+в\s+классе|мо(?:и|их|им)\s+учени\w*)"),
    ("teacher", 2.0, "«я поставила / выдала…»",
     r"\bя\s+(?:\w+\s+){0,2}(?:поставил|выставил|выдал|провел|задал)[аи]?\b"),
    ("teacher", 2.0, "«я веду предмет»", r"\bя\s+(?:\w+\s+)?веду\b|\bведу\s+[а-я]+\s+(?:в|с)\b"),
    ("teacher", 1.5, "«у меня в журнале»",
     r"\bу\s+меня\s+в\s+журнале\b|\bв\s+журнале\s+у\s+меня\b"),
)
# Only in the closing lines, where people sign: «Мама Иванова Кирилла, 5б»,
# «Петрова Н.В., учитель математики». In the middle of a text the same words are about
# someone else («Родитель ученика 5Б пишет мне…»).
_SIGNATURE_CUES: tuple[tuple[str, float, str, str], ...] = (
    ("parent", 3.0, "signed as a parent",
     (rf"^(?:с уважением,?\s*)?{_PARENT}\s+(?:ученик\w*|учащ\w*|обучающ\w*|[а-я]+(?:а|ы|и)\b)"
      rf"(?P<tail>(?:[\s,]+\S+){{0,4}})\s*$")),
    ("teacher", 2.5, "signed with a school position",
     (rf"^(?:с уважением,?\s*)?(?:[^,]{{0,40}},\s*)?{_NAME}?{_STAFF}"
      rf"(?P<tail>(?:[\s,]+\S+){{0,3}})\s*$")),
)
# A signature names, it does not tell: «учитель говорит, что выставила» is not one.
_NOT_IN_SIGNATURE = frozenset({"VERB", "INFN", "CONJ", "PRCL", "NPRO", "PRTS", "GRND"})


def _plain_tail(tail: str) -> bool:
    return not any(analyse(w)[2] in _NOT_IN_SIGNATURE for w in WORD_RE.findall(tail))


def _compile_cues(cues: tuple[tuple[str, float, str, str], ...],
                  ) -> tuple[tuple[str, float, str, re.Pattern[str]], ...]:
    return tuple((role, points, label, re.compile(rx)) for role, points, label, rx in cues)


_TEXT_RES = _compile_cues(_TEXT_CUES)
_SIGNATURE_RES = _compile_cues(_SIGNATURE_CUES)


def _closing_lines(text: str) -> list[str]:
    """The last two short lines, and the last sentence when it is short (a signature
    written on the same line: «… как мне вести журнал? учитель музыки»)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    closing = [line for line in lines[-2:] if len(line) <= 80]
    if lines:
        last_sentence = re.split(r"[.!?]\s+", lines[-1])[-1].strip()
        if last_sentence and len(last_sentence) <= 60 and last_sentence not in closing:
            closing.append(last_sentence)
    return closing


def guess_role_hint(text: str) -> tuple[str | None, list[str]]:
    """Guess whether the writer is a parent, a student or a teacher from their own text.

    Only a hint: the staff list decides for known addresses elsewhere. The answer is None
    unless one role has clear evidence (at least 2 points and 1 more than any other).
    """
    folded = fold(text)
    points: dict[str, float] = {}
    reasons: list[str] = []

    def score(role: str, weight: float, label: str, found: str) -> None:
        points[role] = points.get(role, 0.0) + weight
        reasons.append(f'{role} +{weight:.1f}: {label} "{found.strip()}"')

    for role, weight, label, regex in _TEXT_RES:
        hit = regex.search(folded)
        if hit:
            score(role, weight, label, hit.group())
    closing = _closing_lines(folded)
    for role, weight, label, regex in _SIGNATURE_RES:
        hits = (regex.search(line) for line in closing)
        hit = next((h for h in hits if h and _plain_tail(h.groupdict().get("tail") or "")), None)
        if hit:
            score(role, weight, label, hit.group())

    ranked = sorted(points.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] < 2.0:
        return None, reasons
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < 1.0:
        reasons.append("no clear role: the hints disagree")
        return None, reasons
    return ranked[0][0], reasons
