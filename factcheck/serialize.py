"""The one JSON shape of a report, as pydantic models built from the dataclasses in `factcheck.types`.

The API answers with these models (its OpenAPI schema documents them), and the CLI's `--json` prints
their `model_dump(mode="json")`, so a report reads the same wherever it comes from.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from factcheck.types import (
    CLAIM_STATUSES,
    Claim,
    ClaimStatus,
    ClaimVerdict,
    ClassifierSignal,
    Debunk,
    Document,
    Match,
    RatingLabel,
    Report,
)

# An exact match's score is infinite, which JSON cannot carry: it is shown as this.
EXACT_MATCH_SCORE = 1e6


def _rounded(value: float) -> float:
    return round(value, 4)


class DebunkSummary(BaseModel):
    """What a reader needs beside a claim: the rating, who says so, why, and the link."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    claim_reviewed: str
    label: RatingLabel
    rating_text: str
    reviewer_name: str
    reviewer_site: str
    review_url: str
    review_date: dt.date | None = None
    title: str = ""
    explanation: str = ""

    @classmethod
    def of(cls, debunk: Debunk) -> DebunkSummary:
        return cls.model_validate(debunk)


class MatchOut(BaseModel):
    debunk: DebunkSummary
    score: float
    confidence: float = Field(description="Calibrated probability that this debunk addresses the claim.")
    matched_text: str = ""

    @classmethod
    def of(cls, match: Match) -> MatchOut:
        return cls(
            debunk=DebunkSummary.of(match.debunk),
            score=_rounded(match.score) if math.isfinite(match.score) else EXACT_MATCH_SCORE,
            confidence=_rounded(match.probability),
            matched_text=match.matched_text,
        )


class SignalOut(BaseModel):
    """The text classifier's guess: a weak signal, never a verdict."""

    label: str
    false_probability: float
    note: str

    @classmethod
    def of(cls, signal: ClassifierSignal) -> SignalOut:
        return cls(label=signal.label, false_probability=_rounded(signal.false_probability), note=signal.note)


class ClaimSpan(BaseModel):
    """One sentence found in a document, where it is, and how check-worthy it reads."""

    text: str
    normalized: str
    start: int = Field(description="Character offset in the extracted document text.")
    end: int
    prefix: str = Field(description="Text just before the claim, to find it again in a rendered page.")
    suffix: str
    checkworthiness: float

    @classmethod
    def of(cls, claim: Claim) -> ClaimSpan:
        return cls(**_span_fields(claim))


def _span_fields(claim: Claim) -> dict[str, object]:
    return {
        "text": claim.text,
        "normalized": claim.normalized,
        "start": claim.start,
        "end": claim.end,
        "prefix": claim.prefix,
        "suffix": claim.suffix,
        "checkworthiness": _rounded(claim.checkworthiness),
    }


class ClaimOut(ClaimSpan):
    """A claim with its status, the debunks beside it and (when none addresses it) the weak signal."""

    status: ClaimStatus
    matches: list[MatchOut]
    signal: SignalOut | None = None

    @classmethod
    def of_verdict(cls, verdict: ClaimVerdict) -> ClaimOut:
        return cls(
            **_span_fields(verdict.claim),
            status=verdict.status,
            matches=[MatchOut.of(match) for match in verdict.matches],
            signal=None if verdict.signal is None else SignalOut.of(verdict.signal),
        )


class DocumentOut(BaseModel):
    title: str = ""
    author: str = ""
    date: dt.date | None = None
    site: str = ""
    language: str = ""
    source_url: str = ""
    kind: str
    text_length: int
    text: str | None = None

    @classmethod
    def of(cls, document: Document, *, include_text: bool = False) -> DocumentOut:
        return cls(
            title=document.title,
            author=document.author,
            date=document.date,
            site=document.site,
            language=document.language,
            source_url=document.source_url,
            kind=document.kind,
            text_length=len(document.text),
            text=document.text if include_text else None,
        )


class ReportSummary(BaseModel):
    claims: int
    debunked: int
    needs_review: int
    no_match: int
    not_checkworthy: int


class ReportOut(BaseModel):
    document: DocumentOut
    summary: ReportSummary
    claims: list[ClaimOut]
    timings_ms: dict[str, float]

    @classmethod
    def of(cls, report: Report, *, include_text: bool = False, **extra: object) -> Self:
        """`extra` fills the fields a subclass adds (the API's `request_id`)."""
        counts = dict.fromkeys(CLAIM_STATUSES, 0)
        for verdict in report.claims:
            counts[verdict.status] += 1
        return cls(
            document=DocumentOut.of(report.document, include_text=include_text),
            summary=ReportSummary(claims=len(report.claims), **counts),
            claims=[ClaimOut.of_verdict(verdict) for verdict in report.claims],
            timings_ms={stage: round(ms, 2) for stage, ms in report.timings_ms.items()},
            **extra,
        )
