"""The typed records passed between pipeline stages.

ingest -> Document -> claims -> Claim -> matching -> Match -> verdicts -> ClaimVerdict / Report
Debunk is the ClaimReview-shaped record of the debunk database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, get_args

RatingLabel = Literal[
    "false", "mostly_false", "mixed", "misleading", "unproven", "mostly_true", "true", "satire", "other"
]
RATING_LABELS: tuple[str, ...] = get_args(RatingLabel)

ClaimStatus = Literal["debunked", "needs_review", "no_match", "not_checkworthy"]
CLAIM_STATUSES: tuple[str, ...] = get_args(ClaimStatus)


@dataclass(frozen=True)
class Debunk:
    """One fact-check, shaped like schema.org ClaimReview, plus the phrasings people circulate."""

    claim_reviewed: str
    label: RatingLabel
    rating_text: str = ""
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None
    reviewer_name: str = ""
    reviewer_site: str = ""
    review_url: str = ""
    review_date: date | None = None
    claimant: str = ""
    claim_date: date | None = None
    appearance_urls: tuple[str, ...] = ()
    language: str = "en"
    title: str = ""
    explanation: str = ""
    tags: tuple[str, ...] = ()
    variants: tuple[str, ...] = ()
    external_id: str = ""
    id: int | None = None
    provenance: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1
    retired: bool = False


@dataclass(frozen=True)
class Document:
    """A source turned into its main text; spans of claims index into `text`."""

    text: str
    title: str = ""
    author: str = ""
    date: date | None = None
    site: str = ""
    language: str = ""
    source_url: str = ""
    kind: Literal["text", "html", "url", "email", "feed_item"] = "text"
    claim_reviews: tuple[Debunk, ...] = ()


@dataclass(frozen=True)
class Claim:
    """A sentence (or joined sentences) worth matching, located in its Document.

    `start`/`end` index Document.text. `prefix`/`suffix` are a few characters of context
    around the exact text, so a client can find the same passage again in the rendered
    page (the W3C TextQuoteSelector idea).
    """

    text: str
    normalized: str
    start: int
    end: int
    checkworthiness: float
    prefix: str = ""
    suffix: str = ""


@dataclass(frozen=True)
class Match:
    """A candidate debunk for a claim: `score` ranks, `probability` is calibrated."""

    debunk: Debunk
    score: float
    probability: float
    matched_text: str = ""


@dataclass(frozen=True)
class ClassifierSignal:
    """The text classifier's weak, unverified guess for a claim with no debunk."""

    label: str
    false_probability: float
    label_probabilities: dict[str, float] = field(default_factory=dict)
    note: str = "weak signal from a text-only classifier; not a fact-check"


@dataclass(frozen=True)
class ClaimVerdict:
    claim: Claim
    status: ClaimStatus
    matches: tuple[Match, ...] = ()
    signal: ClassifierSignal | None = None


@dataclass(frozen=True)
class Report:
    document: Document
    claims: tuple[ClaimVerdict, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    sentences: int = 0  # how many the document was split into: the work the check cost (api budgets it)
