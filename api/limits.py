"""Protecting the service: request body size and per-client rate limits, answered with clear errors."""

from __future__ import annotations

import json
import logging
import math
import time

from fastapi import HTTPException, Request
from limits import parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)


class BodySizeLimit:
    """ASGI middleware: a body over `max_bytes` gets 413, whether or not it declared its length."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self._message())
            return message

        await self.app(scope, counting_receive, send)

    def _message(self) -> str:
        return f"request body is larger than {self.max_bytes:,} bytes"

    async def _refuse(self, send: Send) -> None:
        body = json.dumps(
            {"error": {"code": "payload_too_large", "message": self._message(), "request_id": ""}}
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})


class RateLimiter:
    """Per-client moving-window limit; the client is its API key when it sends one, else its address.

    `storage` is a `limits` URI: "memory://" counts in this process (each worker of `serve --workers N`
    its own), "redis://host:port/db" shares the counts between workers and machines. When that storage
    cannot be reached, requests go through (logged): the limit protects the service, it must not stop it.
    """

    def __init__(self, rate: str, *, scope: str, storage: str = "memory://") -> None:
        self.item = parse(rate) if rate else None
        self.scope = scope  # counted apart: each limited route has its own allowance
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage, wrap_exceptions=True))

    def __call__(self, request: Request) -> None:
        if self.item is None:
            return
        key = request.headers.get("x-api-key") or (request.client.host if request.client else "unknown")
        try:
            allowed = self.limiter.hit(self.item, self.scope, key)
        except StorageError as error:
            log.warning("rate-limit storage unavailable, request let through: %s", error.storage_error)
            return
        if not allowed:
            reset_at, _ = self.limiter.get_window_stats(self.item, self.scope, key)
            retry_after = max(1, math.ceil(reset_at - time.time()))
            raise HTTPException(
                429,
                f"rate limit of {self.item} exceeded; retry in {retry_after} s",
                {"Retry-After": str(retry_after)},
            )
