"""One operation, one transaction: a process killed (SIGKILL) in the middle of a review decision or of
a feed article leaves nothing of it behind, on SQLite and PostgreSQL, and the operation run again
afterwards lands whole. The child process (tests/fixtures/interrupted.py) stops at a known write."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys

from sqlalchemy import func, select

from factcheck.review import ReviewQueue
from factcheck.store import Store
from factcheck.store.feed_models import ArticleResultRow, ArticleRow
from factcheck.types import Claim, ClaimVerdict, Debunk, Document, Match, Report
from tests.conftest import REPO_ROOT
from tests.fixtures.interrupted import ARTICLE_URL, FLAGGED, finish_article

MICROCHIP = Debunk(
    claim_reviewed="COVID-19 vaccines contain microchips to track people.",
    label="false",
    review_url="https://factcheck.example.org/microchips",
)


def _run_until_paused(*args: object) -> subprocess.Popen[str]:
    """Start the interrupted process and wait until it sits inside its transaction."""
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fixtures.interrupted", *map(str, args)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = []
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while selector.select(timeout=120):
            line = process.stdout.readline()
            output.append(line)
            if line.strip() == "paused":
                return process
            if not line:
                break
    process.kill()
    raise AssertionError("the process never reached its pause point:\n" + "".join(output))


def _kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def _flag(queue: ReviewQueue, text: str, debunk: Debunk) -> None:
    claim = Claim(text=text, normalized=text.lower(), start=0, end=len(text), checkworthiness=0.8)
    verdict = ClaimVerdict(claim, "needs_review", (Match(debunk, 3.0, 0.4),))
    queue.flag_report(Report(Document(text=text), (verdict,)), origin="api")


def test_a_confirm_killed_half_way_leaves_nothing_and_runs_whole_again(
    store: Store, database_url: str
) -> None:
    queue = ReviewQueue(store, normalize=lambda text: text)
    debunk = store.create_debunk(MICROCHIP, actor="seed")
    wordings = (FLAGGED, FLAGGED.replace("every", "every single"))
    for text in wordings:
        _flag(queue, text, debunk)
    [item] = queue.page().items
    assert item.wordings == 2  # so the confirm writes two variants, and is killed between them
    audit = store.audit_entries()

    process = _run_until_paused("confirm", database_url, item.id, debunk.id, item.version)
    try:
        assert queue.get(item.id).status == "open"  # the first variant is written, but not committed
    finally:
        _kill(process)

    after = queue.get(item.id)
    assert (after.status, after.version, after.debunk_id) == ("open", item.version, None)
    assert store.get(debunk.id).variants == ()  # type: ignore[arg-type]
    assert store.get(debunk.id).version == debunk.version  # type: ignore[arg-type]
    assert store.audit_entries() == audit
    confirmed = queue.confirm(item.id, debunk.id, expected_version=item.version, actor="ana")  # type: ignore[arg-type]
    assert confirmed.status == "confirmed"
    assert set(store.get(debunk.id).variants) == set(wordings)  # type: ignore[arg-type]


def test_a_feed_article_killed_half_way_leaves_nothing_and_runs_whole_again(
    store: Store, database_url: str
) -> None:
    debunk = store.create_debunk(MICROCHIP, actor="seed")
    with store.transaction() as session:
        article = ArticleRow(url=ARTICLE_URL, canonical_url=ARTICLE_URL, url_key="a" * 64, status="pending")
        session.add(article)
        session.flush()
        article_id = article.id

    def state() -> tuple[str, int, int, int]:
        queue = ReviewQueue(store)
        with store.transaction() as session:
            row = session.get(ArticleRow, article_id)
            assert row is not None
            results = session.scalar(select(func.count()).where(ArticleResultRow.article_id == article_id))
            return row.status, row.queued_count, int(results or 0), queue.page(status=None).total

    process = _run_until_paused("article", database_url, article_id, debunk.id)
    try:
        assert state() == ("pending", 0, 0, 0)  # settled, results and one item written, not committed
    finally:
        _kill(process)

    assert state() == ("pending", 0, 0, 0)
    finish_article(store, article_id, debunk)
    assert state() == ("done", 2, 2, 2)
