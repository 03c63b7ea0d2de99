"""The typed records passed between pipeline stages.

ingest -> Document -> claims -> Claim -> matching -> Match -> verdicts -> ClaimVerdict / Report
Debunk is the ClaimReview-shaped record of the debunk database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal, get_args

from factcheck.reported import ReportedClause

RatingLabel = Literal[
    "false", "mostly_false", "mixed", "misleading", "unproven", "mostly_true", "true", "satire", "other"
]
RATING_LABELS: tuple[str, ...] = get_args(RatingLabel)

# What the best debunk's rating says of a claim it addresses; `factcheck.verdicts.rating_class` maps
# each RatingLabel to one (refuted: false, mostly_false, misleading; supported: true, mostly_true).
RatingClass = Literal["refuted", "supported", "mixed", "unproven", "satire", "other"]
RATING_CLASSES: tuple[str, ...] = get_args(RatingClass)

# debunked          matched a fact-check whose rating is refuted (the only status shown as false)
# fact_checked      matched a fact-check rated otherwise (supported, mixed, unproven, satire, other)
# possibly_related  under the match threshold, at or above the related one: shown softly to readers
# needs_review      at or above the editors' suggest threshold: for editors only
# no_match / not_checkworthy
ClaimStatus = Literal[
    "debunked", "fact_checked", "possibly_related", "needs_review", "no_match", "not_checkworthy"
]
CLAIM_STATUSES: tuple[str, ...] = get_args(ClaimStatus)
MATCHED_STATUSES: frozenset[str] = frozenset({"debunked", "fact_checked"})
"""Statuses of a claim matched to a fact-check (at the match threshold)."""
SHOWN_STATUSES: frozenset[str] = frozenset({"debunked", "fact_checked", "possibly_related"})
"""Statuses whose first match is shown to readers beside the claim."""
QUEUED_STATUSES: frozenset[str] = frozenset({"needs_review", "possibly_related"})
"""Statuses that send a claim to the editors' queue: every candidate under the match threshold."""


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
    draft: bool = False  # not published: see `has_source`; drafts are never matched

    @property
    def has_source(self) -> bool:
        """Who says so: a reviewer or a fact-check URL. A debunk without one is kept as a draft."""
        return bool(self.reviewer_name.strip() or self.review_url.strip())


@dataclass(frozen=True)
class TextBlock:
    """A stretch of Document.text with its own origin: in an e-mail, the quoted or forwarded part it came from.

    `quote_depth` counts the `>` levels around it; `forwards` the forwarded-message blocks it sits
    under; `sender` and `subject` are those of the forward it came in, when the chain shows them.
    """

    start: int
    end: int
    quote_depth: int = 0
    forwards: int = 0
    sender: str = ""
    subject: str = ""


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
    blocks: tuple[TextBlock, ...] = ()
    # What the forwarder wrote above the chain ("I checked and it is true!!!"): kept apart, never checked.
    reader_note: str = ""


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
    # ISO 639-1 code of the claim's language ("en", "fr", ...): the document's declared language, or
    # detected from the claim's own text. Matching picks its lexical analyser and encoder by it.
    language: str = "en"
    # True when `checkworthiness` came from a model trained on another language (English data, carried
    # over through the multilingual encoder): a weaker score the report owns up to.
    checkworthiness_transferred: bool = False


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
    block: int | None = None  # index into Document.blocks of the block the claim sits in
    # Calibrated probability that the claim's block (or paragraph), weighed as a whole, restates the
    # first debunk of `matches` (factcheck.evidence); None when the block was not weighed for it.
    block_confidence: float | None = None
    # Set when the sentence reports the claim ("X said that …"): where, inside `claim.text`, the
    # reported clause is, so a reader is told the sentence mentions the claim rather than makes it.
    reported: ReportedClause | None = None

    @property
    def shown(self) -> Match | None:
        """The fact-check a reader sees beside the claim (debunked, fact_checked, possibly_related)."""
        return self.matches[0] if self.status in SHOWN_STATUSES and self.matches else None


@dataclass(frozen=True)
class Report:
    document: Document
    claims: tuple[ClaimVerdict, ...]
    timings_ms: dict[str, float] = field(default_factory=dict)
    sentences: int = 0  # how many the document was split into: the work the check cost (api budgets it)
