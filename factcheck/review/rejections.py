"""What the matcher and the trainer read back: rejected pairs (cached for the hot path) and judgements."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from factcheck.review.base import QueueBase
from factcheck.review.records import ReviewedPair
from factcheck.store.review_models import ReviewItemRow, ReviewRejectionRow, ReviewSightingRow


class Rejections(QueueBase):
    def rejected_pairs(self) -> set[tuple[str, int]]:
        """Every rejected (claim_key, debunk_id) pair, for a verdict stage that caches them."""
        with self.store.transaction() as session:
            return {
                (key, int(debunk_id))
                for key, debunk_id in session.execute(
                    select(ReviewRejectionRow.claim_key, ReviewRejectionRow.debunk_id)
                )
            }

    def rejection_check(self, *, max_age_s: float = 10.0) -> Callable[[str, int], bool]:
        """Whether editors rejected (claim_key, debunk_id), for the matcher's hot path.

        One set in memory, reread every `max_age_s`.

        A claim has a few candidates and a document many claims; one query each would add up.
        A new rejection takes effect within `max_age_s` seconds in every process.
        """
        state: dict[str, Any] = {"pairs": frozenset(), "read_at": -math.inf}
        lock = threading.Lock()

        def is_rejected(claim_key: str, debunk_id: int) -> bool:
            now = time.monotonic()
            if now - state["read_at"] > max_age_s:
                with lock:
                    if now - state["read_at"] > max_age_s:
                        state["pairs"] = frozenset(self.rejected_pairs())
                        state["read_at"] = now
            return (claim_key, debunk_id) in state["pairs"]

        return is_rejected

    def reviewed_pairs(self) -> list[ReviewedPair]:
        """Editors' judgements as (wording, debunk, matches) pairs: confirmations, new debunks, rejections."""
        with self.store.transaction() as session:
            positives = session.execute(
                select(ReviewSightingRow.text, ReviewItemRow.debunk_id)
                .join(ReviewItemRow, ReviewItemRow.id == ReviewSightingRow.item_id)
                .where(
                    ReviewItemRow.status.in_(("confirmed", "new_debunk")),
                    ReviewItemRow.debunk_id.is_not(None),
                )
                .distinct()
            ).all()
            negatives = session.execute(
                select(ReviewRejectionRow.claim_text, ReviewRejectionRow.debunk_id)
            ).all()
        pairs = {(text, int(debunk_id), True) for text, debunk_id in positives if debunk_id is not None}
        pairs |= {(text, int(debunk_id), False) for text, debunk_id in negatives}
        return [ReviewedPair(claim_text=t, debunk_id=d, matches=m) for t, d, m in sorted(pairs)]
