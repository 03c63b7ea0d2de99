"""`create_app`: the FastAPI app around one Checker, built at startup or handed in by tests.

This is where the edges are wired: the Checker gets the editors' rejections, and each check's
needs_review claims go to the review queue (the check path itself knows nothing of the queue).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import Depends, FastAPI, Response
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool

from api.auth import require_role
from api.deps import CLIENT_HEADER, ReportHook
from api.errors import install_error_handlers
from api.limits import BodySizeLimit, RateLimiter, SentenceBudget
from api.observability import Metrics, configure_logging, install_observability
from api.routes import check, debunks, editor, health, reports
from factcheck.pipeline import Checker, RejectionCheck
from factcheck.review import ReviewQueue
from factcheck.settings import Settings
from factcheck.store import Store
from factcheck.types import Report

logger = logging.getLogger("api")


def _rejections(store: Store) -> RejectionCheck:
    return ReviewQueue(store).rejection_check()


def create_app(*, settings: Settings | None = None, checker: Checker | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_format)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.checker is None:
            serving = settings.model_copy(update={"matcher_profile": settings.api_matcher_profile})
            app.state.checker = await run_in_threadpool(
                partial(Checker.from_settings, serving, rejections=_rejections, encode_in_background=True)
            )
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
    app.state.sentence_budget = SentenceBudget(
        settings.sentence_budget if settings.rate_limit else "", storage=settings.rate_limit_storage
    )
    install_error_handlers(app)
    # Outermost last: CORS, then observability (request id, nosniff), then the body-size limit.
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)
    install_observability(app, app.state.metrics)
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex=settings.cors_origin_regex,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Content-Type", "Authorization", "X-API-Key", "X-Request-ID", CLIENT_HEADER],
        expose_headers=["X-Request-ID", "Retry-After"],
    )

    metrics_access = [Depends(require_role("viewer"))] if settings.metrics_require_key else []

    @app.get("/metrics", include_in_schema=False, dependencies=metrics_access)
    def metrics() -> Response:
        """Prometheus counters; public unless `Settings.metrics_require_key` (then any valid API key)."""
        return Response(generate_latest(app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def limited(scope: str) -> list[Any]:
        return [Depends(RateLimiter(settings.rate_limit, scope=scope, storage=settings.rate_limit_storage))]

    app.include_router(health.router)
    app.include_router(check.router, dependencies=limited("/v1/check"))
    app.include_router(debunks.router)
    app.include_router(reports.router, dependencies=limited("/v1/reports"))
    app.include_router(editor.router)
    editor.install(app, settings)
    app.state.on_report = _queue_needs_review(app)
    return app


def _queue_needs_review(app: FastAPI) -> ReportHook:
    """The hook run after each check's response: its needs_review claims go to the editors' queue."""

    def flag_for_review(report: Report, source_url: str, origin: str) -> None:
        # Queueing must never cost the reader their answer: log and go on.
        try:
            ReviewQueue(app.state.checker.store).flag_report(report, origin=origin, source_url=source_url)
        except Exception:
            logger.exception("could not queue needs_review claims")

    return flag_for_review
