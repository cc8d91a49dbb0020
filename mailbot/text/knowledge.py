"""Reference articles that fit a request (clause 6 of the regulation).

The acknowledgement mail lists a few of the school's help articles that fit the question,
so a user can often help themselves before a person answers. The articles are data a
school edits, `config/knowledge.toml`: a title, a link, the help categories an article
belongs to, the words people use when they need it and, optionally, who it is for.

An article's words are read exactly as the classifier reads its rules (`mailbot.text.terms`,
`mailbot.text.tokens`): on lemmas, with abbreviations taken whole and small typos forgiven,
so «пароля», «ПАРОЛЬ» and «пороль» all reach the article that lists «пароль». A word written
with two or more capital letters (ЕСИА, КТП, СНИЛС, СЭДиЖ) is an abbreviation: matched as a
whole token in any case, never through morphology.

How an article scores against a text (every point is kept as a reason):
- each of its words found in the text: 1 point; an unknown word one slip away: 0.8;
- a phrase: 1 point per word in it, and its words do not count again on their own;
- a word or phrase counts once however often it is repeated, and a token of the text
  counts for one of the article's words only;
- the case's category among the article's categories: `category_bonus`, but only for an
  article that already has a word in the text: a category alone says too little;
- when the sender's role is known, articles not meant for it (`audience`) are left out.
Articles below `min_score`, or below `min_share` of the best article's score, are dropped:
a vague question gets fewer articles or none rather than unrelated ones, and one weak word
does not ride along with a clear answer. Of equal scores, an article of the case's category
comes first, then the file's order: the same text always gets the same list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any
from urllib.parse import urljoin, urlsplit

from pydantic import AfterValidator

from mailbot.school import tomlfile
from mailbot.school.tomlfile import AnyText, Count, RuleModel, Table, Text, list_of_tables
from mailbot.text import memo
from mailbot.text.category_rules import CATEGORY_IDS, OTHER
from mailbot.text.fields import FilledTextList, FilledTexts, NotNegative, Positive, RuleError, Share
from mailbot.text.terms import Abbreviations, Term, compile_term, lemmas_of
from mailbot.text.tokens import (
    KeyIndex,
    Token,
    anchor,
    claimed,
    phrase_candidates,
    phrase_hits,
    prefix_key,
    quoted,
    read,
    rule_keys,
)
from mailbot.text.typos import DeletionIndex, TypoIndex
from mailbot.text.words import WORD_RE, fold

ROLES: tuple[str, ...] = ("parent", "student", "teacher", "staff")

# How text is read; the same values as the classifier's defaults, so both forgive alike.
PHRASE_GAP = 2  # other words allowed between the words of a phrase
TYPO_MIN_LENGTH = 5  # typos are forgiven only in words of at least this many letters
TYPO_FACTOR = 0.8  # a word recognised through a typo weighs this much

_ID_RE = re.compile(r"[a-z0-9][a-z0-9_-]*")
_SCHEMES = ("http", "https")


class KnowledgeError(ValueError):
    """A mistake in the knowledge file, already one line: `file: key: why`."""


@dataclass(frozen=True)
class Article:
    """One reference article as the school described it; `url` is already absolute."""

    id: str
    title: str
    url: str
    categories: tuple[str, ...]
    words: tuple[str, ...]
    audience: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    """An article offered for a text, with the points that put it there."""

    article: Article
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class _Terms:
    """An article's words compiled for matching: phrases longest first, then single words."""

    phrases: tuple[Term, ...]
    words: tuple[Term, ...]


@dataclass(frozen=True)
class Reading:
    """How the articles' words are read in a text: their abbreviations and typo index."""

    abbreviations: Abbreviations
    fuzzy_min_length: int
    fuzzy_index: TypoIndex


@dataclass(frozen=True)
class Knowledge:
    """The compiled knowledge base; load once with `load_knowledge` and pass it in."""

    source: str
    base_url: str
    articles: tuple[Article, ...]
    max_suggestions: int
    min_score: float
    min_share: float
    category_bonus: float
    reader: Reading = field(repr=False, compare=False)
    terms: tuple[_Terms, ...] = field(repr=False, compare=False)  # parallel to articles


# --------------------------------------------------------------------------- the file


def _article_id(value: str) -> str:
    if not _ID_RE.fullmatch(value):
        raise ValueError(f"{value!r} must be small Latin letters, digits, - or _")
    return value


def _one_line(value: str) -> str:
    if "\n" in value or "\r" in value:
        raise ValueError("must be one line: it is listed in the mail as it is")
    return value


def _category(value: str) -> str:
    if value not in CATEGORY_IDS:
        raise ValueError(f"unknown category {value!r}; use one of {', '.join(CATEGORY_IDS)}")
    return value


def _role(value: str) -> str:
    if value not in ROLES:
        raise ValueError(f"unknown role {value!r}; use one of {', '.join(ROLES)}")
    return value


class SettingsTable(RuleModel):
    base_url: AnyText = ""  # relative links are joined to it
    max_suggestions: Count = 3
    min_score: Positive = 2.5
    min_share: Share = 0.4
    category_bonus: NotNegative = 2.0


class ArticleTable(RuleModel):
    id: Annotated[Text, AfterValidator(_article_id)]
    title: Annotated[Text, AfterValidator(_one_line)]
    link: Text
    categories: Annotated[tuple[Annotated[Text, AfterValidator(_category)], ...],
                          FilledTextList]
    words: FilledTexts
    audience: Annotated[tuple[Annotated[Text, AfterValidator(_role)], ...],
                        FilledTextList] = ROLES


class KnowledgeFile(RuleModel):
    """`config/knowledge.toml` as written: structure and types."""

    settings: Annotated[SettingsTable, Table] = SettingsTable()
    article: Annotated[tuple[ArticleTable, ...], list_of_tables("article")] = ()


# --------------------------------------------------------------------------- compiling


def load_knowledge(path: Path) -> Knowledge:
    """Read and check the knowledge file; any mistake is one line naming the file and key."""
    data = tomlfile.read(path, KnowledgeError)
    return knowledge_from_dict(data, str(path))


def knowledge_from_dict(data: Mapping[str, Any], source: str) -> Knowledge:
    """Check and compile parsed TOML; `source` names the file in error messages.

    The model checks the structure and the types; compiling checks the rest (links, ids
    and words repeated, the words themselves) and raises `RuleError`, given the file here.
    """
    model = tomlfile.validate(data, KnowledgeFile, KnowledgeError, source)
    try:
        return _build(model, source)
    except RuleError as exc:
        raise KnowledgeError(f"{source}: {exc}") from None


def _build(data: KnowledgeFile, source: str) -> Knowledge:
    settings = data.settings
    base_url = _base_url(settings.base_url)
    abbreviations = _abbreviations(data.article)
    articles: list[Article] = []
    terms: list[_Terms] = []
    seen: dict[str, str] = {}
    for number, table in enumerate(data.article, start=1):
        key = f"article[{number}]"  # counted from 1, as a person counts the blocks
        article = _article(table, key, base_url)
        if article.id in seen:
            raise RuleError(f"{key}.id: {article.id!r} is already the id of {seen[article.id]}")
        seen[article.id] = key
        articles.append(article)
        terms.append(_compile_words(article, key, abbreviations))

    vocabulary = lemmas_of([term for t in terms for term in (*t.phrases, *t.words)])
    return Knowledge(
        source=source,
        base_url=base_url,
        articles=tuple(articles),
        max_suggestions=settings.max_suggestions,
        min_score=settings.min_score,
        min_share=settings.min_share,
        category_bonus=settings.category_bonus,
        reader=Reading(MappingProxyType(abbreviations), TYPO_MIN_LENGTH,
                       DeletionIndex(vocabulary, TYPO_MIN_LENGTH)),
        terms=tuple(terms),
    )


def _article(table: ArticleTable, key: str, base_url: str) -> Article:
    for name, items in (("categories", table.categories), ("audience", table.audience),
                        ("words", table.words)):
        _no_repeats(items, f"{key}.{name}")
    return Article(
        id=table.id,
        title=table.title,
        url=_url(table.link, f"{key}.link", base_url),
        categories=table.categories,
        words=table.words,
        audience=table.audience,
    )


def _no_repeats(items: Sequence[str], where: str) -> None:
    for i, item in enumerate(items, start=1):
        if item in items[:i - 1]:
            raise RuleError(f"{where}[{i}]: {item!r} is listed twice")


def _base_url(value: str) -> str:
    if value == "":
        return ""
    where = "settings.base_url"
    url = _absolute(value, where)
    if not urlsplit(url).path.endswith("/"):
        # urljoin would drop the last part: ".../ej-help" + "a.html" = ".../a.html".
        raise RuleError(f"{where}: must end with / so that relative links are joined to it")
    return url


def _url(link: str, where: str, base_url: str) -> str:
    if any(c.isspace() for c in link):
        raise RuleError(f"{where}: a link cannot contain spaces: {link!r}")
    parts = urlsplit(link)
    if parts.scheme or parts.netloc:
        return _absolute(link, where)
    if not base_url:
        raise RuleError(f"{where}: relative link {link!r} needs settings.base_url")
    return urljoin(base_url, link)


def _absolute(url: str, where: str) -> str:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if (parts is None or parts.scheme not in _SCHEMES or not host
            or any(c.isspace() for c in url)):
        raise RuleError(f"{where}: not a web address (https://...): {url!r}")
    return url


# --------------------------------------------------------------------------- words


def _abbreviations(articles: Sequence[ArticleTable]) -> dict[str, tuple[str, str]]:
    """Every word written with two or more capitals, as the classifier's abbreviation table.

    Collected over the whole file first, so that «снилс» in one article and «СНИЛС» in
    another mean the same token.
    """
    found: dict[str, tuple[str, str]] = {}
    for article in articles:
        for item in article.words:
            for word in WORD_RE.findall(item):
                if sum(c.isupper() for c in word) >= 2:
                    found.setdefault(fold(word), (word, "any"))
    return found


def _compile_words(article: Article, key: str,
                   abbreviations: Mapping[str, tuple[str, str]]) -> _Terms:
    phrases: list[Term] = []
    singles: list[Term] = []
    seen: dict[tuple[Any, ...], str] = {}
    for i, text in enumerate(article.words, start=1):
        where = f"{key}.words[{i}]"
        single = len(text.split()) == 1
        term = compile_term(article.id, text, 1.0, where, abbreviations, single=single)
        if term.parts in seen:
            raise RuleError(f"{where}: {text!r} is the same as {seen[term.parts]!r}")
        seen[term.parts] = text
        (singles if single else phrases).append(term)
    phrases.sort(key=lambda t: -len(t.parts))  # «не могу войти» claims before «войти»
    return _Terms(tuple(phrases), tuple(singles))


# --------------------------------------------------------------------------- suggesting


def suggest(knowledge: Knowledge, *, category: str, text: str, role: str | None = None,
            limit: int | None = None) -> list[Suggestion]:
    """The articles that fit a request, best first, at most `limit` (default: the file's).

    `category` is the case's category (`classify` decided it), `text` the user's own words
    (subject and new text), `role` the sender's role when known (one of ROLES).
    """
    if category not in CATEGORY_IDS and category != OTHER:
        raise ValueError(f"unknown category {category!r}")
    if role is not None and role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)} or None")
    limit = knowledge.max_suggestions if limit is None else limit
    if limit < 0:
        raise ValueError(f"limit must be 0 or more, got {limit}")

    tokens, where = read(text, knowledge.reader, _keys(knowledge), _stems(knowledge))
    phrases = _phrases(knowledge, where)
    found: list[tuple[float, bool, int, Suggestion]] = []
    for order in _articles(knowledge).candidates(where):
        article, terms = knowledge.articles[order], knowledge.terms[order]
        if role is not None and role not in article.audience:
            continue
        points, reasons = _match(terms, tokens, where, phrases)
        if not reasons:
            continue
        if category in article.categories and knowledge.category_bonus:
            points += knowledge.category_bonus
            reasons.append(f"category {category} +{knowledge.category_bonus:.1f}")
        points = round(points, 3)
        if points >= knowledge.min_score:
            off_category = category not in article.categories
            found.append((-points, off_category, order,
                          Suggestion(article, points, tuple(reasons))))
    found.sort(key=lambda item: item[:3])
    floor = -found[0][0] * knowledge.min_share if found else 0.0
    return [item[3] for item in found[:limit] if item[3].score >= floor]


def _articles(knowledge: Knowledge) -> KeyIndex:
    """The articles by the words a text needs for them to score at all (the anchors of
    their phrases, their words, a prefix word by its `prefix_key`; an article with an
    anchorless phrase is always tried), made once per knowledge base."""
    return memo.once(knowledge, "articles",
                     lambda: KeyIndex([_needs(terms) for terms in knowledge.terms]))


def _phrases(knowledge: Knowledge, where: Mapping[str, list[int]]) -> set[int]:
    """The ids of the articles' phrases that may occur in a text with this `index` (the
    text holds their `anchor`); the others cannot match it."""
    phrases = memo.once(knowledge, "phrases", lambda: tuple(
        term for terms in knowledge.terms for term in terms.phrases))
    return {id(term) for term in phrase_candidates(knowledge, phrases, where)}


def _stems(knowledge: Knowledge) -> tuple[str, ...]:
    """Every stem of the articles' prefix words ("четвертн*"), indexed by `read`."""
    return memo.once(knowledge, "stems", lambda: tuple(dict.fromkeys(
        matcher.value for terms in knowledge.terms for term in terms.words
        for matcher in term.parts[0] if matcher.kind == "prefix")))


def _keys(knowledge: Knowledge) -> frozenset[str]:
    """Every word the articles look up in a text's index."""
    return memo.once(knowledge, "keys", lambda: rule_keys(
        [term for terms in knowledge.terms for term in (*terms.phrases, *terms.words)]))


def _needs(terms: _Terms) -> frozenset[str] | None:
    keys: set[str] = set()
    for term in terms.phrases:
        need = anchor(term)
        if need is None:
            return None
        keys |= need
    for term in terms.words:
        (matcher,) = term.parts[0]
        keys.add(prefix_key(matcher.value) if matcher.kind == "prefix" else matcher.value)
    return frozenset(keys)


def _match(terms: _Terms, tokens: list[Token], where: Mapping[str, list[int]],
           phrases: set[int]) -> tuple[float, list[str]]:
    """Points and reasons of one article's words in the text; of its phrases, only those
    in `phrases` (`_phrases`) are looked for."""
    used: set[int] = set()
    points = 0.0
    reasons: list[str] = []
    for term in terms.phrases:
        if id(term) not in phrases:
            continue
        for hit in phrase_hits(term, tokens, PHRASE_GAP, where):
            uses = claimed(hit, term)
            if used & uses:
                continue
            used |= uses
            weight = float(len(uses))
            points += weight
            reasons.append(f'phrase "{quoted(tokens, hit)}" ({term.text}) +{weight:.1f}')
            break
    for term in terms.words:
        hit = _word(term, tokens, where, used)
        if hit is None:
            continue
        i, typo = hit
        used.add(i)
        weight = TYPO_FACTOR if typo else 1.0
        points += weight
        how = "typo for" if typo else "word"
        reasons.append(f'{how} "{tokens[i].surface}" ({term.text}) +{weight:.1f}')
    return points, reasons


def _word(term: Term, tokens: list[Token], where: Mapping[str, list[int]],
          used: set[int]) -> tuple[int, bool] | None:
    """The first free token that is this word, preferring an exact form to a typo; for a
    prefix, the first free word (not an abbreviation) that starts with it."""
    (matcher,) = term.parts[0]
    if matcher.kind == "prefix":
        spots = where.get(prefix_key(matcher.value), ())
        spot = next((i for i in spots if i not in used), None)
        return None if spot is None else (spot, False)
    value, abbr = matcher.value, matcher.kind == "abbr"
    typo: int | None = None  # the first free position, in case no exact form is free
    for i in where.get(value, ()):
        if i in used:
            continue
        token = tokens[i]
        if abbr:
            if token.abbr == value:
                return i, False
            continue
        # An unknown word that is itself a form of the rule word («видеоинструкции») also
        # gets `typo_of` from the classifier (it is one letter from another form); its own
        # best lemma tells the two apart.
        if token.typo_of != value or token.lemma == value:
            return i, False
        if typo is None:
            typo = i
    return None if typo is None else (typo, True)
