"""A post of two or three sentences is also matched as one window; its verdict goes to its sentences."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from factcheck.pipeline import Checker
from factcheck.types import Document

# The corpus debunk: "Bill Gates and Microsoft will pay people thousands of dollars for forwarding or
# sharing a message." Neither sentence alone says the whole hoax; the post does.
POST = (
    "Microsoft is testing a new email tracking program. "
    "For every person you forward this to, Bill Gates sends you money."
)


@pytest.fixture
def sentences_alone(checker: Checker) -> Iterator[Checker]:
    """Neither windows nor message evidence (which also joins a post's sentences: factcheck.evidence)."""
    evidence, checker.evidence, checker.match_windows = checker.evidence, None, False
    try:
        yield checker
    finally:
        checker.evidence, checker.match_windows = evidence, True


def _gates_debunk(verdict) -> bool:  # type: ignore[no-untyped-def]
    return bool(verdict.matches) and "Bill Gates and Microsoft" in verdict.matches[0].debunk.claim_reviewed


def test_check_gives_a_windows_debunk_to_every_sentence_of_a_short_post(checker: Checker) -> None:
    report = checker.check_document(Document(text=POST), include_all=True)
    assert [POST[v.claim.start : v.claim.end] for v in report.claims] == [
        "Microsoft is testing a new email tracking program.",
        "For every person you forward this to, Bill Gates sends you money.",
    ]
    assert all(_gates_debunk(v) for v in report.claims)
    # Both sentences carry the window's match: the first, alone a 0.01 candidate, is now shown to readers.
    assert report.claims[0].matches[0].probability == report.claims[1].matches[0].probability
    assert {v.status for v in report.claims} <= {"possibly_related", "debunked"}


def test_check_of_sentences_alone_leaves_each_sentence_its_own_weaker_verdict(
    sentences_alone: Checker,
) -> None:
    report = sentences_alone.check_document(Document(text=POST), include_all=True)
    assert report.claims[0].status in ("no_match", "not_checkworthy")
    assert report.claims[1].status != "debunked"


def test_check_keeps_each_sentences_own_verdict_when_no_window_does_better(checker: Checker) -> None:
    # The first sentence is a known phrasing (certainty); the window holding it and a news sentence is not.
    text = "Scientists say we only use 10% of our brain. The council met on Tuesday to discuss the budget."
    report = checker.check_document(Document(text=text), include_all=True)
    first, second = report.claims
    assert first.status == "debunked"
    assert first.matches[0].probability == 1.0
    assert second.claim.text == "The council met on Tuesday to discuss the budget."
    assert second.status in ("no_match", "not_checkworthy")
