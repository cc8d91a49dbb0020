"""How much a decoded text looks like real Russian or Western text rather than mojibake.

charsets.py decides between a handful of plausible codecs for mail whose charset label cannot
be trusted.  Generic charset guessers misread short Russian texts (a two-word subject comes
out as cp932 or big5), so each candidate reading is judged by a small, explainable score:

* every candidate decoding is split into words; a word counts as clean when it is written in
  one script (Russian Cyrillic or Latin), has a normal case pattern (``слово``, ``Слово``,
  ``СЛОВО``, never ``сЛОВО``) and, for Russian, is made of letter pairs common in Russian;
* replacement characters, control characters, box-drawing and other symbols that only
  mojibake produces are penalised.

koi8-r read as cp1251 (and vice versa) swaps the case and permutes the letters, cp866 read as
either gives box-drawing characters or Serbian letters, and Cyrillic read as latin-1 gives
words made only of accented letters, so the right codec wins by a wide margin even on two
words.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["cyrillic_score", "plausibility"]

# Letter pairs of Russian, " " standing for the word boundary, in two tiers: the 300 most
# frequent pairs (about 87% of running text) and the next 350 (about 12%); anything else is
# rare in Russian but common in mojibake.  Built from 1.7 million Cyrillic letters of the
# Russian gettext translations shipped with Debian, plus зю, юм, щн, гк (резюме, мощный,
# легко) that this technical text lacks; ё is folded to е before lookup.
_FREQUENT_PAIRS_BY_FIRST = {
    " ": "абвгдезиклмнопрстуфчэя",
    "а": " бвгдежзйклмнпрстцчюя",
    "б": "аеиклоруы",
    "в": " аеиклнорсуы",
    "г": " аиору",
    "д": " адеилнору",
    "е": " вгдежзйклмнопрстчщ",
    "ж": "деин",
    "з": " авдмноуы",
    "и": " абвгдезийклмнпрстфцчюя",
    "й": " лст",
    "к": " аеилорстуц",
    "л": " аежиноуьюя",
    "м": " авеимоыя",
    "н": " адеикностуыя",
    "о": " бвгдежзйклмнпрстчш",
    "п": " аеиору",
    "р": " авежимностуы",
    "с": " аеиклопстуыья",
    "т": " авеикнорсуыь",
    "у": " дежклмнпрстчщю",
    "ф": "аио",
    "х": " о",
    "ц": "еи",
    "ч": "аеинт",
    "ш": "еи",
    "щ": "еи",
    "ы": " вейлмтх",
    "ь": " зкнс",
    "э": "т",
    "ю": " чщ",
    "я": " ет",
}
_POSSIBLE_PAIRS_BY_FIRST = {
    " ": "жйхцшщыю",
    "а": "аиоуфхшщ",
    "б": " бдзмнсхцщъя",
    "в": "вдзмптхшщья",
    "г": "бвгделмнсчк",
    "д": "вгжзкмпстхцчшыьюя",
    "е": "абиуфхцшэюя",
    "ж": " абкмосуь",
    "з": "бежзиклрсцьяю",
    "и": "жоухшщ",
    "й": "вдеикмнорцчшя",
    "к": "бвжзкмнхшэ",
    "л": "бгдклмстфчы",
    "м": "бклнпсуь",
    "н": "вгзлфхцчшью",
    "о": "аиоуфхцщэяю",
    "п": "клнпстцыьюя",
    "р": "бгдзклпрфхцчшьяю",
    "с": "бвгджмнрфхцчшю",
    "т": "бдзлмптфхчюя",
    "у": "абвгзийофхцшэя",
    "ф": " елмрстуфь",
    "х": "авеимнрсуэ",
    "ц": " авкопсуы",
    "ч": " клосушь",
    "ш": " авклнорстуь",
    "щ": " ауьн",
    "ъ": "ея",
    "ы": "бгджзкнпрсчшю",
    "ь": "бвгдемотцшюя",
    "э": " гйклмнпрсфш",
    "ю": "бджкнрстюм",
    "я": "бвгдзйклмнпрсхцчщюя",
}
_PAIR_WEIGHT: dict[str, float] = {
    **{a + b: 0.5 for a, rest in _POSSIBLE_PAIRS_BY_FIRST.items() for b in rest},
    **{a + b: 1.0 for a, rest in _FREQUENT_PAIRS_BY_FIRST.items() for b in rest},
}

_RUSSIAN_UPPER = frozenset("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ")
_RUSSIAN_LOWER = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_RUSSIAN = _RUSSIAN_UPPER | _RUSSIAN_LOWER

# Typographic characters that are normal in Russian and Western text, though non-ASCII.
_NORMAL_SYMBOLS = frozenset("«»„“”’–—…№•·©®°±§™€\u00a0\u2009\u202f¼½¾²³×")

_ONE_LETTER_WORDS = frozenset("вксуоиаяВКСУОИАЯ")
# Capitalised abbreviations of school mail whose letter pairs look un-Russian.
_ABBREVIATIONS = frozenset(
    (  # noqa: SIM905 - a word list reads better as one string
        "ЭЖ ЭД ДЗ КТП ЭПОС ЕСИА СТП СНИЛС ФИО ОГЭ ЕГЭ ВПР СМС ИНН ОУ МОУ МАОУ МБОУ СОШ ООШ "
        "ГИА ОО РФ ПК МО ПДФ ЧС ОВЗ УВР ВР ЗУН ИКТ ЦОС МЭШ РЭШ"
    ).split()
)

_WORD_RE = re.compile(r"[^\W\d_]+")
# A non-ASCII symbol squeezed between two letters ("Р”Р—", "а®з", "ú×Ä") is what a wrong
# one-byte reading produces; real text glues only apostrophes (д’Артаньян) into words.
_GLUED_RE = re.compile(r"(?<=[^\W\d_])[^\w\s\x00-\x7f’ʼ]+(?=[^\W\d_])")
# Symbols other than quotes and dashes touching a Cyrillic letter: "зв®" is cp866 "что"
# read as cp1251, while "Microsoft®" is fine.
_TOUCHING_RE = re.compile(
    r"[а-яёА-ЯЁ][^\w\s\x00-\x7f«»„“”’…—–№]|[^\w\s\x00-\x7f«»„“”‘’…—–№][а-яёА-ЯЁ]"
)

# Word classes returned by _word_score's script analysis.
_R, _A, _L, _C, _O = range(5)  # Russian, ASCII Latin, other Latin, other Cyrillic, other


def _script(ch: str) -> int:
    if ch in _RUSSIAN:
        return _R
    if ch < "\x80":
        return _A
    code = ord(ch)
    if 0x400 <= code <= 0x52F:
        return _C
    if code <= 0x24F or 0x1E00 <= code <= 0x1EFF:
        return _L
    return _O


def _case_ok(word: str) -> bool:
    """A normal Russian word is lower, UPPER or Title case; mojibake flips case mid-word."""
    if len(word) <= 1 or word.islower() or word.isupper():
        return True
    return word[0].isupper() and word[1:].islower()


def _pair_share(word: str) -> float:
    """Mean weight of the word's letter pairs; each pair Russian never uses costs a quarter
    of the rest, since one such pair says more than several ordinary ones."""
    padded = " " + word.lower().replace("ё", "е") + " "
    weights = [_PAIR_WEIGHT.get(padded[i : i + 2], 0.0) for i in range(len(padded) - 1)]
    return sum(weights) / len(weights) * 0.75 ** weights.count(0.0)


def _word_score(word: str) -> float:
    """Plausibility of one word in [0, 1]: 1 for clean Russian or Latin words."""
    scripts = {_script(ch) for ch in word}
    if scripts == {_R}:
        if len(word) == 1:
            # Prepositions and conjunctions stand alone; other single letters are initials
            # or class letters (5Б), and are also what mojibake leaves between symbols.
            return 0.9 if word in _ONE_LETTER_WORDS else 0.5
        if word in _ABBREVIATIONS:
            return 1.0
        share = _pair_share(word)
        if not _case_ok(word):
            return 0.15 * share
        # Lower-case text read with the koi8-r/cp1251 twin comes out in capitals, while
        # real mail is mostly lower case: capitals are slightly less plausible.
        return 0.9 * share if word.isupper() else share
    if scripts == {_A}:
        return 1.0
    if scripts == {_A, _L}:
        accented = sum(1 for ch in word if _script(ch) == _L)
        return 0.9 if accented * 2 <= len(word) else 0.3
    if scripts == {_L}:
        # "à", "é" alone are French; longer words of accented letters only are mojibake.
        return 0.5 if len(word) <= 1 else 0.05
    if scripts <= {_R, _C}:
        # Ukrainian/Belarusian letters mixed with Russian ones (ї, є, ў) or Serbian (ђ, љ).
        other = sum(1 for ch in word if _script(ch) == _C)
        return 0.3 if other * 4 <= len(word) else 0.05
    return 0.05  # mixed scripts inside one word, Greek, CJK, ...


def _char_penalty(ch: str) -> float:
    """Weight of a character that real text rarely contains but mojibake does."""
    if ch == "\ufffd":
        return 3.0
    code = ord(ch)
    if code < 0x20:
        return 0.0 if ch in "\t\n\r\f\v" else 2.0
    if code < 0x7F or ch in _NORMAL_SYMBOLS:
        return 0.0
    if 0x7F <= code <= 0x9F:  # C1 controls: cp1252/koi8 bytes read as latin-1
        return 2.0
    if 0x2500 <= code <= 0x259F or code in (0x2320, 0x2321, 0x25A0):  # box drawing, blocks
        return 2.0
    category = unicodedata.category(ch)
    if category[0] == "L" or category in ("Zs", "Mn"):
        return 0.0  # letters are judged by _word_score
    if category in ("Co", "Cn", "Cs", "Cc"):
        return 2.0
    return 0.7  # other non-ASCII symbols and punctuation: ¤ ¦ ≈ √ ÷ ...


def plausibility(text: str) -> float:
    """How much ``text`` looks like real Russian or Western text rather than mojibake.

    Returns roughly 1.0 for clean text and lower values (possibly negative) for garbage:
    the length-weighted mean of the word scores minus the mojibake characters per letter.
    ASCII text without letters scores 1.0, so digits and punctuation favour no reading.
    """
    letters = 0
    weighted = 0.0
    for word in _WORD_RE.findall(text):
        letters += len(word)
        weighted += len(word) * _word_score(word)
    penalty = sum(_char_penalty(ch) for ch in text if ch >= "\x7f" or ch < " ")
    penalty += sum(len(glued) for glued in _GLUED_RE.findall(text))
    penalty += len(_TOUCHING_RE.findall(text))
    if letters:
        base = weighted / letters
    else:
        base = 1.0 if text.isascii() else 0.6  # 8-bit bytes that form no letter at all
    return base - penalty / max(letters, 4)


def cyrillic_score(text: str) -> float:
    """Share of letters in ``text`` that are Russian Cyrillic letters, in [0, 1].

    Useful to tell whether a (decoded) text is Russian at all; see :func:`plausibility`
    for whether it was decoded correctly.
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    return sum(1 for ch in letters if ch in _RUSSIAN) / len(letters)
