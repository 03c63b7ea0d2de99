"""The editors' review queue: flagged claims, grouped, prioritised, and decided on.

One module per part of `ReviewQueue` (queue.py puts them together):

    records     what it hands out: ReviewItem, SuggestedDebunk, Sighting, ReviewPage, Dashboard, ...
    intake      what enters it: flag_report, add_reader_report, add_unmatched (sightings -> items)
    reads       page (a filtered page of items, highest priority first), get
    decisions   confirm, reject, mark_not_checkworthy, create_debunk, reopen: each one transaction
    rejections  rejected pairs for the matcher (rejection_check) and judgements for the trainer
    dashboard   daily counts and the claims seen most often

    queue = ReviewQueue(store)
    [item] = queue.flag_report(report, origin="api")
    item = queue.confirm(item.id, debunk_id=7, expected_version=item.version, actor="ana")
"""

from factcheck.review.base import NEAR_DUPLICATE_JACCARD
from factcheck.review.intake import claim_tokens
from factcheck.review.queue import ReviewQueue
from factcheck.review.records import (
    REVIEW_STATUSES,
    Dashboard,
    ReviewedPair,
    ReviewItem,
    ReviewPage,
    ReviewStatus,
    Sighting,
    SuggestedDebunk,
)

__all__ = [
    "NEAR_DUPLICATE_JACCARD",
    "REVIEW_STATUSES",
    "Dashboard",
    "ReviewItem",
    "ReviewPage",
    "ReviewQueue",
    "ReviewStatus",
    "ReviewedPair",
    "Sighting",
    "SuggestedDebunk",
    "claim_tokens",
]
