"""Protecting the service: request body size, per-client rate limits and work budgets, with clear errors."""

from __future__ import annotations

import json
import logging
import math
import time

from fastapi import HTTPException, Request
from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import current_user

log = logging.getLogger(__name__)


class BodySizeLimit:
    """ASGI middleware: a body over `max_bytes` gets 413, whether or not it declared its length.

    The body is read here, counting bytes as they stream, before the app sees any of it: a chunked
    body that grows past the limit is refused with the same 413 as one that declared its size (the
    app's own JSON reader would answer a failure while reading with 400). What was read is handed
    on to the app as one message. Runs inside the observability middleware, so a 413 has its
    request id.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self._refuse(scope, send)
            return
        chunks: list[bytes] = []
        received = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                await self.app(scope, _replay(message, receive), send)
                return
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                await self._drain(receive, received)
                await self._refuse(scope, send)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        whole = {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        await self.app(scope, _replay(whole, receive), send)

    async def _drain(self, receive: Receive, received: int) -> None:
        """Read (and drop) the rest of a refused body, so the client reads the 413 rather than a reset.

        At most ten times the limit: past that the connection is closed under the client.
        """
        more = True
        while more and received <= 10 * self.max_bytes:
            message = await receive()
            received += len(message.get("body", b""))
            more = message["type"] == "http.request" and message.get("more_body", False)

    async def _refuse(self, scope: Scope, send: Send) -> None:
        request_id = scope.get("state", {}).get("request_id", "")
        body = json.dumps(
            {
                "error": {
                    "code": "payload_too_large",
                    "message": f"request body is larger than {self.max_bytes:,} bytes",
                    "request_id": request_id,
                }
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _replay(first: Message, receive: Receive) -> Receive:
    """A receive that gives `first`, then whatever the client sends next (its disconnect)."""
    pending: list[Message] = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def client_key(request: Request) -> str:
    """Whom a limit counts against: the owner of a verified API key, else the client's address.

    An unknown key counts as no key, so sending random keys does not buy new allowances. The
    address is the connection's, or the forwarded one only when the connection comes from a proxy
    in `Settings.trusted_proxies` (uvicorn decides that; see api.workers.uvicorn_config).
    """
    user = current_user(request)
    if user is not None and getattr(request.state, "auth_method", None) == "api_key":
        return f"user:{user.id}"
    return f"address:{request.client.host if request.client else 'unknown'}"


def _refusal(limit: RateLimitItem, what: str, reset_at: float) -> HTTPException:
    """A 429 whose message names the limit that was reached, with Retry-After."""
    retry_after = max(1, math.ceil(reset_at - time.time()))
    return HTTPException(
        429,
        f"rate limit of {limit} {what} exceeded; retry in {retry_after} s",
        {"Retry-After": str(retry_after)},
    )


class RateLimiter:
    """Per-client moving-window limit on requests; the client is as `client_key` says.

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
        key = client_key(request)
        try:
            allowed = self.limiter.hit(self.item, self.scope, key)
            if not allowed:
                reset_at, _ = self.limiter.get_window_stats(self.item, self.scope, key)
        except StorageError as error:
            log.warning("rate-limit storage unavailable, request let through: %s", error.storage_error)
            return
        if not allowed:
            raise _refusal(self.item, f"requests to {self.scope}", reset_at)


class SentenceBudget:
    """Per-client budget of work on /v1/check: sentences read per window (fixed windows).

    A request's cost is known only once its document is split into sentences, so it is charged
    after the check; a client whose budget is spent is refused before the next one. One request
    can overshoot by at most `Settings.api_max_sentences`. Same storage and same failure rule as
    RateLimiter.
    """

    def __init__(self, rate: str, *, storage: str = "memory://") -> None:
        self.item = parse(rate) if rate else None
        self.limiter = FixedWindowRateLimiter(storage_from_string(storage, wrap_exceptions=True))

    def __call__(self, request: Request) -> None:
        """A dependency: 429 when this client has no sentences left in the window."""
        if self.item is None:
            return
        key = client_key(request)
        try:
            left = self.limiter.test(self.item, "sentences", key)
            if not left:
                reset_at, _ = self.limiter.get_window_stats(self.item, "sentences", key)
        except StorageError as error:
            log.warning("rate-limit storage unavailable, request let through: %s", error.storage_error)
            return
        if not left:
            raise _refusal(self.item, "sentences read for you", reset_at)

    def charge(self, request: Request, sentences: int) -> None:
        if self.item is None or sentences <= 0:
            return
        try:
            self.limiter.hit(self.item, "sentences", client_key(request), cost=sentences)
        except StorageError as error:
            log.warning("rate-limit storage unavailable, work not counted: %s", error.storage_error)
