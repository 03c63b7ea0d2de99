"""Reading the debunk database: search, filter, page, and one debunk with its variants."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.deps import get_checker
from api.schemas import DebunkOut, DebunkPage, ErrorBody
from factcheck.pipeline import Checker
from factcheck.types import RatingLabel

router = APIRouter(prefix="/v1/debunks", tags=["debunks"])


@router.get("", response_model=DebunkPage, summary="List and search debunks")
def list_debunks(
    checker: Annotated[Checker, Depends(get_checker)],
    q: Annotated[str, Query(max_length=500, description="Words of the claim or title")] = "",
    rating: Annotated[RatingLabel | None, Query(description="Normalised rating label")] = None,
    reviewer: Annotated[str | None, Query(max_length=200)] = None,
    language: Annotated[str | None, Query(max_length=20)] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DebunkPage:
    debunks, total = checker.store.list_debunks(
        text=q, label=rating, reviewer=reviewer, language=language, offset=offset, limit=limit
    )
    return DebunkPage(items=[DebunkOut.of(d) for d in debunks], total=total, offset=offset, limit=limit)


@router.get("/{debunk_id}", response_model=DebunkOut, responses={404: {"model": ErrorBody}})
def get_debunk(debunk_id: int, checker: Annotated[Checker, Depends(get_checker)]) -> DebunkOut:
    return DebunkOut.of(checker.store.get(debunk_id))
