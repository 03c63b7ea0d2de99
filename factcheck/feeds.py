"""Batch checks over RSS and Atom feeds: polling, de-duplication, per-article runs, reports.

    add_feed / list_feeds / remove_feed     the feeds table
    FeedRunner                              one per process, like the Checker it holds:
    ├── poll()                              conditional GET of each feed, feedparser, new articles -> pending
    ├── check_article(id)                   fetch, check, store the results: idempotent, resumable
    ├── run(processes=N)                    the local engine: every pending article, here or in a pool
    ├── dispatch(send) / wait()             the Celery engine's halves (factcheck.tasks sends)
    report_data(store, since)               flagged claims per source, for `factcheck report`
    write_report(report, format, stream)    html (inline SVG chart, self-contained), csv or jsonl

Every article is one row per canonical URL with a status (see factcheck.store.feed_models):
`check_article` reads a pending row, fetches and checks the page, then in ONE transaction marks it
done (compare-and-set from pending), writes its results and puts its flagged claims in the editors'
review queue. A crash before that commit leaves the row pending, so a rerun redoes it; a crash after
it leaves the row done, so a rerun skips it. Nothing is lost and nothing is stored twice.

Feed and article URLs are user-supplied: they go through the SSRF-safe fetcher, with a per-host
politeness delay (`Throttle`) shared by every process (LocalThrottle) or every worker (RedisThrottle).
"""

from __future__ import annotations

import calendar
import csv
import dataclasses
import hashlib
import html
import io
import json
import logging
import multiprocessing
import re
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol, cast, get_args
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from sqlalchemy import CursorResult, Result, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
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
from factcheck.ingest import FetchResult, SafeFetcher, document_from_url
from factcheck.ingest.html import html_to_text
from factcheck.review import ReviewQueue
from factcheck.store import Store
from factcheck.store.feed_models import ArticleResultRow, ArticleRow, FeedRow
from factcheck.store.models import DebunkRow, utcnow
from factcheck.types import ClaimVerdict, Report

if TYPE_CHECKING:
    from factcheck.settings import Settings

__all__ = [
    "FEED_TYPES",
    "REPORT_FORMATS",
    "ArticleOutcome",
    "Feed",
    "FeedFetcher",
    "FeedItem",
    "FeedRunner",
    "FlaggedClaim",
    "FlaggedReport",
    "LocalThrottle",
    "NoThrottle",
    "PollResult",
    "RedisThrottle",
    "RunProgress",
    "RunSummary",
    "SourceSummary",
    "Throttle",
    "add_feed",
    "canonical_url",
    "is_retryable",
    "list_feeds",
    "parse_duration",
    "parse_feed",
    "parse_since",
    "remove_feed",
    "report_data",
    "write_report",
]

log = logging.getLogger(__name__)

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/x-atom+xml",
        "application/xml",
        "text/xml",
        "text/plain",
        "text/html",  # some servers send feeds as web pages; feedparser decides
        "application/octet-stream",
    }
)
"""Media types a feed URL may answer with; anything else is refused before its body is read."""

ReportFormat = Literal["html", "csv", "jsonl"]
REPORT_FORMATS: tuple[str, ...] = get_args(ReportFormat)
OutcomeStatus = Literal["done", "duplicate", "failed", "skipped"]
FEED_ORIGIN = "feed"
"""The review queue's `origin` for claims that came from feeds."""

# Query parameters that only track the click; removing them makes one article one URL.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "_hsenc", "_hsmi", "mkt_tok", "ref_src", "ref_url", "cmpid", "icid", "ocid", "__twitter_impression",
    }
)  # fmt: skip
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_MIN_WORDS_FOR_HASH = 8
_CONTEXT_CHARS = 300
_MAX_BACKOFF_S = 300.0
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.IGNORECASE)
_DURATION_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


# --- records -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Feed:
    """A feed in the database, with how its last poll went and how many of its articles are in each state."""

    id: int
    url: str
    name: str
    created_at: datetime
    last_polled_at: datetime | None = None
    last_status: str = ""
    last_error: str = ""
    etag: str = ""
    last_modified: str = ""
    articles: Mapping[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FeedItem:
    """One entry of a parsed feed: an absolute article link and what the feed says about it."""

    url: str
    title: str = ""
    summary: str = ""
    published: datetime | None = None
    guid: str = ""


@dataclass(frozen=True)
class PollResult:
    """What one poll of one feed found: `new` articles queued, the rest already known or duplicates."""

    feed_id: int
    url: str
    status: Literal["ok", "not_modified", "failed"]
    items: int = 0
    new: int = 0
    known: int = 0
    duplicates: int = 0
    error: str = ""


@dataclass(frozen=True)
class ArticleOutcome:
    """How one article ended; `skipped` means it had already ended before (a rerun, a redelivered task)."""

    article_id: int
    url: str
    status: OutcomeStatus
    claims: int = 0
    debunked: int = 0
    needs_review: int = 0
    queued: int = 0
    error: str = ""

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ArticleOutcome:
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


@dataclass
class RunSummary:
    """Totals of one run, for the line the CLI prints at the end and for the benchmark."""

    feeds: int = 0
    feeds_unchanged: int = 0
    feeds_failed: int = 0
    new_articles: int = 0
    duplicate_items: int = 0
    articles: int = 0
    done: int = 0
    duplicates: int = 0
    failed: int = 0
    skipped: int = 0
    claims: int = 0
    debunked: int = 0
    needs_review: int = 0
    queued: int = 0
    elapsed_s: float = 0.0
    failures: list[tuple[str, str]] = field(default_factory=list)
    feed_errors: list[tuple[str, str]] = field(default_factory=list)

    def add_poll(self, result: PollResult) -> None:
        self.feeds += 1
        self.new_articles += result.new
        self.duplicate_items += result.duplicates
        if result.status == "not_modified":
            self.feeds_unchanged += 1
        elif result.status == "failed":
            self.feeds_failed += 1
            self.feed_errors.append((result.url, result.error))

    def add(self, outcome: ArticleOutcome) -> None:
        self.articles += 1
        if outcome.status == "done":
            self.done += 1
        elif outcome.status == "duplicate":
            self.duplicates += 1
        elif outcome.status == "failed":
            self.failed += 1
            self.failures.append((outcome.url, outcome.error))
        else:
            self.skipped += 1
        self.claims += outcome.claims
        self.debunked += outcome.debunked
        self.needs_review += outcome.needs_review
        self.queued += outcome.queued

    @property
    def articles_per_minute(self) -> float:
        return 60.0 * self.articles / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "articles_per_minute": round(self.articles_per_minute, 1)}


class RunProgress(Protocol):
    """Told how many articles a run will check, then about each one as it ends (the CLI's progress bar)."""

    def started(self, total: int) -> None: ...

    def finished(self, outcome: ArticleOutcome) -> None: ...


class DocumentChecker(Protocol):
    """What the runner needs of `factcheck.pipeline.Checker`."""

    def check_document(self, document: Any) -> Report: ...


class FeedFetcher(Protocol):
    """What the runner needs of `SafeFetcher`: extra request headers (conditional GET) and the 304."""

    def fetch(
        self, url: str, *, accept: Collection[str] = ..., headers: Mapping[str, str] | None = None
    ) -> FetchResult: ...


# --- politeness ----------------------------------------------------------------------------------


class Throttle(Protocol):
    """Spaces fetches from one host: `wait(host)` returns once this process may fetch from it."""

    def wait(self, host: str) -> float: ...


class NoThrottle:
    """No delay at all (a politeness delay of 0)."""

    def wait(self, host: str) -> float:
        return 0.0


class LocalThrottle:
    """A minimum delay between fetches from one host, shared by this process and its pool children.

    Hosts hash into `slots` shared-memory slots holding the earliest time of the next fetch; two
    hosts that share a slot are only spaced more than needed. Pass the instance to child processes
    at their creation (pool initializer); it pickles for that only.

    Example:
        >>> throttle = LocalThrottle(1.0)
        >>> throttle.wait("example.org")  # first call: no wait
        0.0
    """

    def __init__(self, delay_s: float, *, slots: int = 4096) -> None:
        self.delay_s = delay_s
        # Made in the forkserver context, the pool's: shared memory that children can be handed.
        self._next = multiprocessing.get_context("forkserver").Array("d", slots, lock=True)

    def wait(self, host: str) -> float:
        slot = zlib.crc32(host.lower().encode("utf-8")) % len(self._next)
        waited = 0.0
        while True:
            with self._next.get_lock():
                now = time.monotonic()  # CLOCK_MONOTONIC: one clock for every process on the machine
                ready = self._next[slot]
                if now >= ready:
                    self._next[slot] = now + self.delay_s
                    return waited
            pause = ready - now
            time.sleep(pause)
            waited += pause


class RedisThrottle:
    """A minimum delay between fetches from one host across every worker, on Redis.

    Each fetch takes the key `{prefix}{host}` with SET NX PX: whoever sets it may fetch, and the
    key's expiry is the delay. `client` is a `redis.Redis`.
    """

    def __init__(self, client: Any, delay_s: float, *, prefix: str = "factcheck:politeness:") -> None:
        self.client = client
        self.delay_s = delay_s
        self.prefix = prefix

    def wait(self, host: str) -> float:
        key = f"{self.prefix}{host.lower()}"
        delay_ms = max(int(self.delay_s * 1000), 1)
        waited = 0.0
        while not self.client.set(key, b"1", nx=True, px=delay_ms):
            pause = max(int(self.client.pttl(key) or 0), 5) / 1000
            time.sleep(pause)
            waited += pause
        return waited


# --- URLs and feeds ------------------------------------------------------------------------------


def canonical_url(url: str) -> str:
    """One spelling per article: no tracking parameters, fragment, default port or trailing slash.

    Scheme and host are lowercased, the remaining query parameters sorted. Two links to the
    same article from two feeds (or two campaigns) give the same string.

    Example:
        >>> canonical_url("HTTPS://Example.org:443/news/story/?utm_source=rss&id=7#comments")
        'https://example.org/news/story?id=7'
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port is None or _DEFAULT_PORTS.get(scheme) == port else f"{host}:{port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING_PARAMS and not key.lower().startswith(_TRACKING_PREFIXES)
    )
    path = parts.path.rstrip("/")
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def url_key(url: str) -> str:
    """The database identity of a URL: sha256 of its canonical form."""
    return hashlib.sha256(canonical_url(url).encode("utf-8")).hexdigest()


def parse_feed(data: bytes | str, *, url: str = "", content_type: str = "") -> list[FeedItem]:
    """The entries of an RSS (0.9x, 1.0, 2.0) or Atom feed, with absolute http(s) links.

    A feed with recoverable errors gives what feedparser could read; one with no entries and a
    parse error raises InputError. `data` is never taken as a URL or file name.
    """
    import feedparser  # the feeds need it, the rest of the library does not

    if isinstance(data, str):
        data, content_type = data.encode("utf-8"), "application/xml; charset=utf-8"
    headers = {"content-type": content_type or "application/xml"}
    if url:
        headers["content-location"] = url
    # A stream, never a str: feedparser opens a str that looks like a URL or path.
    parsed = feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=True)
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = parsed.get("bozo_exception") or "no RSS or Atom elements"
        where = f"{url} " if url else ""
        raise InputError(f"{where}is not a readable RSS or Atom feed: {reason}")
    items = []
    for entry in parsed.entries:
        link = _entry_link(entry, base=url)
        if not link:
            continue
        summary = entry.get("summary") or ""
        items.append(
            FeedItem(
                url=link,
                title=collapse_whitespace(entry.get("title") or "")[:1000],
                summary=collapse_whitespace(html_to_text(summary) if "<" in summary else summary)[:5000],
                published=_entry_time(entry),
                guid=str(entry.get("id") or "")[:1000],
            )
        )
    return items


def _entry_link(entry: Mapping[str, Any], *, base: str) -> str:
    candidates = [entry.get("link")]
    candidates += [link.get("href") for link in entry.get("links") or () if link.get("rel") == "alternate"]
    candidates.append(entry.get("id"))
    for candidate in candidates:
        if not candidate or not isinstance(candidate, str):
            continue
        absolute = urljoin(base, candidate.strip()) if base else candidate.strip()
        if urlsplit(absolute).scheme in ("http", "https") and urlsplit(absolute).hostname:
            return absolute[:2048]
    return ""


def _entry_time(entry: Mapping[str, Any]) -> datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return datetime.fromtimestamp(calendar.timegm(value), UTC)
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _item_hash(item: FeedItem) -> str | None:
    """Same title and summary under another URL is the same story (syndication, URL variants)."""
    if len(item.summary.split()) < _MIN_WORDS_FOR_HASH:
        return None
    return canonical_key(f"{item.title}\n{item.summary}")


def parse_duration(text: str) -> timedelta:
    """'90s', '15m', '24h', '7d', '2w' (or plain seconds) as a timedelta.

    Example:
        >>> parse_duration("15m")
        datetime.timedelta(seconds=900)
    """
    match = _DURATION.match(text)
    if not match or float(match.group(1)) <= 0:
        raise InputError(f"not a duration: {text!r} (expected e.g. 90s, 15m, 24h, 7d)")
    return timedelta(seconds=float(match.group(1)) * _DURATION_UNITS[match.group(2).lower()])


def parse_since(text: str, *, now: datetime | None = None) -> datetime:
    """A report's start: a duration back from now ('24h', '7d') or an ISO date or time (UTC if naive)."""
    try:
        return (now or utcnow()) - parse_duration(text)
    except InputError:
        pass
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"--since takes a duration (24h, 7d) or an ISO date, not {text!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_retryable(error: FactcheckError) -> bool:
    """Whether fetching again later may work: timeouts, broken connections, 5xx, 408 and 429."""
    if isinstance(error, InputError | BlockedAddressError | UnsupportedSchemeError):
        return False
    if isinstance(error, ResponseTooLargeError | TooManyRedirectsError):
        return False
    if isinstance(error, HTTPStatusError):
        return error.status >= 500 or error.status in (408, 425, 429)
    return isinstance(error, FetchError)


# --- the feeds table -----------------------------------------------------------------------------


def add_feed(store: Store, url: str, *, name: str = "") -> Feed:
    """Add a feed to poll; adding the same URL again (in any spelling) returns the existing one."""
    cleaned = url.strip()
    parts = urlsplit(cleaned)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InputError(f"a feed URL must be an absolute http(s) URL, got {url!r}")
    if len(cleaned) > 2048:
        raise InputError("the feed URL is longer than 2,048 characters")
    key = url_key(cleaned)
    with store.session() as session:
        _insert_ignoring_duplicates(
            session,
            FeedRow,
            [
                {
                    "url": cleaned,
                    "url_key": key,
                    "name": (name.strip() or parts.hostname)[:200],
                    "etag": "",
                    "last_modified": "",
                    "last_status": "",
                    "last_error": "",
                    "created_at": utcnow(),
                }
            ],
        )
        row = session.scalars(select(FeedRow).where(FeedRow.url_key == key)).one()
        return _feed_from_row(row, {})


def list_feeds(store: Store) -> list[Feed]:
    with store.session() as session:
        counts: dict[int, dict[str, int]] = {}
        for feed_id, status, count in session.execute(
            select(ArticleRow.feed_id, ArticleRow.status, func.count())
            .where(ArticleRow.feed_id.is_not(None))
            .group_by(ArticleRow.feed_id, ArticleRow.status)
        ):
            counts.setdefault(feed_id or 0, {})[status] = count
        rows = session.scalars(select(FeedRow).order_by(FeedRow.id)).all()
        return [_feed_from_row(row, counts.get(row.id, {})) for row in rows]


def remove_feed(store: Store, feed: int | str) -> Feed:
    """Stop polling a feed (by id or URL); its articles and their results stay."""
    with store.session() as session:
        query = select(FeedRow)
        if isinstance(feed, int) or (isinstance(feed, str) and feed.isdigit()):
            query = query.where(FeedRow.id == int(feed))
        else:
            query = query.where(FeedRow.url_key == url_key(feed))
        row = session.scalars(query).first()
        if row is None:
            raise NotFoundError(f"no feed {feed!r}; `factcheck feeds list` shows them")
        removed = _feed_from_row(row, {})
        session.delete(row)
        return removed


def _feed_from_row(row: FeedRow, counts: Mapping[str, int]) -> Feed:
    return Feed(
        id=row.id,
        url=row.url,
        name=row.name,
        created_at=row.created_at,
        last_polled_at=row.last_polled_at,
        last_status=row.last_status,
        last_error=row.last_error,
        etag=row.etag,
        last_modified=row.last_modified,
        articles=dict(counts),
    )


def _insert_ignoring_duplicates(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> int:
    """INSERT ... ON CONFLICT DO NOTHING (PostgreSQL and SQLite); returns how many rows went in."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    module = {"postgresql": postgresql, "sqlite": sqlite}.get(dialect)
    if module is None:
        raise NotImplementedError(f"feeds need PostgreSQL or SQLite, not {dialect}")
    inserted = 0
    for start in range(0, len(rows), 500):  # SQLite limits the number of bound parameters
        statement = (
            module.insert(model)
            .values(rows[start : start + 500])
            .on_conflict_do_nothing()
            .returning(model.id)
        )
        inserted += len(session.execute(statement).all())  # only the rows that went in come back
    return inserted


# --- the runner ----------------------------------------------------------------------------------


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

            return Checker.from_settings(settings)

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
        with self.store.session() as session:
            query = select(FeedRow.id).order_by(FeedRow.id)
            ids = list(session.scalars(query)) if feed_ids is None else list(feed_ids)
        return [self.poll_feed(feed_id) for feed_id in ids]

    def poll_feed(self, feed_id: int) -> PollResult:
        """Fetch one feed with its last ETag / Last-Modified and queue the articles not seen before."""
        with self.store.session() as session:
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
        with self.store.session() as session:
            session.execute(
                update(FeedRow)
                .where(FeedRow.id == feed_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )

    def _add_items(self, feed_id: int, items: Sequence[FeedItem]) -> tuple[int, int, int]:
        """Insert the articles not known by canonical URL nor by content; (new, known, duplicates)."""
        prepared = [(item, canonical_url(item.url), _item_hash(item)) for item in items]
        keys = {hashlib.sha256(canonical.encode()).hexdigest() for _, canonical, _ in prepared}
        hashes = {item_hash for _, _, item_hash in prepared if item_hash}
        now = utcnow()
        with self.store.session() as session:
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
            new = _insert_ignoring_duplicates(session, ArticleRow, rows)
        return new, known + len(rows) - new, duplicates

    # --- one article -----------------------------------------------------------------------------

    def pending(self, *, limit: int | None = None) -> list[int]:
        """Ids of the articles still to check, interleaved by host so one site is not hit in a burst."""
        with self.store.session() as session:
            query = select(ArticleRow.id, ArticleRow.url).where(ArticleRow.status == "pending")
            rows = session.execute(query.order_by(ArticleRow.id).limit(limit)).all()
        return _interleave_by_host([(article_id, url) for article_id, url in rows])

    def retry_failed(self) -> int:
        """Put failed articles back to pending, with fresh retries; returns how many."""
        with self.store.session() as session:
            return _rowcount(
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
        with self.store.session() as session:
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
            canonical_key(document.text) if len(document.text.split()) >= _MIN_WORDS_FOR_HASH else None
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
        with self.store.session() as session:
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
        with self.store.session() as session:
            session.execute(
                update(ArticleRow)
                .where(ArticleRow.id == article_id, ArticleRow.status == "pending")
                .values(attempts=ArticleRow.attempts + 1, error=_error_text(error))
                .execution_options(synchronize_session=False)
            )

    def _fail(self, article_id: int, url: str, error: BaseException) -> ArticleOutcome:
        message = _error_text(error)
        with self.store.session() as session:
            claimed = _settle(session, article_id, "failed", error=message)
        return ArticleOutcome(article_id, url, "failed" if claimed else "skipped", error=message)

    def _finish_duplicate(
        self, article_id: int, url: str, original: int, content_hash: str, final_url: str
    ) -> ArticleOutcome:
        with self.store.session() as session:
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
        debunked = sum(1 for v in verdicts if v.status == "debunked")
        needs_review = sum(1 for v in verdicts if v.status == "needs_review")
        source_url = report.document.source_url or url
        with self.store.session() as session:
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
        with self.store.session() as session:
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
            with self.store.session() as session:
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
            with self.store.session() as session:
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
            with self.store.session() as session:
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
    return _rowcount(result) > 0


def _rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE matched (Session.execute is typed as returning a plain Result)."""
    return int(cast("CursorResult[Any]", result).rowcount or 0)


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


# --- reports -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedClaim:
    """A claim from a feed article that was found debunked or was sent to the editors."""

    source: str
    feed_url: str
    article_url: str
    article_title: str
    checked_at: datetime | None
    claim: str
    status: str
    checkworthiness: float
    probability: float | None
    debunk_id: int | None
    debunk_claim: str
    debunk_label: str
    debunk_url: str
    reviewer: str


@dataclass(frozen=True)
class SourceSummary:
    """Per source (feed): articles checked in the period and what was found in them."""

    source: str
    feed_url: str
    articles: int
    failed: int
    claims: int
    debunked: int
    needs_review: int

    @property
    def flagged(self) -> int:
        return self.debunked + self.needs_review


@dataclass(frozen=True)
class FlaggedReport:
    since: datetime
    until: datetime
    sources: tuple[SourceSummary, ...]
    claims: tuple[FlaggedClaim, ...]


def report_data(store: Store, *, since: datetime, until: datetime | None = None) -> FlaggedReport:
    """Flagged claims (debunked or needs review) of the articles checked in [since, until), per source."""
    until = until or utcnow()
    window = (ArticleRow.finished_at >= since, ArticleRow.finished_at < until)
    with store.session() as session:
        feeds = {row.id: (row.name, row.url) for row in session.scalars(select(FeedRow))}

        def source_of(feed_id: int | None, url: str) -> tuple[str, str]:
            if feed_id in feeds:
                return feeds[feed_id]
            return urlsplit(url).hostname or "unknown", ""

        totals: dict[tuple[str, str], list[int]] = {}
        for feed_id, url, status, claim_count, debunked, needs_review in session.execute(
            select(
                ArticleRow.feed_id,
                ArticleRow.url,
                ArticleRow.status,
                ArticleRow.claim_count,
                ArticleRow.debunked_count,
                ArticleRow.needs_review_count,
            ).where(*window, ArticleRow.status.in_(("done", "failed")))
        ):
            counts = totals.setdefault(source_of(feed_id, url), [0, 0, 0, 0, 0])
            counts[0] += status == "done"
            counts[1] += status == "failed"
            counts[2] += claim_count
            counts[3] += debunked
            counts[4] += needs_review
        flagged = session.execute(
            select(ArticleResultRow, ArticleRow, DebunkRow)
            .join(ArticleRow, ArticleRow.id == ArticleResultRow.article_id)
            .outerjoin(DebunkRow, DebunkRow.id == ArticleResultRow.debunk_id)
            .where(*window, ArticleResultRow.status.in_(("debunked", "needs_review")))
            .order_by(ArticleRow.feed_id, ArticleRow.finished_at, ArticleResultRow.position)
        ).all()
        claims = []
        for result, article, debunk in flagged:
            name, feed_url = source_of(article.feed_id, article.url)
            claims.append(
                FlaggedClaim(
                    source=name,
                    feed_url=feed_url,
                    article_url=article.final_url or article.url,
                    article_title=article.title,
                    checked_at=article.finished_at,
                    claim=result.text,
                    status=result.status,
                    checkworthiness=result.checkworthiness,
                    probability=result.probability,
                    debunk_id=result.debunk_id,
                    debunk_claim=debunk.claim_reviewed if debunk is not None else "",
                    debunk_label=debunk.label if debunk is not None else "",
                    debunk_url=debunk.review_url if debunk is not None else "",
                    reviewer=debunk.reviewer_name if debunk is not None else "",
                )
            )
    sources = sorted(
        (SourceSummary(name, feed_url, *counts) for (name, feed_url), counts in totals.items()),
        key=lambda s: (-s.flagged, s.source),
    )
    return FlaggedReport(since=since, until=until, sources=tuple(sources), claims=tuple(claims))


def write_report(report: FlaggedReport, format: str, stream: IO[str]) -> None:
    """Write the report as `html` (one self-contained page with an SVG chart), `csv` or `jsonl`."""
    if format == "jsonl":
        for claim in report.claims:
            stream.write(json.dumps(_claim_json(claim), ensure_ascii=False) + "\n")
    elif format == "csv":
        names = [f.name for f in dataclasses.fields(FlaggedClaim)]
        writer = csv.DictWriter(stream, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for claim in report.claims:
            writer.writerow(_claim_json(claim))
    elif format == "html":
        stream.write(_report_html(report))
    else:
        raise InputError(f"unknown report format {format!r}; expected one of {', '.join(REPORT_FORMATS)}")


def _claim_json(claim: FlaggedClaim) -> dict[str, Any]:
    data = dataclasses.asdict(claim)
    data["checked_at"] = claim.checked_at.isoformat() if claim.checked_at else None
    return data


_DEBUNKED_COLOUR = "#c0392b"
_REVIEW_COLOUR = "#e6a23c"
_REPORT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:60rem;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
td.n,th.n{text-align:right}.muted{color:#666}.tag{display:inline-block;white-space:nowrap;padding:0 .4rem;border-radius:.3rem;color:#fff;font-size:.8rem}
.debunked{background:#c0392b}.needs_review{background:#b7791f}
"""


def _report_html(report: FlaggedReport) -> str:
    e = html.escape
    period = f"{report.since:%Y-%m-%d %H:%M} – {report.until:%Y-%m-%d %H:%M} UTC"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Flagged claims per source</title>",
        f"<style>{_REPORT_CSS}</style></head><body>",
        "<h1>Flagged claims per source</h1>",
        f'<p class="muted">Articles checked {e(period)}: '
        f"{sum(s.articles for s in report.sources)} articles, {len(report.claims)} flagged claims.</p>",
        _report_chart(report.sources),
        "<h2>Sources</h2>",
        '<table><thead><tr><th>Source</th><th class="n">Articles</th><th class="n">Failed</th>'
        '<th class="n">Claims</th><th class="n">Debunked</th><th class="n">Needs review</th></tr></thead><tbody>',
    ]
    for source in report.sources:
        parts.append(
            f"<tr><td>{_link(source.feed_url, source.source)}</td><td class='n'>{source.articles}</td>"
            f"<td class='n'>{source.failed}</td><td class='n'>{source.claims}</td>"
            f"<td class='n'>{source.debunked}</td><td class='n'>{source.needs_review}</td></tr>"
        )
    parts.append("</tbody></table>")
    by_source: dict[str, list[FlaggedClaim]] = {}
    for claim in report.claims:
        by_source.setdefault(claim.source, []).append(claim)
    for name, claims in by_source.items():
        parts.append(f"<h2>{e(name)}</h2>")
        parts.append(
            "<table><thead><tr><th>Claim</th><th>Status</th><th>Known debunk</th><th>Article</th></tr>"
            "</thead><tbody>"
        )
        for claim in claims:
            debunk = ""
            if claim.debunk_id is not None:
                label = f" ({e(claim.debunk_label)}, {e(claim.reviewer)})" if claim.debunk_label else ""
                debunk = _link(claim.debunk_url, claim.debunk_claim) + label
                if claim.probability is not None:
                    debunk += f' <span class="muted">p={claim.probability:.2f}</span>'
            status = claim.status.replace("_", " ")
            parts.append(
                f"<tr><td>{e(claim.claim)}</td>"
                f'<td><span class="tag {e(claim.status)}">{e(status)}</span></td>'
                f"<td>{debunk}</td><td>{_link(claim.article_url, claim.article_title or claim.article_url)}</td></tr>"
            )
        parts.append("</tbody></table>")
    if not report.claims:
        parts.append('<p class="muted">No flagged claims in this period.</p>')
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _report_chart(sources: Sequence[SourceSummary], *, width: int = 720, bar: int = 22) -> str:
    """A horizontal stacked bar chart (debunked, needs review) per source, as inline SVG."""
    e = html.escape
    shown = [s for s in sources if s.flagged][:20]
    if not shown:
        return ""
    label_w, gap, top = 220, 8, 30
    scale = (width - label_w - 60) / max(s.flagged for s in shown)
    height = top + len(shown) * (bar + gap) + 10
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, sans-serif" font-size="12">',
        "<title>Flagged claims per source</title>",
        f'<rect x="{label_w}" y="6" width="12" height="12" fill="{_DEBUNKED_COLOUR}"/>'
        f'<text x="{label_w + 16}" y="16">debunked</text>'
        f'<rect x="{label_w + 90}" y="6" width="12" height="12" fill="{_REVIEW_COLOUR}"/>'
        f'<text x="{label_w + 106}" y="16">needs review</text>',
    ]
    for row, source in enumerate(shown):
        y = top + row * (bar + gap)
        debunked_w = source.debunked * scale
        review_w = source.needs_review * scale
        name = source.source if len(source.source) <= 32 else source.source[:31] + "…"
        out.append(
            f'<text x="{label_w - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end">{e(name)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{debunked_w:.1f}" height="{bar}" fill="{_DEBUNKED_COLOUR}">'
            f"<title>{e(source.source)}: {source.debunked} debunked</title></rect>"
            f'<rect x="{label_w + debunked_w:.1f}" y="{y}" width="{review_w:.1f}" height="{bar}" '
            f'fill="{_REVIEW_COLOUR}"><title>{e(source.source)}: {source.needs_review} need review</title></rect>'
            f'<text x="{label_w + debunked_w + review_w + 6:.1f}" y="{y + bar * 0.7:.1f}">{source.flagged}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _link(url: str, text: str) -> str:
    """A link only for http(s) URLs: a feed could carry javascript: ones."""
    if urlsplit(url).scheme in ("http", "https"):
        return f'<a href="{html.escape(url, quote=True)}">{html.escape(text)}</a>'
    return html.escape(text)
