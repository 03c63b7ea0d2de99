"""Reading the queue: a page of items, one item, as records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from factcheck.errors import InputError, NotFoundError
from factcheck.review.base import QueueBase, aware
from factcheck.review.records import (
    REVIEW_STATUSES,
    ReviewItem,
    ReviewPage,
    ReviewStatus,
    Sighting,
    SuggestedDebunk,
)
from factcheck.store.review_models import ReviewItemRow, ReviewSightingRow


class Reads(QueueBase):
    def page(
        self,
        *,
        status: str | None = "open",
        origin: str | None = None,
        text: str = "",
        offset: int = 0,
        limit: int = 50,
    ) -> ReviewPage:
        """A page of items, highest priority first; `origin` matches any sighting's origin."""
        if status and status not in REVIEW_STATUSES:
            raise InputError(f"unknown status {status!r}; expected one of {', '.join(REVIEW_STATUSES)}")
        query = select(ReviewItemRow)
        if status:
            query = query.where(ReviewItemRow.status == status)
        if origin:
            query = query.where(
                exists().where(
                    ReviewSightingRow.item_id == ReviewItemRow.id, ReviewSightingRow.origin == origin
                )
            )
        if text.strip():
            pattern = f"%{text.strip()}%"
            query = query.where(
                or_(
                    ReviewItemRow.text.ilike(pattern),
                    exists().where(
                        ReviewSightingRow.item_id == ReviewItemRow.id, ReviewSightingRow.text.ilike(pattern)
                    ),
                )
            )
        with self.store.transaction() as session:
            total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = session.scalars(
                query.order_by(ReviewItemRow.priority.desc(), ReviewItemRow.id.desc())
                .offset(offset)
                .limit(limit)
                .options(selectinload(ReviewItemRow.candidates))
            ).all()
            items = self._items(session, rows, sightings=1)
        return ReviewPage(items=tuple(items), total=total, offset=offset, limit=limit)

    def get(self, item_id: int, *, sightings: int = 20) -> ReviewItem:
        """One item with its candidates and its latest `sightings` sightings."""
        with self.store.transaction() as session:
            row = session.get(ReviewItemRow, item_id, options=[selectinload(ReviewItemRow.candidates)])
            if row is None:
                raise NotFoundError(f"no review item with id {item_id}")
            [item] = self._items(session, [row], sightings=sightings)
            return item

    def _items(self, session: Session, rows: Sequence[ReviewItemRow], *, sightings: int) -> list[ReviewItem]:
        ids = [row.id for row in rows]
        if not ids:
            return []
        debunk_ids = {candidate.debunk_id for row in rows for candidate in row.candidates}
        debunks = self.store.get_many(debunk_ids) if debunk_ids else {}
        origins: dict[int, set[str]] = {}
        for item_id, origin in session.execute(
            select(ReviewSightingRow.item_id, ReviewSightingRow.origin)
            .where(ReviewSightingRow.item_id.in_(ids))
            .distinct()
        ):
            origins.setdefault(item_id, set()).add(origin)
        wordings = {
            item_id: int(count)
            for item_id, count in session.execute(
                select(ReviewSightingRow.item_id, func.count(func.distinct(ReviewSightingRow.claim_key)))
                .where(ReviewSightingRow.item_id.in_(ids))
                .group_by(ReviewSightingRow.item_id)
            )
        }
        latest: dict[int, list[Sighting]] = {}
        if sightings:
            for item_id in ids:
                found = session.scalars(
                    select(ReviewSightingRow)
                    .where(ReviewSightingRow.item_id == item_id)
                    .order_by(ReviewSightingRow.id.desc())
                    .limit(sightings)
                )
                latest[item_id] = [_sighting(s) for s in found]
        return [
            ReviewItem(
                id=row.id,
                text=row.text,
                claim_key=row.claim_key,
                origin=row.origin,
                status=cast(ReviewStatus, row.status),  # only REVIEW_STATUSES are written
                seen_count=row.seen_count,
                checkworthiness=row.checkworthiness,
                priority=row.priority,
                first_seen_at=aware(row.first_seen_at),
                last_seen_at=aware(row.last_seen_at),
                version=row.version,
                debunk_id=row.debunk_id,
                resolved_by=row.resolved_by,
                resolved_at=aware(row.resolved_at) if row.resolved_at else None,
                note=row.note,
                origins=tuple(sorted(origins.get(row.id, {row.origin}))),
                candidates=tuple(
                    SuggestedDebunk(
                        debunk=debunks[c.debunk_id],
                        score=c.score,
                        probability=c.probability,
                        matched_text=c.matched_text,
                        rejected=c.rejected,
                    )
                    for c in sorted(row.candidates, key=lambda c: (c.rejected, -c.probability))
                    if c.debunk_id in debunks
                ),
                sightings=tuple(latest.get(row.id, ())),
                wordings=wordings.get(row.id, 1),
                language=row.language,
            )
            for row in rows
        ]


def _sighting(row: ReviewSightingRow) -> Sighting:
    return Sighting(
        text=row.text,
        origin=row.origin,
        source_url=row.source_url,
        context=row.context,
        comment=row.comment,
        reporter=row.reporter,
        checkworthiness=row.checkworthiness,
        seen_at=aware(row.seen_at),
    )
