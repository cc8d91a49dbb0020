"""Whether an insult word is the sender's own insult of a person: the context rules.

Insults count only in the sender's own voice: not inside quotation marks, not after a verb
of speech or naming («учитель назвал его дураком»), not as a mention («слово дурак», «роман
Идиот»), not negated («он не дурак») and not about the sender («я, дура, забыла пароль»).
Words that also have an ordinary meaning («козёл», «гниды», «синдром Дауна») and adjectives
(«тупой угол», «дурацкая программа») count only when they are plainly about a person.
The same questions tell whether an obscene word is reported (`Context.reported`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from mailbot.text import morph
from mailbot.text.lexicon import InsultSense, Lexicon, fold
from mailbot.text.rude_tokens import Token
from mailbot.text.rude_words import WordMatch

_THIRD_PERSON = 0.9  # an insult about someone, not addressed to the reader
_WINDOW = 40  # words either side of a candidate that its context rules look at


@dataclass(frozen=True)
class _Parse:
    lemma: str
    pos: str
    grammemes: frozenset[str]


@lru_cache(maxsize=100_000)
def _parses(word: str) -> tuple[_Parse, ...]:
    """Cached pymorphy3 parses of a lower-case word, reduced to what the context rules use.

    Parses the analyser itself thinks next to impossible are dropped ("и" as an abbreviated
    animate noun), otherwise they would satisfy the "is it a person" questions.
    """
    parses = morph.analyzer().parse(word)
    return tuple(
        _Parse(fold(p.normal_form), str(p.tag.POS or ""), frozenset(p.tag.grammemes))
        for n, p in enumerate(parses)
        if n == 0 or p.score >= 0.01
    )


class Context:
    """Questions about the words around a candidate, within its sentence."""

    def __init__(self, tokens: list[Token], colon_before: list[bool], lex: Lexicon) -> None:
        self.tokens = tokens
        self.colon_before = colon_before
        self.lex = lex

    def sentence(self, i: int) -> range:
        """Token indexes of i's sentence, at most _WINDOW words either side of it.

        The window keeps text without punctuation from making every question cost the
        whole text (and the whole run quadratic).
        """
        s = self.tokens[i].sentence
        lo = i
        while lo > max(0, i - _WINDOW) and self.tokens[lo - 1].sentence == s:
            lo -= 1
        hi = i
        last = min(len(self.tokens) - 1, i + _WINDOW)
        while hi < last and self.tokens[hi + 1].sentence == s:
            hi += 1
        return range(lo, hi + 1)

    def parses(self, i: int) -> tuple[_Parse, ...]:
        return _parses(self.tokens[i].low)

    def lemmas(self, i: int) -> set[str]:
        return {p.lemma for p in self.parses(i)} | {self.tokens[i].low}

    def is_speech_verb(self, i: int) -> bool:
        """A verb of speech or naming that reports someone's words, not the sender's.

        «Я считаю, что вы…», «говорю вам» and «передайте ему, что…» are the sender's own
        words; «не называйте детей…» forbids a word and so only mentions it.
        """
        tok = self.tokens[i]
        if tok.low in self.lex.english_speech_verbs:
            return True
        negated = i > 0 and self.tokens[i - 1].low == "не"
        for p in self.parses(i):
            if p.lemma in self.lex.speech_verbs and p.pos in {"VERB", "INFN", "PRTF", "PRTS",
                                                              "GRND"}:
                first_now = "1per" in p.grammemes and ({"pres", "futr"} & p.grammemes)
                command = "impr" in p.grammemes and not negated
                if not first_now and not command:
                    return True
        return False

    def reported(self, i: int, naming_case: bool = False) -> bool:
        """Inside quotes, after a verb of speech in the clause or in a «что»/":" clause.

        With `naming_case` (the insult is in the instrumental, the case of a name given:
        «назвал дурой»), any earlier verb of speech or naming in the sentence will do
        («называл их баранами, а одну девочку — дурой»), and so will one later in the clause
        («её дурой называет»).
        """
        tok = self.tokens[i]
        if tok.quoted:
            return True
        sent = self.sentence(i)
        for k in range(sent.start, i):
            if self.tokens[k].low in self.lex.reported_markers:
                return True
        if naming_case and any(self.is_speech_verb(k)
                               for k in self.clause_range(i) if k > i):
            return True  # «учитель её дурой называет»
        for k in range(i - 1, sent.start - 1, -1):
            if not self.is_speech_verb(k):
                continue
            if naming_case:
                return True
            verb_clause = self.tokens[k].clause
            if verb_clause == tok.clause:
                return True
            nxt = k + 1
            while nxt < i and self.tokens[nxt].clause == verb_clause:
                nxt += 1
            opens_report = nxt <= i and (self.colon_before[nxt]
                                         or self.tokens[nxt].low in self.lex.complementizers)
            # The reported clause itself, and later ones unless they turn to the reader:
            # «учитель сказал, что сын молодец, а вы идиоты!» is the sender's own insult.
            if opens_report and (self.tokens[nxt].clause == tok.clause or not self.addressed(i)):
                return True
        return False

    def mentioned(self, i: int, lemma: str) -> bool:
        """A mention, a title or an idiom: «слово дурак», «роман Идиот», «валять дурака»."""
        sent = self.sentence(i)
        for k in range(max(sent.start, i - 2), i):
            lemmas = self.lemmas(k)
            if k == i - 1 and lemmas & self.lex.mention_nouns:
                return True
            if any((lem, lemma) in self.lex.idioms for lem in lemmas):
                return True
        after = self.lemmas(i + 1) if i + 1 in sent else set()
        return any((lemma, lem) in self.lex.idioms_after for lem in after)

    def negated(self, i: int) -> bool:
        sent = self.sentence(i)
        return i - 1 >= sent.start and self.tokens[i - 1].low in {"не", "not", "нет"}

    def about_self(self, i: int) -> bool:
        """«Я, дура, забыла пароль», «мы же не идиоты», «чувствую себя дураком»."""
        sent = self.sentence(i)
        for k in range(i - 1, max(sent.start, i - 3) - 1, -1):
            low = self.tokens[k].low
            if low in self.lex.second_person:
                return False
            if low in self.lex.self_pronouns:
                return True
            if low in self.lex.reflexive:
                others = self.lex.second_person | self.lex.third_person
                return not any(self.tokens[c].low in others for c in self.clause_range(i))
        return i + 1 in sent and self.tokens[i + 1].low in self.lex.self_pronouns

    def a_name(self, i: int) -> bool:
        """«Козлов», «Дураков Максим»: a capitalised word that is a surname or a name.

        A capitalised word is taken for a name when the dictionary says so, or when it stands
        next to a first name, patronymic or surname in the same clause («Дураков Максим»).
        """
        raw = self.tokens[i].raw
        if not raw[:1].isupper() or raw.isupper():
            return False
        names = {"Surn", "Name", "Patr"}
        if any(names & p.grammemes for p in self.parses(i)):
            return True
        for k in (i - 1, i + 1):
            if k in self.clause_range(i):
                near = self.tokens[k].raw
                if near[:1].isupper() and any(names & p.grammemes for p in self.parses(k)):
                    return True
        return False

    def in_compound(self, i: int) -> bool:
        """«Иван-дурак», «блок-тормоз»: part of a hyphenated name or term, not an insult."""
        glued_after = self.tokens[i].tail == "-" and i + 1 < len(self.tokens) and (
            self.tokens[i + 1].low not in {"то", "ка", "таки", "де", "с"})  # «дураки-то»
        return glued_after or (i > 0 and self.tokens[i - 1].tail == "-")

    def clause_range(self, i: int) -> range:
        """Token indexes of i's clause, within its (windowed) sentence."""
        sent = self.sentence(i)
        c = self.tokens[i].clause
        lo = i
        while lo > sent.start and self.tokens[lo - 1].clause == c:
            lo -= 1
        hi = i
        while hi + 1 < sent.stop and self.tokens[hi + 1].clause == c:
            hi += 1
        return range(lo, hi + 1)

    def addressed(self, i: int) -> bool:
        return any(self.tokens[k].low in self.lex.second_person for k in self.clause_range(i))

    def vocative(self, i: int, *, exclaimed: bool = False) -> bool:
        """The insult stands alone in its clause, maybe with a particle: «Козлы!», «эй, осёл».

        With `exclaimed`, the clause must also end in "!" or "?" or hold an interjection: a
        lone «Курица.» in a canteen menu is not a vocative.
        """
        clause = self.clause_range(i)
        if exclaimed and not (
            re.search(r"[!?]", self.tokens[clause[-1]].tail)
            or any(p.pos == "INTJ" for k in clause if k != i for p in self.parses(k))
        ):
            return False
        for k in clause:
            if k == i:
                continue
            if not any(p.pos in {"PRCL", "INTJ", "NPRO", "ADJF", "CONJ"} for p in self.parses(k)):
                return False
        return True

    def person_subject_before(self, i: int, number: frozenset[str] = frozenset()) -> bool:
        """«Учитель — козёл», «завуч у вас свинья», «она же тупая»: said of a person.

        Walks back through the clause to a person in the nominative (a noun not governed by a
        preposition, or он/она/они), over particles, adverbs, adjectives, prepositional
        phrases and copulas; a conjunction or another verb ends the search.  With `number`
        the subject must agree with it («медсестра нашла у дочери гниды» is no predicate).
        """
        start = self.clause_range(i).start
        for k in range(i - 1, start - 1, -1):
            low = self.tokens[k].low
            if low in self.lex.third_person:
                return True
            if low in self.lex.conjunctions:
                return False
            parses = self.parses(k)
            after_prep = k > start and self.parses(k - 1)[0].pos == "PREP"
            for p in parses:
                if (p.pos == "NOUN" and {"anim", "nomn"} <= p.grammemes and not after_prep
                        and (not number or number & p.grammemes)):
                    return True
            if any(p.lemma in self.lex.copulas for p in parses):
                continue
            if parses[0].pos in {"PRCL", "ADVB", "ADJF", "NPRO", "NOUN", "PRTF", "PREP", ""}:
                continue
            return False
        return False

    def copula_before(self, i: int) -> bool:
        return any(
            any(p.lemma in self.lex.copulas for p in self.parses(k))
            for k in range(self.clause_range(i).start, i)
        )

    def next_noun_animate(self, i: int) -> bool | None:
        """Whether the noun an adjective goes with names a person (None: no noun follows).

        Other adjectives, adverbs and conjunctions in between are skipped: «тупые и острые
        углы», «очень тупая учительница».
        """
        clause = self.clause_range(i)
        for k in range(i + 1, clause.stop):
            first = self.parses(k)[0]
            if first.pos == "NOUN":
                return "anim" in first.grammemes
            coordinated = first.pos == "CONJ" and self.tokens[k].low in self.lex.conjunctions
            if first.pos not in {"ADJF", "ADVB", "PRCL", "PRTF"} and not coordinated:
                return None  # «тупая как пробка»: a comparison, not a head noun
        return None


def insult_confidence(ctx: Context, i: int, cand: WordMatch) -> float | None:
    """How sure the insult at token i is the sender's own insult of a person, or None."""
    naming_case = all("ablt" in s.grammemes for s in cand.senses)
    if (ctx.reported(i, naming_case) or ctx.negated(i) or ctx.about_self(i) or ctx.a_name(i)
            or ctx.in_compound(i)):
        return None
    for sense in cand.senses:
        if ctx.mentioned(i, sense.lemma):
            return None
    best: float | None = None
    for sense in cand.senses:
        factor = _sense_factor(ctx, i, sense)
        if factor is not None:
            value = sense.confidence * cand.confidence * factor
            best = value if best is None else max(best, value)
    return best


def _sense_factor(ctx: Context, i: int, sense: InsultSense) -> float | None:
    addressed = ctx.addressed(i)
    if sense.group in {"person", "english"}:
        return 1.0 if addressed or ctx.vocative(i) else _THIRD_PERSON
    nominative = "nomn" in sense.grammemes
    if sense.group == "literal":
        if nominative and (addressed or ctx.vocative(i, exclaimed=True)):
            return 1.0
        number = sense.grammemes & {"sing", "plur"}
        if nominative and ctx.person_subject_before(i, frozenset(number)):
            return _THIRD_PERSON
        if "ablt" in sense.grammemes and ctx.copula_before(i):
            return _THIRD_PERSON
        return None
    # Adjectives: only about a person, never about a thing («тупой угол»).
    animate = ctx.next_noun_animate(i)
    if animate is not None:
        return (1.0 if addressed else _THIRD_PERSON) if animate else None
    if addressed:
        return 1.0
    if (nominative or "ADJS" in sense.grammemes) and ctx.person_subject_before(i):
        return _THIRD_PERSON
    return None
