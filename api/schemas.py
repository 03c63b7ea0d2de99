"""Request and response bodies of the HTTP API, with the examples shown in the OpenAPI schema.

The report itself is `factcheck.serialize.ReportOut`: one shape for the API, the CLI and the feeds.
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from factcheck.ingest import SOURCE_KINDS, SourceKind
from factcheck.serialize import ReportOut
from factcheck.types import Debunk, RatingLabel

# The error type of a request that is well formed but asks for something the API refuses; answered
# with the code of the library's InputError.
INVALID_INPUT = "invalid_input"


class ErrorDetail(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["no debunk with id 42"])
    request_id: str = ""


class ErrorBody(BaseModel):
    """The one error shape every endpoint answers with."""

    error: ErrorDetail


class DebunkOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    claim_reviewed: str = Field(examples=["COVID-19 vaccines contain microchips that track people."])
    label: RatingLabel = Field(examples=["false"])
    rating_text: str = Field(examples=["False"])
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None
    reviewer_name: str = Field(examples=["Snopes"])
    reviewer_site: str = Field(examples=["snopes.com"])
    review_url: str = Field(examples=["https://www.snopes.com/fact-check/microchip-vaccine/"])
    review_date: dt.date | None = None
    claimant: str = ""
    claim_date: dt.date | None = None
    appearance_urls: list[str] = []
    language: str = "en"
    title: str = ""
    explanation: str = ""
    tags: list[str] = []
    variants: list[str] = []
    provenance: str = ""
    version: int = 1
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    @classmethod
    def of(cls, debunk: Debunk) -> DebunkOut:
        return cls.model_validate(debunk)


class DebunkPage(BaseModel):
    items: list[DebunkOut]
    total: int
    offset: int
    limit: int


class CheckOptions(BaseModel):
    match_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Confidence at or above which a claim is shown as debunked."
    )
    suggest_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Confidence at or above which a claim goes to editors for review.",
    )
    include_all: bool = Field(default=False, description="Also return sentences that are not check-worthy.")
    include_text: bool = Field(
        default=False, description="Return the extracted document text (spans index it)."
    )


class CheckRequest(BaseModel):
    """Exactly one source: `text`, `html`, `url` or `email` (raw RFC 822)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"text": "FORWARD THIS! Bill Gates put microchips in the COVID vaccine to track everyone."},
                {"url": "https://example.org/news/story.html", "options": {"include_all": True}},
            ],
            # The validator's rule, said in the schema: exactly one source is a non-empty string.
            "oneOf": [
                {"required": [kind], "properties": {kind: {"type": "string", "minLength": 1}}}
                for kind in SOURCE_KINDS
            ],
        }
    )

    text: str | None = None
    html: str | None = None
    url: str | None = Field(default=None, max_length=2048)
    email: str | None = None
    source_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Where text/html came from (shown in reports and the queue).",
    )
    options: CheckOptions = CheckOptions()

    @model_validator(mode="after")
    def _exactly_one_source(self) -> CheckRequest:
        if len(self.given()) != 1:
            # Its own error type: the API answers it as `invalid_input`, like the library's InputError.
            raise PydanticCustomError(
                INVALID_INPUT, "give exactly one non-empty source: text, html, url or email"
            )
        return self

    def given(self) -> dict[str, str]:
        """The non-empty sources (one, once validated) by kind."""
        return {kind: value for kind in SOURCE_KINDS if (value := getattr(self, kind))}

    def source(self) -> tuple[SourceKind, str]:
        """The one source's kind and content."""
        ((kind, content),) = self.given().items()
        return cast(SourceKind, kind), content


class CheckResponse(ReportOut):
    """The report (the same shape the CLI prints with --json), and the request id to quote in a bug report."""

    request_id: str = ""


class DebunkIn(BaseModel):
    """A new debunk, as an editor writes it (ClaimReview fields)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "claim_reviewed": "Drinking hot water every 15 minutes prevents COVID-19.",
                    "label": "false",
                    "rating_text": "False",
                    "reviewer_name": "Example Fact Check",
                    "review_url": "https://factcheck.example.org/hot-water",
                    "explanation": "Hot water does not kill the virus inside the body.",
                    "variants": ["Doctors say drink hot water every 15 min to kill the virus!!"],
                }
            ]
        },
    )

    claim_reviewed: str = Field(min_length=3, max_length=5000)
    label: RatingLabel
    rating_text: str = Field(default="", max_length=200)
    rating_value: float | None = None
    best_rating: float | None = None
    worst_rating: float | None = None
    reviewer_name: str = Field(default="", max_length=200)
    reviewer_site: str = Field(default="", max_length=200)
    review_url: str = Field(default="", max_length=1000, pattern=r"^(https?://\S+)?$")
    review_date: dt.date | None = None
    claimant: str = Field(default="", max_length=500)
    claim_date: dt.date | None = None
    appearance_urls: list[str] = Field(default=[], max_length=100)
    language: str = Field(default="en", max_length=20)
    title: str = Field(default="", max_length=1000)
    explanation: str = Field(default="", max_length=5000)
    tags: list[str] = Field(default=[], max_length=50)
    variants: list[str] = Field(default=[], max_length=100)


class DebunkUpdate(BaseModel):
    """Fields to change, and the version the editor read: a newer one stored means a 409 conflict."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1, description="The `version` of the debunk as you read it.")
    claim_reviewed: str | None = Field(default=None, min_length=3, max_length=5000)
    label: RatingLabel | None = None
    rating_text: str | None = Field(default=None, max_length=200)
    reviewer_name: str | None = Field(default=None, max_length=200)
    reviewer_site: str | None = Field(default=None, max_length=200)
    review_url: str | None = Field(default=None, max_length=1000, pattern=r"^(https?://\S+)?$")
    review_date: dt.date | None = None
    claimant: str | None = Field(default=None, max_length=500)
    title: str | None = Field(default=None, max_length=1000)
    explanation: str | None = Field(default=None, max_length=5000)
    tags: list[str] | None = Field(default=None, max_length=50)
    variants: list[str] | None = Field(default=None, max_length=100)
