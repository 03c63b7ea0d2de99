"""The review queue: one row per group of identical or near-identical claims, highest priority first."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.deps import QueueDep
from api.routes.editor.base import (
    ORIGIN_LABELS,
    STATUS_LABELS,
    EditorContext,
    UserView,
    Viewer,
    ago,
    origin_label,
    percent_or_none,
    render,
)
from factcheck.language import fact_check_language_note, language_name
from factcheck.review import REVIEW_STATUSES, ReviewItem

router = APIRouter()

PAGE_SIZE = 25


@dataclass(kw_only=True)
class QueueRow:
    id: int
    text: str
    status: str
    status_label: str
    seen_count: int
    wordings: int
    origins: list[str]
    checkworthiness_percent: int | None
    last_seen: str
    top_candidate: str
    top_confidence_percent: int | None
    source_url: str
    language_label: str = ""  # the claim's language when it is not English ("French")
    top_language_note: str = ""  # "fact-check in English" when the best suggestion is in another language


@dataclass(kw_only=True)
class QueueContext(EditorContext):
    """The queue: one row per group of identical or near-identical claims, highest priority first."""

    rows: list[QueueRow]
    total: int
    status: str
    origin: str
    q: str
    statuses: list[tuple[str, str]]
    origins: list[tuple[str, str]]
    page_number: int
    page_count: int
    prev_url: str = ""
    next_url: str = ""


def queue_row(item: ReviewItem) -> QueueRow:
    top = item.open_candidates[0] if item.open_candidates else None
    return QueueRow(
        id=item.id,
        text=item.text,
        status=item.status,
        status_label=STATUS_LABELS[item.status],
        seen_count=item.seen_count,
        wordings=item.wordings,
        origins=[origin_label(origin) for origin in item.origins],
        checkworthiness_percent=percent_or_none(item.checkworthiness),
        last_seen=ago(item.last_seen_at),
        top_candidate=top.debunk.claim_reviewed if top else "",
        top_confidence_percent=round(top.probability * 100) if top else None,
        source_url=item.sightings[0].source_url if item.sightings else "",
        language_label=language_name(item.language) if item.language != "en" else "",
        top_language_note=fact_check_language_note(top.debunk.language, item.language) if top else "",
    )


@router.get("/queue")
@router.get("/queue.json")
def queue_page(
    request: Request,
    user: Viewer,
    queue: QueueDep,
    status: Annotated[str, Query(max_length=30)] = "open",
    origin: Annotated[str, Query(max_length=100)] = "",
    q: Annotated[str, Query(max_length=500)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    status = status if status in (*REVIEW_STATUSES, "all") else "open"
    result = queue.page(
        status=None if status == "all" else status,
        origin=origin or None,
        text=q,
        offset=(page - 1) * PAGE_SIZE,
        limit=PAGE_SIZE,
    )
    page_count = max(1, math.ceil(result.total / PAGE_SIZE))

    def page_url(number: int) -> str:
        query = {"status": status, "origin": origin, "q": q, "page": number}
        return "/editor/queue?" + urlencode({k: v for k, v in query.items() if v})

    context = QueueContext(
        title="Review queue",
        user=UserView.of(user),
        rows=[queue_row(item) for item in result.items],
        total=result.total,
        status=status,
        origin=origin,
        q=q,
        statuses=[*((s, STATUS_LABELS[s]) for s in REVIEW_STATUSES), ("all", "All")],
        origins=[("", "Any origin"), *ORIGIN_LABELS.items()],
        page_number=page,
        page_count=page_count,
        prev_url=page_url(page - 1) if page > 1 else "",
        next_url=page_url(page + 1) if page < page_count else "",
    )
    return render(request, "queue.html", context)
