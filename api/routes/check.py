"""`POST /v1/check`: a text, page, URL or email in; its claims with their debunks out."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Request
from starlette.concurrency import run_in_threadpool

from api.deps import CheckerDep, MetricsDep, ReportHookDep, SettingsDep
from api.schemas import CheckRequest, CheckResponse, ErrorBody
from factcheck.errors import InputError
from factcheck.verdicts import Thresholds

router = APIRouter(prefix="/v1", tags=["check"])

_ERRORS = {
    413: {"model": ErrorBody, "description": "Body too large"},
    422: {"model": ErrorBody, "description": "Invalid input, blocked URL, or too many sentences"},
    429: {"model": ErrorBody, "description": "Rate limited; see Retry-After"},
    502: {"model": ErrorBody, "description": "The URL could not be fetched"},
    504: {"model": ErrorBody, "description": "The URL took too long"},
}


@router.post("/check", response_model=CheckResponse, responses=_ERRORS, summary="Check a document's claims")
async def check(
    body: CheckRequest,
    request: Request,
    background: BackgroundTasks,
    checker: CheckerDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    on_report: ReportHookDep,
) -> CheckResponse:
    """Find the claims in one source and match each against the debunk database.

    Give exactly one of `text`, `html`, `url` or `email`. Claims are `debunked` (shown to readers),
    `needs_review` (sent to editors, never shown as false), `no_match`, or `not_checkworthy` (only
    with `include_all`). A claim's `signal` is a text classifier's weak guess, not a fact-check.
    """
    kind, content = body.source()
    thresholds = _thresholds(checker.thresholds, body)
    report = await run_in_threadpool(
        checker.check,
        content,
        kind=kind,
        source_url=body.source_url or "",
        thresholds=thresholds,
        include_all=body.options.include_all,
        max_sentences=settings.api_max_sentences,
    )
    metrics.observe_report(report)
    # After the response is sent: the reader does not wait for the queue.
    background.add_task(on_report, report, body.source_url or (content if kind == "url" else ""))
    return CheckResponse.of(
        report, include_text=body.options.include_text, request_id=request.state.request_id
    )


def _thresholds(default: Thresholds, body: CheckRequest) -> Thresholds:
    match = body.options.match_threshold if body.options.match_threshold is not None else default.match
    suggest = (
        body.options.suggest_threshold if body.options.suggest_threshold is not None else default.suggest
    )
    if suggest > match:
        raise InputError(f"suggest_threshold ({suggest}) must not be above match_threshold ({match})")
    return Thresholds(
        match=match,
        suggest=suggest,
        checkworthy=default.checkworthy,
        min_words_for_match=default.min_words_for_match,
    )
