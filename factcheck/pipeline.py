"""`Checker`: wires the stages (ingest -> claims -> match/classify -> verdicts); every edge calls it.

The CLI, the API, the feed runner and Celery tasks all build one Checker (or are handed one) and call
`check`. It owns the loaded models and the matcher's index over the debunk database, so it is built
once per process and reused.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from factcheck._text import canonical_key
from factcheck.checkworthiness import CheckworthinessModel
from factcheck.claims import candidate_spans, extract_claims
from factcheck.corpus import ensure_initialised
from factcheck.cpu import limit_cpu_threads
from factcheck.errors import InputError
from factcheck.ingest import Fetcher, SafeFetcher, Source, SourceKind, ingest
from factcheck.liar import TextClassifier
from factcheck.matching import Candidate, Matcher, entries_from_debunks
from factcheck.review import ReviewQueue
from factcheck.settings import Settings
from factcheck.store import Store, open_store
from factcheck.store.models import utcnow
from factcheck.types import Claim, ClaimVerdict, Debunk, Document, Match, Report
from factcheck.verdicts import Thresholds, claim_status

# Whether an editor rejected this (claim key, debunk id) pair; the review queue answers it.
RejectionCheck = Callable[[str, int], bool]

CANDIDATES_PER_CLAIM = 5
EXACT_MATCH_PROBABILITY = 1.0
# Each sync looks this far back again: a change committed late (a long import) with an earlier
# timestamp, or written by a machine whose clock is a little behind, is still seen.
INDEX_SYNC_OVERLAP = timedelta(minutes=1)

log = logging.getLogger(__name__)


class Checker:
    def __init__(
        self,
        *,
        store: Store,
        matcher: Matcher,
        checkworthiness: CheckworthinessModel,
        classifier: TextClassifier,
        thresholds: Thresholds,
        fetcher: Fetcher | None = None,
        is_rejected: RejectionCheck | None = None,
        index_sync_seconds: float | None = None,
    ) -> None:
        self.store = store
        self.matcher = matcher
        self.checkworthiness = checkworthiness
        self.classifier = classifier
        self.thresholds = thresholds
        self.fetcher = fetcher or SafeFetcher()
        self.is_rejected = is_rejected
        self._debunks: dict[int, Debunk] = {}
        self._exact: dict[str, int] = {}  # canonical key of a known phrasing -> debunk id
        # canonical key of one sentence of a known phrasing of several -> debunk id (see match_claims)
        self._known_sentences: dict[str, int] = {}
        self._index_lock = threading.Lock()
        # Other processes (API workers, editors, imports, feed workers) change debunks too: every
        # `index_sync_seconds` a check first indexes what changed since the last look (None: never).
        self.index_sync_seconds = index_sync_seconds
        self._versions: dict[int, int] = {}  # debunk id -> version indexed
        self._synced_at = utcnow()
        self._next_sync = 0.0
        self._sync_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, is_rejected: RejectionCheck | None = None) -> Checker:
        """Open (and on first start fill) the database, load the shipped models, index every debunk."""
        if settings.cpu_threads is not None:
            limit_cpu_threads(settings.cpu_threads)
        store = open_store(settings.database_url)
        ensure_initialised(store, settings.corpus_dir)
        models_dir = Path(settings.models_dir)
        matcher = Matcher.load(models_dir, vector_cache=store, profile=settings.matcher_profile)
        checkworthiness = CheckworthinessModel.load(models_dir / "checkworthiness")
        thresholds = Thresholds(
            match=settings.match_threshold
            if settings.match_threshold is not None
            else matcher.match_threshold,
            suggest=settings.suggest_threshold
            if settings.suggest_threshold is not None
            else matcher.suggest_threshold,
            checkworthy=settings.checkworthy_threshold
            if settings.checkworthy_threshold is not None
            else checkworthiness.threshold,
            min_words_for_match=settings.min_words_for_match,
        )
        checker = cls(
            store=store,
            matcher=matcher,
            checkworthiness=checkworthiness,
            classifier=TextClassifier.load(models_dir / "liar"),
            thresholds=thresholds,
            fetcher=SafeFetcher.from_settings(settings),
            is_rejected=is_rejected or ReviewQueue(store).rejection_check(),
            index_sync_seconds=settings.index_sync_seconds,
        )
        checker.rebuild_index()
        return checker

    # --- the index over the debunk database ------------------------------------------------------

    def rebuild_index(self) -> None:
        started = utcnow()
        debunks = list(self.store.iter_debunks())
        with self._index_lock:
            self.matcher.index(entries_from_debunks(debunks))
            self._debunks = {}
            self._exact = {}
            self._known_sentences = {}
            self._versions = {}
            self._remember(debunks)
            self._synced_at = started

    def index_debunks(self, debunk_ids: Iterable[int]) -> None:
        """Make new or edited debunks (and new variants) matchable at once, without a rebuild."""
        fresh = self.store.get_many(debunk_ids)
        with self._index_lock:
            retired = [i for i, d in fresh.items() if d.retired]
            changed = [d for d in fresh.values() if not d.retired]
            known = [d.id for d in changed if d.id in self._debunks]
            self.matcher.remove([*retired, *known])
            self.matcher.add(entries_from_debunks(changed))
            for debunk_id in retired:
                self._debunks.pop(debunk_id, None)
            self._exact = {key: i for key, i in self._exact.items() if i not in fresh}
            self._known_sentences = {key: i for key, i in self._known_sentences.items() if i not in fresh}
            self._remember(changed)
            self._versions.update({i: d.version for i, d in fresh.items()})

    def sync_index(self) -> int:
        """Index the debunks written by anyone since the last look; returns how many there were."""
        started = utcnow()
        changed = self.store.versions_changed_since(self._synced_at - INDEX_SYNC_OVERLAP)
        stale = [i for i, version in changed.items() if self._versions.get(i) != version]
        if stale:
            self.index_debunks(stale)
        self._synced_at = started
        return len(stale)

    def _sync_index_when_due(self) -> None:
        if self.index_sync_seconds is None or time.monotonic() < self._next_sync:
            return
        if not self._sync_lock.acquire(blocking=False):
            return  # another request is syncing; this one checks against the index as it is
        try:
            self._next_sync = time.monotonic() + self.index_sync_seconds
            self.sync_index()
        except SQLAlchemyError as error:  # the database is away: check with the index as it is
            log.warning("could not look for changed debunks: %s", error)
        finally:
            self._sync_lock.release()

    def _remember(self, debunks: Iterable[Debunk]) -> None:
        for debunk in debunks:
            if debunk.id is None:
                continue
            self._debunks[debunk.id] = debunk
            self._versions[debunk.id] = debunk.version
            for text in (debunk.claim_reviewed, *debunk.variants):
                self._exact[canonical_key(text)] = debunk.id
                if _SENTENCE_INSIDE.search(text):
                    for sentence in _sentences_of_a_phrasing(text, self.thresholds.min_words_for_match):
                        self._known_sentences.setdefault(canonical_key(sentence), debunk.id)

    # --- checking --------------------------------------------------------------------------------

    def check(
        self,
        source: Source | Document,
        *,
        kind: SourceKind | None = None,
        source_url: str = "",
        thresholds: Thresholds | None = None,
        include_all: bool = False,
        max_sentences: int | None = None,
    ) -> Report:
        """Ingest a source, find its claims, match and classify them, and decide each claim's status."""
        timings: dict[str, float] = {}
        with _timed(timings, "ingest"):
            if isinstance(source, Document):
                document = source
            else:
                document = ingest(source, kind=kind, fetcher=self.fetcher, url=source_url or None)
            if source_url and not document.source_url:
                document = replace(document, source_url=source_url)
        return self.check_document(
            document,
            thresholds=thresholds,
            include_all=include_all,
            max_sentences=max_sentences,
            timings=timings,
        )

    def check_document(
        self,
        document: Document,
        *,
        thresholds: Thresholds | None = None,
        include_all: bool = False,
        max_sentences: int | None = None,
        timings: dict[str, float] | None = None,
    ) -> Report:
        thresholds = thresholds or self.thresholds
        timings = dict(timings or {})
        self._sync_index_when_due()
        with _timed(timings, "claims"):
            claims = extract_claims(document, scorer=self.checkworthiness)
        if max_sentences is not None and len(claims) > max_sentences:
            raise InputError(f"the document has {len(claims):,} sentences; the limit is {max_sentences:,}")
        with _timed(timings, "match"):
            matches = self.match_claims(claims)
        verdicts = [
            ClaimVerdict(claim=claim, status=claim_status(claim, found, thresholds), matches=tuple(found))
            for claim, found in zip(claims, matches, strict=True)
        ]
        with _timed(timings, "classify"):
            verdicts = self._add_signals(verdicts)
        if not include_all:
            verdicts = [v for v in verdicts if v.status != "not_checkworthy"]
        timings["total"] = sum(timings.values())
        return Report(document=document, claims=tuple(verdicts), timings_ms=timings)

    def match_claims(
        self, claims: list[Claim], *, k: int = CANDIDATES_PER_CLAIM, gated: bool = True
    ) -> list[list[Match]]:
        """Candidate debunks for each claim, best first; a known phrasing matches with certainty.

        So does one sentence of a known phrasing of several (a chain letter cut into sentences, as every
        page is) when the matcher agrees: its debunk comes first, at the suggest threshold or above.
        """
        if not claims:
            return []
        with self._index_lock:
            found = self.matcher.search(
                [claim.normalized or claim.text for claim in claims], k=k, gated=gated
            )
            keys = [canonical_key(claim.normalized or claim.text) for claim in claims]
            exact = [self._exact.get(key) for key in keys]
            sentence_of = [self._known_sentences.get(key) for key in keys]
            debunks = dict(self._debunks)
        results = []
        for key, candidates, exact_id, known_id in zip(keys, found, exact, sentence_of, strict=True):
            if (
                exact_id is None
                and known_id is not None
                and candidates
                and candidates[0].debunk_id == known_id
                and candidates[0].probability >= self.thresholds.suggest
            ):
                exact_id = known_id
            if exact_id is not None:
                candidates = [
                    Candidate(
                        exact_id, float("inf"), EXACT_MATCH_PROBABILITY, debunks[exact_id].claim_reviewed
                    ),
                    *(c for c in candidates if c.debunk_id != exact_id),
                ]
            results.append(
                [
                    Match(
                        debunk=debunks[c.debunk_id],
                        score=c.score,
                        probability=c.probability,
                        matched_text=c.matched_text,
                    )
                    for c in candidates[:k]
                    if c.debunk_id in debunks
                    and not (self.is_rejected and self.is_rejected(key, c.debunk_id))
                ]
            )
        return results

    def search(self, text: str, *, k: int = CANDIDATES_PER_CLAIM) -> list[Match]:
        """The debunks closest to a free-text query (what `factcheck db search` shows), by the whole cascade."""
        query = " ".join(text.split())
        claim = Claim(text=query, normalized=query, start=0, end=len(query), checkworthiness=1.0)
        return self.match_claims([claim], k=k, gated=False)[0]

    def _add_signals(self, verdicts: list[ClaimVerdict]) -> list[ClaimVerdict]:
        """The text classifier's weak signal, only for check-worthy claims that no debunk addresses."""
        unmatched = [i for i, v in enumerate(verdicts) if v.status == "no_match"]
        if not unmatched:
            return verdicts
        signals = self.classifier.signal([verdicts[i].claim.normalized for i in unmatched])
        verdicts = list(verdicts)
        for position, signal in zip(unmatched, signals, strict=True):
            verdicts[position] = replace(verdicts[position], signal=signal)
        return verdicts


# a sentence end followed by more text: the phrasing may hold several sentences
_SENTENCE_INSIDE = re.compile(r"[.!?…][\"'”’)\]]*\s+\S")


def _sentences_of_a_phrasing(text: str, min_words: int) -> list[str]:
    """The claims an article holding `text` would be cut into, when there are several of them."""
    candidates = candidate_spans(text)
    if len(candidates) < 2:
        return []
    return [c.normalized for c in candidates if len(c.normalized.split()) >= min_words]


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + (time.perf_counter() - started) * 1000
