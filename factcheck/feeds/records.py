"""What the feed runner reads and returns, and the protocols of the parts it is handed."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from factcheck.ingest import FetchResult
from factcheck.types import Report

OutcomeStatus = Literal["done", "duplicate", "failed", "skipped"]


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
