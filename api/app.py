"""`create_app`: the FastAPI app around one Checker, built at startup or handed in by tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from api.errors import install_error_handlers
from api.limits import BodySizeLimit, RateLimiter
from api.observability import Metrics, configure_logging, install_observability
from api.routes import check, debunks, editor, health, reports
from factcheck.pipeline import Checker
from factcheck.settings import Settings


def create_app(*, settings: Settings | None = None, checker: Checker | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.checker is None:
            serving = settings.model_copy(update={"matcher_profile": settings.api_matcher_profile})
            app.state.checker = await run_in_threadpool(Checker.from_settings, serving)
        yield

    app = FastAPI(
        title="factcheck",
        version="1",
        description="Finds claims in a text, page, URL or email and returns the known debunks beside them.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.checker = checker
    app.state.metrics = Metrics()
    install_error_handlers(app)
    install_observability(app, app.state.metrics)
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=settings.cors_origin_regex,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Request-ID"],
        expose_headers=["X-Request-ID", "Retry-After"],
    )
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        return Response(generate_latest(app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def limited(scope: str) -> list[Any]:
        return [Depends(RateLimiter(settings.rate_limit, scope=scope, storage=settings.rate_limit_storage))]

    app.include_router(health.router)
    app.include_router(check.router, dependencies=limited("check"))
    app.include_router(debunks.router)
    app.include_router(reports.router, dependencies=limited("reports"))
    app.include_router(editor.router)
    editor.install(app)  # static files, HTML error pages, queueing of needs_review claims
    return app
