"""Feed runs on a real Celery worker: Redis broker, a throwaway PostgreSQL database, real models.

The worker is `celery -A factcheck.tasks worker` in a subprocess, configured by environment
variables as in production. One worker serves the module; one test SIGKILLs its pool process
in the middle of a task and checks the task is redone, and nothing stored twice.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from factcheck.corpus import ensure_initialised
from factcheck.feeds import FeedRunner, add_feed
from factcheck.settings import Settings
from factcheck.store import Store, open_store
from factcheck.store.feed_models import ArticleResultRow, ArticleRow
from tests.conftest import REPO_ROOT
from tests.fixtures.feeds.server import FeedServer, Item, article, debunked_claims, rss
from tests.postgres import throwaway_database

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

celery = pytest.importorskip("celery")

RSS = "application/rss+xml; charset=utf-8"
MODELS = ("matcher", "checkworthiness", "liar")


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for the module (the worker and the tests share it)."""
    with throwaway_database() as url:
        yield url


@pytest.fixture(scope="module")
def settings(database_url: str) -> Settings:
    missing = [name for name in MODELS if not (REPO_ROOT / "models" / name).exists()]
    if missing:
        pytest.skip(f"trained models missing from models/: {', '.join(missing)}")
    return Settings(
        database_url=database_url,
        broker_url="redis://127.0.0.1:6379/0",
        worker_queue=f"factcheck-test-{uuid.uuid4().hex[:8]}",  # no other worker takes these tasks
        fetch_allowlist="127.0.0.1",  # the test server; allow-listed for these tests only
        fetch_total_timeout_s=20.0,
        feed_politeness_delay_s=0.05,
        feed_fetch_retries=2,
        feed_retry_backoff_s=0.05,
    )


@pytest.fixture(scope="module")
def store(settings: Settings) -> Iterator[Store]:
    store = open_store(settings.database_url)
    ensure_initialised(store, settings.corpus_dir)  # before the worker starts, so it does not race us
    yield store
    store.close()


@pytest.fixture(scope="module")
def worker(settings: Settings, store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worker]:
    from factcheck import tasks

    tasks.configure(settings)
    running = Worker(settings, tmp_path_factory.mktemp("worker") / "worker.log")
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()
        with tasks.app.connection_for_write() as connection:
            connection.default_channel.queue_purge(settings.worker_queue)


class Worker:
    """`celery -A factcheck.tasks worker` with one pool process, in its own process group."""

    def __init__(self, settings: Settings, log: Path) -> None:
        self.log = log
        self.settings = settings
        env = {
            **os.environ,
            "FACTCHECK_DATABASE_URL": settings.database_url,
            "FACTCHECK_BROKER_URL": settings.broker_url,
            "FACTCHECK_WORKER_QUEUE": settings.worker_queue,
            "FACTCHECK_FETCH_ALLOWLIST": settings.fetch_allowlist,
            "FACTCHECK_FETCH_TOTAL_TIMEOUT_S": str(settings.fetch_total_timeout_s),
            "FACTCHECK_FEED_POLITENESS_DELAY_S": str(settings.feed_politeness_delay_s),
            "FACTCHECK_FEED_FETCH_RETRIES": str(settings.feed_fetch_retries),
            "FACTCHECK_FEED_RETRY_BACKOFF_S": str(settings.feed_retry_backoff_s),
            "FACTCHECK_BROKER_VISIBILITY_TIMEOUT_S": str(settings.broker_visibility_timeout_s),
        }
        command = [
            sys.executable, "-m", "celery", "-A", "factcheck.tasks", "worker",
            f"--queues={settings.worker_queue}", "--concurrency=1", "--pool=prefork",
            "--loglevel=INFO", f"--hostname=test-{uuid.uuid4().hex[:6]}@%h", "--without-gossip",
            "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        self._log_file = log.open("ab")
        self.process = subprocess.Popen(
            command, env=env, stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while "ready." not in self.output():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"the worker did not start:\n{self.output()[-3000:]}")
            time.sleep(0.2)

    def pool_processes(self) -> list[int]:
        """The pids of the worker's pool processes (children of the main process)."""
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == self.process.pid:
                children.append(int(stat.parent.name))
        return children

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log_file.close()


def _publish(server: FeedServer, claims: list[dict[str, Any]], prefix: str) -> list[Item]:
    items = []
    for number, record in enumerate(claims):
        path = f"/articles/{prefix}-{number}"
        server.add(path, article(f"{record['title']} ({prefix} {number})", record["claim_reviewed"]))
        items.append(Item(f"{prefix} {number}", server.url(path)))
    return items


def _by_slug(store: Store, server: FeedServer) -> dict[str, ArticleRow]:
    with store.transaction() as session:
        rows = session.scalars(select(ArticleRow).where(ArticleRow.url.startswith(server.base)))
        return {row.url.rsplit("/", 1)[-1]: row for row in rows}


def _results_per_article(store: Store, ids: list[int]) -> dict[int, int]:
    with store.transaction() as session:
        return dict(
            session.execute(
                select(ArticleResultRow.article_id, func.count())
                .where(ArticleResultRow.article_id.in_(ids))
                .group_by(ArticleResultRow.article_id)
            ).all()
        )


def test_run_celery_fans_articles_out_to_a_worker_retries_a_failing_one_and_stores_each_once(
    worker: Worker, settings: Settings, store: Store, server: FeedServer
) -> None:
    from factcheck import tasks

    items = _publish(server, debunked_claims(4), "celery")
    server.add("/articles/broken", "down", status=503)
    items.append(Item("Broken", server.url("/articles/broken")))
    server.add("/feeds/rss.xml", rss(server.base, items), content_type=RSS)
    add_feed(store, server.url("/feeds/rss.xml"), name="Riverside")
    runner = FeedRunner.from_settings(settings, store=store)

    summary = runner.run_once(send=tasks.send_check, timeout_s=180)

    articles = _by_slug(store, server)
    assert (summary.articles, summary.done, summary.failed) == (5, 4, 1), worker.output()[-3000:]
    assert summary.debunked >= 3
    assert (articles["broken"].status, articles["broken"].attempts) == ("failed", 3)
    assert server.hits["/articles/broken"] == 3  # the first try and two retries, with backoff
    assert all(server.hits[f"/articles/celery-{n}"] == 1 for n in range(4))
    counts = _results_per_article(store, [a.id for a in articles.values()])
    assert all(counts[a.id] == a.claim_count for a in articles.values() if a.status == "done")
    assert "Retry in" in worker.output()

    # Sending them all again does no work twice: each task finds its article done.
    for article_row in articles.values():
        tasks.send_check(article_row.id)
    time.sleep(2)
    assert all(server.hits[f"/articles/celery-{n}"] == 1 for n in range(4))


def test_feeds_run_engine_celery_from_the_command_line_prints_the_summary(
    worker: Worker, settings: Settings, store: Store, server: FeedServer
) -> None:
    from factcheck.cli import app

    server.add(
        "/feeds/rss.xml", rss(server.base, _publish(server, debunked_claims(2), "cli")), content_type=RSS
    )
    env = {
        "FACTCHECK_DATABASE_URL": settings.database_url,
        "FACTCHECK_BROKER_URL": settings.broker_url,
        "FACTCHECK_WORKER_QUEUE": settings.worker_queue,
        "FACTCHECK_FETCH_ALLOWLIST": settings.fetch_allowlist,
    }
    cli = CliRunner()
    assert cli.invoke(app, ["feeds", "add", server.url("/feeds/rss.xml")], env=env).exit_code == 0
    result = cli.invoke(app, ["feeds", "run", "--engine", "celery", "--timeout", "120", "--json"], env=env)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output.strip().splitlines()[-1])
    assert (summary["new_articles"], summary["done"], summary["failed"]) == (2, 2, 0)
    assert summary["debunked"] >= 1


def test_worker_killed_mid_task_has_the_task_redone_and_nothing_stored_twice(
    worker: Worker, settings: Settings, store: Store, server: FeedServer
) -> None:
    from factcheck import tasks

    items = _publish(server, debunked_claims(3), "kill")
    server.routes["/articles/kill-1"].delay_s = 30.0  # slow only the first time
    server.routes["/articles/kill-1"].delay_times = 1
    server.add("/feeds/rss.xml", rss(server.base, items), content_type=RSS)
    add_feed(store, server.url("/feeds/rss.xml"), name="Kill")
    runner = FeedRunner.from_settings(settings, store=store)
    assert runner.poll()[-1].new == 3
    ids = runner.dispatch(tasks.send_check)

    assert server.wait_for("/articles/kill-1", timeout=120), worker.output()[-3000:]
    [pool_process] = worker.pool_processes()
    os.kill(pool_process, signal.SIGKILL)
    summary = runner.wait(ids, timeout_s=180)

    assert (summary.done, summary.failed) == (3, 0), worker.output()[-3000:]
    assert server.hits["/articles/kill-1"] == 2  # redone by the restarted pool process
    assert worker.pool_processes() != [pool_process]
    assert "WorkerLostError" in worker.output() or "SIGKILL" in worker.output()
    articles = _by_slug(store, server)
    counts = _results_per_article(store, [a.id for a in articles.values()])
    assert all(counts.get(a.id, 0) == a.claim_count for a in articles.values())
    assert all(a.status == "done" and a.attempts == 1 for a in articles.values())


def test_whole_worker_killed_mid_task_has_the_task_redone_by_a_restarted_worker(
    settings: Settings, store: Store, server: FeedServer, tmp_path: Path
) -> None:
    """SIGKILL of the whole worker (main process too): its unacknowledged message stays in Redis and
    a new worker takes it back once the visibility timeout has passed."""
    from factcheck import tasks

    # Its own Redis database: the unacked-message sweep with a 5 s timeout must see only our messages.
    quick = settings.model_copy(
        update={
            "broker_url": "redis://127.0.0.1:6379/14",
            "worker_queue": f"factcheck-test-{uuid.uuid4().hex[:8]}",
            "broker_visibility_timeout_s": 5.0,
        }
    )
    items = _publish(server, debunked_claims(2), "whole")
    server.routes["/articles/whole-0"].delay_s = 30.0
    server.routes["/articles/whole-0"].delay_times = 1
    server.add("/feeds/rss.xml", rss(server.base, items), content_type=RSS)
    feed = add_feed(store, server.url("/feeds/rss.xml"), name="Whole")
    runner = FeedRunner.from_settings(quick, store=store)
    assert runner.poll_feed(feed.id).new == 2
    tasks.configure(quick)
    first = Worker(quick, tmp_path / "worker.log")
    second: Worker | None = None
    try:
        first.wait_ready()
        ids = runner.dispatch(tasks.send_check)
        assert server.wait_for("/articles/whole-0", timeout=120), first.output()[-3000:]
        os.killpg(first.process.pid, signal.SIGKILL)  # the main process and its pool: no goodbye
        first.stop()
        second = Worker(quick, tmp_path / "worker.log")
        second.wait_ready()
        summary = runner.wait(ids, timeout_s=180)
    finally:
        for worker in (first, second):
            if worker is not None:
                worker.stop()
        with tasks.app.connection_for_write() as connection:
            connection.default_channel.queue_purge(quick.worker_queue)
        tasks.configure(settings)
    assert (summary.done, summary.failed) == (2, 0), (tmp_path / "worker.log").read_text()[-3000:]
    assert server.hits["/articles/whole-0"] == 2
    articles = _by_slug(store, server)
    counts = _results_per_article(store, [a.id for a in articles.values()])
    assert all(counts.get(a.id, 0) == a.claim_count for a in articles.values())
