"""Request and response bodies of the HTTP API, with the examples shown in the OpenAPI schema.

The report itself is `factcheck.serialize.ReportOut`: one shape for the API, the CLI and the feeds.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, cast

from fastapi import Form, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from factcheck.ingest import SOURCE_KINDS, SourceKind
from factcheck.language import LANGUAGE_TAG, language_code
from factcheck.serialize import ReportOut
from factcheck.types import Debunk, RatingLabel

# The error type of a request that is well formed but asks for something the API refuses; answered
# with the code of the library's InputError.
INVALID_INPUT = "invalid_input"

MAX_DB_INT = 2**31 - 1
"""Ids and versions are 32-bit database integers: past this a request is a 422, not a driver overflow."""
DbInt = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
IdPath = Annotated[int, Path(ge=1, le=MAX_DB_INT)]
IntForm = Annotated[int, Form(ge=1, le=MAX_DB_INT)]
NO_NUL = r"^[^\x00]*$"
"""A pattern for query strings: PostgreSQL refuses NUL in text (a percent-decoded query has no surrogates)."""
WEB_URL = r"^(https?://[!-~]+)?$"
"""Links a reader or editor gives: http(s) or nothing, so no `javascript:` or `data:` reaches a page.

Printable ASCII only (a URL on the wire is; percent-encode the rest): regex engines disagree on what
`\\S` excludes, and the schema's pattern must mean the same to clients as to the server.
"""


def _unstorable(text: str) -> str:
    """Why the databases cannot keep `text` ("" when they can)."""
    if "\x00" in text:
        return "holds a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds a lone surrogate (not valid Unicode)"
    return ""


class RequestBody(BaseModel):
    """Every request body: strings the databases can store and the tokenizer can read, finite numbers.

    PostgreSQL refuses NUL in text, and a lone surrogate (`"\\ud800"` is valid JSON) breaks UTF-8
    encoding in the tokenizer and the drivers; `NaN` and `Infinity` (Python's JSON reader takes
    them) are refused by PostgreSQL and stored as null by SQLite. All are a 422 `invalid_input`.
    """

    model_config = ConfigDict(allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _storable_strings(cls, data: Any) -> Any:
        pending: list[tuple[str, Any]] = [("", data)]
        while pending:  # iterative: a body nested deep must not exhaust the stack here
            where, value = pending.pop()
            if isinstance(value, str):
                if reason := _unstorable(value):
                    raise PydanticCustomError(
                        INVALID_INPUT, "{where} {reason}", {"where": where or "a value", "reason": reason}
                    )
            elif isinstance(value, dict):
                pending.extend((f"{where}.{key}".lstrip("."), item) for key, item in value.items())
                pending.extend((where or "a key", key) for key in value)
            elif isinstance(value, list):
                pending.extend((f"{where}[{n}]", item) for n, item in enumerate(value))
        return data


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
    draft: bool = Field(default=False, description="Not published (no source yet): never matched.")
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


class CheckOptions(RequestBody):
    match_threshold: float | None = Field(
        default=None, ge=0, le=1, description="Confidence at or above which a claim is shown as debunked."
    )
    suggest_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Confidence at or above which a claim goes to editors for review.",
    )
    related_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Confidence at or above which a claim under the match threshold is shown to readers as "
        "possibly related to its best fact-check.",
    )
    possibly_related: bool = Field(
        default=True,
        description="false: no possibly_related tier (those claims are needs_review, as before it existed).",
    )
    include_all: bool = Field(default=False, description="Also return sentences that are not check-worthy.")
    include_text: bool = Field(
        default=False, description="Return the extracted document text (spans index it)."
    )


class CheckRequest(RequestBody):
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
        pattern=WEB_URL,
        description="Where text/html came from, an http(s) URL (shown in reports and the queue).",
    )
    language: str | None = Field(
        default=None,
        max_length=35,
        pattern=LANGUAGE_TAG,
        description="The source's language as a BCP 47 tag ('fr', 'fr-FR'), when the caller knows it: taken "
        "as declared, over the page's own `lang`. Omitted: declared by the source, else detected.",
        examples=["fr"],
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


class DebunkIn(RequestBody):
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
    review_url: str = Field(default="", max_length=1000, pattern=WEB_URL)
    review_date: dt.date | None = None
    claimant: str = Field(default="", max_length=500)
    claim_date: dt.date | None = None
    appearance_urls: list[Annotated[str, Field(max_length=2048, pattern=WEB_URL)]] = Field(
        default=[], max_length=100, description="Where the claim was seen: http(s) URLs."
    )
    language: str = Field(
        default="en",
        max_length=35,
        pattern=LANGUAGE_TAG,
        description="The fact-check's language: 'fr', 'fr-FR'.",
    )
    title: str = Field(default="", max_length=1000)
    explanation: str = Field(default="", max_length=5000)
    tags: list[str] = Field(default=[], max_length=50)
    variants: list[str] = Field(default=[], max_length=100)

    @field_validator("language")
    @classmethod
    def _language_as_code(cls, value: str) -> str:
        """Stored as the ISO 639-1 code, as imports store it, so `?language=fr` finds it."""
        return language_code(value)


class DebunkUpdate(RequestBody):
    """Fields to change, and the version the editor read: a newer one stored means a 409 conflict."""

    model_config = ConfigDict(extra="forbid")

    version: DbInt = Field(description="The `version` of the debunk as you read it.")
    claim_reviewed: str | None = Field(default=None, min_length=3, max_length=5000)
    label: RatingLabel | None = None
    rating_text: str | None = Field(default=None, max_length=200)
    reviewer_name: str | None = Field(default=None, max_length=200)
    reviewer_site: str | None = Field(default=None, max_length=200)
    review_url: str | None = Field(default=None, max_length=1000, pattern=WEB_URL)
    review_date: dt.date | None = None
    claimant: str | None = Field(default=None, max_length=500)
    title: str | None = Field(default=None, max_length=1000)
    explanation: str | None = Field(default=None, max_length=5000)
    tags: list[str] | None = Field(default=None, max_length=50)
    variants: list[str] | None = Field(default=None, max_length=100)
