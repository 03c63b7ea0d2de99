"""What the review queue hands out: items, their sightings and suggested debunks, pages, the dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, get_args

from factcheck.types import Debunk

__all__ = [
    "REVIEW_STATUSES",
    "Dashboard",
    "ReviewItem",
    "ReviewPage",
    "ReviewStatus",
    "ReviewedPair",
    "Sighting",
    "SuggestedDebunk",
]

ReviewStatus = Literal["open", "confirmed", "new_debunk", "not_checkworthy"]
REVIEW_STATUSES: tuple[str, ...] = get_args(ReviewStatus)


@dataclass(frozen=True)
class Sighting:
    """One time the claim was seen: its exact words, where, and the text around it."""

    text: str
    origin: str
    source_url: str = ""
    context: str = ""
    comment: str = ""
    reporter: str = ""
    checkworthiness: float = 0.0
    seen_at: datetime | None = None


@dataclass(frozen=True)
class SuggestedDebunk:
    """A debunk suggested for an item, with the matcher's confidence; `rejected` once an editor said no."""

    debunk: Debunk
    score: float
    probability: float
    matched_text: str = ""
    rejected: bool = False


@dataclass(frozen=True)
class ReviewItem:
    """A group of identical or near-identical flagged claims, and what editors decided about it."""

    id: int
    text: str
    claim_key: str
    origin: str
    status: ReviewStatus
    seen_count: int
    checkworthiness: float
    priority: float
    first_seen_at: datetime
    last_seen_at: datetime
    version: int
    debunk_id: int | None = None
    resolved_by: str = ""
    resolved_at: datetime | None = None
    note: str = ""
    origins: tuple[str, ...] = ()
    candidates: tuple[SuggestedDebunk, ...] = ()
    sightings: tuple[Sighting, ...] = ()
    wordings: int = 1
    language: str = "en"  # ISO 639-1, of the claim as first seen

    @property
    def open_candidates(self) -> tuple[SuggestedDebunk, ...]:
        return tuple(c for c in self.candidates if not c.rejected)


@dataclass(frozen=True)
class ReviewPage:
    items: tuple[ReviewItem, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class ReviewedPair:
    """An editor's judgement on (claim wording, debunk): training data for the re-ranker."""

    claim_text: str
    debunk_id: int
    matches: bool


@dataclass(frozen=True)
class Dashboard:
    """Daily counts for the last `len(days)` days, and the claims seen most often."""

    days: tuple[date, ...]
    flagged: tuple[int, ...]  # sightings (one claim seen once), not items
    confirmed: tuple[int, ...]
    new_debunks: tuple[int, ...]
    top_claims: tuple[ReviewItem, ...]
    open_items: int
    status_counts: dict[str, int] = field(default_factory=dict)
    rejected: tuple[int, ...] = ()  # reject decisions (one per suggestion turned down)
