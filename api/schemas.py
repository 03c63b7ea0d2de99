"""Request and response bodies of the HTTP API, with the examples shown in the OpenAPI schema."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from factcheck.types import Debunk, RatingLabel


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
    review_date: date | None = None
    claimant: str = ""
    claim_date: date | None = None
    appearance_urls: list[str] = []
    language: str = "en"
    title: str = ""
    explanation: str = ""
    tags: list[str] = []
    variants: list[str] = []
    provenance: str = ""
    version: int = 1
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def of(cls, debunk: Debunk) -> DebunkOut:
        return cls.model_validate(debunk)


class DebunkPage(BaseModel):
    items: list[DebunkOut]
    total: int
    offset: int
    limit: int
