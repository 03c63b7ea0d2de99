"""Signing in and out: the login form (with its own CSRF cookie, rate limited) and the session cookie."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from api.auth import (
    AccountsDep,
    check_login_csrf,
    clear_session_cookie,
    current_login,
    current_user,
    login_csrf_token,
    set_login_csrf,
    set_session_cookie,
)
from api.limits import RateLimiter
from api.routes.editor.base import (
    DONE_NOTICES,
    SECURITY_HEADERS,
    EditorContext,
    Viewer,
    redirect,
    templates,
)
from factcheck.accounts import AccountLockedError, AuthenticationError

router = APIRouter()

LOGIN_RATE = "10/minute"  # per client address (api.limits); off when Settings.rate_limit is "" (as in tests)


@dataclass(kw_only=True)
class LoginContext(EditorContext):
    next: str = ""
    username: str = ""
    no_users: bool = False


def get_login_limiter(request: Request) -> RateLimiter:
    """Built by `api.routes.editor.install` from the settings."""
    return request.app.state.login_limiter


LoginLimiter = Annotated[RateLimiter, Depends(get_login_limiter)]


def _safe_next(target: str) -> str:
    """Only paths inside the editor: `next` must not send a signed-in editor to another site."""
    if target.startswith("/editor/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/editor/queue"


@router.get("")
def editor_home() -> RedirectResponse:
    return redirect("/editor/queue")


@router.get("/login")
def login_page(request: Request, accounts: AccountsDep, next: str = "", done: str = "") -> Response:
    if current_user(request) is not None:
        return redirect(_safe_next(next))
    token = login_csrf_token(request)
    context = LoginContext(
        title="Sign in",
        next=_safe_next(next) if next else "",
        notice=DONE_NOTICES.get(done, ""),
        no_users=accounts.count_users() == 0,
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
    limiter: LoginLimiter,
    accounts: AccountsDep,
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
        limiter(request)
    except HTTPException:
        context.error = "Too many sign-in attempts from here. Wait a minute and try again."
        return _render_login(request, context, token, status=429)
    try:
        user = accounts.authenticate(username.strip(), password)
    except AccountLockedError as locked:
        context.error = f"Too many failed sign-ins for this account. Try again in {locked.retry_after} s."
        response = _render_login(request, context, token, status=429)
        response.headers["Retry-After"] = str(locked.retry_after)
        return response
    except AuthenticationError as error:
        context.error = f"Not signed in: {error}."
        return _render_login(request, context, token, status=401)
    session = accounts.start_session(user)
    response = redirect(_safe_next(next))
    set_session_cookie(response, request, session, max_age=int(accounts.session_lifetime.total_seconds()))
    response.delete_cookie("factcheck_login_csrf", path="/editor")
    return response


@router.post("/logout")
def logout(request: Request, user: Viewer, accounts: AccountsDep) -> Response:
    login_session = current_login(request)
    if login_session is not None:
        accounts.end_session(login_session.token)
    response = redirect("/editor/login?done=logout")
    clear_session_cookie(response, request)
    return response
