"""Reading the debunk database: search, filter, page, and one debunk with its variants."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from api.auth import require_role
from api.deps import CheckerDep
from api.schemas import (
    LANGUAGE_TAG,
    MAX_DB_INT,
    NO_NUL,
    DebunkIn,
    DebunkOut,
    DebunkPage,
    DebunkUpdate,
    ErrorBody,
    IdPath,
)
from factcheck.accounts import User
from factcheck.language import language_code
from factcheck.types import Debunk, RatingLabel

router = APIRouter(prefix="/v1/debunks", tags=["debunks"])

DebunkId = IdPath


@router.get("", response_model=DebunkPage, summary="List and search debunks")
def list_debunks(
    checker: CheckerDep,
    q: Annotated[
        str, Query(max_length=500, pattern=NO_NUL, description="Words of the claim or title (as typed)")
    ] = "",
    rating: Annotated[RatingLabel | None, Query(description="Normalised rating label")] = None,
    reviewer: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
    language: Annotated[
        str | None,
        Query(
            max_length=35, pattern=LANGUAGE_TAG, description="Fact-checks in this language: 'fr' or 'fr-FR'"
        ),
    ] = None,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> DebunkPage:
    debunks, total = checker.store.list_debunks(
        text=q,
        label=rating,
        reviewer=reviewer,
        language=language_code(language) or None,
        offset=offset,
        limit=limit,
    )
    return DebunkPage(items=[DebunkOut.of(d) for d in debunks], total=total, offset=offset, limit=limit)


@router.get("/{debunk_id}", response_model=DebunkOut, responses={404: {"model": ErrorBody}})
def get_debunk(debunk_id: DebunkId, checker: CheckerDep) -> DebunkOut:
    return DebunkOut.of(checker.store.get(debunk_id))


_WRITE_ERRORS = {
    401: {"model": ErrorBody, "description": "No credentials"},
    403: {"model": ErrorBody, "description": "Not an editor"},
    404: {"model": ErrorBody},
    409: {"model": ErrorBody, "description": "Changed by someone else since you read it"},
}


@router.post(
    "", response_model=DebunkOut, status_code=201, responses=_WRITE_ERRORS, summary="Create a debunk"
)
def create_debunk(
    body: DebunkIn,
    checker: CheckerDep,
    editor: Annotated[User, Depends(require_role("editor"))],
) -> DebunkOut:
    values = body.model_dump()
    for name in ("appearance_urls", "tags", "variants"):
        values[name] = tuple(values[name])
    created = checker.store.create_debunk(Debunk(**values), actor=editor.username)
    checker.index_debunks([created.id or 0])
    return DebunkOut.of(created)


@router.put("/{debunk_id}", response_model=DebunkOut, responses=_WRITE_ERRORS, summary="Edit a debunk")
def update_debunk(
    debunk_id: DebunkId,
    body: DebunkUpdate,
    checker: CheckerDep,
    editor: Annotated[User, Depends(require_role("editor"))],
) -> DebunkOut:
    changes = body.model_dump(exclude_unset=True, exclude={"version"})
    updated = checker.store.update_debunk(
        debunk_id, changes, expected_version=body.version, actor=editor.username
    )
    checker.index_debunks([debunk_id])
    return DebunkOut.of(updated)


@router.delete("/{debunk_id}", response_model=DebunkOut, responses=_WRITE_ERRORS, summary="Retire a debunk")
def retire_debunk(
    debunk_id: DebunkId,
    version: Annotated[
        int, Query(ge=1, le=MAX_DB_INT, description="The `version` of the debunk as you read it.")
    ],
    checker: CheckerDep,
    editor: Annotated[User, Depends(require_role("editor"))],
) -> DebunkOut:
    """Retired debunks stop matching and leave listings; they stay in the database and the audit log."""
    retired = checker.store.retire_debunk(debunk_id, expected_version=version, actor=editor.username)
    checker.index_debunks([debunk_id])
    return DebunkOut.of(retired)
