"""The editors' pages under /editor: sign in, the review queue, one item, debunks, dashboard, users.

Every page is built from a context dataclass (below) and rendered with a template from
api/templates/, or returned as JSON when the path ends in `.json` (same data, same access rules).
Routes parse the form, call one ReviewQueue / Store / Accounts method and redirect (POST, then GET),
so reloading a page never repeats a decision. The decisions themselves live in factcheck.review.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, Form, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from api.auth import (
    CSRF_FIELD,
    check_csrf,
    check_login_csrf,
    clear_session_cookie,
    current_login,
    current_user,
    get_accounts,
    login_csrf_token,
    set_login_csrf,
    set_session_cookie,
)
from api.limits import RateLimiter
from factcheck.accounts import ROLES, ApiKey, AuthenticationError, User
from factcheck.errors import ConflictError, FactcheckError, InputError, NotFoundError
from factcheck.review import REVIEW_STATUSES, Dashboard, ReviewItem, ReviewQueue, Sighting
from factcheck.store import AuditEntry
from factcheck.types import RATING_LABELS, Debunk, Report

__all__ = ["install", "router"]

logger = logging.getLogger("api.editor")

HERE = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = HERE / "templates"
STATIC_DIR = HERE / "static"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

router = APIRouter(prefix="/editor", include_in_schema=False)

# No inline scripts or styles and nothing from other hosts: the pages work offline and an injected
# <script> would not run. Inline <svg> is markup, not script, so the dashboard chart is allowed.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
STATUS_LABELS = {
    "open": "Open",
    "confirmed": "Confirmed match",
    "new_debunk": "New debunk written",
    "not_checkworthy": "Not check-worthy",
}
ORIGIN_LABELS = {"api": "API check", "reader": "Reader report", "feed": "Feed", "extension": "Extension"}
DONE_NOTICES = {
    "confirm": "Confirmed. The claim's wordings are now variants of the debunk, so the checker labels them debunked.",
    "reject": "Rejected. This debunk will not be suggested for this claim again.",
    "not_checkworthy": "Marked not check-worthy. Later sightings are counted but not queued.",
    "new_debunk": "New debunk written. The claim's wordings are its variants.",
    "reopen": "Reopened: the item is back in the queue.",
    "saved": "Debunk saved.",
    "retired": "Debunk retired: it is no longer matched or listed.",
    "login": "Signed in.",
    "logout": "Signed out.",
}
PAGE_SIZE = 25
LOGIN_RATE = "10/minute"  # per client address; off when Settings.rate_limit is "" (as in tests)


# --- page contexts -------------------------------------------------------------------------------


@dataclass(kw_only=True)
class UserView:
    username: str
    name: str
    role: str
    can_edit: bool
    is_admin: bool

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(
            username=user.username,
            name=user.name,
            role=user.role,
            can_edit=user.can("editor"),
            is_admin=user.can("admin"),
        )


@dataclass(kw_only=True)
class EditorContext:
    """What every page has: its title, who is signed in, and a message to show at the top.

    `notice` reports what the last action did; `error` says why it did not happen.
    """

    title: str
    user: UserView | None = None
    notice: str = ""
    error: str = ""


@dataclass(kw_only=True)
class LoginContext(EditorContext):
    next: str = ""
    username: str = ""
    no_users: bool = False


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


@dataclass(kw_only=True)
class DebunkFormContext(EditorContext):
    """The ClaimReview fields of a debunk being written (from an item) or edited."""

    action_url: str
    values: dict[str, str]
    labels: list[str]
    debunk_id: int | None = None
    version: int | None = None
    item_id: int | None = None
    item_version: int | None = None
    retired: bool = False


@dataclass(kw_only=True)
class ChartSeries:
    name: str
    css_class: str
    points: str  # SVG polyline points, "x,y x,y ..."
    total: int
    values: list[int]


@dataclass(kw_only=True)
class DashboardContext(EditorContext):
    """Daily counts for the last 30 days as an inline SVG chart (and a table), and the top claims."""

    days: list[str]
    series: list[ChartSeries]
    chart_width: int
    chart_height: int
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, str]]
    top_claims: list[QueueRow]
    open_items: int
    status_counts: dict[str, int]


@dataclass(kw_only=True)
class UsersContext(EditorContext):
    users: list[dict[str, Any]]
    api_keys: list[dict[str, Any]]
    roles: list[str]
    new_key: str = ""
    new_key_owner: str = ""


# --- errors, access, rendering -------------------------------------------------------------------


class PageError(Exception):
    """An error to show as a page (not JSON): 403 for a viewer's change, 404 for a missing item..."""

    def __init__(self, status: int, message: str, *, redirect: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.redirect = redirect


def _wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json")


def page_user(role: str) -> Callable[[Request], Any]:
    """A dependency for pages: the signed-in user with `role`; changes must carry the CSRF token."""

    async def dependency(request: Request) -> User:
        user = await run_in_threadpool(current_user, request)
        if user is None:
            if _wants_json(request):
                raise HTTPException(401, "sign in or send an API key", {"WWW-Authenticate": "Bearer"})
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            if request.method != "GET":  # a form sent after the login expired: its target has no page
                target = "/editor/queue"
            raise PageError(303, "sign in first", redirect=f"/editor/login?next={quote(target)}")
        if not user.can(role):
            raise PageError(
                403,
                f"Your account ({user.username}) is a {user.role}; this needs the {role} role. Nothing was changed.",
            )
        if request.method == "POST" and getattr(request.state, "auth_method", "") == "session":
            form = await request.form()
            token = form.get(CSRF_FIELD)
            try:
                check_csrf(request, token if isinstance(token, str) else None)
            except HTTPException as error:
                raise PageError(403, f"Refused: {error.detail}. Nothing was changed.") from None
        return user

    return dependency


Viewer = Annotated[User, Depends(page_user("viewer"))]
Editor = Annotated[User, Depends(page_user("editor"))]
Admin = Annotated[User, Depends(page_user("admin"))]


def _queue(request: Request) -> ReviewQueue:
    return ReviewQueue(request.app.state.checker.store)


def render(request: Request, template: str, context: EditorContext, *, status: int = 200) -> Response:
    """The page as HTML, or its context as JSON when the path ends in .json."""
    if _wants_json(request):
        return JSONResponse(
            jsonable_encoder(context), status_code=status, headers={"Cache-Control": "no-store"}
        )
    login = current_login(request)
    response = templates.TemplateResponse(
        request,
        template,
        {"page": context, "csrf_token": login.csrf_token if login else ""},
        status_code=status,
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


async def _page_error(request: Request, error: Exception) -> Response:
    if not isinstance(error, PageError):  # registered for PageError only
        raise error
    if error.redirect:
        return _redirect(error.redirect)
    user = getattr(request.state, "user", None)
    context = EditorContext(
        title="Not allowed" if error.status == 403 else "Not found" if error.status == 404 else "Error",
        user=UserView.of(user) if isinstance(user, User) else None,
        error=error.message,
    )
    return render(request, "error.html", context, status=error.status)


def install(app: FastAPI) -> None:
    """The editor's static files, its error pages, and the hook that queues needs_review claims."""
    app.mount("/editor/static", StaticFiles(directory=str(STATIC_DIR)), name="editor-static")
    app.add_exception_handler(PageError, _page_error)
    settings = app.state.settings
    app.state.login_limiter = RateLimiter(
        LOGIN_RATE if settings.rate_limit else "", scope="login", storage=settings.rate_limit_storage
    )
    if getattr(app.state, "on_report", None) is None:

        def flag_for_review(report: Report, source_url: str) -> None:
            # Queueing must never cost the reader their answer: log and go on.
            try:
                ReviewQueue(app.state.checker.store).flag_report(report, origin="api", source_url=source_url)
            except Exception:
                logger.exception("could not queue needs_review claims")

        app.state.on_report = flag_for_review


def _reindex(request: Request, debunk_ids: list[int]) -> None:
    """Let the matcher see new variants and edits at once (Checker.index_debunks, when present)."""
    index = getattr(request.app.state.checker, "index_debunks", None)
    if index is not None and debunk_ids:
        index(debunk_ids)


# --- formatting (decisions about wording happen here, not in templates) --------------------------


def _ago(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return ""
    now = now or datetime.now(UTC)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def _percent_or_none(score: float) -> int | None:
    """Reader reports carry no check-worthiness score; show none rather than 0%."""
    return round(score * 100) if score > 0 else None


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
            origin=_origin_label(s.origin),
            source_url=s.source_url,
            before=before,
            claim=claim,
            after=after,
            comment=s.comment,
            reporter=s.reporter,
            seen=_ago(s.seen_at),
        )
    return list(views.values())


def _origin_label(origin: str) -> str:
    return ORIGIN_LABELS.get(origin, origin.replace("_", " ").capitalize())


def _queue_row(item: ReviewItem) -> QueueRow:
    top = item.open_candidates[0] if item.open_candidates else None
    return QueueRow(
        id=item.id,
        text=item.text,
        status=item.status,
        status_label=STATUS_LABELS[item.status],
        seen_count=item.seen_count,
        wordings=item.wordings,
        origins=[_origin_label(origin) for origin in item.origins],
        checkworthiness_percent=_percent_or_none(item.checkworthiness),
        last_seen=_ago(item.last_seen_at),
        top_candidate=top.debunk.claim_reviewed if top else "",
        top_confidence_percent=round(top.probability * 100) if top else None,
        source_url=item.sightings[0].source_url if item.sightings else "",
    )


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


# --- signing in and out ----------------------------------------------------------------------------


def _safe_next(target: str) -> str:
    """Only paths inside the editor: `next` must not send a signed-in editor to another site."""
    if target.startswith("/editor/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/editor/queue"


@router.get("")
def editor_home() -> RedirectResponse:
    return _redirect("/editor/queue")


@router.get("/login")
def login_page(request: Request, next: str = "", done: str = "") -> Response:
    if current_user(request) is not None:
        return _redirect(_safe_next(next))
    token = login_csrf_token(request)
    context = LoginContext(
        title="Sign in",
        next=_safe_next(next) if next else "",
        notice=DONE_NOTICES.get(done, ""),
        no_users=get_accounts(request).count_users() == 0,
    )
    response = _render_login(request, context, token)
    return response


def _render_login(request: Request, context: LoginContext, token: str, *, status: int = 200) -> Response:
    response = templates.TemplateResponse(
        request, "login.html", {"page": context, "csrf_token": token}, status_code=status
    )
    response.headers.update(SECURITY_HEADERS)
    set_login_csrf(response, request, token)
    return response


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=100)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    token = login_csrf_token(request)
    context = LoginContext(title="Sign in", next=next, username=username)
    if not check_login_csrf(request, csrf_token):
        context.error = "The sign-in form expired (or cookies are blocked). Please try again."
        return _render_login(request, context, token, status=403)
    try:
        request.app.state.login_limiter(request)
    except HTTPException:
        context.error = "Too many sign-in attempts from here. Wait a minute and try again."
        return _render_login(request, context, token, status=429)
    accounts = get_accounts(request)
    try:
        user = accounts.authenticate(username.strip(), password)
    except AuthenticationError as error:
        context.error = f"Not signed in: {error}."
        return _render_login(request, context, token, status=401)
    session = accounts.start_session(user)
    response = _redirect(_safe_next(next))
    set_session_cookie(response, request, session, max_age=int(accounts.session_lifetime.total_seconds()))
    response.delete_cookie("factcheck_login_csrf", path="/editor")
    return response


@router.post("/logout")
def logout(request: Request, user: Viewer) -> Response:
    login_session = current_login(request)
    if login_session is not None:
        get_accounts(request).end_session(login_session.token)
    response = _redirect("/editor/login?done=logout")
    clear_session_cookie(response, request)
    return response


# --- the queue ------------------------------------------------------------------------------------


@router.get("/queue")
@router.get("/queue.json")
def queue_page(
    request: Request,
    user: Viewer,
    status: Annotated[str, Query(max_length=30)] = "open",
    origin: Annotated[str, Query(max_length=100)] = "",
    q: Annotated[str, Query(max_length=500)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    status = status if status in (*REVIEW_STATUSES, "all") else "open"
    result = _queue(request).page(
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
        rows=[_queue_row(item) for item in result.items],
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


# --- one item --------------------------------------------------------------------------------------


def _item_context(
    request: Request, user: User, item_id: int, *, q: str = "", notice: str = "", error: str = ""
) -> ItemContext:
    queue = _queue(request)
    item = queue.get(item_id)
    store = request.app.state.checker.store
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
        origins=[_origin_label(origin) for origin in item.origins],
        checkworthiness_percent=_percent_or_none(item.checkworthiness),
        first_seen=_ago(item.first_seen_at),
        last_seen=_ago(item.last_seen_at),
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
    q: Annotated[str, Query(max_length=500)] = "",
    done: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    try:
        context = _item_context(request, user, item_id, q=q, notice=DONE_NOTICES.get(done, ""))
    except NotFoundError as error:
        raise PageError(404, str(error)) from None
    return render(request, "item.html", context)


def _decide(
    request: Request, user: User, item_id: int, action: str, decide: Callable[[], object]
) -> Response:
    """Run one decision; on success redirect to the item, on a library error show the item with why."""
    try:
        decide()
    except (ConflictError, NotFoundError, InputError) as error:
        status = 409 if isinstance(error, ConflictError) else 404 if isinstance(error, NotFoundError) else 422
        prefix = "Not saved: someone else got there first. " if status == 409 else "Not saved: "
        try:
            context = _item_context(request, user, item_id, error=prefix + str(error))
        except NotFoundError:
            raise PageError(404, str(error)) from None
        return render(request, "item.html", context, status=status)
    return _redirect(f"/editor/items/{item_id}?done={action}")


@router.post("/items/{item_id}/confirm")
def confirm(
    request: Request,
    item_id: int,
    user: Editor,
    debunk_id: Annotated[int, Form()],
    version: Annotated[int, Form()],
) -> Response:
    def act() -> None:
        _queue(request).confirm(item_id, debunk_id, expected_version=version, actor=user.username)
        _reindex(request, [debunk_id])

    return _decide(request, user, item_id, "confirm", act)


@router.post("/items/{item_id}/reject")
def reject(
    request: Request,
    item_id: int,
    user: Editor,
    debunk_id: Annotated[int, Form()],
    version: Annotated[int, Form()],
) -> Response:
    return _decide(
        request,
        user,
        item_id,
        "reject",
        lambda: _queue(request).reject(item_id, debunk_id, expected_version=version, actor=user.username),
    )


@router.post("/items/{item_id}/not-checkworthy")
def not_checkworthy(
    request: Request,
    item_id: int,
    user: Editor,
    version: Annotated[int, Form()],
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    return _decide(
        request,
        user,
        item_id,
        "not_checkworthy",
        lambda: _queue(request).mark_not_checkworthy(
            item_id, expected_version=version, actor=user.username, note=note
        ),
    )


@router.post("/items/{item_id}/reopen")
def reopen(request: Request, item_id: int, user: Editor, version: Annotated[int, Form()]) -> Response:
    return _decide(
        request,
        user,
        item_id,
        "reopen",
        lambda: _queue(request).reopen(item_id, expected_version=version, actor=user.username),
    )


# --- writing and editing debunks -------------------------------------------------------------------

DEBUNK_FIELDS = (
    "claim_reviewed", "label", "rating_text", "reviewer_name", "reviewer_site", "review_url", "review_date",
    "claimant", "claim_date", "language", "title", "explanation", "tags", "appearance_urls", "variants",
)  # fmt: skip
_LINES = ("appearance_urls", "variants")


def _form_values(debunk: Debunk) -> dict[str, str]:
    values = {}
    for name in DEBUNK_FIELDS:
        value = getattr(debunk, name)
        if name in _LINES:
            values[name] = "\n".join(value)
        elif name == "tags":
            values[name] = ", ".join(value)
        else:
            values[name] = "" if value is None else str(value)
    return values


def _parse_debunk_form(form: dict[str, str]) -> dict[str, Any]:
    """Form strings -> Debunk field values; InputError names the field that cannot be read."""
    parsed: dict[str, Any] = {}
    for name in DEBUNK_FIELDS:
        raw = form.get(name, "").strip()
        if name in _LINES:
            parsed[name] = tuple(line.strip() for line in raw.splitlines() if line.strip())
        elif name == "tags":
            parsed[name] = tuple(tag.strip() for tag in raw.split(",") if tag.strip())
        elif name in ("review_date", "claim_date"):
            try:
                parsed[name] = date.fromisoformat(raw) if raw else None
            except ValueError:
                raise InputError(
                    f"{name.replace('_', ' ')} must be a date like 2024-05-31, not {raw!r}"
                ) from None
        else:
            parsed[name] = raw
    if parsed["label"] not in RATING_LABELS:
        raise InputError(f"label must be one of {', '.join(RATING_LABELS)}")
    if not parsed["claim_reviewed"]:
        raise InputError("the claim reviewed is empty")
    parsed["language"] = parsed["language"] or "en"
    return parsed


async def _debunk_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, ""))[:20_000] for name in DEBUNK_FIELDS}


DebunkForm = Annotated[dict[str, str], Depends(_debunk_form)]


@router.get("/items/{item_id}/new-debunk")
def new_debunk_page(request: Request, item_id: int, user: Editor) -> Response:
    item = _queue(request).get(item_id)
    draft = Debunk(claim_reviewed=item.text, label="false", reviewer_name="", variants=())
    context = DebunkFormContext(
        title=f"New debunk from item {item.id}",
        user=UserView.of(user),
        action_url=f"/editor/items/{item.id}/new-debunk",
        values=_form_values(draft),
        labels=list(RATING_LABELS),
        item_id=item.id,
        item_version=item.version,
    )
    return render(request, "debunk_form.html", context)


@router.post("/items/{item_id}/new-debunk")
def create_debunk(
    request: Request, item_id: int, user: Editor, form: DebunkForm, item_version: Annotated[int, Form()]
) -> Response:
    try:
        draft = Debunk(**_parse_debunk_form(form))
        _, created = _queue(request).create_debunk(
            item_id, draft, expected_version=item_version, actor=user.username
        )
    except (FactcheckError, TypeError) as error:
        context = DebunkFormContext(
            title=f"New debunk from item {item_id}",
            user=UserView.of(user),
            error=f"Not saved: {error}",
            action_url=f"/editor/items/{item_id}/new-debunk",
            values=form,
            labels=list(RATING_LABELS),
            item_id=item_id,
            item_version=item_version,
        )
        return render(
            request, "debunk_form.html", context, status=409 if isinstance(error, ConflictError) else 422
        )
    _reindex(request, [created.id or 0])
    return _redirect(f"/editor/items/{item_id}?done=new_debunk")


def _edit_context(
    user: User, debunk: Debunk, *, values: dict[str, str] | None = None, **extra: Any
) -> DebunkFormContext:
    return DebunkFormContext(
        title=f"Edit debunk {debunk.id}",
        user=UserView.of(user),
        action_url=f"/editor/debunks/{debunk.id}/edit",
        values=values or _form_values(debunk),
        labels=list(RATING_LABELS),
        debunk_id=debunk.id,
        version=debunk.version,
        retired=debunk.retired,
        **extra,
    )


@router.get("/debunks/{debunk_id}/edit")
@router.get("/debunks/{debunk_id}/edit.json")
def edit_debunk_page(
    request: Request, debunk_id: int, user: Viewer, done: Annotated[str, Query(max_length=30)] = ""
) -> Response:
    try:
        debunk = request.app.state.checker.store.get(debunk_id)
    except NotFoundError as error:
        raise PageError(404, str(error)) from None
    return render(request, "debunk_form.html", _edit_context(user, debunk, notice=DONE_NOTICES.get(done, "")))


@router.post("/debunks/{debunk_id}/edit")
def edit_debunk(
    request: Request, debunk_id: int, user: Editor, form: DebunkForm, version: Annotated[int, Form()]
) -> Response:
    store = request.app.state.checker.store
    try:
        store.update_debunk(
            debunk_id, _parse_debunk_form(form), expected_version=version, actor=user.username
        )
    except (ConflictError, InputError) as error:
        current = store.get(debunk_id)
        context = _edit_context(user, current, values=form, error=f"Not saved: {error}")
        context.version = version  # keep the version the editor saw, so saving again is still checked
        return render(
            request, "debunk_form.html", context, status=409 if isinstance(error, ConflictError) else 422
        )
    _reindex(request, [debunk_id])
    return _redirect(f"/editor/debunks/{debunk_id}/edit?done=saved")


@router.post("/debunks/{debunk_id}/retire")
def retire_debunk(
    request: Request, debunk_id: int, user: Editor, version: Annotated[int, Form()]
) -> Response:
    store = request.app.state.checker.store
    try:
        store.retire_debunk(debunk_id, expected_version=version, actor=user.username)
    except ConflictError as error:
        context = _edit_context(user, store.get(debunk_id), error=f"Not retired: {error}")
        return render(request, "debunk_form.html", context, status=409)
    _reindex(request, [debunk_id])
    return _redirect(f"/editor/debunks/{debunk_id}/edit?done=retired")


# --- dashboard ------------------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 720, 220, 32


def _chart(board: Dashboard) -> tuple[list[ChartSeries], list[tuple[float, int]], list[tuple[float, str]]]:
    """Polyline points for each series, y ticks and x labels, in SVG user units."""
    peak = max([1, *board.flagged, *board.confirmed, *board.new_debunks])
    step = 10 ** max(0, len(str(peak)) - 1)
    top = math.ceil(peak / step) * step
    width, height = CHART_WIDTH - 2 * CHART_PAD, CHART_HEIGHT - 2 * CHART_PAD
    count = max(1, len(board.days) - 1)

    def x(index: int) -> float:
        return round(CHART_PAD + width * index / count, 1)

    def y(value: int) -> float:
        return round(CHART_PAD + height * (1 - value / top), 1)

    series = [
        ChartSeries(
            name=name,
            css_class=css,
            points=" ".join(f"{x(i)},{y(v)}" for i, v in enumerate(values)),
            total=sum(values),
            values=list(values),
        )
        for name, css, values in (
            ("Flagged", "flagged", board.flagged),
            ("Confirmed", "confirmed", board.confirmed),
            ("New debunks", "new-debunks", board.new_debunks),
        )
    ]
    y_ticks = [(y(v), v) for v in sorted({0, top // 2, top})]
    x_ticks = [
        (x(i), day.strftime("%b %d"))
        for i, day in enumerate(board.days)
        if i % 7 == (len(board.days) - 1) % 7
    ]
    return series, y_ticks, x_ticks


@router.get("/dashboard")
@router.get("/dashboard.json")
def dashboard_page(request: Request, user: Viewer) -> Response:
    board = _queue(request).dashboard(days=30)
    series, y_ticks, x_ticks = _chart(board)
    context = DashboardContext(
        title="Dashboard",
        user=UserView.of(user),
        days=[day.isoformat() for day in board.days],
        series=series,
        chart_width=CHART_WIDTH,
        chart_height=CHART_HEIGHT,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        top_claims=[_queue_row(item) for item in board.top_claims],
        open_items=board.open_items,
        status_counts={STATUS_LABELS.get(k, k): v for k, v in board.status_counts.items()},
    )
    return render(request, "dashboard.html", context)


# --- users and API keys (admins) -------------------------------------------------------------------


def _key_view(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "username": key.username,
        "name": key.name,
        "prefix": key.prefix,
        "created": _ago(key.created_at),
        "last_used": _ago(key.last_used_at) or "never",
        "active": key.active,
    }


def _users_context(request: Request, user: User, **extra: Any) -> UsersContext:
    accounts = get_accounts(request)
    return UsersContext(
        title="Users and API keys",
        user=UserView.of(user),
        users=[
            {
                "username": u.username,
                "name": u.display_name,
                "role": u.role,
                "disabled": u.disabled,
                "last_login": _ago(u.last_login_at) or "never",
                "is_self": u.username == user.username,
            }
            for u in accounts.list_users()
        ],
        api_keys=[_key_view(k) for k in accounts.list_api_keys()],
        roles=list(ROLES),
        **extra,
    )


@router.get("/users")
@router.get("/users.json")
def users_page(request: Request, user: Admin, done: Annotated[str, Query(max_length=30)] = "") -> Response:
    notice = {"added": "User added.", "changed": "User changed.", "revoked": "API key revoked."}.get(done, "")
    return render(request, "users.html", _users_context(request, user, notice=notice))


def _admin_action(
    request: Request, user: User, done: str, action: Callable[[], object], *, not_on_yourself: str = ""
) -> Response:
    """Run an admin's change and show the users page; `not_on_yourself` is the refusal when the target
    account (the path's `username`) is the admin's own."""
    if not_on_yourself and request.path_params.get("username") == user.username:
        return render(request, "users.html", _users_context(request, user, error=not_on_yourself), status=422)
    try:
        action()
    except FactcheckError as error:
        status = 409 if isinstance(error, ConflictError) else 404 if isinstance(error, NotFoundError) else 422
        return render(
            request, "users.html", _users_context(request, user, error=f"Not done: {error}"), status=status
        )
    return _redirect(f"/editor/users?done={done}")


@router.post("/users")
def add_user(
    request: Request,
    user: Admin,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1024)],
    role: Annotated[str, Form(max_length=20)] = "editor",
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    accounts = get_accounts(request)
    return _admin_action(
        request,
        user,
        "added",
        lambda: accounts.add_user(
            username.strip(), password, role=role, display_name=display_name, actor=user.username
        ),
    )


@router.post("/users/{username}/role")
def change_role(
    request: Request, username: str, user: Admin, role: Annotated[str, Form(max_length=20)]
) -> Response:
    accounts = get_accounts(request)
    return _admin_action(
        request,
        user,
        "changed",
        lambda: accounts.set_role(username, role, actor=user.username),
        not_on_yourself="You cannot change your own role.",
    )


@router.post("/users/{username}/disable")
def disable_user(request: Request, username: str, user: Admin) -> Response:
    accounts = get_accounts(request)
    return _admin_action(
        request,
        user,
        "changed",
        lambda: accounts.disable_user(username, actor=user.username),
        not_on_yourself="You cannot disable yourself.",
    )


@router.post("/users/{username}/enable")
def enable_user(request: Request, username: str, user: Admin) -> Response:
    accounts = get_accounts(request)
    return _admin_action(
        request, user, "changed", lambda: accounts.enable_user(username, actor=user.username)
    )


@router.post("/apikeys")
def create_api_key(
    request: Request,
    user: Admin,
    username: Annotated[str, Form(max_length=100)],
    name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Shown once: the key is in this response only (no redirect, not cached), never stored in clear."""
    try:
        key, secret = get_accounts(request).create_api_key(username, name=name, actor=user.username)
    except FactcheckError as error:
        return render(
            request, "users.html", _users_context(request, user, error=f"Not done: {error}"), status=404
        )
    context = _users_context(
        request,
        user,
        new_key=secret,
        new_key_owner=key.username,
        notice=f"API key {key.id} created for {key.username}. Copy it now: it is shown only this once.",
    )
    return render(request, "users.html", context, status=201)


@router.post("/apikeys/{key_id}/revoke")
def revoke_api_key(request: Request, key_id: int, user: Admin) -> Response:
    accounts = get_accounts(request)
    return _admin_action(
        request, user, "revoked", lambda: accounts.revoke_api_key(key_id, actor=user.username)
    )
