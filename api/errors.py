"""One JSON error shape everywhere: library errors, validation errors and unexpected ones."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.schemas import INVALID_INPUT
from factcheck.errors import (
    BlockedAddressError,
    ConflictError,
    FactcheckError,
    FetchError,
    FetchTimeoutError,
    InputError,
    NotFoundError,
    ResponseTooLargeError,
    UnsupportedSchemeError,
)

logger = logging.getLogger("api")

# Library errors and the HTTP status a client should see for them, most specific first.
_STATUS_OF = (
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (BlockedAddressError, 422, "blocked_address"),
    (UnsupportedSchemeError, 422, "unsupported_scheme"),
    (ResponseTooLargeError, 422, "upstream_too_large"),
    (FetchTimeoutError, 504, "upstream_timeout"),
    (FetchError, 502, "fetch_failed"),
    (InputError, 422, INVALID_INPUT),
    (FactcheckError, 500, "internal_error"),
)


def error_response(request: Request, status: int, code: str, message: str, **headers: str) -> JSONResponse:
    request_id = getattr(request.state, "request_id", "")
    body = {"error": {"code": code, "message": message, "request_id": request_id}}
    return JSONResponse(body, status_code=status, headers=headers or None)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(FactcheckError)
    async def _library_error(request: Request, error: FactcheckError) -> JSONResponse:
        status, code = next((s, c) for kind, s, c in _STATUS_OF if isinstance(error, kind))
        return error_response(request, status, code, str(error))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        code = INVALID_INPUT if first.get("type") == INVALID_INPUT else "invalid_request"
        return error_response(request, 422, code, f"{where}: {first.get('msg', 'invalid')}")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthorized", 403: "forbidden"}.get(
            error.status_code, "http_error"
        )
        return error_response(request, error.status_code, code, str(error.detail), **(error.headers or {}))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"request_id": getattr(request.state, "request_id", "")})
        return error_response(request, 500, "internal_error", "internal error; the request id is in the logs")
