"""One review item: the claim with where it was seen, its candidate debunks side by side, and the
decisions (confirm, reject, not check-worthy, reopen). Each decision is one ReviewQueue call and a
redirect (POST, then GET), so reloading a page never repeats it; the decisions live in factcheck.review.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from api.deps import CheckerDep, QueueDep, StoreDep
from api.routes.editor.base import (
    DONE_NOTICES,
    STATUS_LABELS,
    Editor,
    EditorContext,
    PageError,
    UserView,
    Viewer,
    ago,
    origin_label,
    percent_or_none,
    redirect,
    render,
)
from factcheck.accounts import User
from factcheck.errors import ConflictError, InputError, NotFoundError
from factcheck.review import ReviewQueue, Sighting
from factcheck.store import AuditEntry, Store
from factcheck.types import Debunk

router = APIRouter()


@dataclass(kw_only=True)
class CandidateView:
    """A suggested debunk beside the claim; `confidence` is the matcher's calibrated probability."""

    debunk_id: int
    claim_reviewed: str
    label: str
    rating_text: str
    reviewer_name: str
    review_url: str
    explanation: str
    variants: list[str]
    confidence_percent: int
    confidence_label: str
    rejected: bool
    confirmed: bool
    version: int
    show_help: bool = False  # what the buttons do is spelled out under the first card only


@dataclass(kw_only=True)
class SightingView:
    """One sighting; `before`/`claim`/`after` split its surrounding text so the claim can be marked."""

    origin: str
    source_url: str
    before: str
    claim: str
    after: str
    comment: str
    reporter: str
    seen: str
    times: int = 1


@dataclass(kw_only=True)
class HistoryView:
    at: str
    actor: str
    action: str
    summary: str


@dataclass(kw_only=True)
class ItemContext(EditorContext):
    """One item with its context, its candidates side by side and what each button will do."""

    id: int
    text: str
    status: str
    status_label: str
    version: int
    seen_count: int
    wordings: int
    origins: list[str]
    checkworthiness_percent: int | None
    first_seen: str
    last_seen: str
    resolved_by: str
    resolved_debunk_id: int | None
    note: str
    candidates: list[CandidateView]
    sightings: list[SightingView]
    history: list[HistoryView]
    can_decide: bool
    can_reopen: bool
    search_q: str = ""
    search_results: list[CandidateView] = field(default_factory=list)
    next_item_id: int | None = None


def _confidence_label(probability: float) -> str:
    if probability >= 0.8:
        return "high"
    if probability >= 0.4:
        return "medium"
    return "low"


def _candidate_view(
    debunk: Debunk, probability: float | None, *, rejected: bool = False, confirmed: bool = False
) -> CandidateView:
    percent = round((probability or 0.0) * 100)
    return CandidateView(
        debunk_id=debunk.id or 0,
        claim_reviewed=debunk.claim_reviewed,
        label=debunk.label,
        rating_text=debunk.rating_text or debunk.label.replace("_", " "),
        reviewer_name=debunk.reviewer_name,
        review_url=debunk.review_url,
        explanation=debunk.explanation,
        variants=list(debunk.variants[:5]),
        confidence_percent=percent,
        confidence_label="not scored" if probability is None else _confidence_label(probability),
        rejected=rejected,
        confirmed=confirmed,
        version=debunk.version,
    )


def _split_context(sighting: Sighting) -> tuple[str, str, str]:
    context = sighting.context or sighting.text
    at = context.casefold().find(sighting.text.casefold())
    if at < 0:
        return "", sighting.text, context if context != sighting.text else ""
    return context[:at], context[at : at + len(sighting.text)], context[at + len(sighting.text) :]


def _sighting_views(sightings: tuple[Sighting, ...]) -> list[SightingView]:
    """Newest first; the same passage seen again at the same place is shown once, with a count."""
    views: dict[tuple[str, str, str, str], SightingView] = {}
    for s in sightings:
        key = (s.source_url, s.context or s.text, s.comment, s.origin)
        if key in views:
            views[key].times += 1
            continue
        before, claim, after = _split_context(s)
        views[key] = SightingView(
            origin=origin_label(s.origin),
            source_url=s.source_url,
            before=before,
            claim=claim,
            after=after,
            comment=s.comment,
            reporter=s.reporter,
            seen=ago(s.seen_at),
        )
    return list(views.values())


def _history(entries: list[AuditEntry]) -> list[HistoryView]:
    views = []
    for entry in entries:
        after = entry.after or {}
        summary = {
            "confirm": f"confirmed debunk #{after.get('debunk_id')}",
            "confirm_variants": f"added {len(after.get('variants_added', []))} variant(s) to debunk #{after.get('debunk_id')}",
            "reject": f"rejected debunk #{after.get('rejected_debunk_id')}",
            "not_checkworthy": "marked not check-worthy",
            "create_debunk": "resolved with a new debunk",
            "reopen": "reopened",
            "undo": "put back as it was (the debunk change failed)",
        }.get(entry.action, entry.action)
        at = entry.at if isinstance(entry.at, datetime) else None
        views.append(
            HistoryView(
                at=at.strftime("%Y-%m-%d %H:%M UTC") if at else str(entry.at),
                actor=entry.actor,
                action=entry.action,
                summary=summary,
            )
        )
    return views


def _item_context(
    queue: ReviewQueue,
    store: Store,
    user: User,
    item_id: int,
    *,
    q: str = "",
    notice: str = "",
    error: str = "",
) -> ItemContext:
    item = queue.get(item_id)
    candidate_ids = {c.debunk.id for c in item.candidates}
    results: list[CandidateView] = []
    if q.strip():
        found, _ = store.list_debunks(text=q.strip(), limit=10)
        results = [_candidate_view(d, None) for d in found if d.id not in candidate_ids]
        if results:
            results[0].show_help = True
    following = [other.id for other in queue.page(status="open", limit=2).items if other.id != item.id]
    return ItemContext(
        title=f"Item {item.id}",
        user=UserView.of(user),
        notice=notice,
        error=error,
        id=item.id,
        text=item.text,
        status=item.status,
        status_label=STATUS_LABELS[item.status],
        version=item.version,
        seen_count=item.seen_count,
        wordings=item.wordings,
        origins=[origin_label(origin) for origin in item.origins],
        checkworthiness_percent=percent_or_none(item.checkworthiness),
        first_seen=ago(item.first_seen_at),
        last_seen=ago(item.last_seen_at),
        resolved_by=item.resolved_by,
        resolved_debunk_id=item.debunk_id,
        note=item.note,
        candidates=[
            replace(
                _candidate_view(
                    c.debunk, c.probability, rejected=c.rejected, confirmed=c.debunk.id == item.debunk_id
                ),
                show_help=position == 0,
            )
            for position, c in enumerate(item.candidates)
        ],
        sightings=_sighting_views(item.sightings),
        history=_history(store.audit_entries(target_type="review_item", target_id=item.id, limit=20)),
        can_decide=user.can("editor") and item.status == "open",
        can_reopen=user.can("editor") and item.status != "open",
        search_q=q,
        search_results=results,
        next_item_id=following[0] if following else None,
    )


@router.get("/items/{item_id}")
@router.get("/items/{item_id}.json")
def item_page(
    request: Request,
    item_id: int,
    user: Viewer,
    queue: QueueDep,
    store: StoreDep,
    q: Annotated[str, Query(max_length=500)] = "",
    done: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    try:
        context = _item_context(queue, store, user, item_id, q=q, notice=DONE_NOTICES.get(done, ""))
    except NotFoundError as error:
        raise PageError(404, str(error)) from None
    return render(request, "item.html", context)


def _decide(
    request: Request,
    queue: ReviewQueue,
    user: User,
    item_id: int,
    action: str,
    decide: Callable[[], object],
) -> Response:
    """Run one decision; on success redirect to the item, on a library error show the item with why."""
    try:
        decide()
    except (ConflictError, NotFoundError, InputError) as error:
        status = 409 if isinstance(error, ConflictError) else 404 if isinstance(error, NotFoundError) else 422
        prefix = "Not saved: someone else got there first. " if status == 409 else "Not saved: "
        try:
            context = _item_context(queue, queue.store, user, item_id, error=prefix + str(error))
        except NotFoundError:
            raise PageError(404, str(error)) from None
        return render(request, "item.html", context, status=status)
    return redirect(f"/editor/items/{item_id}?done={action}")


@router.post("/items/{item_id}/confirm")
def confirm(
    request: Request,
    item_id: int,
    user: Editor,
    queue: QueueDep,
    checker: CheckerDep,
    debunk_id: Annotated[int, Form()],
    version: Annotated[int, Form()],
) -> Response:
    def act() -> None:
        queue.confirm(item_id, debunk_id, expected_version=version, actor=user.username)
        checker.index_debunks([debunk_id])

    return _decide(request, queue, user, item_id, "confirm", act)


@router.post("/items/{item_id}/reject")
def reject(
    request: Request,
    item_id: int,
    user: Editor,
    queue: QueueDep,
    debunk_id: Annotated[int, Form()],
    version: Annotated[int, Form()],
) -> Response:
    return _decide(
        request,
        queue,
        user,
        item_id,
        "reject",
        lambda: queue.reject(item_id, debunk_id, expected_version=version, actor=user.username),
    )


@router.post("/items/{item_id}/not-checkworthy")
def not_checkworthy(
    request: Request,
    item_id: int,
    user: Editor,
    queue: QueueDep,
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _decide(
        request,
        queue,
        user,
        item_id,
        "not_checkworthy",
        lambda: queue.mark_not_checkworthy(item_id, expected_version=version, actor=user.username, note=note),
    )


@router.post("/items/{item_id}/reopen")
def reopen(
    request: Request, item_id: int, user: Editor, queue: QueueDep, version: Annotated[int, Form()]
) -> Response:
    return _decide(
        request,
        queue,
        user,
        item_id,
        "reopen",
        lambda: queue.reopen(item_id, expected_version=version, actor=user.username),
    )
