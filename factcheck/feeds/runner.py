"""FeedRunner: polls the feeds and checks the articles they link to, here or on Celery workers.

    FeedRunner                              one per process, like the Checker it holds:
    ├── poll()                              conditional GET of each feed, feedparser, new articles -> pending
    ├── check_article(id)                   fetch, check, store the results: idempotent, resumable
    ├── run(processes=N)                    the local engine: every pending article, here or in a pool
    └── dispatch(send) / wait()             the Celery engine's halves (factcheck.tasks sends)

Every article is one row per canonical URL with a status (see factcheck.store.feed_models):
`check_article` reads a pending row, fetches and checks the page, then in ONE transaction marks it
done (compare-and-set from pending), writes its results and puts its flagged claims in the editors'
review queue. A crash before that commit leaves the row pending, so a rerun redoes it; a crash after
it leaves the row done, so a rerun skips it. Nothing is lost and nothing is stored twice.

Feed and article URLs are user-supplied: they go through the SSRF-safe fetcher, with a per-host
politeness delay (factcheck.feeds.throttle) shared by every process or every worker.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from factcheck._text import canonical_key, collapse_whitespace
from factcheck.cpu import threads_per_process
from factcheck.errors import (
    BlockedAddressError,
    FactcheckError,
    FetchError,
    HTTPStatusError,
    InputError,
    NotFoundError,
    ResponseTooLargeError,
    TooManyRedirectsError,
    UnsupportedSchemeError,
)
from factcheck.feeds._sql import insert_ignoring_duplicates, rowcount
from factcheck.feeds.parsing import FEED_TYPES, MIN_WORDS_FOR_HASH, canonical_url, feed_item_hash, parse_feed
from factcheck.feeds.records import (
    ArticleOutcome,
    DocumentChecker,
    FeedFetcher,
    FeedItem,
    OutcomeStatus,
    PollResult,
    RunProgress,
    RunSummary,
)
from factcheck.feeds.throttle import LocalThrottle, NoThrottle, Throttle
from factcheck.ingest import FetchResult, SafeFetcher, document_from_url
from factcheck.review import ReviewQueue
from factcheck.store import Store
from factcheck.store.feed_models import ArticleResultRow, ArticleRow, FeedRow
from factcheck.store.models import utcnow
from factcheck.types import ClaimVerdict, Report

if TYPE_CHECKING:
    from factcheck.settings import Settings

log = logging.getLogger(__name__)

FEED_ORIGIN = "feed"
"""The review queue's `origin` for claims that came from feeds."""
_CONTEXT_CHARS = 300
_MAX_BACKOFF_S = 300.0


def is_retryable(error: FactcheckError) -> bool:
    """Whether fetching again later may work: timeouts, broken connections, 5xx, 408 and 429."""
    if isinstance(error, InputError | BlockedAddressError | UnsupportedSchemeError):
        return False
    if isinstance(error, ResponseTooLargeError | TooManyRedirectsError):
        return False
    if isinstance(error, HTTPStatusError):
        return error.status >= 500 or error.status in (408, 425, 429)
    return isinstance(error, FetchError)


class FeedRunner:
    """Polls feeds and checks the articles they link to; build one per process and reuse it.

    Parameters
    ----------
    store : Store
        The database with the feed tables (migration 0004).
    checker : Checker, optional
        What checks a Document; only needed to check articles (polling and dispatching do not).
        `checker_factory` builds it on first use instead.
    fetcher : SafeFetcher
        Fetches feeds and articles; its allow-list decides which private addresses are reachable.
    throttle : Throttle, default NoThrottle()
        The per-host politeness delay.
    retries : int, default 3
        Retries of an article whose fetch failed in a way that may pass (timeout, 5xx, ...).
    backoff_s : float, default 2.0
        The first retry's delay; each further retry doubles it.
    unmatched_checkworthiness : float, default 0.9
        Claims that match no debunk enter the review queue at or above this check-worthiness.

    Example:
        >>> runner = FeedRunner.from_settings(Settings())
        >>> runner.poll()
        >>> summary = runner.run(processes=2)
    """

    def __init__(
        self,
        store: Store,
        *,
        checker: DocumentChecker | None = None,
        checker_factory: Callable[[], DocumentChecker] | None = None,
        fetcher: FeedFetcher | None = None,
        throttle: Throttle | None = None,
        retries: int = 3,
        backoff_s: float = 2.0,
        unmatched_checkworthiness: float = 0.9,
        settings: Settings | None = None,
    ) -> None:
        self.store = store
        self._checker = checker
        self._checker_factory = checker_factory
        self._checker_lock = threading.Lock()
        self.fetcher: FeedFetcher = fetcher or SafeFetcher()
        self.throttle: Throttle = throttle or NoThrottle()
        self.retries = retries
        self.backoff_s = backoff_s
        self.unmatched_checkworthiness = unmatched_checkworthiness
        self.settings = settings

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        throttle: Throttle | None = None,
        checker: DocumentChecker | None = None,
        store: Store | None = None,
    ) -> FeedRunner:
        """A runner over the configured database; the Checker (the models) is loaded on first use."""
        from factcheck.store import open_store

        def build_checker() -> DocumentChecker:
            from factcheck.pipeline import Checker

            return Checker.from_settings(
                settings, rejections=lambda store: ReviewQueue(store).rejection_check()
            )

        if throttle is None:
            delay = settings.feed_politeness_delay_s
            throttle = LocalThrottle(delay) if delay > 0 else NoThrottle()
        return cls(
            store or open_store(settings.database_url),
            checker=checker,
            checker_factory=build_checker,
            fetcher=SafeFetcher.from_settings(settings),
            throttle=throttle,
            retries=settings.feed_fetch_retries,
            backoff_s=settings.feed_retry_backoff_s,
            unmatched_checkworthiness=settings.feed_unmatched_checkworthiness,
            settings=settings,
        )

    @property
    def checker(self) -> DocumentChecker:
        """The Checker, built once on first use (loading the models takes seconds)."""
        if self._checker is None:
            with self._checker_lock:
                if self._checker is None:
                    if self._checker_factory is None:
                        raise ValueError("this FeedRunner has no checker; pass checker= or checker_factory=")
                    self._checker = self._checker_factory()
        return self._checker

    def backoff(self, attempt: int) -> float:
        """Seconds before retry number `attempt` (0 for the first): backoff_s, then doubling."""
        return min(self.backoff_s * 2**attempt, _MAX_BACKOFF_S)

    # --- polling ---------------------------------------------------------------------------------

    def poll(self, feed_ids: Iterable[int] | None = None) -> list[PollResult]:
        """Poll every feed (or the given ones) once; a feed that fails does not stop the others."""
        with self.store.transaction() as session:
            query = select(FeedRow.id).order_by(FeedRow.id)
            ids = list(session.scalars(query)) if feed_ids is None else list(feed_ids)
        return [self.poll_feed(feed_id) for feed_id in ids]

    def poll_feed(self, feed_id: int) -> PollResult:
        """Fetch one feed with its last ETag / Last-Modified and queue the articles not seen before."""
        with self.store.transaction() as session:
            feed = session.get(FeedRow, feed_id)
            if feed is None:
                raise NotFoundError(f"no feed with id {feed_id}")
            url, etag, modified = feed.url, feed.etag, feed.last_modified
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        self.throttle.wait(urlsplit(url).hostname or "")
        try:
            result = self.fetcher.fetch(url, accept=FEED_TYPES, headers=headers)
            if result.status == 304:
                self._record_poll(feed_id, "not_modified")
                return PollResult(feed_id, url, "not_modified")
            items = parse_feed(
                _body_bytes(result), url=result.final_url, content_type=_feed_content_type(result)
            )
        except FactcheckError as error:
            message = collapse_whitespace(str(error))
            self._record_poll(feed_id, "failed", error=message)
            log.warning("feed %s failed: %s", url, message)
            return PollResult(feed_id, url, "failed", error=message)
        new, known, duplicates = self._add_items(feed_id, items)
        self._record_poll(
            feed_id,
            "ok",
            etag=result.headers.get("etag", ""),
            modified=result.headers.get("last-modified", ""),
        )
        return PollResult(feed_id, url, "ok", items=len(items), new=new, known=known, duplicates=duplicates)

    def _record_poll(
        self, feed_id: int, status: str, *, error: str = "", etag: str = "", modified: str = ""
    ) -> None:
        values: dict[str, Any] = {
            "last_polled_at": utcnow(),
            "last_status": status,
            "last_error": error[:2000],
        }
        if status == "ok":  # validators only from a feed we could read, so a broken one is fetched again
            values.update(etag=etag[:500], last_modified=modified[:100])
        with self.store.transaction() as session:
            session.execute(
                update(FeedRow)
                .where(FeedRow.id == feed_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    def _add_items(self, feed_id: int, items: Sequence[FeedItem]) -> tuple[int, int, int]:
        """Insert the articles not known by canonical URL nor by content; (new, known, duplicates)."""
        prepared = [(item, canonical_url(item.url), feed_item_hash(item)) for item in items]
        keys = {hashlib.sha256(canonical.encode()).hexdigest() for _, canonical, _ in prepared}
        hashes = {item_hash for _, _, item_hash in prepared if item_hash}
        now = utcnow()
        with self.store.transaction() as session:
            known_keys = set(session.scalars(select(ArticleRow.url_key).where(ArticleRow.url_key.in_(keys))))
            known_hashes = set(
                session.scalars(select(ArticleRow.item_hash).where(ArticleRow.item_hash.in_(hashes)))
            )
            rows: list[dict[str, Any]] = []
            known = duplicates = 0
            for item, canonical, item_hash in prepared:
                key = hashlib.sha256(canonical.encode()).hexdigest()
                if key in known_keys:
                    known += 1
                    continue
                if item_hash and item_hash in known_hashes:
                    duplicates += 1
                    continue
                known_keys.add(key)
                if item_hash:
                    known_hashes.add(item_hash)
                rows.append(
                    {
                        "feed_id": feed_id,
                        "url": item.url,
                        "canonical_url": canonical[:2048],
                        "url_key": key,
                        "title": item.title,
                        "published_at": item.published,
                        "item_hash": item_hash,
                        "content_hash": None,
                        "status": "pending",
                        "attempts": 0,
                        "error": "",
                        "final_url": "",
                        "claim_count": 0,
                        "debunked_count": 0,
                        "needs_review_count": 0,
                        "queued_count": 0,
                        "discovered_at": now,
                    }
                )
            new = insert_ignoring_duplicates(session, ArticleRow, rows)
        return new, known + len(rows) - new, duplicates

    # --- one article -----------------------------------------------------------------------------

    def pending(self, *, limit: int | None = None) -> list[int]:
        """Ids of the articles still to check, interleaved by host so one site is not hit in a burst."""
        with self.store.transaction() as session:
            query = select(ArticleRow.id, ArticleRow.url).where(ArticleRow.status == "pending")
            rows = session.execute(query.order_by(ArticleRow.id).limit(limit)).all()
        return _interleave_by_host([(article_id, url) for article_id, url in rows])

    def retry_failed(self) -> int:
        """Put failed articles back to pending, with fresh retries; returns how many."""
        with self.store.transaction() as session:
            return rowcount(
                session.execute(
                    update(ArticleRow)
                    .where(ArticleRow.status == "failed")
                    .values(status="pending", attempts=0, error="", finished_at=None, dispatched_at=None)
                    .execution_options(synchronize_session=False)
                )
            )

    def check_article(self, article_id: int) -> ArticleOutcome:
        """Fetch, check and store one article; safe to call again for the same article at any time.

        A fetch failure that may pass (is_retryable) is recorded as an attempt and raised, so the
        caller can retry after `backoff(attempt)`; once `retries` retries are used up, or for any
        other failure, the article is stored as failed and the outcome says why.
        """
        with self.store.transaction() as session:
            row = session.get(ArticleRow, article_id)
            if row is None:
                raise NotFoundError(f"no feed article with id {article_id}")
            url, title, status, attempts = row.url, row.title, row.status, row.attempts
            if status != "pending":
                return _outcome_from_row(row, "skipped")
        self.throttle.wait(urlsplit(url).hostname or "")
        try:
            document = document_from_url(url, self.fetcher)
        except FetchError as error:
            if is_retryable(error) and attempts < self.retries:
                self._record_attempt(article_id, error)
                raise
            return self._fail(article_id, url, error)
        except FactcheckError as error:
            return self._fail(article_id, url, error)
        document = replace(document, kind="feed_item", title=document.title or title)
        content_hash = (
            canonical_key(document.text) if len(document.text.split()) >= MIN_WORDS_FOR_HASH else None
        )
        if content_hash is not None:
            original = self._done_with_content(content_hash, article_id)
            if original is not None:
                return self._finish_duplicate(article_id, url, original, content_hash, document.source_url)
        try:
            report = self.checker.check_document(document)
        except FactcheckError as error:
            return self._fail(article_id, url, error)
        except Exception as error:  # one article must not stop a batch; the log keeps the traceback
            log.exception("checking %s failed", url)
            return self._fail(article_id, url, error)
        try:
            return self._finish(article_id, url, report, content_hash)
        except FactcheckError as error:  # e.g. the review queue refused a claim: the same next time
            return self._fail(article_id, url, error)

    def check_with_retries(
        self, article_id: int, *, sleep: Callable[[float], None] = time.sleep
    ) -> ArticleOutcome:
        """`check_article`, retried in place with backoff while the fetch error may pass.

        A database error that may pass (a PostgreSQL deadlock between two workers queueing the same
        claims, SQLite busy past its timeout) rolls the article back, so it is simply tried again;
        after `retries` of those the error is raised.
        """
        attempt = database_errors = 0
        while True:
            try:
                return self.check_article(article_id)
            except FetchError:
                sleep(self.backoff(attempt))
                attempt += 1
            except OperationalError:
                database_errors += 1
                if database_errors > self.retries:
                    raise
                log.warning("database error on article %s; trying again", article_id, exc_info=True)
                sleep(self.backoff(database_errors - 1))

    def _done_with_content(self, content_hash: str, article_id: int) -> int | None:
        with self.store.transaction() as session:
            return session.scalar(
                select(ArticleRow.id)
                .where(
                    ArticleRow.content_hash == content_hash,
                    ArticleRow.status == "done",
                    ArticleRow.id != article_id,
                )
                .order_by(ArticleRow.id)
                .limit(1)
            )

    def _record_attempt(self, article_id: int, error: BaseException) -> None:
        with self.store.transaction() as session:
            session.execute(
                update(ArticleRow)
                .where(ArticleRow.id == article_id, ArticleRow.status == "pending")
                .values(attempts=ArticleRow.attempts + 1, error=_error_text(error))
                .execution_options(synchronize_session=False)
            )

    def _fail(self, article_id: int, url: str, error: BaseException) -> ArticleOutcome:
        message = _error_text(error)
        with self.store.transaction() as session:
            claimed = _settle(session, article_id, "failed", error=message)
        return ArticleOutcome(article_id, url, "failed" if claimed else "skipped", error=message)

    def _finish_duplicate(
        self, article_id: int, url: str, original: int, content_hash: str, final_url: str
    ) -> ArticleOutcome:
        with self.store.transaction() as session:
            claimed = _settle(
                session,
                article_id,
                "duplicate",
                duplicate_of=original,
                content_hash=content_hash,
                final_url=final_url[:2048],
            )
        return ArticleOutcome(article_id, url, "duplicate" if claimed else "skipped")

    def _finish(self, article_id: int, url: str, report: Report, content_hash: str | None) -> ArticleOutcome:
        """Mark done, store the results and queue the flagged claims: all in one transaction."""
        verdicts = report.claims
        statuses = Counter(v.status for v in verdicts)
        debunked, needs_review = statuses["debunked"], statuses["needs_review"]
        source_url = report.document.source_url or url
        with self.store.transaction() as session:
            # The compare-and-set comes first: on PostgreSQL it locks the row, so a second worker on the
            # same article waits here, then finds it done and writes nothing.
            claimed = _settle(
                session,
                article_id,
                "done",
                content_hash=content_hash,
                final_url=source_url[:2048],
                claim_count=len(verdicts),
                debunked_count=debunked,
                needs_review_count=needs_review,
            )
            if not claimed:
                return ArticleOutcome(article_id, url, "skipped")
            session.add_all(_result_row(article_id, position, v) for position, v in enumerate(verdicts))
            session.flush()
            queue = ReviewQueue(self.store)  # joins this transaction (Store.transaction)
            queued = len(queue.flag_report(report, origin=FEED_ORIGIN, source_url=source_url))
            for verdict in verdicts:
                claim = verdict.claim
                if verdict.status == "no_match" and claim.checkworthiness >= self.unmatched_checkworthiness:
                    item = queue.add_unmatched(
                        claim,
                        source_url=source_url,
                        context=_context(report.document.text, claim.start, claim.end),
                        origin=FEED_ORIGIN,
                    )
                    queued += item is not None
            session.execute(
                update(ArticleRow)
                .where(ArticleRow.id == article_id)
                .values(queued_count=queued)
                .execution_options(synchronize_session=False)
            )
        return ArticleOutcome(
            article_id,
            url,
            "done",
            claims=len(verdicts),
            debunked=debunked,
            needs_review=needs_review,
            queued=queued,
            fact_checked=statuses["fact_checked"],
            possibly_related=statuses["possibly_related"],
        )

    # --- the local engine ------------------------------------------------------------------------

    def run(
        self,
        *,
        processes: int = 1,
        progress: RunProgress | None = None,
        article_ids: Sequence[int] | None = None,
        summary: RunSummary | None = None,
    ) -> RunSummary:
        """Check every pending article (or `article_ids`) here, or in a pool of `processes` processes.

        Each pool process builds its own runner (and Checker) once, from `self.settings`.
        """
        started = time.perf_counter()
        summary = summary or RunSummary()
        ids = list(article_ids) if article_ids is not None else self.pending()
        if progress:
            progress.started(len(ids))

        def record(outcome: ArticleOutcome) -> None:
            summary.add(outcome)
            if progress:
                progress.finished(outcome)

        if processes <= 1 or len(ids) <= 1:
            for article_id in ids:
                record(self.check_with_retries(article_id))
        else:
            self._run_pool(ids, processes, record)
        summary.elapsed_s += time.perf_counter() - started
        return summary

    def _run_pool(self, ids: Sequence[int], processes: int, record: Callable[[ArticleOutcome], None]) -> None:
        if self.settings is None:
            raise ValueError("a process pool needs a FeedRunner built with FeedRunner.from_settings")
        # forkserver: children start from a clean process, not a fork of this one with its threads,
        # database connections and progress bar.
        context = multiprocessing.get_context("forkserver")
        with ProcessPoolExecutor(
            max_workers=processes,
            mp_context=context,
            initializer=_pool_initializer,
            # Plain values, not the Settings object: a child builds its own, with its code's defaults.
            initargs=(
                {
                    **self.settings.model_dump(),
                    "cpu_threads": threads_per_process(processes, self.settings.cpu_threads),
                },
                self.throttle,
                context.Lock(),
            ),
        ) as pool:
            # A bounded window of submissions keeps the host interleaving (and the throttle) effective.
            queue = iter(ids)
            running: set[Future[ArticleOutcome]] = set()
            for article_id in queue:
                running.add(pool.submit(_pool_check, article_id))
                if len(running) >= processes * 2:
                    break
            while running:
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    record(future.result())
                    following = next(queue, None)
                    if following is not None:
                        running.add(pool.submit(_pool_check, following))

    def run_once(
        self,
        *,
        processes: int = 1,
        send: Callable[[int], None] | None = None,
        progress: RunProgress | None = None,
        retry_failed: bool = False,
        redispatch_after_s: float = 3600.0,
        timeout_s: float | None = None,
    ) -> RunSummary:
        """Poll every feed, then check every pending article: here (`send` None) or on the workers.

        With `send` (the Celery engine), each pending article is handed to `send` and the run waits
        for the workers to store it; see `dispatch` and `wait`.
        """
        started = time.perf_counter()
        summary = RunSummary()
        if retry_failed:
            self.retry_failed()
        for result in self.poll():
            summary.add_poll(result)
        if send is None:
            self.run(processes=processes, progress=progress, summary=summary)
        else:
            everything = self.pending()  # the ones sent now and the ones still in flight from before
            self.dispatch(send, redispatch_after_s=redispatch_after_s)
            self.wait(everything, progress=progress, summary=summary, timeout_s=timeout_s)
        summary.elapsed_s = time.perf_counter() - started
        return summary

    # --- the Celery engine's halves --------------------------------------------------------------

    def dispatch(self, send: Callable[[int], None], *, redispatch_after_s: float = 3600.0) -> list[int]:
        """Send each pending article not already in flight to the workers; returns the ids sent.

        An article sent less than `redispatch_after_s` ago is in flight (its task is in the broker
        or running); one sent longer ago lost its task and is sent again. Tasks are idempotent,
        so sending one twice costs work, never correctness.
        """
        stale = utcnow() - timedelta(seconds=redispatch_after_s)
        with self.store.transaction() as session:
            rows = session.execute(
                select(ArticleRow.id, ArticleRow.url)
                .where(
                    ArticleRow.status == "pending",
                    (ArticleRow.dispatched_at.is_(None)) | (ArticleRow.dispatched_at < stale),
                )
                .order_by(ArticleRow.id)
            ).all()
        ids = _interleave_by_host([(article_id, url) for article_id, url in rows])
        for start in range(0, len(ids), 500):
            batch = ids[start : start + 500]
            for article_id in batch:
                send(article_id)
            # Marked after sending: a crash in between sends these again next time, never zero times.
            with self.store.transaction() as session:
                session.execute(
                    update(ArticleRow)
                    .where(ArticleRow.id.in_(batch))
                    .values(dispatched_at=utcnow())
                    .execution_options(synchronize_session=False)
                )
        return ids

    def wait(
        self,
        article_ids: Iterable[int] | None = None,
        *,
        progress: RunProgress | None = None,
        summary: RunSummary | None = None,
        poll_interval_s: float = 0.5,
        timeout_s: float | None = None,
    ) -> RunSummary:
        """Wait until the workers have finished `article_ids` (default: every dispatched pending one).

        Each article is reported (to `progress` and the summary) as it ends.

        Reads the database, not a result backend: what counts is what the workers stored.
        """
        started = time.perf_counter()
        summary = summary or RunSummary()
        if article_ids is None:
            with self.store.transaction() as session:
                article_ids = list(
                    session.scalars(
                        select(ArticleRow.id).where(
                            ArticleRow.status == "pending", ArticleRow.dispatched_at.is_not(None)
                        )
                    )
                )
        waiting = set(article_ids)
        if progress:
            progress.started(len(waiting))
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while waiting:
            with self.store.transaction() as session:
                finished = session.scalars(
                    select(ArticleRow).where(
                        ArticleRow.id.in_(sorted(waiting)[:1000]), ArticleRow.status != "pending"
                    )
                ).all()
                outcomes = [_outcome_from_row(row) for row in finished]
            for outcome in outcomes:
                waiting.discard(outcome.article_id)
                summary.add(outcome)
                if progress:
                    progress.finished(outcome)
            if not waiting:
                break
            if deadline is not None and time.monotonic() > deadline:
                raise FactcheckError(
                    f"{len(waiting)} articles still pending after {timeout_s:.0f} s; are workers running "
                    "(`factcheck worker`)? Their tasks stay queued: run again to wait for them."
                )
            time.sleep(poll_interval_s)
        summary.elapsed_s += time.perf_counter() - started
        return summary


# One runner per pool process, built by the initializer and reused for every article it is given.
_POOL_RUNNER: FeedRunner | None = None


def _pool_initializer(settings: dict[str, Any], throttle: Throttle, build_lock: Any) -> None:
    from factcheck.settings import Settings

    global _POOL_RUNNER
    _POOL_RUNNER = FeedRunner.from_settings(Settings(**settings), throttle=throttle)
    # One process at a time loads the models: on a fresh database the first one fills it from the
    # corpus, which two at once would both try to insert (and both would encode the same vectors).
    with build_lock:
        _POOL_RUNNER.checker  # noqa: B018  (loaded before the first article, once per process)


def _pool_check(article_id: int) -> ArticleOutcome:
    if _POOL_RUNNER is None:
        raise RuntimeError("the pool initializer did not run")
    return _POOL_RUNNER.check_with_retries(article_id)


def _interleave_by_host(rows: Sequence[tuple[int, str]]) -> list[int]:
    """Round-robin over hosts, keeping each host's order: a.org/1, b.org/1, a.org/2, b.org/2, ..."""
    by_host: dict[str, list[int]] = {}
    for article_id, url in rows:
        by_host.setdefault(urlsplit(url).hostname or "", []).append(article_id)
    queues = [iter(ids) for ids in by_host.values()]
    ordered: list[int] = []
    while queues:
        still = []
        for queue in queues:
            following = next(queue, None)
            if following is not None:
                ordered.append(following)
                still.append(queue)
        queues = still
    return ordered


def _result_row(article_id: int, position: int, verdict: ClaimVerdict) -> ArticleResultRow:
    claim = verdict.claim
    best = verdict.matches[0] if verdict.matches else None
    return ArticleResultRow(
        article_id=article_id,
        position=position,
        text=claim.text,
        start=claim.start,
        end=claim.end,
        checkworthiness=float(claim.checkworthiness),
        language=claim.language,
        status=verdict.status,
        debunk_id=best.debunk.id if best is not None else None,
        probability=float(best.probability) if best is not None else None,
        matches=[
            {
                "debunk_id": match.debunk.id,
                "score": _finite(match.score),
                "probability": float(match.probability),
            }
            for match in verdict.matches
        ],
        created_at=utcnow(),
    )


def _settle(session: Session, article_id: int, status: str, **values: Any) -> bool:
    """Move a pending article to its final status, counting the attempt; False if another worker (or
    an earlier run) settled it first: a compare-and-set, so each article is stored once."""
    values.setdefault("error", "")
    result = session.execute(
        update(ArticleRow)
        .where(ArticleRow.id == article_id, ArticleRow.status == "pending")
        .values(status=status, attempts=ArticleRow.attempts + 1, finished_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) > 0


def _finite(value: float) -> float | None:
    number = float(value)
    return number if number not in (float("inf"), float("-inf")) and number == number else None


def _outcome_from_row(row: ArticleRow, status: OutcomeStatus | None = None) -> ArticleOutcome:
    return ArticleOutcome(
        row.id,
        row.url,
        status or row.status,  # type: ignore[arg-type]
        claims=row.claim_count,
        debunked=row.debunked_count,
        needs_review=row.needs_review_count,
        queued=row.queued_count,
        error=row.error if row.status == "failed" else "",
    )


def _error_text(error: BaseException) -> str:
    text = collapse_whitespace(str(error)) or error.__class__.__name__
    if not isinstance(error, FactcheckError):
        text = f"internal error: {error.__class__.__name__}: {text}"
    return text[:2000]


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - _CONTEXT_CHARS) : end + _CONTEXT_CHARS]


def _body_bytes(result: FetchResult) -> bytes:
    return result.text.encode("utf-8")


def _feed_content_type(result: FetchResult) -> str:
    # The text was decoded already (by the fetcher, from the HTTP charset or detection); say so, so
    # feedparser does not apply the XML declaration's encoding a second time.
    return f"{result.content_type or 'application/xml'}; charset=utf-8"
