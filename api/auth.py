"""Who is asking: API keys for programs, session cookies (with CSRF tokens) for editors' browsers.

    current_user(request)         the User behind an API key or a session cookie, or None
    require_role("editor")        a dependency: that User with at least the role, else 401 / 403
    check_csrf(request, token)    a cookie-authenticated change must carry its session's CSRF token

Programs send `Authorization: Bearer <key>` or `X-API-Key: <key>`; they need no CSRF token because
a browser never adds those headers on its own. A browser session sends its CSRF token in the form
field `csrf_token` or, for scripts in the page, in the `X-CSRF-Token` header.

The session cookie is HttpOnly and SameSite=Lax; it is Secure when `Settings.cookie_secure` says so,
or, when that is unset, when the request came over https (behind a TLS proxy, run uvicorn with
--proxy-headers so the scheme is right).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from api.deps import get_checker
from factcheck.accounts import Accounts, LoginSession, User, role_at_least

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "AccountsDep",
    "check_csrf",
    "check_login_csrf",
    "clear_session_cookie",
    "current_login",
    "current_user",
    "get_accounts",
    "login_csrf_token",
    "require_role",
    "set_login_csrf",
    "set_session_cookie",
]

SESSION_COOKIE = "factcheck_session"
CSRF_COOKIE = "factcheck_login_csrf"  # before login there is no session; the login form double-submits this
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_UNSET = object()


def get_accounts(request: Request) -> Accounts:
    """One Accounts per app (its argon2 hasher is built once), over the Checker's database."""
    store = get_checker(request).store
    accounts = getattr(request.app.state, "accounts", None)
    if accounts is None or accounts.store is not store:
        accounts = Accounts(store)
        request.app.state.accounts = accounts
    return accounts


AccountsDep = Annotated[Accounts, Depends(get_accounts)]


def _api_key(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-api-key", "").strip()


def current_login(request: Request) -> LoginSession | None:
    """The browser login behind the session cookie (cached on the request)."""
    cached = getattr(request.state, "login", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    token = request.cookies.get(SESSION_COOKIE, "")
    login = get_accounts(request).session_for(token) if token else None
    request.state.login = login
    return login


def current_user(request: Request) -> User | None:
    """The caller: an API key's owner, else the logged-in editor, else None (cached on the request)."""
    cached = getattr(request.state, "user", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    key = _api_key(request)
    if key:
        user = get_accounts(request).user_for_api_key(key)
        request.state.auth_method = "api_key" if user else None
    else:
        login = current_login(request)
        user = login.user if login else None
        request.state.auth_method = "session" if user else None
    request.state.user = user
    return user


def check_csrf(request: Request, submitted: str | None) -> None:
    """403 unless `submitted` (or the X-CSRF-Token header) is the CSRF token of the caller's session."""
    login = current_login(request)
    given = submitted or request.headers.get(CSRF_HEADER, "")
    if login is None or not given or not hmac.compare_digest(given, login.csrf_token):
        raise HTTPException(
            403, "the form's security token is missing or out of date; reload the page and try again"
        )


def require_role(role: str) -> Callable[[Request], object]:
    """A dependency: the caller if they have at least `role`; 401 when anonymous, 403 when not allowed.

    A change (POST, PUT, PATCH, DELETE) made with a session cookie must also carry the session's CSRF
    token; one made with an API key need not.

        @router.post("", dependencies=[Depends(require_role("editor"))])
    """
    role_at_least(role, role)  # an unknown role fails here, when the route is declared

    async def dependency(request: Request) -> User:
        user = await run_in_threadpool(current_user, request)
        if user is None:
            raise HTTPException(
                401, "sign in or send an API key (Authorization: Bearer KEY)", {"WWW-Authenticate": "Bearer"}
            )
        if not user.can(role):
            raise HTTPException(403, f"this needs the {role} role; {user.username} is {user.role}")
        if request.method not in _SAFE_METHODS and request.state.auth_method == "session":
            form_token = None
            if request.headers.get("content-type", "").startswith(
                ("application/x-www-form-urlencoded", "multipart/form-data")
            ):
                form: FormData = await request.form()
                value = form.get(CSRF_FIELD)
                form_token = value if isinstance(value, str) else None
            check_csrf(request, form_token)
        return user

    return dependency


def cookie_secure(request: Request) -> bool:
    configured = getattr(request.app.state.settings, "cookie_secure", None)
    return bool(configured) if configured is not None else request.url.scheme == "https"


def set_session_cookie(response: Response, request: Request, login: LoginSession, *, max_age: int) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        login.token,
        max_age=max_age,
        httponly=True,
        samesite="lax",
        secure=cookie_secure(request),
        path="/",
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=cookie_secure(request)
    )


def login_csrf_token(request: Request) -> str:
    """The login form's token: the pre-login cookie's value, or a new one (set it with set_login_csrf)."""
    return request.cookies.get(CSRF_COOKIE, "") or secrets.token_urlsafe(32)


def set_login_csrf(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_secure(request), path="/editor"
    )


def check_login_csrf(request: Request, submitted: str) -> bool:
    expected = request.cookies.get(CSRF_COOKIE, "")
    return bool(expected and submitted) and hmac.compare_digest(expected, submitted)
