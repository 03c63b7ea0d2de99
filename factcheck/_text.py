"""Small text helpers shared by the database and the claim stage."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def canonical_key(text: str) -> str:
    """A stable identity for a claim's wording: case, accents, punctuation and spacing ignored."""
    folded = text
    if not text.isascii():  # ASCII has no accents to strip: the fast path for most claims (issue 14)
        decomposed = unicodedata.normalize("NFKD", text)
        folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    words = _NON_WORD.sub(" ", folded.casefold()).split()
    return hashlib.sha1(" ".join(words).encode("utf-8")).hexdigest()


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def is_web_url(url: str) -> bool:
    """An http(s) address: the only kind shown as a link or kept as a claim's appearance.

    `javascript:`, `data:` and the like would run or render in an editor's browser if linked.
    """
    scheme, _, rest = url.strip().partition("://")
    return scheme.lower() in ("http", "https") and bool(rest) and not any(c.isspace() for c in rest)


def web_urls(urls: Iterable[str]) -> tuple[str, ...]:
    """The http(s) ones of `urls`, in order."""
    return tuple(url for url in urls if is_web_url(url))
