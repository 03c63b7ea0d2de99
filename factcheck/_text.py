"""Small text helpers shared by the database and the claim stage."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def canonical_key(text: str) -> str:
    """A stable identity for a claim's wording: case, accents, punctuation and spacing ignored."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = _NON_WORD.sub(" ", folded.casefold()).split()
    return hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())
