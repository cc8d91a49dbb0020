"""How one word of a request is read: cut out, folded, and reduced to its lemmas.

Shared by the classifier, the knowledge base and the school's own word lists (routing,
people), so that a word means the same everywhere:

- a word is a run of letters and digits (`WORD_RE`): "Д/З" is two words, "дзюдо" one;
- ё and е are the same letter and case does not matter (`fold`);
- Latin look-alike letters inside a Cyrillic word are read as Cyrillic (`unmix`);
- a word's lemmas come from pymorphy3 (`analyse`), cached.
"""

from __future__ import annotations

import functools
import re

from mailbot.text import morph

WORD_RE = re.compile(r"[0-9A-Za-zА-Яа-яЁё]+")

_LOOKALIKES = str.maketrans("aceopxykmthbACEOPXYKMTHB", "асеорхукмтнвАСЕОРХУКМТНВ")
_CYRILLIC_RE = re.compile(r"[А-Яа-яЁё]")
_LATIN_RE = re.compile(r"[A-Za-z]")


def fold(text: str) -> str:
    """Lower case, ё as е: the form every comparison of words is made in."""
    return text.lower().replace("ё", "е")


def unmix(word: str) -> str:
    """Latin look-alike letters inside a Cyrillic word become Cyrillic («oценка» -> «оценка»).

    Phones and copied text mix the alphabets; a mixed word would never match a rule.
    """
    if _LATIN_RE.search(word) and _CYRILLIC_RE.search(word):
        return word.translate(_LOOKALIKES)
    return word


@functools.lru_cache(maxsize=200_000)
def analyse(word: str) -> tuple[str, frozenset[str], str, bool]:
    """(best lemma, all lemmas, part of speech, known to the dictionary) of a lower-case word.

    A form is often ambiguous («данных»: данные / данный / дать), and pymorphy's first guess
    need not be the sense the rules mean, so a known word matches a rule through any of its
    lemmas. For a word the dictionary does not know, the guesses are noise: only the first.
    """
    analyzer = morph.analyzer()
    parses = analyzer.parse(word)
    known = analyzer.word_is_known(word)
    best = fold(parses[0].normal_form)
    lemmas = frozenset(fold(p.normal_form) for p in parses) if known else frozenset((best,))
    return best, lemmas, str(parses[0].tag.POS or ""), known


def rule_lemma(word: str) -> str:
    """The lemma a rule word stands for: the word itself when it is a dictionary form.

    A school writes «данные» meaning the noun; its first parse is a form of «дать».
    """
    best, lemmas, _pos, _known = analyse(word)
    return word if word in lemmas else best


@functools.lru_cache(maxsize=20_000)
def forms(lemma: str) -> frozenset[str]:
    """Every inflected form of a lemma, so a typo is measured against what people type."""
    found = {lemma}
    for parse in morph.analyzer().parse(lemma):
        if fold(parse.normal_form) == lemma:
            found.update(fold(f.word) for f in parse.lexeme)
    return frozenset(found)
