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

from api.deps import CheckerDep, QueueDep
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
from api.schemas import IdPath, IntForm
from factcheck._text import is_web_url
from factcheck.accounts import User
from factcheck.errors import ConflictError, InputError, NotFoundError
from factcheck.language import fact_check_language_note, language_name
from factcheck.pipeline import Checker
from factcheck.review import ReviewQueue, Sighting
from factcheck.store import AuditEntry
from factcheck.types import Debunk
from factcheck.verdicts import describe_status, rating_class

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
    # What readers are shown once the match is confirmed: it follows the debunk's rating (issue 13).
    reader_outcome: str
    language_note: str = ""  # "fact-check in English" when the debunk's language is not the claim's
    show_help: bool = False  # what the buttons do is spelled out under the first card only
    shortcuts: bool = False  # c / r confirm or reject this one: the first suggestion not rejected


@dataclass(kw_only=True)
class SightingView:
    """One sighting; `before`/`claim`/`after` split its surrounding text so the claim can be marked.

    `link` is `source_url` when it is an http(s) address, else empty: other kinds are shown as text.
    `reporter` (a reader's contact) is empty for viewers: it is for editors only.
    """

    origin: str
    source_url: str
    link: str
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
    decided_item_id: int | None = None  # the item decided just before landing here
    folded: bool = False  # the claim is long: shown folded, so the decisions stay in reach
    language: str = "en"  # the claim's, ISO 639-1
    language_label: str = ""  # its name when it is not English ("French"), else ""


def _confidence_label(probability: float) -> str:
    if probability >= 0.8:
        return "high"
    if probability >= 0.4:
        return "medium"
    return "low"


def _candidate_view(
    debunk: Debunk,
    probability: float | None,
    *,
    claim_language: str,
    rejected: bool = False,
    confirmed: bool = False,
) -> CandidateView:
    percent = round((probability or 0.0) * 100)
    return CandidateView(
        debunk_id=debunk.id or 0,
        claim_reviewed=debunk.claim_reviewed,
        label=debunk.label,
        rating_text=debunk.rating_text or debunk.label.replace("_", " "),
        reviewer_name=debunk.reviewer_name,
        review_url=debunk.review_url if is_web_url(debunk.review_url) else "",
        explanation=debunk.explanation,
        variants=list(debunk.variants[:5]),
        confidence_percent=percent,
        confidence_label="not scored" if probability is None else _confidence_label(probability),
        rejected=rejected,
        confirmed=confirmed,
        version=debunk.version,
        reader_outcome=describe_status(
            "debunked" if rating_class(debunk.label) == "refuted" else "fact_checked", debunk.label
        ),
        language_note=fact_check_language_note(debunk.language, claim_language),
    )


def _split_context(sighting: Sighting) -> tuple[str, str, str]:
    context = sighting.context or sighting.text
    at = context.casefold().find(sighting.text.casefold())
    if at < 0:
        return "", sighting.text, context if context != sighting.text else ""
    return context[:at], context[at : at + len(sighting.text)], context[at + len(sighting.text) :]


def _sighting_views(sightings: tuple[Sighting, ...], *, show_contact: bool) -> list[SightingView]:
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
            link=s.source_url if is_web_url(s.source_url) else "",
            before=before,
            claim=claim,
            after=after,
            comment=s.comment,
            reporter=s.reporter if show_contact else "",
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


FOLD_CHARS = 600
SEARCH_RESULTS = 10


def search_debunks(
    checker: Checker, text: str, *, exclude: set[int | None], claim_language: str
) -> list[CandidateView]:
    """Debunks for "Match to another debunk": the matcher's nearest first (with its confidence), then
    those whose claim or title contains the words (the lexical filter, for names and rare words)."""
    views = [
        _candidate_view(m.debunk, m.probability, claim_language=claim_language)
        for m in checker.search(text, k=SEARCH_RESULTS)
        if m.debunk.id not in exclude
    ]
    shown = exclude | {v.debunk_id for v in views}
    found, _ = checker.store.list_debunks(text=text, limit=SEARCH_RESULTS)
    views += [_candidate_view(d, None, claim_language=claim_language) for d in found if d.id not in shown]
    return views[:SEARCH_RESULTS]


def next_open_item(queue: ReviewQueue, after: int) -> int | None:
    """The highest-priority open item other than `after`: where an editor goes next."""
    following = [other.id for other in queue.page(status="open", limit=2).items if other.id != after]
    return following[0] if following else None


def _item_context(
    queue: ReviewQueue,
    checker: Checker,
    user: User,
    item_id: int,
    *,
    q: str = "",
    notice: str = "",
    error: str = "",
    decided: int | None = None,
) -> ItemContext:
    store = checker.store
    item = queue.get(item_id)
    open_candidates = [c for c in item.candidates if not c.rejected]
    candidate_ids = {c.debunk.id for c in item.candidates}
    results = (
        search_debunks(checker, q.strip(), exclude=candidate_ids, claim_language=item.language)
        if q.strip()
        else []
    )
    if results:
        results[0].show_help = True
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
                    c.debunk,
                    c.probability,
                    claim_language=item.language,
                    rejected=c.rejected,
                    confirmed=c.debunk.id == item.debunk_id,
                ),
                show_help=position == 0,
                shortcuts=c is open_candidates[0] if open_candidates else False,
            )
            for position, c in enumerate(item.candidates)
        ],
        sightings=_sighting_views(item.sightings, show_contact=user.can("editor")),
        history=_history(store.audit_entries(target_type="review_item", target_id=item.id, limit=20)),
        can_decide=user.can("editor") and item.status == "open",
        can_reopen=user.can("editor") and item.status != "open",
        search_q=q,
        search_results=results,
        next_item_id=next_open_item(queue, item.id),
        decided_item_id=decided if decided != item.id else None,
        folded=len(item.text) > FOLD_CHARS,
        language=item.language,
        language_label=language_name(item.language) if item.language != "en" else "",
    )


@router.get("/items/{item_id}")
@router.get("/items/{item_id}.json")
def item_page(
    request: Request,
    item_id: IdPath,
    user: Viewer,
    queue: QueueDep,
    checker: CheckerDep,
    q: Annotated[str, Query(max_length=500)] = "",
    done: Annotated[str, Query(max_length=30)] = "",
    decided: Annotated[int | None, Query()] = None,
) -> Response:
    try:
        context = _item_context(
            queue, checker, user, item_id, q=q, notice=DONE_NOTICES.get(done, ""), decided=decided
        )
    except NotFoundError as error:
        raise PageError(404, str(error)) from None
    return render(request, "item.html", context)


def _decide(
    request: Request,
    queue: ReviewQueue,
    checker: Checker,
    user: User,
    item_id: IdPath,
    action: str,
    decide: Callable[[], object],
) -> Response:
    """Run one decision; on a library error show the item with why. On success go to the next open
    item (the notice links back to this one), or stay when this one is still open (a rejection)."""
    try:
        decide()
    except (ConflictError, NotFoundError, InputError) as error:
        status = 409 if isinstance(error, ConflictError) else 404 if isinstance(error, NotFoundError) else 422
        prefix = "Not saved: someone else got there first. " if status == 409 else "Not saved: "
        try:
            context = _item_context(queue, checker, user, item_id, error=prefix + str(error))
        except NotFoundError:
            raise PageError(404, str(error)) from None
        return render(request, "item.html", context, status=status)
    following = None if queue.get(item_id).status == "open" else next_open_item(queue, item_id)
    if following is None:
        return redirect(f"/editor/items/{item_id}?done={action}")
    return redirect(f"/editor/items/{following}?done={action}&decided={item_id}")


@router.post("/items/{item_id}/confirm")
def confirm(
    request: Request,
    item_id: IdPath,
    user: Editor,
    queue: QueueDep,
    checker: CheckerDep,
    debunk_id: IntForm,
    version: IntForm,
) -> Response:
    def act() -> None:
        queue.confirm(item_id, debunk_id, expected_version=version, actor=user.username)
        checker.index_debunks([debunk_id])

    return _decide(request, queue, checker, user, item_id, "confirm", act)


@router.post("/items/{item_id}/reject")
def reject(
    request: Request,
    item_id: IdPath,
    user: Editor,
    queue: QueueDep,
    checker: CheckerDep,
    debunk_id: IntForm,
    version: IntForm,
) -> Response:
    return _decide(
        request,
        queue,
        checker,
        user,
        item_id,
        "reject",
        lambda: queue.reject(item_id, debunk_id, expected_version=version, actor=user.username),
    )


@router.post("/items/{item_id}/not-checkworthy")
def not_checkworthy(
    request: Request,
    item_id: IdPath,
    user: Editor,
    queue: QueueDep,
    checker: CheckerDep,
    version: IntForm,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _decide(
        request,
        queue,
        checker,
        user,
        item_id,
        "not_checkworthy",
        lambda: queue.mark_not_checkworthy(item_id, expected_version=version, actor=user.username, note=note),
    )


@router.post("/items/{item_id}/reopen")
def reopen(
    request: Request,
    item_id: IdPath,
    user: Editor,
    queue: QueueDep,
    checker: CheckerDep,
    version: IntForm,
) -> Response:
    return _decide(
        request,
        queue,
        checker,
        user,
        item_id,
        "reopen",
        lambda: queue.reopen(item_id, expected_version=version, actor=user.username),
    )
