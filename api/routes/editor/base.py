"""What every editor page shares: who may see it, how it is rendered, and how its words are chosen.

Every page is built from a context dataclass and rendered with a template from api/templates/, or
returned as JSON when the path ends in `.json` (same data, same access rules).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from api.auth import CSRF_FIELD, check_csrf, current_login, current_user
from factcheck.accounts import User

API_DIR = Path(__file__).resolve().parents[2]  # api/: the templates and static files are its own
TEMPLATES_DIR = API_DIR / "templates"
STATIC_DIR = API_DIR / "static"
templates = Jinja2Templates(directory=str(TEMPLATES_DIR))

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
# Short labels for a status badge. factcheck.review words the same statuses as verb phrases for its
# error sentences ("is already confirmed as a match"): two wordings for two uses, both keyed by
# REVIEW_STATUSES (tests/test_review_web.py checks every status has its label).
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


class PageError(Exception):
    """An error to show as a page (not JSON): 403 for a viewer's change, 404 for a missing item..."""

    def __init__(self, status: int, message: str, *, redirect: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.redirect = redirect


def wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json")


def page_user(role: str) -> Callable[[Request], Any]:
    """A dependency for pages: the signed-in user with `role`; changes must carry the CSRF token."""

    async def dependency(request: Request) -> User:
        user = await run_in_threadpool(current_user, request)
        if user is None:
            if wants_json(request):
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


def render(request: Request, template: str, context: EditorContext, *, status: int = 200) -> Response:
    """The page as HTML, or its context as JSON when the path ends in .json."""
    if wants_json(request):
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


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


async def page_error(request: Request, error: Exception) -> Response:
    if not isinstance(error, PageError):  # registered for PageError only
        raise error
    if error.redirect:
        return redirect(error.redirect)
    user = getattr(request.state, "user", None)
    context = EditorContext(
        title="Not allowed" if error.status == 403 else "Not found" if error.status == 404 else "Error",
        user=UserView.of(user) if isinstance(user, User) else None,
        error=error.message,
    )
    return render(request, "error.html", context, status=error.status)


# --- formatting (decisions about wording happen here, not in templates) --------------------------


def ago(moment: datetime | None, now: datetime | None = None) -> str:
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


def percent_or_none(score: float) -> int | None:
    """Reader reports carry no check-worthiness score; show none rather than 0%."""
    return round(score * 100) if score > 0 else None


def origin_label(origin: str) -> str:
    return ORIGIN_LABELS.get(origin, origin.replace("_", " ").capitalize())
