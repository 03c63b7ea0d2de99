"""Feed polling as it runs: a real HTTP server on 127.0.0.1, real SQLite and PostgreSQL, real Redis.

These tests need no trained model: they poll, parse, de-duplicate and throttle. Checking the articles
with the real pipeline is in test_feeds_pipeline.py, and on Celery workers in test_feeds_celery.py.
"""

from __future__ import annotations

import io
import itertools
import json
import threading
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli.feeds_commands import parse_duration, parse_since
from factcheck.errors import (
    BlockedAddressError,
    FetchError,
    FetchTimeoutError,
    HTTPStatusError,
    InputError,
    NotFoundError,
    UnsupportedFormatError,
)
from factcheck.feeds import (
    FeedRunner,
    FlaggedClaim,
    FlaggedReport,
    LocalThrottle,
    RedisThrottle,
    SourceSummary,
    add_feed,
    canonical_url,
    is_retryable,
    list_feeds,
    parse_feed,
    remove_feed,
    write_report,
)
from factcheck.ingest import SafeFetcher
from factcheck.store import Store
from factcheck.store.feed_models import ArticleRow
from tests.fixtures.feeds.server import FeedServer, Item, atom, http_date, malformed_feed, rss

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml; charset=utf-8"


def _runner(store: Store, **fetch_options: float) -> FeedRunner:
    # The test server is on 127.0.0.1: allowed here, and only here.
    return FeedRunner(store, fetcher=SafeFetcher(allowlist=["127.0.0.1"], **fetch_options))


def _articles(store: Store) -> list[ArticleRow]:
    from sqlalchemy import select

    with store.transaction() as session:
        return list(session.scalars(select(ArticleRow).order_by(ArticleRow.id)))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://example.org/story/", "https://example.org/story"),
        ("HTTPS://Example.ORG:443/story#comments", "https://example.org/story"),
        ("http://example.org:8080/a/?b=2&a=1", "http://example.org:8080/a?a=1&b=2"),
        (
            "https://example.org/story?utm_source=rss&utm_medium=feed&id=7&fbclid=xyz&gclid=1",
            "https://example.org/story?id=7",
        ),
        ("https://example.org/", "https://example.org"),
    ],
)
def test_canonical_url_drops_tracking_parameters_fragment_default_port_and_trailing_slash(
    url: str, expected: str
) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("15m", 900), ("24h", 86400), ("7d", 604800)])
def test_parse_duration_reads_units(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "soon", "-5m", "0h"])
def test_parse_duration_refuses_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(InputError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", datetime(2026, 3, 1, 12, 0, tzinfo=UTC)),
        ("2026-02-20", datetime(2026, 2, 20, tzinfo=UTC)),
        ("2026-02-20T08:30+02:00", datetime(2026, 2, 20, 6, 30, tzinfo=UTC)),
    ],
)
def test_parse_since_reads_a_duration_back_from_now_or_an_iso_date(text: str, expected: datetime) -> None:
    assert parse_since(text, now=datetime(2026, 3, 2, 12, 0, tzinfo=UTC)) == expected


def test_parse_since_refuses_what_is_neither_a_duration_nor_a_date() -> None:
    with pytest.raises(InputError, match="--since takes a duration"):
        parse_since("yesterday-ish")


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (FetchTimeoutError("slow"), True),
        (FetchError("could not fetch: connection refused"), True),
        (HTTPStatusError("http://x/ answered 503 Service Unavailable", status=503), True),
        (HTTPStatusError("http://x/ answered 429 Too Many Requests", status=429), True),
        (HTTPStatusError("http://x/ answered 404 Not Found", status=404), False),
        (BlockedAddressError("10.0.0.1 is a private address"), False),
        (UnsupportedFormatError("application/pdf"), False),
    ],
)
def test_is_retryable_retries_only_what_may_pass(error: Exception, retryable: bool) -> None:
    assert is_retryable(error) is retryable  # type: ignore[arg-type]


def test_parse_feed_reads_rss_and_atom_items_with_absolute_links() -> None:
    items = [Item("One", "/articles/one", "First summary."), Item("Two", "http://other.example/two")]
    for document in (rss("http://news.example", items), atom("http://news.example", items)):
        parsed = parse_feed(document, url="http://news.example/feeds/feed.xml")
        assert [item.url for item in parsed] == [
            "http://news.example/articles/one",
            "http://other.example/two",
        ]
        assert parsed[0].title == "One"
        assert parsed[0].summary == "First summary."


def test_parse_feed_raises_input_error_for_a_malformed_feed() -> None:
    with pytest.raises(InputError, match="not a readable RSS or Atom feed"):
        parse_feed(malformed_feed(), url="http://news.example/bad.xml")


def test_parse_feed_never_opens_a_local_file_named_by_the_body() -> None:
    with pytest.raises(InputError):
        parse_feed(b"/etc/passwd")


def test_add_feed_is_idempotent_and_remove_keeps_articles(store: Store) -> None:
    first = add_feed(store, "https://news.example/rss.xml", name="News")
    again = add_feed(store, "https://NEWS.example/rss.xml/#top")
    assert again.id == first.id
    assert [feed.name for feed in list_feeds(store)] == ["News"]
    removed = remove_feed(store, "https://news.example/rss.xml")
    assert removed.id == first.id
    assert list_feeds(store) == []
    with pytest.raises(NotFoundError):
        remove_feed(store, str(first.id))


def test_add_feed_refuses_a_url_that_is_not_http(store: Store) -> None:
    with pytest.raises(InputError):
        add_feed(store, "file:///etc/passwd")


def test_poll_queues_rss_and_atom_articles_once_and_uses_conditional_get(
    store: Store, server: FeedServer
) -> None:
    rss_items = [Item(f"Story {n}", server.url(f"/articles/r{n}")) for n in range(3)]
    atom_items = [Item(f"Entry {n}", server.url(f"/articles/a{n}")) for n in range(2)]
    server.add("/feeds/rss.xml", rss(server.base, rss_items), content_type=RSS, etag='"rss-v1"')
    modified = http_date(-3600)
    server.add("/feeds/atom.xml", atom(server.base, atom_items), content_type=ATOM, last_modified=modified)
    add_feed(store, server.url("/feeds/rss.xml"), name="Riverside")
    add_feed(store, server.url("/feeds/atom.xml"), name="Hillside")
    runner = _runner(store)

    first = runner.poll()
    assert [(r.status, r.new) for r in first] == [("ok", 3), ("ok", 2)]
    assert {a.status for a in _articles(store)} == {"pending"}
    assert len(runner.pending()) == 5

    second = runner.poll()
    assert [r.status for r in second] == ["not_modified", "not_modified"]
    assert server.headers["/feeds/rss.xml"]["if-none-match"] == '"rss-v1"'
    assert server.headers["/feeds/atom.xml"]["if-modified-since"] == modified
    assert len(_articles(store)) == 5
    [rss_feed, atom_feed] = list_feeds(store)
    assert (rss_feed.last_status, rss_feed.etag) == ("not_modified", '"rss-v1"')
    assert atom_feed.articles == {"pending": 2}


def test_poll_finds_new_items_when_the_feed_changes(store: Store, server: FeedServer) -> None:
    server.add(
        "/feeds/rss.xml", rss(server.base, [Item("Old", server.url("/a/old"))]), content_type=RSS, etag='"1"'
    )
    add_feed(store, server.url("/feeds/rss.xml"))
    runner = _runner(store)
    assert runner.poll()[0].new == 1
    items = [Item("New", server.url("/a/new")), Item("Old", server.url("/a/old"))]
    server.add("/feeds/rss.xml", rss(server.base, items), content_type=RSS, etag='"2"')
    [result] = runner.poll()
    assert (result.status, result.new, result.known) == ("ok", 1, 1)


def test_poll_skips_duplicate_items_by_canonical_url_and_by_content(store: Store, server: FeedServer) -> None:
    summary = "The town council voted on Tuesday to keep the library on Mill Street open on Saturdays."
    items = [
        Item("Library stays open", server.url("/articles/library"), summary),
        Item("Library stays open", server.url("/articles/library/?utm_source=rss&utm_medium=feed#top")),
        Item("Library stays open", server.url("/syndicated/123"), summary),  # same story, other URL
        Item("Bridge closed", server.url("/articles/bridge"), "Roadworks close the old bridge for a week."),
    ]
    server.add("/feeds/rss.xml", rss(server.base, items), content_type=RSS)
    add_feed(store, server.url("/feeds/rss.xml"))
    [result] = _runner(store).poll()
    assert (result.items, result.new, result.known, result.duplicates) == (4, 2, 1, 1)
    assert [a.canonical_url for a in _articles(store)] == [
        server.url("/articles/library"),
        server.url("/articles/bridge"),
    ]


def test_poll_records_a_malformed_feed_as_failed_and_polls_the_others(
    store: Store, server: FeedServer
) -> None:
    server.add("/feeds/bad.xml", malformed_feed(), content_type="application/xml")
    server.add("/feeds/rss.xml", rss(server.base, [Item("Fine", server.url("/a/fine"))]), content_type=RSS)
    add_feed(store, server.url("/feeds/bad.xml"))
    add_feed(store, server.url("/feeds/rss.xml"))
    bad, good = _runner(store).poll()
    assert bad.status == "failed"
    assert "not a readable RSS or Atom feed" in bad.error
    assert (good.status, good.new) == ("ok", 1)
    assert list_feeds(store)[0].last_status == "failed"


def test_poll_records_a_feed_that_times_out_as_failed(store: Store, server: FeedServer) -> None:
    server.add("/feeds/slow.xml", rss(server.base, []), content_type=RSS, delay_s=3.0)
    server.add("/feeds/rss.xml", rss(server.base, [Item("Fine", server.url("/a/fine"))]), content_type=RSS)
    add_feed(store, server.url("/feeds/slow.xml"))
    add_feed(store, server.url("/feeds/rss.xml"))
    started = time.monotonic()
    slow, good = _runner(store, total_timeout=1.0).poll()
    assert time.monotonic() - started < 3.0
    assert slow.status == "failed"
    assert "did not finish" in slow.error
    assert (good.status, good.new) == ("ok", 1)


def test_poll_refuses_a_loopback_feed_unless_allow_listed(store: Store, server: FeedServer) -> None:
    server.add("/feeds/rss.xml", rss(server.base, []), content_type=RSS)
    add_feed(store, server.url("/feeds/rss.xml"))
    [result] = FeedRunner(store, fetcher=SafeFetcher()).poll()
    assert result.status == "failed"
    assert "loopback" in result.error
    assert server.hits["/feeds/rss.xml"] == 0


def test_poll_refuses_a_feed_served_as_an_image(store: Store, server: FeedServer) -> None:
    server.add("/feeds/feed.png", b"\x89PNG\r\n", content_type="image/png")
    add_feed(store, server.url("/feeds/feed.png"))
    [result] = _runner(store).poll()
    assert result.status == "failed"
    assert "image/png" in result.error


def _starts(throttle: LocalThrottle | RedisThrottle, host: str, threads: int) -> list[float]:
    starts: list[float] = []
    lock = threading.Lock()

    def fetch() -> None:
        throttle.wait(host)
        with lock:
            starts.append(time.monotonic())

    workers = [threading.Thread(target=fetch) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return sorted(starts)


def test_local_throttle_spaces_fetches_from_one_host_but_not_from_two() -> None:
    throttle = LocalThrottle(0.2)
    starts = _starts(throttle, "a.example", 3)
    assert all(later - earlier >= 0.19 for earlier, later in itertools.pairwise(starts))
    assert throttle.wait("b.example") == 0.0


def test_redis_throttle_spaces_fetches_from_one_host_across_clients() -> None:
    redis = pytest.importorskip("redis")
    prefix = f"factcheck-test:{uuid.uuid4().hex}:"
    throttles = [RedisThrottle(redis.Redis(), 0.2, prefix=prefix) for _ in range(2)]
    starts = sorted(_starts(throttles[0], "a.example", 2) + _starts(throttles[1], "a.example", 1))
    assert all(later - earlier >= 0.15 for earlier, later in itertools.pairwise(starts))


def test_write_report_html_escapes_feed_text_and_links_only_http_urls() -> None:
    when = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    claim = FlaggedClaim(
        source="Riverside <Gazette>",
        feed_url="javascript:alert(1)",
        article_url="javascript:alert(2)",
        article_title="<script>alert(3)</script>",
        checked_at=when,
        claim='5G "spreads" <b>the virus</b>',
        status="debunked",
        checkworthiness=0.9,
        probability=0.876,
        debunk_id=7,
        debunk_claim="5G spreads the virus",
        debunk_label="False",
        debunk_url="https://check.example/5g?a=1&b=2",
        reviewer="Check & Co",
    )
    source = SourceSummary("Riverside <Gazette>", "javascript:alert(1)", 3, 0, 5, 1, 0)
    page = io.StringIO()
    write_report(FlaggedReport(since=when, until=when, sources=(source,), claims=(claim,)), "html", page)
    html = page.getvalue()
    assert "<script" not in html and "javascript:" not in html
    assert "Riverside &lt;Gazette&gt;" in html and "&lt;b&gt;the virus&lt;/b&gt;" in html
    assert (
        '<a href="https://check.example/5g?a=1&amp;b=2">5G spreads the virus</a> (False, Check &amp; Co)'
        in html
    )
    assert "p=0.88" in html and "<svg" in html and "Riverside &lt;Gazette&gt;: 1 debunked" in html


def test_feeds_commands_add_list_remove_and_an_empty_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from factcheck.cli import app

    monkeypatch.setenv("FACTCHECK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    cli = CliRunner()
    added = cli.invoke(app, ["feeds", "add", "https://news.example/rss.xml", "--name", "News"])
    assert added.exit_code == 0, added.output
    assert "Feed 1: News <https://news.example/rss.xml>" in added.output
    listed = cli.invoke(app, ["feeds", "list", "--json"])
    assert json.loads(listed.output)[0]["name"] == "News"
    refused = cli.invoke(app, ["feeds", "add", "ftp://news.example/rss.xml"])
    assert refused.exit_code == 1
    assert "Error: a feed URL must be an absolute http(s) URL" in refused.output
    report_file = tmp_path / "report.html"
    made = cli.invoke(app, ["report", "--since", "7d", "-o", str(report_file)])
    assert made.exit_code == 0, made.output
    assert "No flagged claims in this period." in report_file.read_text()
    assert cli.invoke(app, ["report", "--since", "yesterday-ish"]).exit_code == 1
    assert cli.invoke(app, ["feeds", "run", "--once", "--every", "15m"]).exit_code != 0
    removed = cli.invoke(app, ["feeds", "remove", "1"])
    assert removed.exit_code == 0, removed.output
    assert cli.invoke(app, ["feeds", "remove", "1"]).exit_code == 1


@pytest.mark.parametrize(
    ("status", "label", "words", "css"),
    [
        ("debunked", "false", "debunked", "debunked refuted"),
        ("debunked", "misleading", "debunked", "debunked refuted"),
        ("fact_checked", "mostly_true", "fact-checked, rated true", "fact_checked supported"),
        ("fact_checked", "mixed", "fact-checked, rated partly true", "fact_checked mixed"),
        ("fact_checked", "unproven", "fact-checked, rated unproven", "fact_checked unproven"),
        ("fact_checked", "satire", "fact-checked, satire", "fact_checked satire"),
        ("fact_checked", "other", "fact-checked", "fact_checked other"),
        (
            "possibly_related",
            "false",
            "possibly related to a fact-check (rated false)",
            "possibly_related refuted",
        ),
        (
            "possibly_related",
            "true",
            "possibly related to a fact-check (rated true)",
            "possibly_related supported",
        ),
    ],
)
def test_write_report_words_each_status_by_the_fact_checks_rating(
    status: str, label: str, words: str, css: str
) -> None:
    when = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    claim = FlaggedClaim(
        source="Gazette",
        feed_url="https://gazette.example/feed",
        article_url="https://gazette.example/a",
        article_title="A story",
        checked_at=when,
        claim="Bill Gates warned in 2015 that the world was not ready for a deadly virus outbreak.",
        status=status,
        checkworthiness=0.9,
        probability=1.0,
        debunk_id=7,
        debunk_claim="Bill Gates warned in 2015 ...",
        debunk_label=label,
        debunk_url="https://check.example/gates",
        reviewer="PolitiFact",
    )
    counts = {"debunked": 0, "fact_checked": 0, "possibly_related": 0, "needs_review": 0, status: 1}
    source = SourceSummary("Gazette", "https://gazette.example/feed", 1, 0, 1, **counts)
    report = FlaggedReport(since=when, until=when, sources=(source,), claims=(claim,))
    page = io.StringIO()
    write_report(report, "html", page)
    html = page.getvalue()
    assert f'<span class="tag {css}">{words}</span>' in html
    legend = {"debunked": "debunked", "fact_checked": "fact-checked", "possibly_related": "possibly related"}
    assert f"<title>Gazette: 1 {legend[status]}</title>" in html
    if status != "debunked":
        assert ">debunked</span>" not in html
    lines = io.StringIO()
    write_report(report, "jsonl", lines)
    row = json.loads(lines.getvalue())
    assert (row["status"], row["rating_class"], row["described"]) == (status, css.split()[1], words)
    table = io.StringIO()
    write_report(report, "csv", table)
    assert table.getvalue().splitlines()[0].endswith(",rating_class,described")


def test_write_report_names_a_claims_language_and_a_fact_check_in_another() -> None:
    when = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    claim = FlaggedClaim(
        source="La Gazette",
        feed_url="https://gazette.example/feed",
        article_url="https://gazette.example/a",
        article_title="Un article",
        checked_at=when,
        claim="Les antennes 5G propagent le coronavirus.",
        status="debunked",
        checkworthiness=0.9,
        probability=0.9,
        debunk_id=7,
        debunk_claim="5G spreads the virus",
        debunk_label="false",
        debunk_url="https://check.example/5g",
        reviewer="Check",
        language="fr",
        debunk_language="en",
    )
    source = SourceSummary("La Gazette", "https://gazette.example/feed", 1, 0, 1, 1, 0)
    report = FlaggedReport(since=when, until=when, sources=(source,), claims=(claim,))
    page = io.StringIO()
    write_report(report, "html", page)
    html = page.getvalue()
    assert '<span class="muted">(French)</span>' in html
    assert '<span class="muted">fact-check in English</span>' in html
    lines = io.StringIO()
    write_report(report, "jsonl", lines)
    row = json.loads(lines.getvalue())
    assert (row["language"], row["debunk_language"]) == ("fr", "en")
    english = io.StringIO()
    write_report(replace(report, claims=(replace(claim, language="en"),)), "html", english)
    assert "fact-check in" not in english.getvalue() and "(French)" not in english.getvalue()
