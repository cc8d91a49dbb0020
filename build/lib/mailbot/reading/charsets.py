"""Decoding of Russian mail bytes and headers whose charset label cannot be trusted.

Russian mail still arrives in koi8-r, windows-1251 and (from old DOS-era tools) cp866, often
with a missing or wrong charset label (automated senders such as 1C, scanners, old Outlook and
The Bat!): koi8-r bytes labelled ``us-ascii`` or ``iso-8859-1``, cp1251 labelled ``koi8-r``.
Generic charset guessers misread short Russian texts (a two-word subject comes out as cp932
or big5), so this module decides between a handful of plausible codecs with a small,
explainable score instead:

* every candidate decoding is split into words; a word counts as clean when it is written in
  one script (Russian Cyrillic or Latin), has a normal case pattern (``слово``, ``Слово``,
  ``СЛОВО``, never ``сЛОВО``) and, for Russian, is made of letter pairs common in Russian;
* replacement characters, control characters, box-drawing and other symbols that only
  mojibake produces are penalised.

koi8-r read as cp1251 (and vice versa) swaps the case and permutes the letters, cp866 read as
either gives box-drawing characters or Serbian letters, and Cyrillic read as latin-1 gives
words made only of accented letters, so the right codec wins by a wide margin even on two
words.  The declared label gets a bonus: it wins whenever its reading is about as plausible
as the best alternative, which keeps correct latin-1 German or pure ASCII text unchanged.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email.header
import email.utils
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "best_codec",
    "cyrillic_score",
    "decode_bytes",
    "decode_header_value",
    "decode_param_value",
    "normalize_charset",
    "plausibility",
]

# --------------------------------------------------------------------------- charset names

# Labels seen in real mail that codecs.lookup does not know, or knows under another name.
_ALIASES: dict[str, str] = {
    "windows-1251": "cp1251",
    "windows1251": "cp1251",
    "cp-1251": "cp1251",
    "win-1251": "cp1251",
    "win1251": "cp1251",
    "x-cp1251": "cp1251",
    "x-win-1251": "cp1251",
    "x-win1251": "cp1251",
    "cyrillic-1251": "cp1251",
    "ansi-1251": "cp1251",
    "windows-cyrillic": "cp1251",
    "koi8r": "koi8_r",
    "koi8": "koi8_r",
    "koi-8r": "koi8_r",
    "koi-8-r": "koi8_r",
    "koi8-ru": "koi8_r",
    "x-koi8-r": "koi8_r",
    "cskoi8r": "koi8_r",
    "utf8": "utf_8",
    "utf-8lite": "utf_8",
    "unicode-1-1-utf-8": "utf_8",
    "unicode-2-0-utf-8": "utf_8",
    "x-unicode20utf8": "utf_8",
    "x-utf-8": "utf_8",
    "cp-866": "cp866",
    "ibm-866": "cp866",
    "x-ibm866": "cp866",
    "dos-866": "cp866",
    "cp-1252": "cp1252",
    "win-1252": "cp1252",
    "x-cp1252": "cp1252",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-ukrainian": "mac_cyrillic",
    "iso-8859-5-i": "iso8859_5",
    "iso-8859-8-i": "iso8859_8",
    "ks_c_5601-1987": "cp949",
    "x-sjis": "shift_jis",
    "ansi_x3.4-1968": "ascii",
    "us_ascii": "ascii",
    "x-user-defined": "latin_1",
}

# Labels that carry no charset information at all.
_NO_CHARSET = frozenset(
    {
        "",
        "unknown-8bit",
        "x-unknown",
        "unknown",
        "default",
        "8bit",
        "7bit",
        "binary",
        "none",
        "charset",
        "text/plain",
        "x-user-defined-8bit",
    }
)

# Codecs that are not a superset of ASCII: ASCII bytes mean something else in them.
_NOT_ASCII_COMPATIBLE_PREFIXES = (
    "utf-16", "utf-32", "utf-7", "cp037", "cp1140", "cp500", "cp273", "cp424", "cp875",
    "cp1026", "hz", "iso2022",
)  # fmt: skip


def normalize_charset(name: str | None) -> str | None:
    """Return the Python codec name for a MIME charset label, or None if it is unusable.

    Labels come from untrusted headers (quoted, with a language suffix from RFC 2231/2184,
    with stray spaces), and some name codecs that only exist in Windows.  Non-text codecs
    such as ``base64`` are rejected: decoding with them would not produce text.
    """
    if not name:
        return None
    label = name.strip().strip("\"'").strip().lower()
    label = label.split("*", 1)[0].strip()  # RFC 2231 language: koi8-r*ru
    if label in _NO_CHARSET:
        return None
    candidate = _ALIASES.get(label, label)
    for attempt in (candidate, candidate.removeprefix("x-"), candidate.replace(" ", "-")):
        try:
            info = codecs.lookup(attempt)
        except (LookupError, ValueError):
            continue
        try:
            b"a".decode(info.name)
        except LookupError:  # binary transforms: base64, zlib, rot13 ...
            return None
        except (UnicodeError, ValueError):
            pass  # a text codec that cannot decode one lone byte, such as utf-16
        return info.name
    return None


def _ascii_compatible(codec: str) -> bool:
    return not codec.startswith(_NOT_ASCII_COMPATIBLE_PREFIXES)


# --------------------------------------------------------------------------- scoring

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


# --------------------------------------------------------------------------- choosing

# Codecs tried when the label is missing or wrong, with a small prior each: cp1251 is the
# most common one-byte Russian charset, cp1252 (Western) the least likely here.
_UTF8 = codecs.lookup("utf-8").name
_FALLBACKS: tuple[tuple[str, float], ...] = (
    (_UTF8, 0.0),
    (codecs.lookup("cp1251").name, 0.03),
    (codecs.lookup("koi8-r").name, 0.0),
    (codecs.lookup("cp866").name, -0.03),
    (codecs.lookup("cp1252").name, -0.08),
)
# The declared label wins unless another reading is clearly more plausible.
_DECLARED_BONUS = 0.15
# Valid multi-byte utf-8 almost never arises by chance from Cyrillic in a one-byte charset.
_VALID_UTF8_BONUS = 0.5
# A reading that needs replacement characters is worse than any clean one of equal score.
_REPLACE_MALUS = 0.05
_SAMPLE_TOKENS = 500
_LONG_TOKEN = 64
_HIGH_RUN_RE = re.compile(rb"[\x80-\xff]+")


@dataclass(frozen=True)
class _Candidate:
    codec: str
    errors: str
    score: float


def _sample(data: bytes) -> bytes:
    """The words that contain 8-bit bytes, which alone differ between ASCII-compatible
    readings, capped so that a large body is judged quickly.  A long token (a data: URI
    with a word glued to it) contributes only the 8-bit runs and a little context."""
    tokens: list[bytes] = []
    for token in data.split():
        if token.isascii():
            continue
        if len(token) <= _LONG_TOKEN:
            tokens.append(token)
            continue
        for run in _HIGH_RUN_RE.finditer(token):
            tokens.append(token[max(0, run.start() - 16) : run.end() + 16])
    if len(tokens) > _SAMPLE_TOKENS:
        step = len(tokens) / _SAMPLE_TOKENS
        tokens = [tokens[int(i * step)] for i in range(_SAMPLE_TOKENS)]
    return b" ".join(tokens)


def _try_decode(data: bytes, codec: str, errors: str = "strict") -> str | None:
    try:
        return data.decode(codec, errors)
    except (UnicodeError, LookupError, ValueError, TypeError):
        return None


def _candidates(data: bytes, declared: str | None) -> list[_Candidate]:
    sample = _sample(data)
    result: list[_Candidate] = []
    for codec, prior in ((declared, _DECLARED_BONUS), *_FALLBACKS):
        if codec is None or any(c.codec == codec for c in result):
            continue
        if declared == codec:
            prior = _DECLARED_BONUS
        errors = "strict" if _try_decode(data, codec) is not None else "replace"
        if errors == "strict" and codec == _UTF8:
            prior += _VALID_UTF8_BONUS
        if errors == "replace":
            if codec not in (_UTF8, declared):
                continue  # cp1251 lacks one byte (0x98): such data is not cp1251
            prior -= _REPLACE_MALUS
        text = _try_decode(sample, codec, errors)
        if text is not None:
            result.append(_Candidate(codec, errors, plausibility(text) + prior))
    return result


def best_codec(data: bytes, declared: str | None = None) -> str:
    """Name of the codec that reads ``data`` most plausibly, ``declared`` getting a bonus.

    Pure ASCII keeps the declared codec (or ``ascii``): every candidate would read it alike.
    """
    codec = normalize_charset(declared)
    if codec is not None and not _ascii_compatible(codec):
        return codec if _try_decode(data, codec) is not None else _best(data, None)[0]
    if data.isascii():
        return codec or "ascii"
    return _best(data, codec)[0]


def _best(data: bytes, declared: str | None) -> tuple[str, str]:
    candidates = _candidates(data, declared)
    if not candidates:
        return (declared or _UTF8, "replace")
    top = max(candidates, key=lambda c: c.score)
    return (top.codec, top.errors)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode mail bytes, trusting ``declared`` only when its reading is plausible.

    Never raises: unusable labels are ignored and the last resort replaces bad bytes.
    """
    try:
        return _decode_bytes(bytes(data), declared)
    except Exception:  # noqa: BLE001 - decoding must never break mail intake
        return bytes(data).decode("utf-8", "replace")


def _decode_bytes(data: bytes, declared: str | None) -> str:
    if not data:
        return ""
    codec = normalize_charset(declared)
    if codec is not None and not _ascii_compatible(codec):
        text = _try_decode(data, codec)
        if text is not None and plausibility(text) > 0.5:
            return text
        codec = None
    if data.isascii():
        text = _try_decode(data, codec) if codec else None
        return text if text is not None else data.decode("ascii")
    if codec in (None, _UTF8):
        # Valid UTF-8 with non-ASCII bytes is practically never an 8-bit Cyrillic text by
        # accident: no scoring needed for the common case (it was half of parsing's time).
        text = _try_decode(data, _UTF8)
        if text is not None:
            return text
    name, errors = _best(data, codec)
    text = _try_decode(data, name, errors)
    return text if text is not None else data.decode("utf-8", "replace")


# --------------------------------------------------------------------------- headers

_ENCODED_WORD_RE = re.compile(
    r"=\?(?P<charset>[^?\s]*)\?(?P<encoding>[bBqQ])\?(?P<text>[^?]*?)\?=",
)
_FOLD_RE = re.compile(r"\r?\n(?=[ \t])|\r(?=[ \t])")
_SPACE_RE = re.compile(r"\s+")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_Q_HEX_RE = re.compile(rb"=([0-9A-Fa-f]{2})")
_B64_JUNK_RE = re.compile(rb"[^A-Za-z0-9+/]")


def _decode_b(text: str) -> bytes:
    raw = _B64_JUNK_RE.sub(b"", text.encode("ascii", "ignore"))
    if len(raw) % 4 == 1:  # a lone trailing sextet carries no whole byte
        raw = raw[:-1]
    raw += b"=" * (-len(raw) % 4)
    try:
        return base64.b64decode(raw)
    except (binascii.Error, ValueError):
        return b""


def _decode_q(text: str) -> bytes:
    raw = text.encode("utf-8", "surrogateescape").replace(b"_", b" ")
    return _Q_HEX_RE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


@dataclass
class _Piece:
    """A run of header text: either decoded bytes with their label, or literal text."""

    data: bytes | None
    charset: str | None
    text: str = ""


def _pieces_from_str(value: str) -> list[_Piece]:
    value = _FOLD_RE.sub("", value)
    pieces: list[_Piece] = []
    pos = 0
    after_word = False  # the previous piece is an encoded word, only whitespace since
    for match in _ENCODED_WORD_RE.finditer(value):
        gap = value[pos : match.start()]
        if gap and not (after_word and gap.isspace()):
            pieces.append(_literal_piece(gap))
            after_word = False
        body = match.group("text")
        data = _decode_b(body) if match.group("encoding") in "bB" else _decode_q(body)
        label = match.group("charset").split("*", 1)[0].lower()
        previous = pieces[-1] if pieces else None
        if after_word and previous is not None and previous.charset == label:
            # Adjacent words of one charset are joined before decoding: mailers split a
            # multi-byte character across two encoded words.
            previous.data = (previous.data or b"") + data
        else:
            pieces.append(_Piece(data, label))
        after_word = True
        pos = match.end()
    tail = value[pos:]
    if tail:
        pieces.append(_literal_piece(tail))
    return pieces


def _literal_piece(text: str) -> _Piece:
    """A literal fragment; undecoded 8-bit bytes in it go through charset detection."""
    if text.isascii():
        return _Piece(None, None, text)
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        # compat32 parsing turns raw 8-bit bytes into lone surrogates.
        return _Piece(text.encode("utf-8", "surrogateescape"), None)
    if max(text) <= "\xff":
        # Some code reads unknown header bytes as latin-1: keep that reading only if it
        # is plausible (German umlauts), otherwise recover the Cyrillic behind it.
        return _Piece(text.encode("latin-1"), "latin_1")
    return _Piece(None, None, text)


def _pieces_from_header(header: email.header.Header) -> list[_Piece]:
    pieces: list[_Piece] = []
    for chunk, charset in email.header.decode_header(header):
        if isinstance(chunk, str):
            pieces.extend(_pieces_from_str(chunk))
        elif charset in (None, "unknown-8bit", "us-ascii"):
            pieces.extend(_pieces_from_str(chunk.decode("ascii", "surrogateescape")))
        else:
            pieces.append(_Piece(chunk, charset))
    return pieces


def _decode_pieces(pieces: Iterable[_Piece]) -> str:
    """Decode byte pieces, choosing one codec per declared label over all its pieces so that
    a short word is judged together with the rest of the header."""
    pieces = list(pieces)
    by_label: dict[str | None, list[bytes]] = {}
    for piece in pieces:
        if piece.data is not None:
            by_label.setdefault(piece.charset, []).append(piece.data)
    chosen = {label: best_codec(b" ".join(chunks), label) for label, chunks in by_label.items()}
    out: list[str] = []
    for piece in pieces:
        if piece.data is None:
            out.append(piece.text)
            continue
        codec = chosen[piece.charset]
        text = _try_decode(piece.data, codec)
        out.append(text if text is not None else decode_bytes(piece.data, piece.charset))
    return "".join(out)


def decode_header_value(value: str | bytes | email.header.Header | None) -> str:
    """Readable text of a header value: RFC 2047 words, raw 8-bit bytes, mislabelled
    charsets, folding and extra whitespace all handled.  Never raises."""
    try:
        if value is None:
            return ""
        if isinstance(value, email.header.Header):
            pieces = _pieces_from_header(value)
        elif isinstance(value, (bytes, bytearray)):
            pieces = _pieces_from_str(bytes(value).decode("ascii", "surrogateescape"))
        else:
            pieces = _pieces_from_str(str(value))
        text = _decode_pieces(pieces)
    except Exception:  # noqa: BLE001 - a header must never break mail intake
        text = _fallback_text(value)
    return _SPACE_RE.sub(" ", _CONTROL_RE.sub("", text)).strip()


def _fallback_text(value: object) -> str:
    try:
        if isinstance(value, (bytes, bytearray)):
            return bytes(value).decode("utf-8", "replace")
        return str(value).encode("utf-8", "replace").decode("utf-8", "replace")
    except Exception:  # noqa: BLE001
        return ""


def decode_param_value(value: str | tuple[str | None, str | None, str] | None) -> str:
    """Readable text of a MIME parameter such as an attachment's file name.

    Accepts what ``Message.get_param`` returns: a plain string (possibly with RFC 2047
    words or raw 8-bit bytes, as many mailers send) or the RFC 2231 triple
    ``(charset, language, percent-decoded text)`` whose text holds the bytes as latin-1.
    """
    try:
        if value is None:
            return ""
        if isinstance(value, tuple):
            charset, _language, text = value
            data = text.encode("latin-1", "surrogateescape")
            return _SPACE_RE.sub(" ", decode_bytes(data, charset)).strip()
        return decode_header_value(email.utils.unquote(value))
    except Exception:  # noqa: BLE001
        return _fallback_text(value)
