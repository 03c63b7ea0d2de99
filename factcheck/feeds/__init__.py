"""Batch checks over RSS and Atom feeds: polling, de-duplication, per-article runs, reports.

add_feed / list_feeds / remove_feed     the feeds table                         (registry.py)
FeedRunner                              polls feeds, checks their articles      (runner.py)
├── poll()                              conditional GET, feedparser, new articles -> pending
├── check_article(id)                   fetch, check, store the results: idempotent, resumable
├── run(processes=N)                    the local engine: every pending article, here or in a pool
└── dispatch(send) / wait()             the Celery engine's halves (factcheck.tasks sends)
report_data(store, since)               flagged claims per source, for `factcheck report` (report.py)
write_report(report, format, stream)    html (templates/report.html.j2), csv or jsonl

records.py    Feed, FeedItem, PollResult, ArticleOutcome, RunSummary and the runner's protocols
throttle.py   the per-host politeness delay: NoThrottle, LocalThrottle, RedisThrottle
parsing.py    canonical_url (one spelling per article) and parse_feed (RSS and Atom entries)
"""

from factcheck.feeds.parsing import FEED_TYPES, canonical_url, parse_feed
from factcheck.feeds.records import (
    ArticleOutcome,
    Feed,
    FeedFetcher,
    FeedItem,
    PollResult,
    RunProgress,
    RunSummary,
)
from factcheck.feeds.registry import add_feed, list_feeds, remove_feed
from factcheck.feeds.report import (
    REPORT_FORMATS,
    FlaggedClaim,
    FlaggedReport,
    ReportFormat,
    SourceSummary,
    report_data,
    write_report,
)
from factcheck.feeds.runner import FeedRunner, is_retryable
from factcheck.feeds.throttle import LocalThrottle, NoThrottle, RedisThrottle, Throttle

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
    "ReportFormat",
    "RunProgress",
    "RunSummary",
    "SourceSummary",
    "Throttle",
    "add_feed",
    "canonical_url",
    "is_retryable",
    "list_feeds",
    "parse_feed",
    "remove_feed",
    "report_data",
    "write_report",
]
