"""The sender's role as far as their own words tell it: parent, student or teacher.

«Мой сын не видит оценки», «я ученица 9 класса», «Коллеги, …» or a signature such as
«Петрова Н.В., учитель математики» each give a role some points (`guess_role_hint`). It is
only a hint: for a known address the staff list decides (`mailbot.text.roles`).

Parents and students often name themselves without «я», the way one signs: «Мама Беловой
Софии, 4 А», «папа ученика 5"А"», «мать ученицы 7Б класса Ивановой», «бабушка Миши
Кузнецова (3 В)», «законный представитель Петрова Ивана», «ученица 10Б». Such a phrase counts
where people introduce themselves — the first sentence after the greeting, or the closing
lines — and only when it names the writer (`_self_role`): what follows it is names and a
class, the end of the sentence, or the writer's own voice («…, не могу войти», «…,
подскажите»). «Мама ученика 5Б пишет мне по ночам» is about someone else.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from mailbot.text import morph, pattern_needs
from mailbot.text.greetings import is_greeting, strip_greeting
from mailbot.text.words import WORD_RE, analyse, fold

_PARENT = (r"(?:мама|мать|папа|отец|родитель|родители|родительница|бабушка|дедушка|опекун"
           r"|опекунша|отчим|мачеха|законный представитель)")
_KID = r"(?:сын\w*|доч\w*|ребен\w*|дет(?:и|ей|ям|ьми)|внук\w*|внучк\w*)"
_PUPIL = r"(?:ученик|ученица|учащийся|учащаяся|обучающийся|обучающаяся|школьник|школьница)"
_STAFF = (r"(?:учитель|учительница|педагог|классный руководитель|кл\.?\s*рук\w*|логопед"
          r"|психолог|завуч|социальный педагог|совместитель|молодой специалист"
          r"|зам\w*\.?\s+директора|администратор|секретарь)")
_NAME = r"(?:[а-я]+\s+[а-я]\.\s*(?:[а-я]\.)?,?\s*)"  # «петрова н.в.,»
# A class as people write it (folded): «5а», «5 а», «5-а», «5"а"», «5 «а»», «10б класс».
_CLASS = (r"\b\d{1,2}(?:\s*[-–—]?\s*[\"'«“„]?\s*[а-я](?![а-я])[\"'»”]?)?"
          r"(?:\s*(?:класс[а-я]*|кл\b\.?))?")
_CLASS_RE = re.compile(_CLASS)

# (role, points, what it means, regex). Anywhere in the text:
_TEXT_CUES: tuple[tuple[str, float, str, str], ...] = (
    ("parent", 3.0, "«я мама/папа/…»", rf"\b(?:я|мы)\s*[-—,]?\s*{_PARENT}\b"),
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
# Only in the closing lines, where people sign: «Петрова Н.В., учитель математики». In the
# middle of a text the same words are about someone else («учитель говорит…»). Parents and
# students sign and introduce themselves too: see `_self_role`.
_SIGNATURE_CUES: tuple[tuple[str, float, str, str], ...] = (
    ("teacher", 2.5, "signed with a school position",
     (rf"^(?:с уважением,?\s*)?(?:[^,]{{0,40}},\s*)?{_NAME}?{_STAFF}"
      rf"(?P<tail>(?:[\s,]+\S+){{0,3}})\s*$")),
)
# A signature names, it does not tell: «учитель говорит, что выставила» is not one.
_NOT_IN_SIGNATURE = frozenset({"VERB", "INFN", "CONJ", "PRCL", "NPRO", "PRTS", "GRND"})


def _plain_tail(tail: str) -> bool:
    tail = _CLASS_RE.sub(" ", tail)  # «5 а»: a class letter, not the conjunction
    return not any(analyse(w)[2] in _NOT_IN_SIGNATURE for w in WORD_RE.findall(tail))


# ------------------------------------------------------------------ «мама Беловой Софии, 4 А»

# Who the line says the writer is, after a closing formula, a name and a comma, or «пишет».
_SELF_RE = re.compile(
    r"^[^\w]*(?:(?:с уважением|заранее спасибо|спасибо|заранее благодарю|благодарю)[\s,!.]*)?"
    r"(?:(?P<name>[^,]{1,40}),\s*)?(?:(?:вас|вам)\s+)?(?:(?:пишет|беспокоит|обращается|это)\s+)?"
    rf"(?P<who>{_PARENT}|{_PUPIL})(?:\s*\(?законн\w*\s+представител\w*\)?)?(?P<rest>\W.*)?$"
)
_SELF_TOKEN_RE = re.compile(
    rf"(?P<cls>{_CLASS})|(?P<word>[а-яa-z]+)|(?P<stop>[.!?;:])|(?P<sep>[,()—–-])")
_PLAIN_POS = frozenset({"NOUN", "ADJF", "NUMR"})
_LINKS = frozenset({"и", "из", "в"})  # «мама Софии и Миши», «папа ученика из 5 А»
_SPEAKS = frozenset({"я", "мы", "мне", "нам", "меня", "нас"})
_MAX_PLAIN = 6


@functools.lru_cache(maxsize=20_000)
def _genitive(word: str) -> bool:
    """«ученика», «Беловой», «Миши»: a noun or adjective in the genitive (whose parent)."""
    return any(p.tag.POS in ("NOUN", "ADJF") and "gent" in p.tag
               for p in morph.analyzer().parse(word))


@functools.lru_cache(maxsize=20_000)
def _own_verb(word: str) -> bool:
    """«не могу», «вижу», «прошу», «подскажите»: the writer's own voice, not «пишет»."""
    tag = morph.analyzer().parse(word)[0].tag
    return tag.POS == "VERB" and ("1per" in tag or "impr" in tag)


def _speaks(words: list[str], i: int, *, clause: bool) -> bool:
    """Whether the words from i on start in the first person or address the reader: a verb
    («не вижу», «подскажите») anywhere, a pronoun («я», «у меня», «мне») only as a new
    clause — «мама ученика 5б мне пишет» is about the mother."""
    word, after = words[i], words[i + 1] if i + 1 < len(words) else ""
    pronoun = word in _SPEAKS or (word == "у" and after in ("меня", "нас"))
    return (pronoun and clause) or (word == "не" and _own_verb(after)) or _own_verb(word)


def _names_only(text: str) -> bool:
    """«белова анна», «кузнецова о.»: what may stand before the role word and a comma."""
    words = WORD_RE.findall(text)
    return 0 < len(words) <= 4 and all(len(w) == 1 or analyse(w)[2] in _PLAIN_POS
                                       for w in words)


def _self_role(line: str) -> str | None:
    """"parent" or "student" when a folded line names its writer; else None.

    «мама беловой софии, 4 а», «папа ученика 5"а"», «ученица 10б», «с уважением, белова
    анна, мама софии», «пишет бабушка миши кузнецова (3 в), подскажите…». After the role
    word come only names and a class (a parent's first word in the genitive, a student's
    class somewhere), then the end, or the writer's own words.
    """
    found = _SELF_RE.match(line)
    if found is None or (found["name"] and not _names_only(found["name"])):
        return None
    role = "student" if re.fullmatch(_PUPIL, found["who"]) else "parent"
    tokens = [(t.lastgroup, t.group()) for t in _SELF_TOKEN_RE.finditer(found["rest"] or "")]
    words = [text for kind, text in tokens]
    plain = 0
    has_class = False
    for i, (kind, text) in enumerate(tokens):
        if kind == "stop":
            break
        if kind == "sep":
            continue
        if role == "parent" and not plain and kind == "word" and not (
                _genitive(text) or text == "из"):
            return None  # «мама сказала», «папа тоже»
        if kind == "cls" or text in _LINKS or analyse(text)[2] in _PLAIN_POS:
            has_class = has_class or kind == "cls"
            plain += 1
            if plain > _MAX_PLAIN:
                return None
            continue
        if not (plain and _speaks(words, i, clause=tokens[i - 1][0] == "sep")):
            return None  # «мама ученика 5б пишет мне…» is about someone else
        break
    if not plain or (role == "student" and not has_class):
        return None
    return role


def _opening(text: str) -> list[str]:
    """The first sentence that is not only a greeting, folded, from each of its clause
    starts and after its greeting: «Добрый день, мама Софии, 4 А, не вижу…» gives «добрый
    день, мама софии…», «мама софии, 4 а…», «4 а…» and «не вижу…»; «здравствуйте мама
    лизы…» gives «мама лизы…» too."""
    for sentence in _sentences(text):
        if sentence.strip() and not is_greeting(sentence):
            folded = fold(sentence.strip())
            starts = [folded[m.end():] for m in re.finditer(r",\s*", folded)]
            return [folded, fold(strip_greeting(sentence)), *starts]
    return []


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


def _sentences(text: str) -> Iterator[str]:
    """What re.split(_SENTENCE_END, text) gives, one piece at a time: the opening is
    usually the first or second sentence, and a long mail need not be cut whole."""
    start = 0
    for end in _SENTENCE_END.finditer(text):
        yield text[start:end.start()]
        start = end.end()
    yield text[start:]


def _compile_cues(cues: tuple[tuple[str, float, str, str], ...],
                  ) -> tuple[tuple[str, float, str, re.Pattern[str]], ...]:
    return tuple((role, points, label, re.compile(rx)) for role, points, label, rx in cues)


_TEXT_RES = _compile_cues(_TEXT_CUES)
_SIGNATURE_RES = _compile_cues(_SIGNATURE_CUES)
# Each text cue without its word boundaries: it matches wherever the cue does, and, with
# no leading `\b`, the regex engine can skip ahead to a first letter or word — three times
# faster over a whole mail. Only a text it matches is searched with the cue itself, and
# only from where the gate matched first: the cue cannot match any earlier.
_TEXT_GATES = tuple(re.compile(regex.pattern.replace(r"\b", "")) for *_, regex in _TEXT_RES)
# What the text of every match of a cue contains (`pattern_needs`, read from the cue): a
# text without it is not searched at all («коллеги», «журнале», «у» «меня» «в» «классе»).
_TEXT_NEEDS = tuple(pattern_needs.literals(regex)[0] for *_, regex in _TEXT_RES)


def _cue_hit(folded: str, regex: re.Pattern[str], gate: re.Pattern[str],
             needs: pattern_needs.Need | None) -> re.Match[str] | None:
    """`regex.search(folded)`, sooner: not at all without what the cue needs or a match of
    its gate, and from the gate's first match on."""
    if needs is not None and not pattern_needs.holds(needs, folded):
        return None
    near = gate.search(folded)
    return regex.search(folded, near.start()) if near else None


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

    cues = zip(_TEXT_RES, _TEXT_GATES, _TEXT_NEEDS, strict=True)
    for (role, weight, label, regex), gate, needs in cues:
        hit = _cue_hit(folded, regex, gate, needs)
        if hit:
            score(role, weight, label, hit.group())
    closing = _closing_lines(folded)
    named: set[str] = set()  # introduced and signed the same way: one piece of evidence
    for place, lines in (("signed", closing), ("introduced themself", _opening(text))):
        found = next(((role, line) for line in lines if (role := _self_role(line))), None)
        if found is not None and found[0] not in named:
            named.add(found[0])
            score(found[0], 3.0, f"{place} as a {found[0]}", found[1])
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
