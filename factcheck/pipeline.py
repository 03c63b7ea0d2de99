"""`Checker`: wires the stages (ingest -> claims -> match/classify -> verdicts); every edge calls it.

The CLI, the API, the feed runner and Celery tasks all build one Checker (or are handed one) and call
`check`. It owns the loaded models and the matcher's index over the debunk database, so it is built
once per process and reused.
"""

from __future__ import annotations

import logging
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from factcheck._known import DebunkRecords, KnownDebunks, key_hash
from factcheck._text import canonical_key
from factcheck.checkworthiness import CheckworthinessModel
from factcheck.checkworthiness_multilingual import LanguageRoutedScorer, TransferredCheckworthinessModel
from factcheck.claims import (
    CheckworthinessScorer,
    ClaimWindow,
    candidate_spans,
    claim_windows,
    extract_claims,
    sentence_pipeline,
)
from factcheck.corpus import ensure_initialised
from factcheck.cpu import limit_cpu_threads
from factcheck.errors import InputError
from factcheck.evidence import EvidenceModel, weigh_units, with_evidence
from factcheck.ingest import Fetcher, SafeFetcher, Source, SourceKind, ingest
from factcheck.language import LanguageDetector, default_detector, language_code, parse_languages
from factcheck.liar import TextClassifier
from factcheck.matching import Candidate, Matcher, entries_from_debunks
from factcheck.matching.embeddings import Encoder, VectorCache, cached_vectors, encode_cached
from factcheck.matching.matcher import Progress
from factcheck.matching.reranker import read_manifest
from factcheck.reported import reported_clause
from factcheck.settings import Settings
from factcheck.store import Store, open_store
from factcheck.store.models import utcnow
from factcheck.types import Claim, ClaimVerdict, Debunk, Document, Match, Report
from factcheck.verdicts import (
    LanguageThresholds,
    Thresholds,
    claim_status,
    recorded_related_threshold,
    with_speakers_named,
)

# Whether an editor rejected this (claim key, debunk id) pair. The review queue answers it, but the
# check path does not import the queue: the edges (API, CLI, feeds) hand the Checker this lookup.
RejectionCheck = Callable[[str, int], bool]

CANDIDATES_PER_CLAIM = 5
EXACT_MATCH_PROBABILITY = 1.0
# A window is matched only when one of its sentences already has a candidate this likely: a post is a
# hoax told in pieces, each near its debunk, while most sentences of a clean page are near none, and
# matching all their windows would add a fifth to a check's matching work.
WINDOW_MIN_SENTENCE_PROBABILITY = 0.05
# Each sync looks this far back again: a change committed late (a long import) with an earlier
# timestamp, or written by a machine whose clock is a little behind, is still seen.
INDEX_SYNC_OVERLAP = timedelta(minutes=1)
# Texts the first-start background encoding encodes and writes to the vector cache at once: a killed
# server loses at most this many, and checks get the CPU between chunks.
BACKGROUND_ENCODE_CHUNK = 256
BACKGROUND_LOG_SECONDS = 30.0  # how often the background encoding logs its progress
UNENCODED_LOOKUP_CHUNK = 10_000  # text keys looked up in the vector cache at once at start

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncodingProgress:
    """The first start's background MiniLM encoding (see `Checker.from_settings`), replaced whole."""

    done: int  # texts whose vector is in the vector cache
    total: int
    started: float  # time.monotonic() when it began
    failed: bool = False  # it stopped on an error (logged): the fast profile serves until a restart

    @property
    def rate(self) -> float:
        """Texts a second so far."""
        return self.done / max(time.monotonic() - self.started, 1e-9)

    @property
    def seconds_left(self) -> float | None:
        return (self.total - self.done) / self.rate if self.done else None

    def to_json(self) -> dict[str, object]:
        left = self.seconds_left
        return {
            "done": self.done,
            "total": self.total,
            "per_second": round(self.rate, 1),
            "seconds_left": round(left) if left is not None else None,
            **({"failed": True} if self.failed else {}),
        }


class Checker:
    def __init__(
        self,
        *,
        store: Store,
        matcher: Matcher,
        checkworthiness: CheckworthinessScorer,
        classifier: TextClassifier,
        thresholds: Thresholds,
        fetcher: Fetcher | None = None,
        is_rejected: RejectionCheck | None = None,
        index_sync_seconds: float | None = None,
        evidence: EvidenceModel | None = None,
        match_windows: bool = True,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.store = store
        self.matcher = matcher
        self.checkworthiness = checkworthiness
        self.classifier = classifier
        self.thresholds = thresholds
        self.fetcher = fetcher or SafeFetcher()
        self.is_rejected = is_rejected
        self.evidence = evidence  # message-level evidence (factcheck.evidence); None: sentences alone
        # Also match runs of 2-3 sentences of a short paragraph or post as one text (claims.claim_windows).
        self.match_windows = match_windows
        # Detects a document's language when it declares none, and each claim's (factcheck.language).
        self.detector = detector or default_detector()
        self._known = KnownDebunks()
        self._records = DebunkRecords(store)  # the records of the debunks checks return
        # One lock, and checks never take it. A check reads the matcher, which guards its own arrays
        # (it must, for every other user of a Matcher), and `self._known`, which is swapped whole by one
        # assignment, so a check sees one consistent generation of it without locking. What still needs
        # a lock is writers against each other: two index changes building on the same `_known` would
        # lose one. A check may see the matcher a moment ahead of `_known` (or behind); candidates whose
        # debunk `_known` does not hold are dropped, so the worst case is one check as of a moment ago.
        # The records a check returns are read from the database (`_records`, the recent ones kept): one
        # retired there since the last sync, and not among the kept, is dropped too.
        self._write_lock = threading.RLock()
        # Other processes (API workers, editors, imports, feed workers) change debunks too: every
        # `index_sync_seconds` a check first indexes what changed since the last look (None: never).
        self.index_sync_seconds = index_sync_seconds
        self._synced_at = utcnow()
        self._next_sync = 0.0
        # While a first start encodes MiniLM vectors in the background (`encode_then_upgrade`); else None.
        self.encoding: EncodingProgress | None = None

    @property
    def profile(self) -> str:
        """The matcher profile serving checks: "full" (with MiniLM) or "fast" (BM25 and static only)."""
        return _profile_of(self.matcher)

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        rejections: Callable[[Store], RejectionCheck] | None,
        encode_in_background: bool = False,
    ) -> Checker:
        """Open (and on first start fill) the database, load the shipped models, index every debunk.

        `rejections` builds the editors' rejection lookup over the opened store (the edges pass
        `lambda store: ReviewQueue(store).rejection_check()`); None checks without it.

        With `encode_in_background` (the server) and more than `settings.background_encode_min` debunk
        texts lacking their MiniLM vector, the Checker serves at once with the fast profile and its
        thresholds while a thread encodes them, then swaps in the full profile (`encode_then_upgrade`):
        a million texts take hours on two cores, and readers should get the cheap stages meanwhile.
        Batch edges (CLI, feeds) wait for the encoding instead, so their results never depend on timing.
        """
        if settings.cpu_threads is not None:
            limit_cpu_threads(settings.cpu_threads)
        store = open_store(settings.database_url)
        ensure_initialised(store, settings.corpus_dir)
        models_dir = Path(settings.models_dir)
        full = matcher_from_settings(settings, store)
        backlog = (
            unencoded_texts(full, store.iter_debunks())
            if encode_in_background and settings.background_encode_min is not None
            else []
        )
        matcher = full
        if len(backlog) > (settings.background_encode_min or 0):
            matcher = matcher_from_settings(settings.model_copy(update={"matcher_profile": "fast"}), store)
        # English claims: the English n-gram model; others: the English labels carried over through e5.
        checkworthiness = LanguageRoutedScorer(
            CheckworthinessModel.load(models_dir / "checkworthiness"),
            TransferredCheckworthinessModel.load(
                models_dir / "checkworthiness-multilingual", encoder_path=settings.multilingual_model
            ),
        )
        checker = cls(
            store=store,
            matcher=matcher,
            checkworthiness=checkworthiness,
            classifier=TextClassifier.load(models_dir / "liar"),
            thresholds=_thresholds(settings, matcher, checkworthiness),
            fetcher=SafeFetcher.from_settings(settings),
            is_rejected=rejections(store) if rejections is not None else None,
            index_sync_seconds=settings.index_sync_seconds,
            evidence=EvidenceModel.load(models_dir / "evidence") if settings.message_evidence else None,
            detector=default_detector(parse_languages(settings.languages)),
        )
        checker.warm_languages()
        checker.rebuild_index()
        if matcher is not full:
            checker.encode_then_upgrade(full, backlog, _thresholds(settings, full, checkworthiness))
        if settings.multilingual_warm and matcher.crosslingual is not None:
            threading.Thread(target=matcher.warm_crosslingual, name="multilingual-warm", daemon=True).start()
        return checker

    def warm_languages(self) -> None:
        """Load the language detector's model and build each supported language's sentence pipeline
        now, at start: the first French page would otherwise wait for spaCy's French tokenizer (3 s and
        34 MB, once per process)."""
        self.detector.detected("Warm up the language detector with a sentence of several words.")
        for language in self.detector.languages:
            sentence_pipeline(language)

    # --- the index over the debunk database ------------------------------------------------------

    def rebuild_index(self) -> None:
        started = utcnow()
        debunks = list(self.store.iter_debunks())
        with self._write_lock:
            self.matcher.index(entries_from_debunks(debunks))
            self._known = self._remember(KnownDebunks(), debunks)
            self._synced_at = started

    def encode_then_upgrade(
        self, full: Matcher, texts: list[str], thresholds: Thresholds
    ) -> threading.Thread:
        """Start a thread that encodes `texts` with `full`'s MiniLM into the vector cache, then indexes
        every debunk with `full` and serves it with `thresholds`; checks go on with the current matcher
        meanwhile. Progress is in `self.encoding` and the log."""
        encoder = full.transformer
        if encoder is None:
            raise ValueError("only a full-profile matcher (with MiniLM) has texts to encode")
        self.encoding = EncodingProgress(done=0, total=len(texts), started=time.monotonic())
        log.info(
            "%d debunk texts have no MiniLM vector: serving with the fast profile while they are encoded "
            "in the background, then with the full profile",
            len(texts),
        )
        thread = threading.Thread(
            target=self._encode_then_upgrade,
            args=(full, encoder, texts, thresholds),
            name="minilm-backlog",
            daemon=True,
        )
        thread.start()
        return thread

    def _encode_then_upgrade(
        self, full: Matcher, encoder: Encoder, texts: list[str], thresholds: Thresholds
    ) -> None:
        try:
            self._encode_backlog(encoder, full.vector_cache, texts)
            self._upgrade(full, thresholds)
        except Exception:  # a background thread: say so, and keep serving with the fast profile
            log.exception("the background MiniLM upgrade failed: the fast profile serves until a restart")
            if self.encoding is not None:
                self.encoding = replace(self.encoding, failed=True)

    def _encode_backlog(self, encoder: Encoder, cache: VectorCache | None, texts: list[str]) -> None:
        """Encode a chunk at a time, each written to the vector cache at once, so a restart resumes.

        Each worker of `serve --workers N` runs this over the same backlog: in its own order of chunks,
        it mostly meets chunks no other worker has written yet (`encode_cached` skips those already
        stored), so N workers share the encoding instead of each doing all of it.
        """
        starts = list(range(0, len(texts), BACKGROUND_ENCODE_CHUNK))
        random.Random(os.getpid()).shuffle(starts)
        logged = time.monotonic()
        progress = self.encoding or EncodingProgress(done=0, total=len(texts), started=logged)
        for start in starts:
            chunk = texts[start : start + BACKGROUND_ENCODE_CHUNK]
            encode_cached(encoder, chunk, cache)
            progress = self.encoding = replace(progress, done=progress.done + len(chunk))
            if time.monotonic() - logged >= BACKGROUND_LOG_SECONDS or progress.done == progress.total:
                logged = time.monotonic()
                log.info(
                    "encoded %d/%d debunk texts with MiniLM (%.0f/s, about %.0f s left)",
                    progress.done,
                    progress.total,
                    progress.rate,
                    progress.seconds_left or 0.0,
                )

    def _upgrade(self, full: Matcher, thresholds: Thresholds) -> None:
        """Index every debunk with `full` (its vectors now cached) and serve it from then on.

        The index is built outside the write lock, checks going on with the fast matcher; what changed
        meanwhile is synced once the new matcher is in. A check running across the swap may match its
        last claims with the full matcher at the thresholds it started with: one check, both calibrated.
        """
        started = utcnow()
        debunks = list(self.store.iter_debunks())
        full.index(entries_from_debunks(debunks))
        with self._write_lock:
            self.matcher, self.thresholds = full, thresholds
            self._known = self._remember(KnownDebunks(), debunks)
            self._synced_at = started
            self.sync_index()
        self.encoding = None
        log.info("every debunk text has its MiniLM vector: serving with the full profile")

    def index_debunks(self, debunk_ids: Iterable[int]) -> None:
        """Make new or edited debunks (and new variants) matchable at once, without a rebuild."""
        fresh = self.store.get_many(debunk_ids)
        with self._write_lock:
            old = self._known
            retired = [i for i, d in fresh.items() if d.retired or d.draft]  # neither is matched
            changed = [d for d in fresh.values() if not (d.retired or d.draft)]
            known = [d.id for d in changed if d.id is not None and old.is_matchable(d.id)]
            self.matcher.remove([*retired, *known])
            self.matcher.add(entries_from_debunks(changed))
            self._known = self._remember(old, fresh.values())

    def sync_index(self) -> int:
        """Index the debunks written by anyone since the last look; returns how many there were."""
        started = utcnow()
        changed = self.store.versions_changed_since(self._synced_at - INDEX_SYNC_OVERLAP)
        stale = [i for i, version in changed.items() if self._known.version(i) != version]
        if stale:
            self.index_debunks(stale)
        self._synced_at = started
        return len(stale)

    def _sync_index_when_due(self) -> None:
        if self.index_sync_seconds is None or time.monotonic() < self._next_sync:
            return
        if not self._write_lock.acquire(blocking=False):
            return  # the index is being written (a sync, an edit): check against it as it is
        try:
            self._next_sync = time.monotonic() + self.index_sync_seconds
            self.sync_index()
        except SQLAlchemyError as error:  # the database is away: check with the index as it is
            log.warning("could not look for changed debunks: %s", error)
        finally:
            self._write_lock.release()

    def _remember(self, known: KnownDebunks, debunks: Iterable[Debunk]) -> KnownDebunks:
        """`known` (not changed: a copy is returned) with these debunks, retired and draft ones too (as
        versions seen, never matched), in place of what it held about them."""
        versions: dict[int, tuple[int, bool]] = {}
        exact: tuple[list[int], list[int]] = ([], [])
        sentences: tuple[list[int], list[int]] = ([], [])
        for debunk in debunks:
            if debunk.id is None:
                continue
            matchable = not (debunk.retired or debunk.draft)
            versions[debunk.id] = (debunk.version, matchable)
            if not matchable:
                continue
            for text in (debunk.claim_reviewed, *debunk.variants):
                _add_key(exact, canonical_key(text), debunk.id)
                if _SENTENCE_INSIDE.search(text):
                    for sentence in _sentences_of_a_phrasing(
                        text, self.thresholds.min_words_for_match, debunk.language
                    ):
                        _add_key(sentences, canonical_key(sentence), debunk.id)
        return known.changed(versions, exact, sentences)

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
        language: str | None = None,
    ) -> Report:
        """Ingest a source, find its claims, match and classify them, and decide each claim's status.

        `language` (an ISO 639-1 code or language tag, "fr-FR") is the caller's word for the source's
        language: it counts as declared, over what the source itself declares.
        """
        timings: dict[str, float] = {}
        with _timed(timings, "ingest"):
            if isinstance(source, Document):
                document = source
            else:
                document = ingest(source, kind=kind, fetcher=self.fetcher, url=source_url or None)
            if source_url and not document.source_url:
                document = replace(document, source_url=source_url)
            if language_code(language):
                document = replace(document, language=language_code(language))
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
            # Declared (HTML lang, Content-Language, the caller's hint) wins; else detected from the text.
            document = replace(
                document, language=self.detector.for_document(document.text, declared=document.language)
            )
            claims = extract_claims(document, scorer=self.checkworthiness, detector=self.detector)
            if max_sentences is not None and len(claims) > max_sentences:
                raise InputError(
                    f"the document has {len(claims):,} sentences; the limit is {max_sentences:,}"
                )
            windows = (
                claim_windows(document, claims, scorer=self.checkworthiness) if self.match_windows else []
            )
        with _timed(timings, "match"):
            matches = self.match_claims(claims, suggest=thresholds.suggest)
            windows = [
                window
                for window in windows
                if any(
                    matches[i] and matches[i][0].probability >= WINDOW_MIN_SENTENCE_PROBABILITY
                    for i in window.members
                )
            ]
            window_matches = self.match_claims(
                [window.claim for window in windows], suggest=thresholds.suggest
            )
        verdicts = [
            ClaimVerdict(
                claim=claim,
                status=claim_status(claim, found, thresholds),
                matches=tuple(found),
                reported=reported_clause(claim.text) if found else None,
            )
            for claim, found in zip(claims, matches, strict=True)
        ]
        verdicts = _prefer_windows(verdicts, windows, window_matches, thresholds)
        with _timed(timings, "evidence"):
            evidence = weigh_units(
                document,
                claims,
                matches,
                lambda units: self.match_claims(units, suggest=thresholds.suggest),
                thresholds.suggest,
            )
            verdicts = with_evidence(
                verdicts,
                evidence,
                self.evidence,
                blocks=bool(document.blocks),
                min_words=thresholds.min_words_for_match,
            )
            verdicts = with_speakers_named(verdicts, document.text, thresholds)
        with _timed(timings, "classify"):
            verdicts = self._add_signals(verdicts)
        if not include_all:
            verdicts = [v for v in verdicts if v.status != "not_checkworthy"]
        timings["total"] = sum(timings.values())
        return Report(document=document, claims=tuple(verdicts), timings_ms=timings, sentences=len(claims))

    def match_claims(
        self,
        claims: list[Claim],
        *,
        k: int = CANDIDATES_PER_CLAIM,
        gated: bool = True,
        suggest: float | None = None,
    ) -> list[list[Match]]:
        """Candidate debunks for each claim, best first; a known phrasing matches with certainty.

        So does one sentence of a known phrasing of several (a chain letter cut into sentences, as every
        page is) when the matcher agrees: its debunk comes first, at the `suggest` threshold (the
        check's, else the Checker's) or above. A sentence reporting a known phrasing ("someone told me
        that …", factcheck.reported) matches it with certainty too.

        A claim in a language outside the configured ones (FACTCHECK_LANGUAGES) is not searched: the
        cross-lingual path is calibrated on those only (on a Russian page, "lunch cost me 400 roubles"
        met "Michelle Obama ran up a $400 bill" at 0.92).
        """
        if not claims:
            return []
        suggest = self.thresholds.suggest if suggest is None else suggest
        known = self._known
        searched = [claim for claim in claims if self.detector.supports(claim.language)]
        results_of_searched = iter(
            self.matcher.search(
                [claim.normalized or claim.text for claim in searched],
                k=k,
                gated=gated,
                languages=[claim.language for claim in searched],
            )
        )
        found = [
            next(results_of_searched) if self.detector.supports(claim.language) else [] for claim in claims
        ]
        keys = [canonical_key(claim.normalized or claim.text) for claim in claims]
        exact = [
            known.exact.get(key) or _reported_known(known, claim.normalized or claim.text)
            for key, claim in zip(keys, claims, strict=True)
        ]
        sentence_of = [known.sentences.get(key) for key in keys]
        ranked = []
        for candidates, exact_id, known_id in zip(found, exact, sentence_of, strict=True):
            if (
                exact_id is None
                and known_id is not None
                and candidates
                and candidates[0].debunk_id == known_id
                and candidates[0].probability >= suggest
            ):
                exact_id = known_id
            if exact_id is not None:  # its matched text is the debunk's claim, once its record is read
                candidates = [
                    Candidate(exact_id, float("inf"), EXACT_MATCH_PROBABILITY, ""),
                    *(c for c in candidates if c.debunk_id != exact_id),
                ]
            ranked.append((exact_id, candidates[:k]))
        # One read for every claim's candidates; a debunk `_known` does not hold as matchable is dropped.
        records = self._records.matchable(
            known.matchable_versions({c.debunk_id for _, candidates in ranked for c in candidates})
        )
        return [
            [
                Match(
                    debunk=records[c.debunk_id],
                    score=c.score,
                    probability=c.probability,
                    matched_text=records[c.debunk_id].claim_reviewed
                    if c.debunk_id == exact_id
                    else c.matched_text,
                )
                for c in candidates
                if c.debunk_id in records and not (self.is_rejected and self.is_rejected(key, c.debunk_id))
            ]
            for key, (exact_id, candidates) in zip(keys, ranked, strict=True)
        ]

    def search(self, text: str, *, k: int = CANDIDATES_PER_CLAIM, language: str = "") -> list[Match]:
        """The debunks closest to a free-text query (what `factcheck db search` shows), by the whole cascade
        (the cross-lingual path for a language other than English); `language` empty: detected."""
        query = " ".join(text.split())
        claim = Claim(
            text=query,
            normalized=query,
            start=0,
            end=len(query),
            checkworthiness=1.0,
            language=language or self.detector.detect(query),
        )
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


def _add_key(table: tuple[list[int], list[int]], key: str, debunk_id: int) -> None:
    hashes, ids = table
    hashes.append(key_hash(key))
    ids.append(debunk_id)


def _reported_known(known: KnownDebunks, text: str) -> int | None:
    """The debunk whose known phrasing this sentence reports, if it reports one."""
    clause = reported_clause(text)
    return known.exact.get(canonical_key(clause.text)) if clause else None


def unencoded_texts(matcher: Matcher, debunks: Iterable[Debunk]) -> list[str]:
    """The debunk texts `matcher` would encode with MiniLM at `index` because its vector cache lacks them
    (once each); none for a matcher without MiniLM or without a cache."""
    if matcher.transformer is None or matcher.vector_cache is None:
        return []
    texts: dict[str, str] = {}
    for text in matcher.dense_texts(entries_from_debunks(debunks)):
        texts.setdefault(canonical_key(text), text)
    keys = list(texts)
    missing = []
    for start in range(0, len(keys), UNENCODED_LOOKUP_CHUNK):
        chunk = keys[start : start + UNENCODED_LOOKUP_CHUNK]
        stored = cached_vectors(matcher.transformer, chunk, matcher.vector_cache)
        missing += [texts[key] for key in chunk if key not in stored]
    return missing


def _profile_of(matcher: Matcher) -> str:
    return "full" if matcher.transformer is not None else "fast"


def _thresholds(settings: Settings, matcher: Matcher, checkworthiness: LanguageRoutedScorer) -> Thresholds:
    """The verdict thresholds: the settings' where given, else the ones stored with `matcher`'s profile."""
    profile = _profile_of(matcher)
    return Thresholds(
        match=settings.match_threshold if settings.match_threshold is not None else matcher.match_threshold,
        suggest=settings.suggest_threshold
        if settings.suggest_threshold is not None
        else matcher.suggest_threshold,
        checkworthy=settings.checkworthy_threshold
        if settings.checkworthy_threshold is not None
        else checkworthiness.threshold,
        checkworthy_transferred=settings.checkworthy_transferred_threshold
        if settings.checkworthy_transferred_threshold is not None
        else checkworthiness.transferred.threshold,
        min_words_for_match=settings.min_words_for_match,
        related=_related_threshold(settings, Path(settings.models_dir), profile),
        other_languages=_other_languages(matcher),
    )


def _related_threshold(settings: Settings, models_dir: Path, profile: str) -> float | None:
    """The possibly_related threshold: the setting, else the one recorded with the matcher's `profile`;
    None (no tier) when it is turned off or none was recorded for this matcher."""
    if not settings.possibly_related:
        return None
    if settings.related_threshold is not None:
        return settings.related_threshold
    recorded = recorded_related_threshold(read_manifest(models_dir / "matcher"), profile)
    if recorded is None:
        log.warning(
            "no possibly_related threshold recorded for this matcher (run `factcheck train "
            "related-threshold`): the tier is off"
        )
    return recorded


def matcher_from_settings(settings: Settings, store: Store, *, multilingual: bool | None = None) -> Matcher:
    """The shipped matcher as the settings configure it, reading and writing vectors in `store`."""
    return Matcher.load(
        Path(settings.models_dir),
        vector_cache=store,
        profile=settings.matcher_profile,
        multilingual=settings.multilingual if multilingual is None else multilingual,
        multilingual_model=settings.multilingual_model,
        multilingual_inline_limit=settings.multilingual_inline_encode,
        ann_min_debunks=settings.ann_min_debunks,
        ann_probes=settings.ann_probes,
        ann_dense_probes=settings.ann_dense_probes,
        index_dir=settings.index_dir,
    )


def reindex(store: Store, matcher: Matcher, *, progress: Progress | None = None) -> int:
    """Index every debunk of `store` as a worker does at start, and return how many are searchable.

    What it leaves behind is what makes the next start fast: the transformer vectors in the store's
    vector cache (written chunk by chunk, so a killed run resumes) and, in approximate mode with an
    index folder, the index snapshot every worker maps (matching/snapshot.py).
    """
    matcher.index(entries_from_debunks(store.iter_debunks()), progress=progress)
    return len(matcher)


def _other_languages(matcher: Matcher) -> LanguageThresholds | None:
    """The cross-lingual path's own thresholds (chosen on the multilingual dev set), when it has a scorer."""
    scorer = matcher.crosslingual.scorer if matcher.crosslingual is not None else None
    if scorer is None or scorer.thresholds.get("match") is None:
        return None
    recorded = scorer.thresholds
    return LanguageThresholds(
        match=float(recorded["match"] or 1.0),
        suggest=float(recorded.get("suggest") or 0.0),
        related=recorded.get("related"),
    )


# a sentence end followed by more text: the phrasing may hold several sentences
_SENTENCE_INSIDE = re.compile(r"[.!?…][\"'”’)\]]*\s+\S")


def _sentences_of_a_phrasing(text: str, min_words: int, language: str) -> list[str]:
    """The claims an article holding `text` would be cut into, when there are several of them."""
    candidates = candidate_spans(text, language=language)
    if len(candidates) < 2:
        return []
    return [c.normalized for c in candidates if len(c.normalized.split()) >= min_words]


def _prefer_windows(
    verdicts: list[ClaimVerdict],
    windows: list[ClaimWindow],
    window_matches: list[list[Match]],
    thresholds: Thresholds,
) -> list[ClaimVerdict]:
    """Give a window's verdict to the sentences it spans when it matches better than any of them.

    A window counts when its best debunk reaches the suggest threshold with at least the confidence of
    each of its sentences' best (a tie goes to the window: the post was matched as one); a sentence
    covered by several such windows takes the most confident one.
    The report keeps one verdict per sentence: the window itself is never reported.
    """
    chosen: dict[int, ClaimVerdict] = {}
    for window, found in zip(windows, window_matches, strict=True):
        status = claim_status(window.claim, found, thresholds)
        if status in ("no_match", "not_checkworthy"):  # under the suggest threshold: nothing to give
            continue
        confidence = found[0].probability
        if confidence < max(_confidence(verdicts[i]) for i in window.members):
            continue
        for member in window.members:
            held = chosen.get(member)
            if held is None or confidence > _confidence(held):
                chosen[member] = ClaimVerdict(
                    claim=verdicts[member].claim, status=status, matches=tuple(found)
                )
    return [chosen.get(position, verdict) for position, verdict in enumerate(verdicts)]


def _confidence(verdict: ClaimVerdict) -> float:
    return verdict.matches[0].probability if verdict.matches else 0.0


@contextmanager
def _timed(timings: dict[str, float], stage: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        timings[stage] = timings.get(stage, 0.0) + (time.perf_counter() - started) * 1000
