"""Feed runs with the real pipeline: articles carrying known debunked claims, on a server on 127.0.0.1.

The Checker is the shipped one (models/, corpus/), built once for the module. Every test starts from
empty feed and review tables in one SQLite database filled from the corpus.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from typer.testing import CliRunner

from factcheck.feeds import FeedRunner, add_feed, report_data, write_report
from factcheck.review import ReviewQueue
from factcheck.settings import Settings
from factcheck.store import Store
from factcheck.store.feed_models import ArticleResultRow, ArticleRow, FeedRow
from factcheck.store.models import utcnow
from factcheck.store.review_models import ReviewItemRow
from tests.conftest import REPO_ROOT
from tests.fixtures.feeds.server import FeedServer, Item, article, atom, debunked_claims, rss

pytestmark = pytest.mark.slow

RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml"
MODELS = ("matcher", "checkworthiness", "liar")


def _settings(database_url: str, **overrides: Any) -> Settings:
    # 127.0.0.1 is allow-listed for these tests only; retries are quick so the file stays fast.
    values: dict[str, Any] = {
        "database_url": database_url,
        "fetch_allowlist": "127.0.0.1",
        "fetch_total_timeout_s": 5.0,
        "feed_politeness_delay_s": 0.0,
        "feed_fetch_retries": 2,
        "feed_retry_backoff_s": 0.05,
        **overrides,
    }
    return Settings(**values)


def _env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "FACTCHECK_DATABASE_URL": settings.database_url,
        "FACTCHECK_FETCH_ALLOWLIST": settings.fetch_allowlist,
        "FACTCHECK_FETCH_TOTAL_TIMEOUT_S": str(settings.fetch_total_timeout_s),
        "FACTCHECK_FEED_POLITENESS_DELAY_S": str(settings.feed_politeness_delay_s),
        "FACTCHECK_FEED_FETCH_RETRIES": str(settings.feed_fetch_retries),
        "FACTCHECK_FEED_RETRY_BACKOFF_S": str(settings.feed_retry_backoff_s),
    }


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    missing = [name for name in MODELS if not (REPO_ROOT / "models" / name).exists()]
    if missing:
        pytest.skip(f"trained models missing from models/: {', '.join(missing)}")
    return _settings(f"sqlite:///{tmp_path_factory.mktemp('feeds') / 'feeds.db'}")


@pytest.fixture(scope="module")
def shared_runner(settings: Settings) -> FeedRunner:
    """One runner, and one Checker (the models loaded once), for the module."""
    runner = FeedRunner.from_settings(settings)
    runner.checker  # noqa: B018  (loads the models and fills the database from the corpus)
    return runner


@pytest.fixture
def runner(shared_runner: FeedRunner) -> FeedRunner:
    with shared_runner.store.transaction() as session:
        for model in (ArticleResultRow, ArticleRow, FeedRow, ReviewItemRow):
            session.execute(delete(model))
    return shared_runner


def _publish(server: FeedServer, claims: list[dict[str, Any]], *, prefix: str = "story") -> list[Item]:
    """One article per claim, and the feed items that link to them."""
    items = []
    for number, record in enumerate(claims):
        path = f"/articles/{prefix}-{number}"
        title = f"{record['title']} ({prefix} {number})"
        server.add(path, article(title, record["claim_reviewed"]))
        items.append(
            Item(title, server.url(path), f"Residents discuss story {number} of the week in {prefix}.")
        )
    return items


def _articles(store: Store) -> dict[str, ArticleRow]:
    with store.transaction() as session:
        return {row.url.rsplit("/", 1)[-1]: row for row in session.scalars(select(ArticleRow))}


def _result_counts(store: Store) -> dict[int, int]:
    with store.transaction() as session:
        rows = session.execute(
            select(ArticleResultRow.article_id, func.count()).group_by(ArticleResultRow.article_id)
        )
        return dict(rows.all())


def test_run_local_finds_the_debunked_claims_of_rss_and_atom_articles(
    runner: FeedRunner, server: FeedServer
) -> None:
    claims = debunked_claims(6)
    server.add(
        "/feeds/rss.xml", rss(server.base, _publish(server, claims[:3], prefix="rss")), content_type=RSS
    )
    server.add(
        "/feeds/atom.xml", atom(server.base, _publish(server, claims[3:], prefix="atom")), content_type=ATOM
    )
    add_feed(runner.store, server.url("/feeds/rss.xml"), name="Riverside Gazette")
    add_feed(runner.store, server.url("/feeds/atom.xml"), name="Hillside Herald")

    summary = runner.run_once()

    assert (summary.feeds, summary.new_articles, summary.done, summary.failed) == (2, 6, 6, 0)
    assert summary.debunked >= 5, summary
    with runner.store.transaction() as session:
        found = session.execute(
            select(ArticleRow.url, ArticleResultRow.debunk_id)
            .join(ArticleRow)
            .where(ArticleResultRow.status == "debunked")
        ).all()
    debunked_texts = {runner.store.get(debunk_id).claim_reviewed for _, debunk_id in found}
    assert len(debunked_texts & {c["claim_reviewed"] for c in claims}) >= 5
    assert set(_articles(runner.store)) == {
        f"{p}-{n}" for p, r in (("rss", 3), ("atom", 3)) for n in range(r)
    }
    assert all(a.status == "done" and a.claim_count >= 1 for a in _articles(runner.store).values())

    # Flagged claims are in the editors' queue, exactly once each.
    with runner.store.transaction() as session:
        flagged = session.scalar(select(func.count()).where(ArticleResultRow.status == "needs_review"))
    sightings = sum(
        item.seen_count for item in ReviewQueue(runner.store).page(origin="feed", limit=500).items
    )
    assert sightings >= flagged
    assert sightings == summary.queued

    again = runner.run_once()
    assert (again.new_articles, again.articles, again.feeds_unchanged) == (0, 0, 0)
    assert all(server.hits[f"/articles/rss-{n}"] == 1 for n in range(3))


def test_run_local_retries_a_failing_article_then_records_it_failed_while_the_rest_goes_on(
    runner: FeedRunner, server: FeedServer
) -> None:
    items = _publish(server, debunked_claims(2))
    server.add("/articles/broken", "down", status=503)
    server.add("/articles/flaky", article("Flaky", debunked_claims(3)[2]["claim_reviewed"]), fail_times=1)
    items += [Item("Broken", server.url("/articles/broken")), Item("Flaky", server.url("/articles/flaky"))]
    server.add("/feeds/rss.xml", rss(server.base, items), content_type=RSS)
    add_feed(runner.store, server.url("/feeds/rss.xml"))

    summary = runner.run_once()

    articles = _articles(runner.store)
    assert articles["broken"].status == "failed"
    assert articles["broken"].attempts == 3  # the first try and feed_fetch_retries=2 retries
    assert "503" in articles["broken"].error
    assert server.hits["/articles/broken"] == 3
    assert (articles["flaky"].status, server.hits["/articles/flaky"]) == ("done", 2)
    assert (summary.done, summary.failed) == (3, 1)
    assert summary.failures == [(server.url("/articles/broken"), articles["broken"].error)]
    assert runner.run_once().articles == 0  # failed stays failed ...
    retried = runner.run_once(retry_failed=True)  # ... until asked
    assert (retried.articles, retried.failed, server.hits["/articles/broken"]) == (1, 1, 6)


def test_run_local_records_the_same_article_under_another_url_as_a_duplicate(
    runner: FeedRunner, server: FeedServer
) -> None:
    [record] = debunked_claims(1)
    page = article("Same story", record["claim_reviewed"])
    server.add("/articles/original", page)
    server.add("/syndicated/copy", page)
    items = [Item("Original", server.url("/articles/original")), Item("Copy", server.url("/syndicated/copy"))]
    server.add("/feeds/rss.xml", rss(server.base, items), content_type=RSS)
    add_feed(runner.store, server.url("/feeds/rss.xml"))
    summary = runner.run_once()
    assert (summary.done, summary.duplicates) == (1, 1)
    articles = _articles(runner.store)
    assert articles["copy"].duplicate_of == articles["original"].id
    assert list(_result_counts(runner.store)) == [articles["original"].id]


def test_report_lists_flagged_claims_per_source_as_html_csv_and_jsonl(
    runner: FeedRunner, server: FeedServer
) -> None:
    server.add("/feeds/rss.xml", rss(server.base, _publish(server, debunked_claims(3))), content_type=RSS)
    add_feed(runner.store, server.url("/feeds/rss.xml"), name="Riverside <Gazette>")
    summary = runner.run_once()
    data = report_data(runner.store, since=utcnow() - timedelta(hours=1))
    assert [(s.source, s.articles, s.debunked) for s in data.sources] == [
        ("Riverside <Gazette>", 3, summary.debunked)
    ]
    assert len(data.claims) == summary.debunked + summary.needs_review
    assert report_data(runner.store, since=utcnow() + timedelta(minutes=1)).claims == ()

    page = StringIO()
    write_report(data, "html", page)
    html = page.getvalue()
    assert "<svg" in html and "Riverside &lt;Gazette&gt;" in html
    assert "<script" not in html and "src=" not in html and "<link" not in html  # self-contained
    table = StringIO()
    write_report(data, "csv", table)
    assert table.getvalue().splitlines()[0].startswith("source,feed_url,article_url")
    assert len(table.getvalue().splitlines()) == len(data.claims) + 1
    lines = StringIO()
    write_report(data, "jsonl", lines)
    assert len(lines.getvalue().splitlines()) == len(data.claims)


def test_run_local_with_two_processes_checks_every_article_once(
    runner: FeedRunner, server: FeedServer, settings: Settings
) -> None:
    server.add("/feeds/rss.xml", rss(server.base, _publish(server, debunked_claims(6))), content_type=RSS)
    add_feed(runner.store, server.url("/feeds/rss.xml"))
    pool_runner = FeedRunner.from_settings(settings, store=runner.store)
    summary = pool_runner.run_once(processes=2)
    assert (summary.articles, summary.done) == (6, 6)
    assert summary.debunked >= 5
    assert all(server.hits[f"/articles/story-{n}"] == 1 for n in range(6))
    assert len(_result_counts(runner.store)) == 6


def test_feeds_run_killed_mid_run_loses_and_repeats_nothing_on_rerun(
    runner: FeedRunner, server: FeedServer, settings: Settings
) -> None:
    items = _publish(server, debunked_claims(5))
    server.routes["/articles/story-2"].delay_s = 60.0  # the run is killed while it waits for this one
    server.routes["/articles/story-2"].delay_times = 1
    server.add("/feeds/rss.xml", rss(server.base, items), content_type=RSS)
    cli = CliRunner()
    env = _env(_settings(settings.database_url, fetch_total_timeout_s=90.0))
    added = cli.invoke(_app(), ["feeds", "add", server.url("/feeds/rss.xml"), "--name", "Riverside"], env=env)
    assert added.exit_code == 0, added.output

    process = subprocess.Popen(
        [sys.executable, "-m", "factcheck", "feeds", "run", "--once"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert server.wait_for("/articles/story-2", timeout=120), "the run never reached the slow article"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    before = _articles(runner.store)
    assert [before[f"story-{n}"].status for n in range(5)] == [
        "done",
        "done",
        "pending",
        "pending",
        "pending",
    ]
    results_before = _result_counts(runner.store)

    rerun = cli.invoke(_app(), ["feeds", "run", "--once"], env=env)

    assert rerun.exit_code == 0, rerun.output
    assert "Articles: 3 (3 checked, 0 duplicates, 0 failed)" in rerun.output
    after = _articles(runner.store)
    assert all(after[f"story-{n}"].status == "done" for n in range(5))
    assert [server.hits[f"/articles/story-{n}"] for n in range(5)] == [1, 1, 2, 1, 1]
    results_after = _result_counts(runner.store)
    assert {k: results_after[k] for k in results_before} == results_before
    listing = cli.invoke(_app(), ["feeds", "list"], env=env)
    assert "5 done" in listing.output
    report_file = Path(runner.store.url.removeprefix("sqlite:///")).with_name("report.html")
    made = cli.invoke(
        _app(), ["report", "--since", "1h", "--format", "html", "-o", str(report_file)], env=env
    )
    assert made.exit_code == 0, made.output
    assert "<svg" in report_file.read_text()


def _app() -> Any:
    from factcheck.cli import app

    return app


def test_feeds_run_prints_a_summary_without_a_progress_bar_when_not_a_tty(
    runner: FeedRunner, server: FeedServer, settings: Settings
) -> None:
    server.add("/feeds/rss.xml", rss(server.base, []), content_type=RSS)
    env = _env(settings)
    CliRunner().invoke(_app(), ["feeds", "add", server.url("/feeds/rss.xml")], env=env)
    result = subprocess.run(
        [sys.executable, "-m", "factcheck", "feeds", "run", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert '"feeds": 1' in result.stdout
    assert "Checking articles" not in result.stderr
