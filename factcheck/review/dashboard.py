"""The editors' dashboard: what was flagged and decided per day, and the claims seen most often."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from factcheck.review.reads import Reads
from factcheck.review.records import Dashboard
from factcheck.store.models import DebunkRow, utcnow
from factcheck.store.review_models import ReviewItemRow, ReviewSightingRow


class DashboardReads(Reads):
    def dashboard(self, *, days: int = 30, top: int = 10, today: date | None = None) -> Dashboard:
        """Per-day counts of sightings flagged, items confirmed and debunks written by editors."""
        today = today or utcnow().date()
        window = tuple(today - timedelta(days=offset) for offset in range(days - 1, -1, -1))
        since = datetime.combine(window[0], datetime.min.time(), tzinfo=UTC)

        def per_day(session: Session, column: Any, *conditions: Any) -> tuple[int, ...]:
            day = func.date(column)
            counts = {
                str(value)[:10]: int(count)
                for value, count in session.execute(
                    select(day, func.count()).where(column >= since, *conditions).group_by(day)
                )
            }
            return tuple(counts.get(d.isoformat(), 0) for d in window)

        with self.store.transaction() as session:
            flagged = per_day(session, ReviewSightingRow.seen_at)
            confirmed = per_day(session, ReviewItemRow.resolved_at, ReviewItemRow.status == "confirmed")
            new_debunks = per_day(session, DebunkRow.created_at, DebunkRow.provenance.like("editor:%"))
            status_counts = {
                status: int(count)
                for status, count in session.execute(
                    select(ReviewItemRow.status, func.count()).group_by(ReviewItemRow.status)
                )
            }
            top_rows = session.scalars(
                select(ReviewItemRow)
                .order_by(ReviewItemRow.seen_count.desc(), ReviewItemRow.last_seen_at.desc())
                .limit(top)
                .options(selectinload(ReviewItemRow.candidates))
            ).all()
            top_items = self._items(session, top_rows, sightings=0)
        return Dashboard(
            days=window,
            flagged=flagged,
            confirmed=confirmed,
            new_debunks=new_debunks,
            top_claims=tuple(top_items),
            open_items=status_counts.get("open", 0),
            status_counts=status_counts,
        )
