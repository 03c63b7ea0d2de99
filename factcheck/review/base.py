"""What every part of the review queue shares: the store it writes through and the matcher's wording.

The queue's tables (factcheck/store/review_models.py) are read and written only by the modules of
this package, through `Store.transaction()`, so a decision and the debunk writes it causes share one
transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from factcheck._text import collapse_whitespace
from factcheck.store import Store

NEAR_DUPLICATE_JACCARD = 0.8
MAX_TEXT = 5000
MAX_CONTEXT = 2000


class QueueBase:
    """The review queue over a Store's database (migration 0003 or later).

    Parameters
    ----------
    store : Store
        Where items, decisions and debunks live; the audit log is the Store's.
    near_duplicate_jaccard : float, default=0.8
        Token-set Jaccard at or above which a new claim joins an open item.
    normalize : callable, optional
        Raw claim text -> the wording the matcher compares (default: the claim stage's
        `normalize_claim_text`, which drops "BREAKING:", "Share if you agree", URLs, emoji...).
        Grouping, rejections and dismissals are keyed on it, and confirmed wordings are added as
        variants in it, so they line up with the keys `Checker` looks up.
    """

    def __init__(
        self,
        store: Store,
        *,
        near_duplicate_jaccard: float = NEAR_DUPLICATE_JACCARD,
        normalize: Callable[[str], str] | None = None,
    ) -> None:
        self.store = store
        self.near_duplicate_jaccard = near_duplicate_jaccard
        self.normalize = normalize

    def wording(self, text: str) -> str:
        """The matcher's wording of a raw claim text (whitespace collapsed; the text itself if empty)."""
        normalize = self.normalize or _default_normalize()
        return collapse_whitespace(normalize(text)) or collapse_whitespace(text)


def aware(moment: datetime) -> datetime:
    """SQLite returns timezone-aware columns naive; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _default_normalize() -> Callable[[str], str]:
    # Imported when first needed: the claim stage loads spaCy, which the queue itself does not need.
    from factcheck.claims import normalize_claim_text

    return normalize_claim_text
