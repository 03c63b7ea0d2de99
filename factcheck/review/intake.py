"""What enters the queue: sightings of claims, grouped into items with their suggested debunks.

    flag_report(report, origin=...)     /v1/check, feeds: claims under the match threshold (needs_review, possibly_related)
    add_reader_report(text, ...)        POST /v1/reports: a reader says the tool missed one
    add_unmatched(claim, ...)           feeds: highly check-worthy claims that match nothing

Each arrival is a *sighting*. Sightings of the same claim (same `canonical_key`) or of a
near-identical one (token-set Jaccard >= 0.8 with an open item) join one *item*, which counts them.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from factcheck._text import canonical_key, collapse_whitespace
from factcheck.errors import InputError
from factcheck.review.base import MAX_CONTEXT, MAX_TEXT, aware
from factcheck.review.reads import Reads
from factcheck.review.records import ReviewItem
from factcheck.store.models import utcnow
from factcheck.store.review_models import (
    ReviewCandidateRow,
    ReviewDismissalRow,
    ReviewItemRow,
    ReviewItemTokenRow,
    ReviewRejectionRow,
    ReviewSightingRow,
)
from factcheck.types import QUEUED_STATUSES, Claim, Match, Report

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
    weeks = (aware(last_seen) - _EPOCH).total_seconds() / (7 * 24 * 3600)
    return math.log2(max(seen_count, 1)) + 2.0 * checkworthiness + (READER_BONUS if reader else 0.0) + weeks


class Intake(Reads):
    def flag_report(self, report: Report, *, origin: str, source_url: str = "") -> list[ReviewItem]:
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
                language=claim.language,
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
            language=claim.language,
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
        suggestions: Sequence[Match] = (),
        language: str = "en",
    ) -> ReviewItem | None:
        """Queue a claim a reader says the tool missed (or, with `debunk_id`, matched wrongly).

        `suggestions` are the matcher's candidates for the text (the API passes those at or above the
        suggest threshold), so a report arrives with its suggested debunks like any other sighting.
        """
        candidates = list(suggestions)
        if debunk_id is not None and all(m.debunk.id != debunk_id for m in candidates):
            candidates.append(Match(debunk=self.store.get(debunk_id), score=0.0, probability=0.0))
        return self._add(
            text,
            origin="reader",
            source_url=source_url,
            context=context,
            comment=comment,
            reporter=reporter,
            language=language,
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
        language: str = "en",
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
        with self.store.transaction() as session:
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
                    language=language[:12],
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


def _context_of(claim: Claim, text: str) -> str:
    if text and 0 <= claim.start < claim.end <= len(text):
        return text[max(0, claim.start - CONTEXT_CHARS) : claim.end + CONTEXT_CHARS]
    return f"{claim.prefix}{claim.text}{claim.suffix}"
