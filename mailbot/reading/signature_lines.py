"""What the lines of a signature look like: sign-offs, names, positions, schools, contacts.

signatures.py decides where a signature starts; this module only tells, line by line, what
a line could be. The vocabulary is that of a Russian school's mail — «С уважением» and its
abbreviations, «Заранее спасибо», full names with patronymics or initials, positions
(«учитель математики», «зам. директора по УВР»), schools («МАОУ «СОШ № 7»»), phones with
their labels, e-mails, links, disclaimers — and of international mail ("Best regards",
"Thanks,", "Deputy Head").

Whether a word is a first name, a patronymic or a surname, and whether a line has a verb
in it (a sentence, not a signature), is asked of pymorphy3's dictionary (mailbot.text.morph,
loaded on first use and shared with classification); the answers are cached per word.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from mailbot.reading.quote_markers import is_client_signature
from mailbot.text.morph import analyzer

__all__ = [
    "Closing",
    "LineKind",
    "closing",
    "display_name",
    "find_name",
    "inline_closing",
    "is_disclaimer",
    "line_kind",
    "name_words",
    "nominative_start",
]

# ----------------------------------------------------------------------------- sign-offs

# «С уважением» and its forms: typos, abbreviations, one word, with an adjective or an addition.
_RESPECT = (
    r"с\s+(?:глубоким\s+|искренним\s+|огромным\s+|большим\s+|неизменным\s+|нижайшим\s+)?"
    r"уважени(?:ем|е|и|ям)(?:\s+к\s+вам)?(?:\s+и\s+(?:благодарностью|признательностью"
    r"|надеждой(?:\s+на\s+\w+)?|наилучшими\s+пожеланиями))?"
    r"|суважением|с\s*уваж(?:ен\w*)?\.?|с\s*ув\.?"
)
_FORMAL = (
    rf"{_RESPECT}"
    r"|с\s+(?:наилучшими|лучшими|добрыми|тёплыми|теплыми|самыми\s+добрыми)\s+пожеланиями"
    r"|с\s+пожеланиями(?:\s+[а-яё]+){0,2}"
    r"|с\s+(?:благодарностью|признательностью)|с\s+надеждой\s+на\s+[а-яё]+(?:\s+[а-яё]+)?"
    r"|искренне\s+ваш[аи]?|всегда\s+ваш[аи]?|ваш[аи]?\s+навсегда"
    r"|(?:best|kind|warm|warmest|kindest|with\s+best|with\s+kind|many)\s+regards"
    r"|regards|rgds|sincerely|yours\s+(?:sincerely|faithfully|truly)|sincerely\s+yours"
    r"|respectfully|best\s+wishes|all\s+the\s+best|best|br"
)
_SOFT = (
    r"всего\s+(?:вам\s+)?(?:самого\s+)?(?:доброго|хорошего|наилучшего|лучшего)"
    r"|(?:хорошего|отличного|доброго|приятного)\s+(?:вам\s+)?(?:дня|вечера|выходных|настроения)"
    r"|до\s+свидания|до\s+встречи|удачи|cheers|take\s+care"
    r"|have\s+a\s+(?:nice|good|great)\s+(?:day|weekend|evening)"
)
_THANKS = (
    r"(?:заранее\s+)?(?:большое\s+|огромное\s+)?спасибо(?:\s+вам)?(?:\s+заранее)?"
    r"(?:\s+(?:большое|огромное))?(?:\s+за\s+(?:помощь|ответ|понимание|внимание|содействие"
    r"|сотрудничество|оперативность))?"
    r"|(?:заранее\s+)?(?:благодар(?:ю|им)|(?:буду|будем|очень|заранее)\s+(?:очень\s+)?"
    r"(?:благодарн|признательн)[а-я]*)(?:\s+(?:вам|вас))?(?:\s+заранее)?(?:\s+за\s+(?:помощь"
    r"|ответ|понимание|внимание|содействие|сотрудничество))?"
    r"|(?:many\s+)?thanks(?:\s+(?:in\s+advance|again|so\s+much|a\s+lot))?"
    r"|thank\s+you(?:\s+(?:in\s+advance|again|so\s+much|very\s+much))?|thx|ty"
)
_RE_CLOSING = re.compile(
    rf"^(?:(?P<formal>{_FORMAL})|(?P<soft>{_SOFT})|(?P<thanks>{_THANKS}))"
    r"(?P<sep>\s*[,.!:;…—–\-)]+\s*|\s+|$)(?P<tail>.*)$",
    re.IGNORECASE,
)
# A sign-off written at the end of the last sentence: "… не вижу оценки. С уважением, Анна".
_RE_INLINE_CLOSING = re.compile(rf"(?<=[.!?…)])\s+(?=(?:{_RESPECT}|{_FORMAL})\b)", re.IGNORECASE)
@dataclass(frozen=True)
class Closing:
    kind: str  # "formal" (С уважением), "soft" (Всего доброго), "thanks" (Заранее спасибо)
    tail: str  # what follows the phrase on the same line ("" if nothing)
    spaced: bool  # the tail follows after a bare space, without punctuation


def closing(text: str) -> Closing | None:
    """The sign-off a whole line starts with, if the line is only that (and a tail)."""
    match = _RE_CLOSING.match(text)
    if match is None:
        return None
    kind = next(k for k in ("formal", "soft", "thanks") if match.group(k))
    sep = match.group("sep")
    return Closing(kind, match.group("tail").strip(), bool(sep) and not sep.strip())


def inline_closing(text: str) -> int | None:
    """Where a sign-off starts inside a line after the end of a sentence, if it does."""
    match = _RE_INLINE_CLOSING.search(text)
    return match.end() if match else None


# ----------------------------------------------------------------------------- names

_RE_WORD = re.compile(r"[A-Za-zА-Яа-яЁё]+(?:-[A-Za-zА-Яа-яЁё]+)*")
_RE_INITIALS = re.compile(r"^(?:[А-ЯЁA-Z]\.\s?){1,2}$")
_RE_NAME_TOKEN = re.compile(r"(?:[А-ЯЁA-Z]\.\s?){1,2}|[A-Za-zА-Яа-яЁё]+(?:-[A-Za-zА-Яа-яЁё]+)*")
# Surnames the dictionary takes for other words («Орехова»: of Орехово).
_RE_SURNAME = re.compile(
    r"\w\w(?:ов|ев|ёв|ин|ын|ова|ева|ёва|ина|ына|ский|цкий|ская|цкая|ых|их|енко|ук|юк|ян|дзе"
    r"|швили)$",
    re.IGNORECASE,
)
_NAME_GRAMMEMES = frozenset({"Name", "Surn", "Patr"})
_VERB_POS = frozenset({"VERB", "INFN", "GRND", "PRTS"})
# Given names the dictionary does not know (Latin script): a signature's last line "Mark".
_LATIN_NAME_LIST = """
    adam alan alex alexander alexandra alexey alice alina amanda amy andrew angela anna anne
    anton ben benjamin brian carol catherine charles charlotte chris christina christopher
    claire daniel david denis diana dmitry ekaterina elena elizabeth emily emma eric eva
    evgeny george grace hannah helen henry igor irina isabella jack james jane jason jennifer
    jessica john jonathan joseph julia kate katherine kevin kim laura lisa lucy maria mark
    marina martin mary matthew max maxim michael natalia natalya nick nicholas nikita olga
    oliver olivia paul peter rachel richard robert roman ruslan ryan sam samantha sarah
    sergey sophia sophie stephen steven susan svetlana tatiana thomas tim timur tom victor
    victoria vladimir william yulia yuri
"""
_LATIN_NAMES = frozenset(_LATIN_NAME_LIST.split())


@functools.lru_cache(maxsize=20_000)
def _word_info(word: str) -> tuple[bool, bool, bool, bool]:
    """(a name in some reading, a name in the nominative as signatures write it — not
    «Ивановой», «Саши» —, the likeliest reading is a verb form, some reading is in the
    nominative)."""
    parses = analyzer().parse(word)
    named = nominative = any_nominative = False
    for parse in parses:
        grammemes = parse.tag.grammemes
        case = "nomn" in grammemes or "Fixd" in grammemes
        any_nominative = any_nominative or case
        if _NAME_GRAMMEMES & grammemes:
            named = True
            nominative = nominative or case
    verb = bool(parses) and parses[0].tag.POS in _VERB_POS
    return named, nominative, verb, any_nominative


def _is_name_word(token: str, any_case: bool) -> bool:
    if _RE_INITIALS.match(token):
        return True
    if not any_case and not (token[0].isupper() and (token[1:].islower() or token.isupper())):
        return False
    named, nominative, _, _ = _word_info(token.lower().replace("ё", "е"))
    if named:
        return nominative
    return token[0].isupper() and bool(_RE_SURNAME.search(token))


def _latin_name(tokens: list[str]) -> bool:
    """"Laura", "Daniel Moore", "J. Smith": a known given name first, or initials."""
    words = [t for t in tokens if not _RE_INITIALS.match(t)]
    if not words or not all(re.fullmatch(r"[A-Z][a-z]+(?:-[A-Z]?[a-z]+)?", w) for w in words):
        return False
    return words[0].lower() in _LATIN_NAMES or len(words) < len(tokens)


def name_words(text: str, any_case: bool = False) -> bool:
    """A whole text that is a person's name: «Иванова Надежда Павловна», «Н. П. Иванова»,
    «Анна», "Laura Kim". With any_case, «наталья» and «ПЕТРОВА ОЛЬГА» count too."""
    bare = text.strip().rstrip(",;!").strip()
    tokens = _RE_NAME_TOKEN.findall(bare)
    if not tokens or len(tokens) > 4 or len("".join(tokens)) < 2:
        return False
    if re.sub(r"[\s.]", "", bare) != re.sub(r"[\s.]", "", "".join(tokens)):
        return False  # something besides name words: digits, quotes, brackets
    if all(_RE_INITIALS.match(t) for t in tokens):
        return False
    if bare.isascii():
        return _latin_name([t.strip() for t in tokens])
    uniform = bare.islower() or bare.isupper()
    return all(_is_name_word(t.strip(), any_case or uniform) for t in tokens)


def display_name(name: str) -> str:
    """A name as a greeting would write it: «ПЕТРОВА ОЛЬГА» and «наталья» capitalised."""
    words = []
    for word in name.split():
        if len(word) > 1 and (word.isupper() or word.islower()) and "." not in word:
            word = "-".join(part[:1].upper() + part[1:].lower() for part in word.split("-"))
        words.append(word)
    text = " ".join(words)
    return text[:-1] if text.endswith(".") and not _RE_INITIALS.match(words[-1]) else text


def find_name(text: str) -> str | None:
    """The person's name in a signature line: the line itself, the part before a comma or a
    bracket («Анна Петровна, мама Вероники»), or the words after a position («учитель истории
    Шестакова Р.Ф.»)."""
    bare = " ".join(text.split()).strip(" ,;")
    head = re.split(r"\s*[,(]\s*|\s+[—–-]\s+", bare, maxsplit=1)[0].strip()
    if name_words(head):
        return head.rstrip(",;")
    tokens = bare.split()
    for start in range(max(1, len(tokens) - 4), len(tokens)):
        tail = " ".join(tokens[start:])
        if len(tokens) - start >= 2 and (
            name_words(tail) and _has_position(" ".join(tokens[:start]))
        ):
            return tail.rstrip(",;")
    return None


def nominative_start(text: str) -> bool:
    """The first word can be in the nominative: «Администратор ЭЖ», not «заместителю …»."""
    words = _RE_WORD.findall(text)
    if not words or words[0].isascii():
        return bool(words)
    return _word_info(words[0].lower().replace("ё", "е"))[3]


def _is_sentence(text: str) -> bool:
    """Questions and lines with a verb are what people write, not what signatures hold."""
    if "?" in text or text.endswith(":"):
        return True
    for word in _RE_WORD.findall(text):
        if word.isascii() or len(word) < 2:
            continue
        lowered = word.lower()
        if lowered == "не":
            return True
        named, _, verb, _ = _word_info(lowered.replace("ё", "е"))
        if verb and not (word[0].isupper() and named):
            return True
    return False


# ----------------------------------------------------------------------------- other lines

_POSITION = re.compile(
    r"(?:^|[\s«\"(,./])(?:учител|директор|завуч|заместител|зам\b|зам\.|зав\b|зав\.|заведующ"
    r"|секретар|педагог|методист|администратор|специалист|делопроизводител|психолог|логопед"
    r"|дефектолог|воспитател|библиотекар|бухгалтер|инженер|программист|техник|руководител"
    r"|председател|начальник|координатор|советник|тьютор|преподавател|консультант|оператор"
    r"|лаборант|вожат|завхоз|документовед|медсестр|медицинск\w+\s+работник|кадров|юрист"
    r"|кандидат|доктор\s+\w+\s+наук|к\.\s?[пфмтэи]\.\s?н\.|отличник|почётн|почетн|заслуженн"
    r"|квалификационн|категори[ия]|ответственн|кл\.\s*рук|классн\w*\s+рук|инспектор|эксперт|менеджер"
    r"|сотрудник|и\.\s?о\.|мам[аы]\b|пап[аы]\b|мать\b|отец\b|родител|бабушк|дедушк|опекун"
    r"|законн\w*\s+представител|семь[яи]\b|ученик|ученица|учащ|студент|выпускни"
    r"|teacher|head\b|deputy|principal|director|manager|coordinator|secretary|administrator"
    r"|assistant|officer|counsell?or|parent\b|mother|father|mum\b|mom\b|dad\b|student"
    r"|support|team\b|specialist|engineer|librarian|tutor|ceo\b|founder|headteacher"
    r"|headmaster|headmistress|registrar|bursar|receptionist|counselor|nurse)",
    re.IGNORECASE,
)
_RE_KIN = re.compile(
    r"^(?:мама|папа|мать|отец|родител[ьи]|бабушка|дедушка|опекун\w*|законн\w+\s+представител\w*"
    r"|ученик\w*|ученица|учащ\w+|семья|mother|father|mum|mom|dad|parent|student)\b",
    re.IGNORECASE,
)
_ORG = re.compile(
    r"(?:^|[\s«\"(,])(?:(?:маоу|мбоу|моу|мкоу|гбоу|гкоу|гаоу|аоу|чоу|ноу|мадоу|мбдоу|мкдоу"
    r"|фгбоу|гбпоу|ооо|оао|зао|пао|ао|ип|гбу|мбу|мку|мау|сош|оош|нош|доу|дюсш|цдо|цро|иро"
    r"|ltd|inc|llc|plc|gmbh)(?=[\s»\"),.]|$)"
    r"|школ[аыеуо]|гимнази|лице[йяюе]|колледж|техникум|университет|институт|управлени"
    r"|комитет|департамент|министерств|администраци|детск\w+\s+сад|центр|отдел\b|отдела"
    r"|кафедр|служб[аы]|г\.\s*\w|город\b|ул\.|улица|пр\.|проспект|пер\.|д\.\s*\d|каб\."
    r"|кабинет|корп\.|оф\.|офис|край\b|кра[яю]\b|област|обл\.|район|р-н|округ|россия|\d{6}\b"
    r"|school|academy|college|gymnasium|lyceum|university|department|russia|perm\b|moscow)",
    re.IGNORECASE,
)
_RE_PHONE = re.compile(r"(?:\+\s?)?\(?\d[\d\s().\-–]{5,}\d")
_RE_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_RE_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:ru|рф|com|org|net|su|info|example|edu"
    r"|me|io)(?:/\S*)?\b|\b(?:t\.me|vk\.com)/\S+",
    re.IGNORECASE,
)
_RE_HOURS = re.compile(
    r"\b(?:пн|вт|ср|чт|пт|сб|вс|mon|tue|wed|thu|fri)\b\s*[–—-]|\d{1,2}[:.]\d{2}\s*[–—-]\s*\d{1,2}"
    r"[:.]\d{2}",
    re.IGNORECASE,
)
_RE_MESSENGER = re.compile(
    r"^(?:skype|telegram|tg|whatsapp|viber|vk|вконтакте|телеграм\w*|ватсап|вайбер|max|icq)"
    r"\s*[:\-]?\s*@?[\w.+-]{2,40}$",
    re.IGNORECASE,
)
_CONTACT_LABELS = re.compile(
    r"\b(?:тел|телефон\w*|моб|мобильн\w*|сот|сотов\w*|раб|рабоч\w*|дом|домашн\w*|факс|доб"
    r"|вн|внутр|e-?mail|эл\.?|электронн\w*|почт\w*|mail|сайт|site|web|phone|tel|mob|mobile"
    r"|cell|fax|ext|office|whatsapp|telegram|viber|skype|вконтакте|vk|tg|max|ватсап|вайбер"
    r"|телеграм\w*|mailto|для|связи|контакт\w*|приёмн\w*|приемн\w*|часы|время|приёма|приема|work"
    r"|и|или|and|or)\b",
    re.IGNORECASE,
)
_RE_LABEL = re.compile(r"[^\d\s]\s*:(?!//)")
_RE_CLASS = re.compile(r"^\(?\d{1,2}\s*[-–]?\s*«?\"?[А-ЯЁA-Zа-яё]?\"?»?\s*(?:класс\w*|кл\.)?\)?$")
_RE_RULE = re.compile(r"^[-–—_=*~.•#+]{2,}$")
_RE_IMAGE = re.compile(r"^\[[^\]]{0,60}\]$")  # an image (a logo) as the HTML converter shows it
_RE_DISCLAIMER = re.compile(
    r"конфиденциальн|получили\s+(?:это|данное)\s+(?:письмо|сообщение)\s+по\s+ошибке"
    r"|предназначен\w*\s+(?:только|исключительно)|окружающей\s+сред|перед\s+печатью"
    r"|прежде\s+чем\s+(?:распечатать|распечатывать)|не\s+распечатывайте|confidential"
    r"|intended\s+(?:solely\s+)?(?:only\s+)?for|received\s+(?:this|it)\s+in\s+error"
    r"|before\s+printing|virus|антивирус|без\s+вирусов|avast|касперск|kaspersky"
    r"|рассылк\w+\s+отказ|unsubscribe",
    re.IGNORECASE,
)


def is_disclaimer(text: str) -> bool:
    """Legal or environmental boilerplate, an antivirus footer."""
    return bool(_RE_DISCLAIMER.search(text))


@dataclass(frozen=True)
class LineKind:
    kind: str  # name, person, role, org, contact, rule, disclaimer, footer, short
    name: str | None = None  # the person's name on the line, if any
    kin: bool = False  # a role the writer names themself by: «мама Саши», «ученица 9 «Б»»


def _has_position(text: str) -> bool:
    return bool(_POSITION.search(text))


def _without_addresses(text: str) -> str:
    """The text with its e-mail addresses and links blanked out. The patterns are tried
    only on a text that holds what any of their matches must (an "@"; a "." or "://")."""
    if "@" in text:
        text = _RE_EMAIL.sub(" ", text)
    if "." in text or "://" in text:
        text = _RE_URL.sub(" ", text)
    return text


def _is_contact(text: str) -> bool:
    if _RE_MESSENGER.match(text):
        return True
    rest = _without_addresses(text)
    found = rest != text
    without_phones = _RE_PHONE.sub(" ", rest)
    if without_phones != rest and sum(c.isdigit() for c in rest) >= 6:
        found = True
    rest = without_phones
    if "-" in rest or "–" in rest or "—" in rest:  # every match of _RE_HOURS holds a dash
        rest = _RE_HOURS.sub(" ", rest)
    found = found or rest != without_phones
    if not found:
        return False
    rest = _CONTACT_LABELS.sub(" ", rest)
    words = [w for w in _RE_WORD.findall(rest) if len(w) > 1]
    return len(words) <= 2


def _contact_name(text: str) -> str | None:
    """The name on a contact line: The Bat!'s «Татьяна   mailto:t@list.ru»."""
    rest = _without_addresses(text)
    rest = re.sub(r"\bmailto:?|\(\s*\)|<\s*>", " ", rest, flags=re.IGNORECASE)
    rest = " ".join(rest.split()).strip(" ,;:<>()")
    return rest if rest and name_words(rest) else None


def line_kind(text: str) -> LineKind | None:
    """What a line of a signature block can be, or None for a line of prose."""
    if is_client_signature(text):
        return LineKind("footer")
    if _RE_RULE.match(text) or _RE_IMAGE.match(text):
        return LineKind("rule")
    if is_disclaimer(text):
        return LineKind("disclaimer")
    if len(text) > 300 or _is_sentence(text):
        return None
    if _is_contact(text):
        return LineKind("contact", _contact_name(text))
    if _RE_LABEL.search(text):
        return None  # «Учитель: Иванова Н.П.», «Ребёнок: …» — a form filled in, not a signature
    for part in (p.strip() for p in text.split(" | ")):
        kind = _part_kind(part)
        if kind is not None:
            return kind
    return None


def _part_kind(text: str) -> LineKind | None:
    name = find_name(text)
    if name is not None:
        rest = text.replace(name, "", 1).strip(" ,;()—–-")
        if not rest or _rest_fits(rest):
            return LineKind("name", name)
    if _has_position(text) and len(text.split()) <= 30:
        return LineKind("role", kin=bool(_RE_KIN.match(text)))
    if _ORG.search(text) and len(text.split()) <= 30:
        return LineKind("org")
    if _is_person_like(text):
        return LineKind("person", text.strip(" ,.;"))
    if len(text) <= 40 and len(text.split()) <= 5:
        return LineKind("short")
    return None


def _rest_fits(rest: str) -> bool:
    """What may follow a name on its line: a position, a school, a class, another name."""
    rest = rest.strip(" ,;()").strip()
    if not rest:
        return True
    if _has_position(rest) or _ORG.search(rest) or _RE_CLASS.match(rest):
        return True
    if _is_contact(rest):
        return True
    return any(name_words(part) for part in re.split(r"\s*,\s*", rest) if part)


def _is_person_like(text: str) -> bool:
    """One to three capitalised words and nothing else: a name the dictionary may not know."""
    words = text.strip(" ,.;").split()
    return 1 <= len(words) <= 3 and all(
        re.fullmatch(r"[A-ZА-ЯЁ][a-zа-яё]+(?:-[A-ZА-ЯЁ]?[a-zа-яё]+)?\.?", w) for w in words
    )
