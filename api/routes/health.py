"""Liveness and readiness for process managers and load balancers."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str | int]:
    """`process` tells the workers of `factcheck serve --workers N` apart."""
    return {"status": "ok", "process": os.getpid()}


@router.get(
    "/readyz", summary="Models and database are loaded", responses={503: {"description": "Still loading"}}
)
def readyz(request: Request) -> JSONResponse:
    """200 once checks are answered. `matching` names the profile answering them: "fast" (BM25 and static
    embeddings) while a first start encodes its debunks with MiniLM in the background, with `encoding`'s
    progress, then "full". A degraded server still answers, so it stays in a load balancer's pool."""
    checker = getattr(request.app.state, "checker", None)
    if checker is None:
        return JSONResponse({"status": "loading"}, status_code=503)
    profile, encoding = checker.profile, checker.encoding
    return JSONResponse(
        {
            "status": "ready",
            "debunks": checker.store.count(),
            "matching": profile,
            **({"encoding": encoding.to_json()} if encoding is not None and profile == "fast" else {}),
        }
    )
