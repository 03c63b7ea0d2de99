"""`POST /v1/check`: a text, page, URL or email in; its claims with their debunks out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from starlette.concurrency import run_in_threadpool

from api.deps import CheckerDep, ClientOriginDep, MetricsDep, ReportHookDep, SettingsDep
from api.limits import SentenceBudget
from api.schemas import CheckRequest, CheckResponse, ErrorBody
from factcheck.errors import InputError
from factcheck.verdicts import Thresholds

router = APIRouter(prefix="/v1", tags=["check"])

_ERRORS = {
    413: {"model": ErrorBody, "description": "Body too large"},
    422: {"model": ErrorBody, "description": "Invalid input, blocked URL, or too many sentences"},
    429: {
        "model": ErrorBody,
        "description": "Rate limited (requests or sentences a minute); see Retry-After",
    },
    502: {"model": ErrorBody, "description": "The URL could not be fetched"},
    504: {"model": ErrorBody, "description": "The URL took too long"},
}


def get_sentence_budget(request: Request) -> SentenceBudget:
    """Built by `api.app.create_app` from the settings."""
    return request.app.state.sentence_budget


@router.post("/check", response_model=CheckResponse, responses=_ERRORS, summary="Check a document's claims")
async def check(
    body: CheckRequest,
    request: Request,
    background: BackgroundTasks,
    checker: CheckerDep,
    settings: SettingsDep,
    metrics: MetricsDep,
    on_report: ReportHookDep,
    origin: ClientOriginDep,
    budget: Annotated[SentenceBudget, Depends(get_sentence_budget)],
) -> CheckResponse:
    """Find the claims in one source and match each against the debunk database.

    Give exactly one of `text`, `html`, `url` or `email`. Claims are `debunked` (matched a fact-check
    rated false, mostly false or misleading: the only status shown as false), `fact_checked` (matched a
    fact-check rated otherwise; its `rating_class` says how), `possibly_related` (likely the right
    fact-check but under the match threshold: shown softly, never as false), `needs_review` (sent to
    editors only), `no_match`, or `not_checkworthy` (only with `include_all`). A claim's `signal` is a
    text classifier's weak guess, not a fact-check.
    """
    await run_in_threadpool(budget, request)  # 429 when this client's sentences are spent
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
    budget.charge(request, report.sentences)
    metrics.observe_report(report)
    # After the response is sent: the reader does not wait for the queue.
    background.add_task(on_report, report, body.source_url or (content if kind == "url" else ""), origin)
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
    related = body.options.related_threshold
    if related is not None and not suggest <= related <= match:
        raise InputError(
            f"related_threshold ({related}) must lie between suggest ({suggest}) and match ({match})"
        )
    if related is None and default.related is not None:
        related = min(max(default.related, suggest), match)  # the request moved the other two
    return Thresholds(
        match=match,
        suggest=suggest,
        checkworthy=default.checkworthy,
        min_words_for_match=default.min_words_for_match,
        related=related if body.options.possibly_related else None,
        other_languages=default.other_languages,  # the request's thresholds are the English ones
    )
