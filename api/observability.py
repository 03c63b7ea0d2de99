"""Request ids, JSON-line logs and Prometheus metrics for every request. Page text is never logged."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from prometheus_client import CollectorRegistry, Counter, Histogram

from factcheck.types import Report

logger = logging.getLogger("api.access")


class JsonLineFormatter(logging.Formatter):
    """One JSON object per line, with whatever `extra=` fields the record carries."""

    _STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in self._STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(log_format: str) -> None:
    """The API's own logs, and the library's (a first start's background encoding reports its progress)."""
    handler = logging.StreamHandler()
    if log_format == "json":
        handler.setFormatter(JsonLineFormatter())
    for name in ("api", "factcheck"):
        root = logging.getLogger(name)
        root.handlers[:] = [handler]
        root.setLevel(logging.INFO)
        root.propagate = False


class Metrics:
    """The service's Prometheus metrics, in a registry of their own (one per app)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "factcheck_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "factcheck_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.claims = Counter("factcheck_claims_checked_total", "Claims checked", registry=self.registry)
        self.statuses = Counter(
            "factcheck_claims_by_status_total", "Checked claims by status", ["status"], registry=self.registry
        )

    def observe_report(self, report: Report) -> None:
        self.claims.inc(len(report.claims))
        for verdict in report.claims:
            self.statuses.labels(verdict.status).inc()


def install_observability(app: FastAPI, metrics: Metrics) -> None:
    @app.middleware("http")
    async def observe(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.request_id = request.headers.get("x-request-id", "")[:64] or uuid.uuid4().hex
        started = time.perf_counter()
        response = await call_next(request)
        elapsed = time.perf_counter() - started
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        metrics.requests.labels(request.method, path, str(response.status_code)).inc()
        metrics.latency.labels(request.method, path).observe(elapsed)
        response.headers["X-Request-ID"] = request.state.request_id
        # Every answer, JSON, redirects and errors too: a browser must not guess another content type.
        response.headers["X-Content-Type-Options"] = "nosniff"
        logger.info(
            "request",
            extra={
                "request_id": request.state.request_id,
                "method": request.method,
                "route": path,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
        return response
