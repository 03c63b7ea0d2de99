"""The editors' review queue: flagged claims, grouped, prioritised, and decided on.

What enters the queue, and who puts it there:

    ReviewQueue.flag_report(report, origin=...)     /v1/check, feeds: claims under the match threshold (needs_review, possibly_related)
    ReviewQueue.add_reader_report(text, ...)        POST /v1/reports: a reader says the tool missed one
    ReviewQueue.add_unmatched(claim, ...)           feeds: highly check-worthy claims that match nothing

Each arrival is a *sighting*. Sightings of the same claim (same `canonical_key`) or of a
near-identical one (token-set Jaccard >= 0.8 with an open item) join one *item*, which counts them.

An item's decisions (each one compare-and-set on the item's `version`, each one in the audit log):

    confirm(item, debunk)      the claim's wordings become variants of the debunk (Store.add_variant)
    reject(item, debunk)       the (wording, debunk) pairs are remembered; see is_rejected()
    mark_not_checkworthy(item) later sightings of the wording are counted but not queued again
    create_debunk(item, ...)   a new debunk (Store.create_debunk) with the claim's wordings as variants
    reopen(item)               back to open, e.g. after a mistaken click

    queue = ReviewQueue(store)
    [item] = queue.flag_report(report, origin="api")
    item = queue.confirm(item.id, debunk_id=7, expected_version=item.version, actor="ana")
"""

from __future__ import annotations

import builtins
import math
import re
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal, cast, get_args

from sqlalchemy import CursorResult, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from factcheck._text import canonical_key, collapse_whitespace
from factcheck.errors import ConflictError, InputError, NotFoundError
from factcheck.store import Store
from factcheck.store.models import DebunkRow, utcnow
from factcheck.store.review_models import (
    ReviewCandidateRow,
    ReviewDismissalRow,
    ReviewItemRow,
    ReviewItemTokenRow,
    ReviewRejectionRow,
    ReviewSightingRow,
)
from factcheck.types import QUEUED_STATUSES, Claim, Debunk, Match, Report

__all__ = [
    "NEAR_DUPLICATE_JACCARD",
    "REVIEW_STATUSES",
    "Candidate",
    "Dashboard",
    "ReviewItem",
    "ReviewPage",
    "ReviewQueue",
    "ReviewStatus",
    "ReviewedPair",
    "Sighting",
    "claim_tokens",
]

ReviewStatus = Literal["open", "confirmed", "new_debunk", "not_checkworthy"]
REVIEW_STATUSES: tuple[str, ...] = get_args(ReviewStatus)

NEAR_DUPLICATE_JACCARD = 0.8
MAX_TEXT = 5000
MAX_CONTEXT = 2000
CONTEXT_CHARS = 300  # taken on each side of a claim when the caller gives a whole document
READER_BONUS = 1.0
_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
_WORD = re.compile(r"\w+", re.UNICODE)


def claim_tokens(text: str) -> set[str]:
    """The distinct words of a claim, case and accents folded: what near-duplicate grouping compares."""
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return {word[:100] for word in _WORD.findall(folded)}


def priority_of(seen_count: int, checkworthiness: float, last_seen: datetime, *, reader: bool) -> float:
    """Higher first. Each doubling of sightings adds 1, full check-worthiness 2, a reader report 1,
    and each week of recency 1, so the score never needs recomputing as time passes (Reddit's "hot")."""
    weeks = (_aware(last_seen) - _EPOCH).total_seconds() / (7 * 24 * 3600)
    return math.log2(max(seen_count, 1)) + 2.0 * checkworthiness + (READER_BONUS if reader else 0.0) + weeks


def _aware(moment: datetime) -> datetime:
    # SQLite returns timezone-aware columns naive; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Sighting:
    """One time the claim was seen: its exact words, where, and the text around it."""

    text: str
    origin: str
    source_url: str = ""
    context: str = ""
    comment: str = ""
    reporter: str = ""
    checkworthiness: float = 0.0
    seen_at: datetime | None = None


@dataclass(frozen=True)
class Candidate:
    """A debunk suggested for an item, with the matcher's confidence; `rejected` once an editor said no."""

    debunk: Debunk
    score: float
    probability: float
    matched_text: str = ""
    rejected: bool = False


@dataclass(frozen=True)
class ReviewItem:
    """A group of identical or near-identical flagged claims, and what editors decided about it."""

    id: int
    text: str
    claim_key: str
    origin: str
    status: ReviewStatus
    seen_count: int
    checkworthiness: float
    priority: float
    first_seen_at: datetime
    last_seen_at: datetime
    version: int
    debunk_id: int | None = None
    resolved_by: str = ""
    resolved_at: datetime | None = None
    note: str = ""
    origins: tuple[str, ...] = ()
    candidates: tuple[Candidate, ...] = ()
    sightings: tuple[Sighting, ...] = ()
    wordings: int = 1

    @property
    def open_candidates(self) -> tuple[Candidate, ...]:
        return tuple(c for c in self.candidates if not c.rejected)


@dataclass(frozen=True)
class ReviewPage:
    items: tuple[ReviewItem, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class ReviewedPair:
    """An editor's judgement on (claim wording, debunk): training data for the re-ranker."""

    claim_text: str
    debunk_id: int
    matches: bool


@dataclass(frozen=True)
class Dashboard:
    """Daily counts for the last `len(days)` days, and the claims seen most often."""

    days: tuple[date, ...]
    flagged: tuple[int, ...]
    confirmed: tuple[int, ...]
    new_debunks: tuple[int, ...]
    top_claims: tuple[ReviewItem, ...]
    open_items: int
    status_counts: dict[str, int] = field(default_factory=dict)


class ReviewQueue:
    """The review queue over a Store's database (migration 0003 or later).

    Parameters
    ----------
    store : Store
        Where items, decisions and debunks live; the audit log is the Store's.
    near_duplicate_jaccard : float, default=0.8
        Token-set Jaccard at or above which a new claim joins an open item.
    normalize : callable, optional
        Raw claim text -> the wording the matcher compares (default: the claim stage's
        `normalize_claim_text`, which drops "BREAKING:", "Share if you agree", URLs, emoji...).
        Grouping, rejections and dismissals are keyed on it, and confirmed wordings are added as
        variants in it, so they line up with the keys `Checker` looks up.
    """

    def __init__(
        self,
        store: Store,
        *,
        near_duplicate_jaccard: float = NEAR_DUPLICATE_JACCARD,
        normalize: Callable[[str], str] | None = None,
    ) -> None:
        self.store = store
        self.near_duplicate_jaccard = near_duplicate_jaccard
        self.normalize = normalize

    def wording(self, text: str) -> str:
        """The matcher's wording of a raw claim text (whitespace collapsed; the text itself if empty)."""
        normalize = self.normalize or _default_normalize()
        return collapse_whitespace(normalize(text)) or collapse_whitespace(text)

    # --- what enters the queue -----------------------------------------------------------------

    def flag_report(self, report: Report, *, origin: str, source_url: str = "") -> builtins.list[ReviewItem]:
        """Queue every claim of `report` under the match threshold (needs_review, possibly_related)."""
        document = report.document
        items = []
        for verdict in report.claims:
            if verdict.status not in QUEUED_STATUSES:
                continue
            claim = verdict.claim
            item = self._add(
                claim.text,
                wording=claim.normalized,
                origin=origin,
                source_url=source_url or document.source_url,
                context=_context_of(claim, document.text),
                checkworthiness=claim.checkworthiness,
                candidates=verdict.matches,
            )
            if item is not None:
                items.append(item)
        return items

    def add_unmatched(
        self, claim: Claim, *, source_url: str = "", context: str = "", origin: str
    ) -> ReviewItem | None:
        """Queue a check-worthy claim that matched no debunk (feeds call this); None if dismissed before."""
        return self._add(
            claim.text,
            wording=claim.normalized,
            origin=origin,
            source_url=source_url,
            context=context or f"{claim.prefix}{claim.text}{claim.suffix}",
            checkworthiness=claim.checkworthiness,
        )

    def add_reader_report(
        self,
        text: str,
        *,
        source_url: str = "",
        context: str = "",
        comment: str = "",
        reporter: str = "",
        debunk_id: int | None = None,
    ) -> ReviewItem | None:
        """Queue a claim a reader says the tool missed (or, with `debunk_id`, matched wrongly)."""
        candidates: tuple[Match, ...] = ()
        if debunk_id is not None:
            candidates = (Match(debunk=self.store.get(debunk_id), score=0.0, probability=0.0),)
        return self._add(
            text,
            origin="reader",
            source_url=source_url,
            context=context,
            comment=comment,
            reporter=reporter,
            candidates=candidates,
        )

    def _add(
        self,
        text: str,
        *,
        origin: str,
        wording: str = "",
        source_url: str = "",
        context: str = "",
        comment: str = "",
        reporter: str = "",
        checkworthiness: float = 0.0,
        candidates: Sequence[Match] = (),
    ) -> ReviewItem | None:
        cleaned = collapse_whitespace(text)[:MAX_TEXT]
        if not cleaned:
            raise InputError("the claim text is empty")
        if not origin.strip():
            raise InputError("origin is empty")
        wording = collapse_whitespace(wording)[:MAX_TEXT] or self.wording(cleaned)
        key = canonical_key(wording)
        tokens = claim_tokens(wording)
        now = utcnow()
        reader = origin == "reader"
        with self.store.session() as session:
            rejected = set(
                session.scalars(
                    select(ReviewRejectionRow.debunk_id).where(ReviewRejectionRow.claim_key == key)
                )
            )
            fresh = [m for m in candidates if m.debunk.id is not None and m.debunk.id not in rejected]
            if candidates and not fresh and not reader:
                return None  # every suggestion was already rejected for this wording
            dismissed = session.get(ReviewDismissalRow, key)
            row = self._group_for(session, key, tokens)
            if row is None and dismissed is not None and dismissed.item_id is not None:
                row = session.get(ReviewItemRow, dismissed.item_id)
            if row is None:
                row = ReviewItemRow(
                    text=cleaned,
                    claim_key=key,
                    origin=origin[:100],
                    status="open",
                    seen_count=0,
                    checkworthiness=checkworthiness,
                    priority=0.0,
                    token_count=len(tokens),
                    first_seen_at=now,
                    last_seen_at=now,
                    resolved_by="",
                    note="",
                    version=1,
                )
                session.add(row)
                session.flush()
                session.add_all(ReviewItemTokenRow(item_id=row.id, token=token) for token in tokens)
            # Added by id, not through `row.sightings`: that would load every earlier sighting first, and
            # a claim seen on thousands of pages made each new sighting slower and the process bigger.
            session.add(
                ReviewSightingRow(
                    item_id=row.id,
                    text=cleaned,
                    claim_key=key,
                    origin=origin[:100],
                    source_url=source_url[:2048],
                    context=collapse_whitespace(context)[:MAX_CONTEXT],
                    comment=comment[:MAX_CONTEXT],
                    reporter=reporter[:200],
                    checkworthiness=checkworthiness,
                    seen_at=now,
                )
            )
            # A sighting is not an editorial change, so it leaves `version` alone: an editor who is
            # deciding on the item must not get a conflict because the claim was seen again.
            has_reader = reader or session.scalar(
                select(
                    exists().where(ReviewSightingRow.item_id == row.id, ReviewSightingRow.origin == "reader")
                )
            )
            row.seen_count = (row.seen_count or 0) + 1
            row.checkworthiness = max(row.checkworthiness or 0.0, checkworthiness)
            row.last_seen_at = now
            row.priority = priority_of(row.seen_count, row.checkworthiness, now, reader=bool(has_reader))
            known = {candidate.debunk_id: candidate for candidate in row.candidates}
            for match in fresh:
                debunk_id = match.debunk.id
                if debunk_id is None:
                    continue
                if debunk_id in known:
                    existing = known[debunk_id]
                    if match.probability > existing.probability:
                        existing.score, existing.probability = match.score, match.probability
                        existing.matched_text = match.matched_text[:MAX_TEXT]
                    continue
                known[debunk_id] = ReviewCandidateRow(
                    debunk_id=debunk_id,
                    score=float(match.score),
                    probability=float(match.probability),
                    matched_text=match.matched_text[:MAX_TEXT],
                    rejected=False,
                )
                row.candidates.append(known[debunk_id])
            session.flush()
            item_id = row.id
        return self.get(item_id, sightings=1)

    def _group_for(self, session: Session, key: str, tokens: set[str]) -> ReviewItemRow | None:
        """The open item this claim belongs to: same canonical key, else the most similar near-duplicate."""
        same = session.scalar(
            select(ReviewItemRow)
            .where(ReviewItemRow.status == "open", ReviewItemRow.claim_key == key)
            .order_by(ReviewItemRow.id)
            .limit(1)
        )
        if same is not None:
            return same
        same = session.scalar(
            select(ReviewItemRow)
            .join(ReviewSightingRow, ReviewSightingRow.item_id == ReviewItemRow.id)
            .where(ReviewItemRow.status == "open", ReviewSightingRow.claim_key == key)
            .limit(1)
        )
        if same is not None or len(tokens) < 3:
            return same
        # Jaccard >= t implies |shared| >= t * |tokens|, so the database narrows it down by counting
        # shared token rows; the exact Jaccard is computed for the few that pass.
        needed = math.ceil(self.near_duplicate_jaccard * len(tokens))
        shared = func.count(ReviewItemTokenRow.token)
        rows = session.execute(
            select(ReviewItemRow.id, ReviewItemRow.token_count, shared)
            .join(ReviewItemTokenRow, ReviewItemTokenRow.item_id == ReviewItemRow.id)
            .where(ReviewItemRow.status == "open", ReviewItemTokenRow.token.in_(sorted(tokens)))
            .group_by(ReviewItemRow.id, ReviewItemRow.token_count)
            .having(shared >= needed)
        ).all()
        best: tuple[float, int] | None = None
        for item_id, token_count, common in rows:
            jaccard = common / (len(tokens) + token_count - common)
            if jaccard >= self.near_duplicate_jaccard and (best is None or jaccard > best[0]):
                best = (jaccard, item_id)
        return session.get(ReviewItemRow, best[1]) if best else None

    # --- reading -------------------------------------------------------------------------------

    def list(
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
        with self.store.session() as session:
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
        with self.store.session() as session:
            row = session.get(ReviewItemRow, item_id, options=[selectinload(ReviewItemRow.candidates)])
            if row is None:
                raise NotFoundError(f"no review item with id {item_id}")
            [item] = self._items(session, [row], sightings=sightings)
            return item

    def _items(
        self, session: Session, rows: Sequence[ReviewItemRow], *, sightings: int
    ) -> builtins.list[ReviewItem]:
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
        latest: dict[int, builtins.list[Sighting]] = {}
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
                first_seen_at=_aware(row.first_seen_at),
                last_seen_at=_aware(row.last_seen_at),
                version=row.version,
                debunk_id=row.debunk_id,
                resolved_by=row.resolved_by,
                resolved_at=_aware(row.resolved_at) if row.resolved_at else None,
                note=row.note,
                origins=tuple(sorted(origins.get(row.id, {row.origin}))),
                candidates=tuple(
                    Candidate(
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
            )
            for row in rows
        ]

    # --- decisions -----------------------------------------------------------------------------

    def confirm(self, item_id: int, debunk_id: int, *, expected_version: int, actor: str) -> ReviewItem:
        """The claim is what `debunk_id` debunks: its wordings become variants, so they match directly."""
        debunk = self.store.get(debunk_id)
        if debunk.retired:
            raise ConflictError(f"debunk {debunk_id} is retired; pick another one or create a new debunk")
        wordings = self._claim(
            item_id,
            expected_version,
            actor,
            "confirm",
            status="confirmed",
            debunk_id=debunk_id,
        )
        try:
            added = [
                text
                for text in self._variants(wordings.values())
                if self.store.add_variant(debunk_id, text, provenance=f"editor:{actor}")
            ]
        except Exception:
            self._undo_claim(item_id, expected_version)
            raise
        with self.store.session() as session:
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
        with self.store.session() as session:
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
        with self.store.session() as session:
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
        wordings = self._claim(item_id, expected_version, actor, "create_debunk", status="new_debunk")
        try:
            created = self.store.create_debunk(
                _with_variants(debunk, self._variants(wordings.values())), actor=actor
            )
        except Exception:
            self._undo_claim(item_id, expected_version)
            raise
        with self.store.session() as session:
            session.execute(
                update(ReviewItemRow).where(ReviewItemRow.id == item_id).values(debunk_id=created.id)
            )
        return self.get(item_id), created

    def reopen(self, item_id: int, *, expected_version: int, actor: str) -> ReviewItem:
        """Put a decided item back in the queue. Variants or debunks it created stay: edit those apart."""
        with self.store.session() as session:
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
        """Resolve the item (compare-and-set); returns its distinct wordings (key -> raw text), representative first."""
        with self.store.session() as session:
            row = self._claim_in(session, item_id, expected_version)
            before = _snapshot(row, version=expected_version)
            _resolve(row, status, actor, debunk_id=debunk_id)
            wordings = _wordings(session, row)
            session.flush()
            self.store.record_audit(session, actor, action, "review_item", item_id, before, _snapshot(row))
            return wordings

    def _variants(self, texts: Iterable[str]) -> builtins.list[str]:
        """The matcher's wordings of raw texts, once each: what becomes a debunk's variants."""
        return list(dict.fromkeys(self.wording(text) for text in texts))

    def _undo_claim(self, item_id: int, expected_version: int) -> None:
        """Put the item back as the editor saw it when the debunk side of a decision failed."""
        with self.store.session() as session:
            session.execute(
                update(ReviewItemRow)
                .where(ReviewItemRow.id == item_id, ReviewItemRow.version == expected_version + 1)
                .values(
                    version=expected_version, status="open", resolved_by="", resolved_at=None, debunk_id=None
                )
            )
            self.store.record_audit(
                session, "system", "undo", "review_item", item_id, None, {"status": "open"}
            )

    # --- what the matcher and the trainer consult ----------------------------------------------

    def is_rejected(self, claim_key: str, debunk_id: int) -> bool:
        with self.store.session() as session:
            return (
                session.scalar(
                    select(ReviewRejectionRow.id).where(
                        ReviewRejectionRow.claim_key == claim_key, ReviewRejectionRow.debunk_id == debunk_id
                    )
                )
                is not None
            )

    def rejected_debunks(self, claim_key: str) -> set[int]:
        """The debunks editors said do not address this wording (one query per claim)."""
        with self.store.session() as session:
            return set(
                session.scalars(
                    select(ReviewRejectionRow.debunk_id).where(ReviewRejectionRow.claim_key == claim_key)
                )
            )

    def rejected_pairs(self) -> set[tuple[str, int]]:
        """Every rejected (claim_key, debunk_id) pair, for a verdict stage that caches them."""
        with self.store.session() as session:
            return {
                (key, int(debunk_id))
                for key, debunk_id in session.execute(
                    select(ReviewRejectionRow.claim_key, ReviewRejectionRow.debunk_id)
                )
            }

    def rejection_check(self, *, max_age_s: float = 10.0) -> Callable[[str, int], bool]:
        """`is_rejected` for the matcher's hot path: one set in memory, reread every `max_age_s`.

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

    def is_dismissed(self, claim_key: str) -> bool:
        """True when an editor marked this wording not check-worthy."""
        with self.store.session() as session:
            return session.get(ReviewDismissalRow, claim_key) is not None

    def reviewed_pairs(self) -> builtins.list[ReviewedPair]:
        """Editors' judgements as (wording, debunk, matches) pairs: confirmations, new debunks, rejections."""
        with self.store.session() as session:
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

    # --- dashboard -----------------------------------------------------------------------------

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

        with self.store.session() as session:
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


# --- helpers -------------------------------------------------------------------------------------


def _default_normalize() -> Callable[[str], str]:
    # Imported when first needed: the claim stage loads spaCy, which the queue itself does not need.
    from factcheck.claims import normalize_claim_text

    return normalize_claim_text


def _context_of(claim: Claim, text: str) -> str:
    if text and 0 <= claim.start < claim.end <= len(text):
        return text[max(0, claim.start - CONTEXT_CHARS) : claim.end + CONTEXT_CHARS]
    return f"{claim.prefix}{claim.text}{claim.suffix}"


def _sighting(row: ReviewSightingRow) -> Sighting:
    return Sighting(
        text=row.text,
        origin=row.origin,
        source_url=row.source_url,
        context=row.context,
        comment=row.comment,
        reporter=row.reporter,
        checkworthiness=row.checkworthiness,
        seen_at=_aware(row.seen_at),
    )


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
