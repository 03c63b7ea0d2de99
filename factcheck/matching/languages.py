"""Per-language text analysis for matching claims that are not in English (issue 15).

Two things a claim in another language can be compared by without translation:

- **its own language's words**, for debunks written in that language: lower-cased, that language's stop
  words (spaCy's lists, no model needed) dropped, Snowball-stemmed (PyStemmer), as the English BM25 does;
- **names and numbers**, for debunks in any language: "Bill Gates", "5G", "2021" and "80 %" are spelt
  the same in a French post and an English fact-check. Numbers are normalised with the language's
  separators ("5 000" and "5.000" are 5000; "1,5" is 1.5), so they meet `text.profile`'s English
  numbers.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from factcheck.matching.text import bm25_tokens

__all__ = ["NeutralProfile", "analyser_tokens", "neutral_profile", "stop_words"]

# ISO 639-1 code -> Snowball algorithm (PyStemmer's names); a language not here is only lower-cased.
SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german", "el": "greek",
    "en": "english", "es": "spanish", "et": "estonian", "eu": "basque", "fa": "persian", "fi": "finnish",
    "fr": "french", "ga": "irish", "hi": "hindi", "hu": "hungarian", "hy": "armenian", "id": "indonesian",
    "it": "italian", "lt": "lithuanian", "ne": "nepali", "nl": "dutch", "no": "norwegian", "nb": "norwegian",
    "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip
# Languages that write 5.000,5 (or 5 000,5) for 5000.5; English and the rest write 5,000.5.
_DECIMAL_COMMA = frozenset(
    {"fr", "de", "es", "it", "pt", "nl", "ca", "da", "no", "nb", "sv", "fi", "pl", "cs", "ro", "ru", "tr"}
)
_WORD = re.compile(r"(?u)\b\w\w+\b")
# A number as written: digits with thousands groups (space, no-break space, dot or comma) and a decimal part.
_NUMBER = re.compile(r"(?<![\w.,-])(?:\d{1,3}(?:[  .,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?)(?![\w-])")
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d)$")
_TOKEN = re.compile(r"(?u)\b\w[\w-]*\b")


@lru_cache(maxsize=64)
def stop_words(language: str) -> frozenset[str]:
    """spaCy's stop words for `language` (lower-cased); empty when spaCy has no list for it."""
    try:
        module = importlib.import_module(f"spacy.lang.{language}.stop_words")
    except ImportError:
        return frozenset()
    return frozenset(word.lower() for word in getattr(module, "STOP_WORDS", ()))


@lru_cache(maxsize=64)
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    algorithm = SNOWBALL.get(language)
    return Stemmer.Stemmer(algorithm) if algorithm else None


def analyser_tokens(text: str, language: str) -> list[str]:
    """BM25 tokens of `text` read as `language`: lower-cased words, its stop words dropped, stemmed.

    English keeps the English index's own analyser (`text.bm25_tokens`), so both agree exactly.
    """
    if language == "en":
        return bm25_tokens(text)
    stops = stop_words(language)
    words = [word for word in _WORD.findall(text.lower()) if word not in stops]
    stemmer = _stemmer(language)
    return list(stemmer.stemWords(words)) if stemmer is not None and words else words


@dataclass(frozen=True, slots=True)
class NeutralProfile:
    """What a claim shares with a debunk in any language: names (lower-cased) and numbers."""

    names: frozenset[str]
    numbers: frozenset[str]  # not years
    years: frozenset[str]

    @property
    def query(self) -> str:
        """The names and numbers as one text, for the English BM25 index (which stems them alike)."""
        return " ".join(sorted(self.names | self.numbers | self.years))


def _number(written: str, language: str) -> str:
    if language in _DECIMAL_COMMA:
        value = re.sub(r"[  .](?=\d{3}\b)", "", written).replace(",", ".")
    else:
        value = re.sub(r"[  ,](?=\d{3}\b)", "", written)
    if "." in value:
        value = value.rstrip("0").rstrip(".")
    return value.lstrip("0") or "0"


@lru_cache(maxsize=65_536)
def neutral_profile(text: str, language: str) -> NeutralProfile:
    """Names (capitalised or alphanumeric words that are not stop words) and numbers of a claim."""
    stops = stop_words(language) | stop_words("en")
    names = set()
    for match in _TOKEN.finditer(text):
        word = match.group(0)
        lower = word.lower()
        alphanumeric = any(c.isdigit() for c in word) and any(c.isalpha() for c in word)  # 5G, COVID-19
        if len(word) > 1 and lower not in stops and (word[0].isupper() or alphanumeric):
            names.add(lower)
    numbers, years = set(), set()
    for match in _NUMBER.finditer(text):
        value = _number(match.group(0), language)
        (years if _YEAR.match(value) else numbers).add(value)
    return NeutralProfile(frozenset(names), frozenset(numbers), frozenset(years))
