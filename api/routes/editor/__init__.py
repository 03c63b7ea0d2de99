"""The editors' pages under /editor, one module per page family over a small shared base.

base       access (Viewer/Editor/Admin), rendering (HTML or .json), wording shared by pages
login      signing in and out
queue      the review queue
items      one item and the decisions on it
debunks    writing, editing and retiring debunks
dashboard  the last 30 days
users      users and API keys (admins)
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from api.limits import RateLimiter
from api.routes.editor import dashboard, debunks, items, login, queue, users
from api.routes.editor.base import STATIC_DIR, PageError, page_error
from factcheck.settings import Settings

__all__ = ["install", "router"]

router = APIRouter(include_in_schema=False)
for family in (login, queue, items, debunks, dashboard, users):
    router.include_router(family.router, prefix="/editor")


def install(app: FastAPI, settings: Settings) -> None:
    """What the pages need besides their routes: static files, HTML error pages, the login limiter."""
    app.mount("/editor/static", StaticFiles(directory=str(STATIC_DIR)), name="editor-static")
    app.add_exception_handler(PageError, page_error)
    app.state.login_limiter = RateLimiter(
        login.LOGIN_RATE if settings.rate_limit else "", scope="login", storage=settings.rate_limit_storage
    )
