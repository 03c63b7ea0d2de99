"""The one JSON shape of a report, as pydantic models built from the dataclasses in `factcheck.types`.

The API answers with these models (its OpenAPI schema documents them), and the CLI's `--json` prints
their `model_dump(mode="json")`, so a report reads the same wherever it comes from.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, computed_field

from factcheck.types import (
    CLAIM_STATUSES,
    Claim,
    ClaimStatus,
    ClaimVerdict,
    ClassifierSignal,
    Debunk,
    Document,
    Match,
    RatingClass,
    RatingLabel,
    Report,
)
from factcheck.verdicts import rating_class

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
    language: str = Field(default="en", description="The fact-check's language (BCP 47).")
    title: str = ""
    explanation: str = ""

    @computed_field(  # type: ignore[prop-decorator]
        description="What the rating says of a claim it addresses: refuted (false, mostly_false, "
        "misleading), supported (true, mostly_true), mixed, unproven, satire or other."
    )
    @property
    def rating_class(self) -> RatingClass:
        return rating_class(self.label)

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


class ReportedOut(BaseModel):
    """The claim a sentence reports ("X said that …"): the sentence mentions it rather than makes it."""

    text: str
    start: int = Field(description="Character offset in the extracted document text.")
    end: int

    @classmethod
    def of_verdict(cls, verdict: ClaimVerdict) -> ReportedOut | None:
        clause = verdict.reported
        if clause is None:
            return None
        start = verdict.claim.start + clause.start
        return cls(text=clause.text, start=start, end=start + len(clause.text))


class ClaimOut(ClaimSpan):
    """A claim with its status, the debunks beside it and (when none addresses it) the weak signal.

    For `debunked`, `fact_checked` and `possibly_related` the first match is the fact-check shown to
    readers; its `debunk.rating_class` says which words and colour fit it.
    """

    status: ClaimStatus = Field(
        description="debunked: matches a fact-check rated false-like (the only status shown as false); "
        "fact_checked: matches a fact-check rated otherwise (see the debunk's rating_class); "
        "possibly_related: under the match threshold but likely the right fact-check, shown softly; "
        "needs_review: sent to editors only; no_match; not_checkworthy (with include_all)."
    )
    matches: list[MatchOut]
    signal: SignalOut | None = None
    block: int | None = Field(
        default=None, description="Index in `document.blocks` of the quoted block the claim came from."
    )
    block_confidence: float | None = Field(
        default=None,
        description="Calibrated probability that the claim's block (or paragraph), weighed as a whole, "
        "restates the first debunk of `matches`; null when it was not weighed.",
    )
    reported: ReportedOut | None = Field(
        default=None, description="Set when the sentence reports the claim rather than making it."
    )
    # Added after the others (issue 15), so a reader of the old order finds every field where it was.
    language: str = Field(
        default="en",
        description="The claim's language (ISO 639-1): its own text's when that is clear, else the document's.",
    )
    checkworthiness_transferred: bool = Field(
        default=False,
        description="The check-worthiness comes from a model trained on another language (English data, "
        "through a multilingual encoder): a weaker score.",
    )

    @classmethod
    def of_verdict(cls, verdict: ClaimVerdict) -> ClaimOut:
        return cls(
            **_span_fields(verdict.claim),
            status=verdict.status,
            matches=[MatchOut.of(match) for match in verdict.matches],
            signal=None if verdict.signal is None else SignalOut.of(verdict.signal),
            block=verdict.block,
            block_confidence=None if verdict.block_confidence is None else _rounded(verdict.block_confidence),
            reported=ReportedOut.of_verdict(verdict),
            language=verdict.claim.language,
            checkworthiness_transferred=verdict.claim.checkworthiness_transferred,
        )


class TextBlockOut(BaseModel):
    """Where a stretch of the document text came from: in an e-mail, its quoted or forwarded part."""

    model_config = ConfigDict(from_attributes=True)

    start: int
    end: int
    quote_depth: int = Field(description="`>` quote levels around the block.")
    forwards: int = Field(description="Forwarded-message blocks above it.")
    sender: str = ""
    subject: str = ""


class DocumentOut(BaseModel):
    title: str = ""
    author: str = ""
    date: dt.date | None = None
    site: str = ""
    language: str = Field(
        default="",
        description="The document's language (ISO 639-1): declared by the source (HTML lang, "
        "Content-Language) or the request, else detected from its text.",
    )
    source_url: str = ""
    kind: str
    text_length: int
    text: str | None = None
    blocks: list[TextBlockOut] = Field(default=[], description="The quoted blocks the text was taken from.")
    reader_note: str = Field(
        default="", description="What the forwarder wrote above an e-mail chain: kept apart, never checked."
    )

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
            blocks=[TextBlockOut.model_validate(block) for block in document.blocks],
            reader_note=document.reader_note,
        )


class ReportSummary(BaseModel):
    """Claims per status; the statuses added later come last, so older readers see the same order."""

    claims: int
    debunked: int
    needs_review: int
    no_match: int
    not_checkworthy: int
    fact_checked: int = 0
    possibly_related: int = 0


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
