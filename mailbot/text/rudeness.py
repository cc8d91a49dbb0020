"""Detect obscene language (мат) and insults in a sender's own text (regulation, clause 5).

The regulation lets a helper stop helping a user who writes obscenities or insults, and holds
back a helper's reply that does.  This module only *finds* such words; what to do with a
finding is the caller's business, and a finding is a flag for a human, never a verdict.

How it works, and why (see docs/domain.md, "Obscenity and insults"):

* Disguises are undone first: Latin look-alike letters ("xуй"), digits and signs ("6ля",
  "с@ка"), masks ("п*здец"), spaced or dotted letters ("б л я", "х.у.й"), repeated letters
  ("бляяя") and "ё".  Each undone disguise lowers the confidence a little.
* Obscene roots are matched only at the start of a word or after a known prefix of that root.
  Matching anywhere inside a word is what makes naive filters fire on "оскорблять",
  "ребёнок", "скипидар", "употреблять" and patronymics in "-говна".
* Insults are a separate list, by lemma (every form is generated with pymorphy3 when the
  list is loaded).  They count only in the sender's own voice: not inside quotation marks,
  not after a verb of speech or naming («учитель назвал его дураком»), not as a mention
  («слово дурак», «роман Идиот»), not negated («он не дурак») and not about the sender
  («я, дура, забыла пароль»).  Words that also have an ordinary meaning («козёл», «гниды»,
  «синдром Дауна») and adjectives («тупой угол», «дурацкая программа») count only when they
  are plainly about a person.  Obscene words always count; quoted or reported ones get a
  lower confidence.

The caller passes only the sender's new text (quoted history already removed); lines that
still start with ">" are ignored as well.  The word lists live in config/etiquette.toml.

The work is shared out: `lexicon` loads the word lists, `rude_words` undoes the disguises of
one word and matches it, `rude_tokens` cuts the text into words, sentences and clauses, and
`rude_context` asks the context questions; this module puts them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mailbot.text.lexicon import Kind, Lexicon, load_lexicon
from mailbot.text.rude_context import Context, insult_confidence
from mailbot.text.rude_tokens import blank, merged_runs, plain_words, structure, tokenize
from mailbot.text.rude_words import WordMatch, any_match, match_word

# Lexicon and load_lexicon live in mailbot.text.lexicon; they are imported from here too.
__all__ = ["Finding", "Lexicon", "detect", "load_lexicon", "passage"]

_REPORTED = 0.6  # obscene word inside quotes or reported speech: still flagged, weaker


@dataclass(frozen=True)
class Finding:
    """One obscene or insulting word found in the text.

    `word` is the text exactly as written and `start`/`end` are offsets into the text that
    was passed to `detect`, so a caller can highlight it.  `root` names the entry of the
    word list that matched (a root such as "хуй" or an insult lemma such as "дурак").
    """

    kind: Kind
    word: str
    start: int
    end: int
    root: str
    confidence: float

    def to_json(self) -> dict[str, Any]:
        """Plain dict for logs, the database and the helper's view."""
        return {
            "kind": self.kind,
            "word": self.word,
            "start": self.start,
            "end": self.end,
            "root": self.root,
            "confidence": self.confidence,
        }


def detect(text: str, lexicon: Lexicon) -> list[Finding]:
    """Find obscene words and insults in the sender's own text, in order of position.

    Obscene words always count (quoted or reported ones with a lower confidence); insults
    count only when they are the sender's own words about a person.
    """
    blanked = blank(text)
    merged = merged_runs(blanked, lexicon)
    if not merged and not any_match(plain_words(blanked, lexicon), lexicon):
        return []  # no word to look at: most texts end here, without their tokens' context
    tokens = tokenize(blanked, lexicon, merged)
    candidates: list[tuple[int, WordMatch]] = []
    for idx, tok in enumerate(tokens):
        found = match_word(tok.raw, tok.spaced, lexicon)
        if found is not None:
            candidates.append((idx, found))
    if not candidates:
        return []
    ctx = Context(tokens, structure(blanked, tokens, lexicon), lexicon)
    findings: list[Finding] = []
    for idx, cand in candidates:
        tok = tokens[idx]
        if cand.kind == "obscene":
            conf = cand.confidence * (_REPORTED if ctx.reported(idx) else 1.0)
        else:
            maybe = insult_confidence(ctx, idx, cand)
            if maybe is None:
                continue
            conf = maybe
        findings.append(Finding(cand.kind, text[tok.start:tok.end], tok.start, tok.end,
                                cand.root, round(min(conf, 1.0), 2)))
    return findings


def passage(text: str, finding: Finding, width: int = 60) -> str:
    """The words around a finding, on one line, for a helper or supervisor to read."""
    start = max(0, finding.start - width)
    end = min(len(text), finding.end + width)
    while start > 0 and not text[start - 1].isspace():
        start += 1
        if start >= finding.start:
            break
    while end < len(text) and not text[end].isspace():
        end -= 1
        if end <= finding.end:
            end = finding.end
            break
    head = "…" if start > 0 else ""
    tail = "…" if end < len(text) else ""
    return head + " ".join(text[start:end].split()) + tail
