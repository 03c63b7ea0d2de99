"""Reported speech: the claim inside "X said that …", "someone told me …", "they claim …".

A sentence that reports a claim is not the claim. The matcher looks the reported clause up among the
known phrasings (so a confirmed wording also catches its reported forms), and readers are shown that
the sentence *mentions* a rated claim, with only the reported clause highlighted: the reporter's own
sentence is not branded.

    reported_clause("He added that masks lower your oxygen, a claim he called 'wrong.'")
    -> ReportedClause(start=14, end=39, text="masks lower your oxygen")
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_CLAUSE_WORDS = 4  # shorter is no claim to match ("it was fine")
MAX_SUBJECT_WORDS = (
    4  # "someone", "my neighbour", "a man at the pub": a frame without "that" starts the sentence
)

_VERBS = (
    r"said|says|say|added|adds|claimed|claims|claim|believe|believes|believed|insisted|insists|insist|"
    r"argued|argues|argue|wrote|writes|write|stated|states|state|suggested|suggests|alleged|alleges|"
    r"allege|posted|posts|reported|reports|heard|hear|think|thinks|thought|told|tells|tell|warned|warns|"
    r"swore|swears|maintain|maintains|maintained|assert|asserts|asserted"
)
_HEARERS = r"(?:\s+(?:me|us|him|her|them|you|everyone|people))?"
# "… said that …", "… still believe that …": anywhere in the sentence; the innermost frame wins.
_THAT_FRAME = re.compile(rf"\b(?:{_VERBS}){_HEARERS}\s+that\s+", re.IGNORECASE)
# "Someone told me …", "They claim …": a short subject, then the verb, at the start.
_BARE_FRAME = re.compile(
    rf"^\s*(?:[\w'’-]+\s+){{1,{MAX_SUBJECT_WORDS}}}?(?:{_VERBS}){_HEARERS}[,:]?\s+", re.IGNORECASE
)
# Where the reported clause ends: the reporter's comment on it, or the end of the sentence.
_CLAUSE_END = re.compile(
    r"(?:,\s*(?:a|an|which|something|according|but|as)\b|\s+[—–-]\s+|[.!?…]+[\"'”’]*\s*$|$)", re.IGNORECASE
)
_WORDS = re.compile(r"\w")
_QUOTED = re.compile(r"[\"“]([^\"“”]{10,})[\"”]|(?<!\w)['‘]([^'‘’]{10,})['’](?!\w)")


@dataclass(frozen=True)
class ReportedClause:
    """The reported claim: `text[start:end]` of the sentence it came from."""

    start: int
    end: int
    text: str


def reported_clause(sentence: str) -> ReportedClause | None:
    """The claim a sentence reports, or None when the sentence states it (or reports nothing)."""
    frames = list(_THAT_FRAME.finditer(sentence))
    start = frames[-1].end() if frames else None
    if start is None:
        bare = _BARE_FRAME.match(sentence)
        start = bare.end() if bare else None
    if start is not None:
        end = start + _CLAUSE_END.search(sentence[start:]).start()  # type: ignore[union-attr]
        return _clause(sentence, start, end)
    quoted = _QUOTED.search(sentence)
    if quoted:
        group = 1 if quoted.group(1) is not None else 2
        return _clause(sentence, quoted.start(group), quoted.end(group))
    return None


def _clause(sentence: str, start: int, end: int) -> ReportedClause | None:
    text = sentence[start:end].strip(" ,;:\"'“”‘’")
    if len(text.split()) < MIN_CLAUSE_WORDS:
        return None
    if not _WORDS.search(sentence[:start] + sentence[end:]):
        return None  # the whole sentence in quotes: it states the claim, it does not report it
    start = sentence.index(text, start)
    return ReportedClause(start=start, end=start + len(text), text=text)
