"""`create_app`: the FastAPI app around one Checker, built at startup or handed in by tests."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

from api.errors import install_error_handlers
from api.routes import debunks, health
from factcheck.pipeline import Checker
from factcheck.settings import Settings


def create_app(*, settings: Settings | None = None, checker: Checker | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.checker is None:
            app.state.checker = await run_in_threadpool(Checker.from_settings, settings)
        yield

    app = FastAPI(
        title="factcheck",
        version="1",
        description="Finds claims in a text, page, URL or email and returns the known debunks beside them.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.checker = checker
    install_error_handlers(app)

    @app.middleware("http")
    async def request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    app.include_router(health.router)
    app.include_router(debunks.router)
    return app
