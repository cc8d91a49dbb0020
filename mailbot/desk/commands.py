"""Commands written on the first lines of a reply: «#закрыть», «#передать Петровой», ...

Helpers answer cases from their own mail client, so a command is just a line of text. The
parser has to forgive what people and phones really type, yet never act on a guess: a typo
becomes a problem to report back to the helper (with a suggestion), not a command.

Rules (the tests pin each one):

- Only the lines at the very start count. Blank lines are skipped; the first line that is
  not a command ends the block, and a hashtag later in the text is ordinary text.
- People write politely, so lines of nothing but a greeting or a form of address before
  the first command are skipped too (``is_greeting``): «Добрый день!», «Здравствуйте,
  Надежда Павловна!», «Уважаемая Надежда Павловна!», «Коллеги,», «Доброго времени суток
  🙂», «Hi». They stay in ``text``. Only such lines: «Добрый день, оценку исправили» ends
  the block like any text, and so does a greeting below a command.
- Case, «ё», a space after «#» (``# закрыть``), trailing punctuation (``#Закрыть.``,
  ``#передать: Петровой``), full-width «＃», no-break and zero-width spaces, Latin letters
  that look Cyrillic (``#зaкрыть``) and the reverse (``#сlose``) are all forgiven. A word
  typed in the wrong keyboard layout (``#pfrhsnm`` for «#закрыть») is recognised too: it can
  never be a real word. «№» (Shift+3 in the Russian layout) introduces an exact command.
- Text after the command on the same line: for ``transfer`` it is the argument (who gets
  the case); for ``signup``/``cancel`` it must hold seminar numbers (``#записаться 3, 5``
  gives two commands); for every other command it is kept as ``arg`` *and* it opens
  ``text``, so ``text`` is always the whole of what the writer said below the commands
  (the final answer for ``close``, the note for ``note``). A line may chain commands:
  ``#закрыть #заметка дубль``.
- With ``note`` present, ``text`` is the internal note: the caller must not relay it.
- ``#5``, ``#12 в списке`` (a digit after «#»), a capitalised abbreviation such as ``#ЭЖ``
  or ``#КТП``, and ``# Слово`` with a space that is not near any command are ordinary text:
  people write them. Any other unknown ``#слово`` on a first line is a problem, with the
  nearest command by edit distance when one is close, and the line is dropped from the text.
- A missing argument (transfer, signup, cancel), a command not allowed in this context, and
  conflicting commands (see ``_CONFLICTS``; two different transfers) are problems. Commands
  in conflict are all left out of ``commands``, so nothing ambiguous is carried out; exact
  repeats are merged silently.
- A line later in the text that holds nothing but an allowed command (an answer written
  first) is not carried out, but reported, so the helper learns why nothing happened.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from mailbot.text.greetings import CLEAN, is_greeting

__all__ = [
    "COMMANDS",
    "COMMAND_NAMES",
    "HELPER_COMMANDS",
    "USER_COMMANDS",
    "Command",
    "CommandProblem",
    "CommandSpec",
    "ParsedCommands",
    "guide_lines",
    "helper_guide",
    "parse_commands",
]


@dataclass(frozen=True)
class CommandSpec:
    """One command: every fact about it in one row (the parser, the flows and the guide
    mail all read this table)."""

    name: str  # canonical English name
    spellings: tuple[str, ...]  # the Russian word shown in guides first, then other spellings
    who: str  # "helper" or "user"
    written: str  # how the guide shows it
    does: str  # the guide's one-line explanation (Russian)
    # The state it moves the case to: allowed only where states.py allows that move.
    moves_to: str = ""
    needs: str = ""  # "target" (whom to transfer to) or "number" (a seminar number)


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("close", ("закрыть", "close"), "helper", "#закрыть",
                "закрыть обращение; текст под командой уйдёт пользователю как окончательный "
                "ответ", moves_to="closed"),
    CommandSpec("transfer", ("передать", "transfer", "assign"), "helper",
                "#передать ФИО или должность",
                "передать обращение другому специалисту, например «#передать Петровой Н. А.»",
                needs="target"),
    CommandSpec("note", ("заметка", "note", "comment", "комментарий"), "helper", "#заметка",
                "внутренняя заметка к обращению: её видят только специалисты, не пользователь"),
    CommandSpec("wait", ("ожидание", "wait", "pending"), "helper", "#ожидание",
                "обращение ждёт ответа пользователя (например, вы попросили снимок экрана)",
                moves_to="waiting_user"),
    CommandSpec("help", ("помощь", "help"), "helper", "#помощь",
                "прислать эту памятку по командам"),
    CommandSpec("vendor", ("сэдиж", "vendor", "сэдж", "эпос", "стп"), "helper", "#сэдиж",
                "передать обращение в службу технической поддержки разработчика системы",
                moves_to="waiting_vendor"),
    # «стоп» is here so that it is never "corrected" to its neighbour «стп» (vendor).
    CommandSpec("stop", ("прекратить", "stop", "стоп"), "helper", "#прекратить",
                "прекратить консультирование (пункт 5, оскорбления); причину можно написать "
                "после", moves_to="stopped"),
    CommandSpec("approve", ("одобрить", "approve"), "helper", "#одобрить",
                "переслать пользователю последний ответ службы поддержки как есть"),
    CommandSpec("signup", ("записаться", "signup"), "user", "#записаться N",
                "записаться на семинар с номером N из расписания", needs="number"),
    CommandSpec("cancel", ("отменить", "cancel"), "user", "#отменить N",
                "отменить запись на семинар с номером N", needs="number"),
    CommandSpec("unsubscribe", ("отписаться", "unsubscribe"), "user", "#отписаться",
                "больше не получать рассылку расписания семинаров"),
    CommandSpec("subscribe", ("подписаться", "subscribe"), "user", "#подписаться",
                "снова получать рассылку расписания семинаров"),
)
SPECS: Mapping[str, CommandSpec] = MappingProxyType({c.name: c for c in COMMANDS})

# Canonical English name -> (the Russian word shown in guides, other accepted spellings).
COMMAND_NAMES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {c.name: c.spellings for c in COMMANDS})
HELPER_COMMANDS: frozenset[str] = frozenset(c.name for c in COMMANDS if c.who == "helper")
USER_COMMANDS: frozenset[str] = frozenset(c.name for c in COMMANDS if c.who == "user")

_NEEDS_TARGET = frozenset(c.name for c in COMMANDS if c.needs == "target")
_NEEDS_NUMBER = frozenset(c.name for c in COMMANDS if c.needs == "number")

# Pairs that cannot both be meant, with why (shown to the helper).
_CONFLICTS: Mapping[frozenset[str], str] = MappingProxyType({
    frozenset({"close", "wait"}): "обращение нельзя одновременно закрыть и оставить в ожидании",
    frozenset({"close", "transfer"}): "обращение нельзя одновременно закрыть и передать",
    frozenset({"subscribe", "unsubscribe"}): (
        "нельзя одновременно подписаться на рассылку и отписаться от неё"
    ),
})


@dataclass(frozen=True)
class Command:
    name: str  # canonical English name, a key of COMMAND_NAMES
    arg: str  # whom to transfer to, a seminar number, or the rest of the line
    line: str  # the line as written


@dataclass(frozen=True)
class CommandProblem:
    line: str  # the line as written
    problem: str  # polite Russian, ready for a reply to the writer


@dataclass(frozen=True)
class ParsedCommands:
    commands: tuple[Command, ...]
    problems: tuple[CommandProblem, ...]
    text: str  # the text without the command lines, stripped

    def has(self, name: str) -> bool:
        return any(c.name == name for c in self.commands)

    def get(self, name: str) -> Command | None:
        return next((c for c in self.commands if c.name == name), None)


# --------------------------------------------------------------------------- spelling


def _fold(word: str) -> str:
    return word.lower().replace("ё", "е")


_ALIASES: Mapping[str, str] = MappingProxyType({
    _fold(alias): name for name, aliases in COMMAND_NAMES.items() for alias in aliases
})
_LATIN_LOOKS = "aceopxykmthb"
_CYRILLIC_LOOKS = "асеорхукмтнв"
_TO_CYRILLIC = str.maketrans(_LATIN_LOOKS, _CYRILLIC_LOOKS)
_TO_LATIN = str.maketrans(_CYRILLIC_LOOKS, _LATIN_LOOKS)
_QWERTY = "qwertyuiop[]asdfghjkl;'zxcvbnm,.`"
_JCUKEN = "йцукенгшщзхъфывапролджэячсмитьбюё"
_LAYOUT_TO_RU = str.maketrans(_QWERTY, _JCUKEN)
_LAYOUT_TO_EN = str.maketrans(_JCUKEN, _QWERTY)


def _spellings(word: str) -> tuple[str, ...]:
    """The word as typed and with look-alike letters read in either alphabet."""
    folded = _fold(word)
    return (folded, folded.translate(_TO_CYRILLIC), folded.translate(_TO_LATIN))


def _resolve(word: str) -> str | None:
    for spelling in _spellings(word):
        if spelling in _ALIASES:
            return _ALIASES[spelling]
    return None


def _resolve_layout(token: str) -> str | None:
    """A command typed in the wrong keyboard layout: «pfrhsnm» is «закрыть»."""
    folded = _fold(token)
    for candidate in (folded, folded.rstrip(".,:;!?")):
        for switched in (candidate.translate(_LAYOUT_TO_RU), candidate.translate(_LAYOUT_TO_EN)):
            if switched in _ALIASES and switched != candidate:
                return _ALIASES[switched]
    return None


def _distance(a: str, b: str) -> int:
    """Edit distance with transpositions (optimal string alignment): «закрытй» is one slip."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            best = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                best = min(best, prev2[j - 2] + 1)
            cur.append(best)
        prev2, prev = prev, cur
    return prev[-1]


def _suggest(word: str, allowed: frozenset[str]) -> str | None:
    """The nearest allowed spelling, if it is near enough to be what was meant."""
    best: tuple[int, int, str] | None = None
    for order, (alias, name) in enumerate(_ALIASES.items()):
        if name not in allowed:
            continue
        limit = max(1, min(3, max(len(word), len(alias)) // 3))
        dist = min(_distance(spelling, alias) for spelling in _spellings(word))
        if dist <= limit and (best is None or (dist, order) < best[:2]):
            best = (dist, order, alias)
    return best[2] if best else None


# --------------------------------------------------------------------------- one line

_HEAD_RE = re.compile(r"(?P<mark>[#№])(?P<space>\s*)(?P<word>[^\W\d_]+)[.!?:;,…]*(?P<rest>.*)",
                      re.DOTALL)
_TOKEN_RE = re.compile(r"[#№]\s*(?P<token>\S+)(?P<rest>.*)", re.DOTALL)
_ABBREVIATION_LENGTH = 5
# Every character that is a command mark once a line is cleaned («#», «№», full-width «＃»):
# a line holding none of them is text without cleaning it (most lines below the commands).
_MARKS = "#№" + "".join(chr(code) for code, to in CLEAN.items() if to in ("#", "№"))
_MARK_RE = re.compile(f"[{re.escape(_MARKS)}]")


@dataclass(frozen=True)
class _Hit:
    """One command word found on a line: its name (None when unknown) and what follows."""

    name: str | None
    word: str
    rest: str


def _read_line(line: str) -> list[_Hit] | None:
    """The commands a line starts with, or None when the line is ordinary text."""
    hit = _read_head(line.translate(CLEAN).strip())
    if hit is None:
        return None
    hits = [hit]
    while hits[-1].name is not None:
        chained = _read_head(hits[-1].rest.strip())
        if chained is None or chained.name is None:
            break
        hits[-1] = _Hit(hits[-1].name, hits[-1].word, "")
        hits.append(chained)
    return hits


def _read_head(text: str) -> _Hit | None:
    match = _HEAD_RE.fullmatch(text)
    token = _TOKEN_RE.fullmatch(text)
    if token is not None and (match is None or _resolve(match["word"]) is None):
        name = _resolve_layout(token["token"])
        if name is not None:
            return _Hit(name, token["token"], token["rest"])
    if match is None:
        return None  # «#5», «#», «# 12»
    word = match["word"]
    name = _resolve(word)
    if name is not None:
        return _Hit(name, word, match["rest"])
    if match["mark"] == "№" or (word.isupper() and len(word) <= _ABBREVIATION_LENGTH):
        return None  # «№ школы», «#ЭЖ», «#КТП»: abbreviations people write as text
    if match["space"] and _suggest(word, frozenset(COMMAND_NAMES)) is None:
        return None  # «# Вопрос по оценкам»
    return _Hit(None, word, match["rest"])


# --------------------------------------------------------------------------- arguments

_TARGET_EDGE_RE = re.compile(r"^[\s:;,.—–-]+|[\s!?,;:—–-]+$")
_QUOTES = "«»\"'“”„"
_NUMBER_FILLERS = frozenset({
    "на", "семинар", "семинары", "семинара", "занятие", "номер", "номера", "no", "n",
    "пожалуйста", "мне", "меня", "me",
})
_NUMBER_SEPARATORS = frozenset({",", ";", "и", "and", "&", "+", "№", "#", ".", ":", "-"})
_NUMBER_TOKEN_RE = re.compile(r"\d+|[^\W\d_]+|[^\w\s]")


def _target(rest: str) -> str:
    """Whom to transfer to: «: Петровой.» -> «Петровой», but «Петровой Н.А.» keeps its dot."""
    previous = None
    text = rest
    while text != previous:
        previous = text
        text = _TARGET_EDGE_RE.sub("", text).strip(_QUOTES)
        if text.endswith(".") and not re.search(r"(?:^|[\s.])[A-ZА-ЯЁ]\.$", text):
            text = text[:-1]
    return text


def _numbers(rest: str) -> list[str]:
    """Seminar numbers at the start of the rest: «3», «№ 3 и 5», «на семинар 4, пожалуйста».

    Before the first number only filler words may stand; after it only separators, so
    «3 в 15:00» gives 3 and not 15.
    """
    found: list[str] = []
    for token in _NUMBER_TOKEN_RE.findall(_fold(rest)):
        if token.isdigit():
            found.append(str(int(token)))
        elif token in _NUMBER_SEPARATORS or (not found and token in _NUMBER_FILLERS):
            continue
        else:
            break
    return list(dict.fromkeys(found))


# --------------------------------------------------------------------------- problems


def _shown(name: str) -> str:
    return f"«#{COMMAND_NAMES[name][0]}»"


def _available(allowed: frozenset[str]) -> str:
    names = ", ".join(_shown(n) for n in COMMAND_NAMES if n in allowed)
    return f"Здесь можно использовать: {names}." if names else "Здесь команды не используются."


def _unknown(word: str, allowed: frozenset[str]) -> str:
    suggestion = _suggest(word, allowed)
    if suggestion is not None:
        return f"Команда «#{word}» не распознана. Возможно, вы имели в виду «#{suggestion}»?"
    if "help" in allowed:
        return (f"Команда «#{word}» не распознана. Список команд придёт в ответ на письмо "
                f"с командой «#помощь».")
    return f"Команда «#{word}» не распознана. {_available(allowed)}"


def _missing(name: str, word: str) -> str:
    if name == "transfer":
        return (f"В команде «#{word}» не указано, кому передать обращение. Напишите, "
                f"например: «#{word} Петровой Н. А.» или «#{word} заместителю директора».")
    return (f"В команде «#{word}» не указан номер семинара. Напишите, например: «#{word} 3» "
            f"(номер есть в расписании).")


# --------------------------------------------------------------------------- the text


class _Collector:
    """Commands and problems as the lines are read, and the lines kept as text."""

    def __init__(self, allowed: frozenset[str]) -> None:
        self.allowed = allowed
        self.commands: list[Command] = []
        self.problems: list[CommandProblem] = []
        self.kept: list[str] = []

    def problem(self, line: str, text: str) -> None:
        self.problems.append(CommandProblem(line, text))

    def add(self, hits: list[_Hit], line: str) -> None:
        for hit in hits:
            self._add_hit(hit, line)

    def _add_hit(self, hit: _Hit, line: str) -> None:
        if hit.name is None:
            self.problem(line, _unknown(hit.word, self.allowed))
        elif hit.name not in self.allowed:
            self.problem(line, f"Команда «#{hit.word}» в этом письме недоступна. "
                               f"{_available(self.allowed)}")
        elif hit.name in _NEEDS_TARGET:
            target = _target(hit.rest)
            if target:
                self.commands.append(Command(hit.name, target, line))
            else:
                self.problem(line, _missing(hit.name, hit.word))
        elif hit.name in _NEEDS_NUMBER:
            numbers = _numbers(hit.rest)
            self.commands.extend(Command(hit.name, n, line) for n in numbers)
            if not numbers:
                self.problem(line, _missing(hit.name, hit.word))
        else:
            rest = hit.rest.strip().lstrip(":—–-").strip()
            self.commands.append(Command(hit.name, rest, line))
            if rest:
                self.kept.append(rest)


def parse_commands(text: str, allowed: frozenset[str] | None = None) -> ParsedCommands:
    """Split a reply (already stripped of quotes and signature) into commands and text.

    ``allowed`` names the commands valid in this context (None: all of them); see
    ``USER_COMMANDS`` for what a user may write.
    """
    allowed_names = _check_allowed(allowed)
    collector = _Collector(allowed_names)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    in_block = True
    greeting = True  # no command yet: a greeting may still come first
    for raw in lines:
        line = raw.strip()
        hits = _read_line(line) if in_block and line else None
        if hits is not None:
            collector.add(hits, line)
            greeting = False
            continue
        if in_block and greeting and is_greeting(line):
            collector.kept.append(raw.rstrip())  # «Добрый день!» stays in the text
            continue
        in_block = in_block and not line
        if not in_block:
            _check_misplaced(line, collector)
        collector.kept.append(raw.rstrip())
    commands, conflicts = _settle(collector.commands)
    return ParsedCommands(
        commands=tuple(commands),
        problems=tuple(collector.problems + conflicts),
        text="\n".join(collector.kept).strip(),
    )


def _check_allowed(allowed: Iterable[str] | None) -> frozenset[str]:
    if allowed is None:
        return frozenset(COMMAND_NAMES)
    unknown = sorted(set(allowed) - set(COMMAND_NAMES))
    if unknown:
        raise ValueError(f"unknown command names: {', '.join(unknown)}")
    return frozenset(allowed)


def _check_misplaced(line: str, collector: _Collector) -> None:
    """A line of just an allowed command below other text: say why it was not carried out."""
    if _MARK_RE.search(line) is None:
        return
    hit = _read_head(line.translate(CLEAN).strip())
    if hit is None or hit.name not in collector.allowed or hit.rest.strip(" .!"):
        return
    collector.problem(line, f"Команда «#{hit.word}» стоит не в начале письма, поэтому не "
                            f"выполнена. Пожалуйста, пишите команды в первых строках ответа.")


def _settle(commands: list[Command]) -> tuple[list[Command], list[CommandProblem]]:
    """Merge exact repeats; report conflicts and drop every command involved in one."""
    unique: dict[tuple[str, str], Command] = {}
    for command in commands:
        has_value = command.name in _NEEDS_TARGET | _NEEDS_NUMBER
        unique.setdefault((command.name, _fold(command.arg) if has_value else ""), command)
    kept = list(unique.values())
    problems: list[CommandProblem] = []
    dropped: set[int] = set()
    transfers = [c for c in kept if c.name == "transfer"]
    if len(transfers) > 1:
        names = ", ".join(f"«{c.arg}»" for c in transfers)
        problems.append(CommandProblem(transfers[-1].line, (
            f"Обращение можно передать только одному человеку, а в письме указано несколько: "
            f"{names}. Пожалуйста, оставьте одну команду «#передать».")))
        dropped.update(id(c) for c in transfers)
    for pair, why in _CONFLICTS.items():
        involved = [c for c in kept if c.name in pair]
        if {c.name for c in involved} == pair:
            first, second = sorted(pair, key=list(COMMAND_NAMES).index)
            problems.append(CommandProblem(involved[-1].line, (
                f"Команды {_shown(first)} и {_shown(second)} противоречат друг другу: "
                f"{why}. Пожалуйста, оставьте одну из них.")))
            dropped.update(id(c) for c in involved)
    for number in dict.fromkeys(c.arg for c in kept if c.name == "signup"):
        involved = [c for c in kept if c.name in _NEEDS_NUMBER and c.arg == number]
        if len(involved) > 1:
            problems.append(CommandProblem(involved[-1].line, (
                f"Для семинара {number} указаны и запись, и отмена записи. Пожалуйста, "
                f"оставьте одну из команд: «#записаться {number}» или «#отменить {number}».")))
            dropped.update(id(c) for c in involved)
    return [c for c in kept if id(c) not in dropped], problems


def guide_lines(allowed: frozenset[str] | None = None) -> list[tuple[str, str]]:
    """(command as written in Russian, one-line Russian explanation) for the help mail,
    in a stable order; the explanation names the other spellings that work too."""
    names = _check_allowed(allowed)
    lines: list[tuple[str, str]] = []
    for spec in COMMANDS:
        if spec.name not in names:
            continue
        others = ", ".join(f"#{alias}" for alias in spec.spellings[1:])
        lines.append((spec.written, f"{spec.does} (также: {others})."))
    return lines


def helper_guide() -> list[tuple[str, str]]:
    """The helper's commands, as the guide (#помощь) and every notice list them."""
    return guide_lines(HELPER_COMMANDS)
