"""Text handling for claim matching: query cleaning, BM25 tokens, and the profile the re-ranker compares.

A *profile* is what the pair features need from one text, computed once per text: stemmed content
tokens, numbers, dates and proxy entities (runs of capitalised tokens). Only `spacy.blank("en")` is
used, so no pretrained pipeline is needed: `like_num`, `is_stop`, `is_punct` and the shape of the
token carry the signal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from factcheck._normalize import normalize_claim_text

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["TextProfile", "bm25_tokens", "clean_query", "profile"]

# --- query cleaning ------------------------------------------------------------------------------


def clean_query(text: str) -> str:
    """What a query says once its social-media packaging is gone (`normalize_claim_text`), unquoted.

    Claims arrive already normalised (`Claim.normalized`); the same function, applied again, changes
    nothing, and raw tweets in training and evaluation data get the same treatment.

    >>> clean_query("Wombats are heroes #AustralianFires pic.twitter.com/x — Bio Div (@BioDiv) January 14, 2020")
    'Wombats are heroes Australian Fires'
    """
    text = normalize_claim_text(text.strip().strip('"')).replace('""', '"')
    return text.strip(" \"'")


# --- BM25 tokens ---------------------------------------------------------------------------------

_WORD = re.compile(r"(?u)\b\w\w+\b")
_STOPWORDS = frozenset(STOPWORDS_EN)
_STEMMER = Stemmer.Stemmer("english")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return str(_STEMMER.stemWord(word))


def bm25_tokens(text: str) -> list[str]:
    """Lower-cased, stop-word-free, Snowball-stemmed word tokens (bm25s's default token pattern)."""
    return [_stem(word) for word in _WORD.findall(text.lower()) if word not in _STOPWORDS]


# --- profiles ------------------------------------------------------------------------------------

_MONTHS = {
    name: index
    for index, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)s?\b")
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_MONTH_DAY = re.compile(rf"\b({_MONTH_NAMES})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b", re.IGNORECASE)
_NUMBER_WORDS = {
    "zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "twenty": "20", "thirty": "30",
    "forty": "40", "fifty": "50", "hundred": "100", "thousand": "1000", "million": "1000000",
    "billion": "1000000000", "trillion": "1000000000000", "dozen": "12", "half": "0.5",
}  # fmt: skip
_NUMERIC = re.compile(r"^[$€£]?(\d[\d,]*(?:\.\d+)?)(%|k|m|bn)?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TextProfile:
    """What the pair features compare between a claim and a debunk text."""

    tokens: frozenset[str]  # stemmed content words
    numbers: frozenset[str]
    dates: frozenset[str]  # years, months and month-day pairs
    entities: frozenset[str]  # lower-cased runs of capitalised tokens
    length: int  # word tokens
    entity_words: frozenset[str] = field(init=False)  # the words of those runs

    def __post_init__(self) -> None:
        words = frozenset(word for entity in self.entities for word in entity.split())
        object.__setattr__(self, "entity_words", words)  # frozen: derived once, here

    def to_json(self) -> str:
        return json.dumps(
            [
                sorted(self.tokens),
                sorted(self.numbers),
                sorted(self.dates),
                sorted(self.entities),
                self.length,
            ],
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> TextProfile:
        tokens, numbers, dates, entities, length = json.loads(text)
        return cls(
            tokens=frozenset(tokens),
            numbers=frozenset(numbers),
            dates=frozenset(dates),
            entities=frozenset(entities),
            length=length,
        )


def _number(token: str) -> str | None:
    lower = token.lower()
    if lower in _NUMBER_WORDS:
        return _NUMBER_WORDS[lower]
    found = _NUMERIC.match(lower)
    if not found:
        return None
    value = found.group(1).replace(",", "")
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


@lru_cache(maxsize=1)
def _tokenizer() -> Language:
    import spacy

    return spacy.blank("en")


@lru_cache(maxsize=200_000)
def _word(word: str) -> tuple[bool, bool, bool]:
    """(is punctuation or space, like a number, is a stop word), from spaCy's English lexical attributes."""
    lexeme = _tokenizer().vocab[word]
    return (
        lexeme.is_punct or lexeme.is_space,
        lexeme.like_num or word[:1] in ("$", "€", "£"),
        lexeme.is_stop,
    )


@lru_cache(maxsize=65_536)
def profile(text: str) -> TextProfile:
    """The comparable parts of one text, from the blank English tokenizer and a few regexes (memoised)."""
    words = [token.text for token in _tokenizer().make_doc(text)]
    numbers: set[str] = set()
    entities: set[str] = set()
    run: list[str] = []
    count = 0
    previous = "."
    for word in words:
        punct, numeric, stop = _word(word)
        if punct:
            if run:
                entities.add(" ".join(run))
                run = []
            previous = word
            continue
        count += 1
        if numeric:
            value = _number(word)
            if value is not None and not _YEAR.fullmatch(value):
                numbers.add(value)
        lower = word.lower()
        capitalised = len(word) > 1 and word[0].isupper()
        sentence_start = previous in (".", "!", "?", ":", '"', "“")
        if capitalised and not (sentence_start and stop) and lower not in _MONTHS:
            run.append(lower)
        elif run:
            entities.add(" ".join(run))
            run = []
        previous = word
    if run:
        entities.add(" ".join(run))
    dates = {match.group(1) for match in _YEAR.finditer(text)}
    for match in _MONTH_DAY.finditer(text):
        month = _MONTHS[match.group(1).lower()]
        dates.add(f"m{month}")
        dates.add(f"m{month}d{int(match.group(2))}")
    lowered = text.lower()
    dates.update(f"m{number}" for name, number in _MONTHS.items() if len(name) > 3 and name in lowered)
    return TextProfile(
        tokens=frozenset(bm25_tokens(text)),
        numbers=frozenset(numbers),
        dates=frozenset(dates),
        entities=frozenset(entities),
        length=count,
    )
