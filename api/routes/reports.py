"""`POST /v1/reports`: a reader reports a claim the tool missed or got wrong; it lands in the review queue."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from api.deps import CheckerDep, QueueDep
from api.schemas import WEB_URL, DbInt, ErrorBody, RequestBody
from factcheck.pipeline import Checker
from factcheck.review import ReviewQueue
from factcheck.review.records import ReviewItem

router = APIRouter(prefix="/v1", tags=["reports"])


class ReaderReport(RequestBody):
    """What a reader saw. Anonymous: `contact` is optional and only editors see it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "Drinking hot water every 15 minutes kills the virus.",
                    "source_url": "https://example.org/chain-letter",
                    "context": "My aunt sent this: Drinking hot water every 15 minutes kills the virus. Share!",
                    "comment": "The extension said nothing about this one.",
                },
                {
                    "text": "The vaccine makes you magnetic.",
                    "comment": "It showed the microchip debunk, which is a different claim.",
                    "debunk_id": 17,
                },
            ]
        },
    )

    text: str = Field(min_length=1, max_length=5000, description="The claim, in the words the reader saw.")
    source_url: str = Field(
        default="", max_length=2048, pattern=WEB_URL, description="Where the reader saw it: an http(s) URL."
    )
    context: str = Field(default="", max_length=5000, description="The text around the claim.")
    comment: str = Field(default="", max_length=2000, description="What the reader wants editors to know.")
    contact: str = Field(
        default="", max_length=200, description="Optional: how editors can reach the reader."
    )
    debunk_id: DbInt | None = Field(
        default=None, description="The debunk the tool showed, when the reader thinks it is the wrong one."
    )


class ReportReceipt(BaseModel):
    status: Literal["received"] = "received"
    request_id: str = ""


@router.post(
    "/reports",
    status_code=202,
    response_model=ReportReceipt,
    responses={404: {"model": ErrorBody}, 422: {"model": ErrorBody}, 429: {"model": ErrorBody}},
    summary="Report a claim the tool missed or got wrong",
)
async def create_report(
    body: ReaderReport, request: Request, queue: QueueDep, checker: CheckerDep
) -> ReportReceipt:
    """Queue a reader's report for the editors, with the debunks the matcher suggests for it.

    It joins the item of identical and near-identical claims, like a sighting from a check.
    """
    await run_in_threadpool(_queue_report, queue, checker, body)
    return ReportReceipt(request_id=getattr(request.state, "request_id", ""))


def _queue_report(queue: ReviewQueue, checker: Checker, body: ReaderReport) -> ReviewItem | None:
    """Match the reported text as a check would (its wording, the suggest threshold), then queue it."""
    suggest = checker.thresholds.suggest
    suggestions = [m for m in checker.search(queue.wording(body.text)) if m.probability >= suggest]
    return queue.add_reader_report(
        body.text,
        source_url=body.source_url,
        context=body.context,
        comment=body.comment,
        reporter=body.contact,
        debunk_id=body.debunk_id,
        suggestions=suggestions,
        language=checker.detector.detect(body.text),
    )
