"""An item's decisions: each one compare-and-set on the item's `version`, in the audit log, and one
transaction with every write it causes (variants, a new debunk, rejections, dismissals).

    confirm(item, debunk)      the claim's wordings become variants of the debunk (Store.add_variant)
    reject(item, debunk)       the (wording, debunk) pairs are remembered, and never suggested again
    mark_not_checkworthy(item) later sightings of the wording are counted but not queued again
    create_debunk(item, ...)   a new debunk (Store.create_debunk) with the claim's wordings as variants
    reopen(item)               back to open, e.g. after a mistaken click
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session, selectinload

from factcheck.errors import ConflictError, NotFoundError
from factcheck.review.base import MAX_CONTEXT
from factcheck.review.reads import Reads
from factcheck.review.records import ReviewItem
from factcheck.store.models import utcnow
from factcheck.store.review_models import (
    ReviewDismissalRow,
    ReviewItemRow,
    ReviewRejectionRow,
    ReviewSightingRow,
)
from factcheck.types import Debunk


class Decisions(Reads):
    def confirm(self, item_id: int, debunk_id: int, *, expected_version: int, actor: str) -> ReviewItem:
        """The claim is what `debunk_id` debunks: its wordings become variants, so they match directly."""
        debunk = self.store.get(debunk_id)
        if debunk.retired:
            raise ConflictError(f"debunk {debunk_id} is retired; pick another one or create a new debunk")
        with self.store.transaction() as session:
            wordings = self._claim(
                item_id,
                expected_version,
                actor,
                "confirm",
                status="confirmed",
                debunk_id=debunk_id,
            )
            added = [
                text
                for text in self._variants(wordings.values())
                if self.store.add_variant(debunk_id, text, provenance=f"editor:{actor}")
            ]
            session.execute(
                delete(ReviewRejectionRow).where(
                    ReviewRejectionRow.debunk_id == debunk_id,
                    ReviewRejectionRow.claim_key.in_(list(wordings)),
                )
            )
            if added:
                self.store.record_audit(
                    session, actor, "confirm_variants", "review_item", item_id, None,
                    {"debunk_id": debunk_id, "variants_added": added},
                )  # fmt: skip
        return self.get(item_id)

    def reject(self, item_id: int, debunk_id: int, *, expected_version: int, actor: str) -> ReviewItem:
        """`debunk_id` does not address this claim: never suggest the pair for these wordings again."""
        with self.store.transaction() as session:
            row = self._claim_in(session, item_id, expected_version)
            candidate = next((c for c in row.candidates if c.debunk_id == debunk_id), None)
            if candidate is None:
                raise NotFoundError(f"debunk {debunk_id} is not a candidate of review item {item_id}")
            before = _snapshot(row, version=expected_version)
            candidate.rejected = True
            wordings = _wordings(session, row)
            known = set(
                session.scalars(
                    select(ReviewRejectionRow.claim_key).where(
                        ReviewRejectionRow.debunk_id == debunk_id,
                        ReviewRejectionRow.claim_key.in_(list(wordings)),
                    )
                )
            )
            session.add_all(
                ReviewRejectionRow(
                    claim_key=key,
                    claim_text=self.wording(text),
                    debunk_id=debunk_id,
                    item_id=item_id,
                    actor=actor,
                )
                for key, text in wordings.items()
                if key not in known
            )
            session.flush()
            self.store.record_audit(
                session,
                actor,
                "reject",
                "review_item",
                item_id,
                before,
                {**_snapshot(row), "rejected_debunk_id": debunk_id},
            )
        return self.get(item_id)

    def mark_not_checkworthy(
        self, item_id: int, *, expected_version: int, actor: str, note: str = ""
    ) -> ReviewItem:
        """Nothing here to fact-check: later sightings of these wordings are counted, not queued."""
        with self.store.transaction() as session:
            row = self._claim_in(session, item_id, expected_version)
            before = _snapshot(row, version=expected_version)
            _resolve(row, "not_checkworthy", actor, note=note)
            wordings = _wordings(session, row)
            known = set(
                session.scalars(
                    select(ReviewDismissalRow.claim_key).where(
                        ReviewDismissalRow.claim_key.in_(list(wordings))
                    )
                )
            )
            session.add_all(
                ReviewDismissalRow(claim_key=key, item_id=item_id, actor=actor)
                for key in wordings
                if key not in known
            )
            session.flush()
            self.store.record_audit(
                session, actor, "not_checkworthy", "review_item", item_id, before, _snapshot(row)
            )
        return self.get(item_id)

    def create_debunk(
        self, item_id: int, debunk: Debunk, *, expected_version: int, actor: str
    ) -> tuple[ReviewItem, Debunk]:
        """Write a new debunk for this claim (its wordings become variants) and resolve the item with it."""
        with self.store.transaction() as session:
            wordings = self._claim(item_id, expected_version, actor, "create_debunk", status="new_debunk")
            created = self.store.create_debunk(
                _with_variants(debunk, self._variants(wordings.values())), actor=actor
            )
            session.execute(
                update(ReviewItemRow).where(ReviewItemRow.id == item_id).values(debunk_id=created.id)
            )
        return self.get(item_id), created

    def reopen(self, item_id: int, *, expected_version: int, actor: str) -> ReviewItem:
        """Put a decided item back in the queue. Variants or debunks it created stay: edit those apart."""
        with self.store.transaction() as session:
            row = self._claim_in(session, item_id, expected_version, must_be_open=False)
            if row.status == "open":
                raise ConflictError(f"Review item {item_id} is already open")
            before = _snapshot(row, version=expected_version)
            if row.status == "not_checkworthy":
                session.execute(delete(ReviewDismissalRow).where(ReviewDismissalRow.item_id == item_id))
            row.status = "open"
            row.resolved_by, row.resolved_at, row.debunk_id = "", None, None
            session.flush()
            self.store.record_audit(session, actor, "reopen", "review_item", item_id, before, _snapshot(row))
        return self.get(item_id)

    def _claim_in(
        self, session: Session, item_id: int, expected_version: int, *, must_be_open: bool = True
    ) -> ReviewItemRow:
        """Compare-and-set on the item's version: exactly one of two racing editors gets past this."""
        result = session.execute(
            update(ReviewItemRow)
            .where(ReviewItemRow.id == item_id, ReviewItemRow.version == expected_version)
            .values(version=expected_version + 1)
            .execution_options(synchronize_session=False)
        )
        claimed = cast(CursorResult[Any], result).rowcount
        row = session.get(
            ReviewItemRow, item_id, options=[selectinload(ReviewItemRow.candidates)], populate_existing=True
        )
        if row is None:
            raise NotFoundError(f"no review item with id {item_id}")
        if not claimed:
            who = f" by {row.resolved_by}" if row.resolved_by else ""
            raise ConflictError(
                f"Review item {item_id} was changed{who} since you opened it (it is now {_describe(row.status)}, "
                f"version {row.version}; you saw version {expected_version}). Reload it to see the change, "
                "then decide again."
            )
        if must_be_open and row.status != "open":
            raise ConflictError(
                f"Review item {item_id} is already {_describe(row.status)}"
                + (f" by {row.resolved_by}" if row.resolved_by else "")
                + "; reopen it first to change the decision"
            )
        return row

    def _claim(
        self,
        item_id: int,
        expected_version: int,
        actor: str,
        action: str,
        *,
        status: str,
        debunk_id: int | None = None,
    ) -> dict[str, str]:
        """Resolve the item (compare-and-set) in the caller's transaction; returns its distinct wordings
        (key -> raw text), representative first."""
        with self.store.transaction() as session:
            row = self._claim_in(session, item_id, expected_version)
            before = _snapshot(row, version=expected_version)
            _resolve(row, status, actor, debunk_id=debunk_id)
            wordings = _wordings(session, row)
            session.flush()
            self.store.record_audit(session, actor, action, "review_item", item_id, before, _snapshot(row))
            return wordings

    def _variants(self, texts: Iterable[str]) -> list[str]:
        """The matcher's wordings of raw texts, once each: what becomes a debunk's variants."""
        return list(dict.fromkeys(self.wording(text) for text in texts))


def _wordings(session: Session, row: ReviewItemRow) -> dict[str, str]:
    """canonical key -> first text, for every distinct wording of the item (at most 50)."""
    found = {row.claim_key: row.text}
    for key, text in session.execute(
        select(ReviewSightingRow.claim_key, ReviewSightingRow.text)
        .where(ReviewSightingRow.item_id == row.id)
        .order_by(ReviewSightingRow.id)
    ):
        if len(found) >= 50:
            break
        found.setdefault(key, text)
    return found


def _resolve(
    row: ReviewItemRow, status: str, actor: str, *, debunk_id: int | None = None, note: str = ""
) -> None:
    row.status = status
    row.resolved_by = actor[:200]
    row.resolved_at = utcnow()
    row.debunk_id = debunk_id
    if note:
        row.note = note[:MAX_CONTEXT]


def _snapshot(row: ReviewItemRow, *, version: int | None = None) -> dict[str, Any]:
    return {
        "status": row.status,
        "version": row.version if version is None else version,
        "debunk_id": row.debunk_id,
        "resolved_by": row.resolved_by,
        "rejected": sorted(c.debunk_id for c in row.candidates if c.rejected),
    }


def _describe(status: str) -> str:
    return {
        "open": "open",
        "confirmed": "confirmed as a match",
        "new_debunk": "resolved with a new debunk",
        "not_checkworthy": "marked not check-worthy",
    }.get(status, status)


def _with_variants(debunk: Debunk, texts: Iterable[str]) -> Debunk:
    return replace(debunk, variants=tuple(dict.fromkeys([*debunk.variants, *texts])))
