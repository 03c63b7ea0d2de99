"""Stage 4: a claim's status follows its best fact-check's rating and where the confidence falls."""

from __future__ import annotations

import pytest

from factcheck.types import RATING_LABELS, Claim, ClaimVerdict, Debunk, Match
from factcheck.verdicts import (
    RATING_CLASS_OF,
    RATING_CLASS_WORDS,
    Thresholds,
    claim_status,
    rating_class,
    recorded_related_threshold,
)

THRESHOLDS = Thresholds(match=0.87, suggest=0.15, checkworthy=0.5, related=0.6)
CLAIM = Claim(
    text="Bill Gates warned in 2015 that the world was not ready for a deadly virus outbreak.",
    normalized="Bill Gates warned in 2015 that the world was not ready for a deadly virus outbreak.",
    start=0,
    end=83,
    checkworthiness=0.9,
)


def _match(label: str, probability: float) -> list[Match]:
    debunk = Debunk(claim_reviewed=CLAIM.text, label=label, id=1)  # type: ignore[arg-type]
    return [Match(debunk=debunk, score=1.0, probability=probability)]


@pytest.mark.parametrize(
    ("label", "status", "rating"),
    [
        ("false", "debunked", "refuted"),
        ("mostly_false", "debunked", "refuted"),
        ("misleading", "debunked", "refuted"),
        ("true", "fact_checked", "supported"),
        ("mostly_true", "fact_checked", "supported"),
        ("mixed", "fact_checked", "mixed"),
        ("unproven", "fact_checked", "unproven"),
        ("satire", "fact_checked", "satire"),
        ("other", "fact_checked", "other"),
    ],
)
def test_claim_status_is_debunked_only_when_the_matched_rating_refutes_the_claim(
    label: str, status: str, rating: str
) -> None:
    assert claim_status(CLAIM, _match(label, 1.0), THRESHOLDS) == status
    assert rating_class(label) == rating  # type: ignore[arg-type]


def test_every_rating_label_has_a_rating_class_with_words() -> None:
    assert set(RATING_CLASS_OF) == set(RATING_LABELS)
    assert set(RATING_CLASS_OF.values()) == set(RATING_CLASS_WORDS)


@pytest.mark.parametrize("label", RATING_LABELS)
def test_claim_status_is_possibly_related_between_the_related_and_match_thresholds_whatever_the_rating(
    label: str,
) -> None:
    assert claim_status(CLAIM, _match(label, 0.7), THRESHOLDS) == "possibly_related"
    assert claim_status(CLAIM, _match(label, 0.6), THRESHOLDS) == "possibly_related"
    assert claim_status(CLAIM, _match(label, 0.59), THRESHOLDS) == "needs_review"


def test_claim_status_has_no_possibly_related_tier_when_its_threshold_is_none() -> None:
    off = Thresholds(match=0.87, suggest=0.15, checkworthy=0.5)
    assert claim_status(CLAIM, _match("false", 0.7), off) == "needs_review"


def test_a_short_claim_over_the_match_threshold_is_only_possibly_related() -> None:
    short = Claim(
        text="Gates warned us.", normalized="Gates warned us.", start=0, end=16, checkworthiness=0.9
    )
    assert claim_status(short, _match("false", 0.99), THRESHOLDS) == "possibly_related"


def test_claim_status_without_a_candidate_falls_to_checkworthiness() -> None:
    assert claim_status(CLAIM, [], THRESHOLDS) == "no_match"
    dull = Claim(text="Hello there.", normalized="Hello there.", start=0, end=12, checkworthiness=0.1)
    assert claim_status(dull, [], THRESHOLDS) == "not_checkworthy"


def test_thresholds_refuse_a_related_threshold_outside_suggest_and_match() -> None:
    with pytest.raises(ValueError, match="related"):
        Thresholds(match=0.87, suggest=0.15, checkworthy=0.5, related=0.9)
    with pytest.raises(ValueError, match="related"):
        Thresholds(match=0.87, suggest=0.15, checkworthy=0.5, related=0.1)


@pytest.mark.parametrize(
    ("status", "shown"),
    [("debunked", True), ("fact_checked", True), ("possibly_related", True), ("needs_review", False)],
)
def test_a_verdict_shows_its_first_match_to_readers_only_for_shown_statuses(status: str, shown: bool) -> None:
    matches = tuple(_match("false", 0.9))
    verdict = ClaimVerdict(claim=CLAIM, status=status, matches=matches)  # type: ignore[arg-type]
    assert (verdict.shown is matches[0]) is shown


def test_the_recorded_related_threshold_is_ignored_once_the_matcher_is_retrained() -> None:
    record = {"threshold": 0.6, "match_threshold": 0.87}
    manifest = {"profiles": {"full": {"match_threshold": 0.87, "related_threshold": record}}}
    assert recorded_related_threshold(manifest, "full") == 0.6
    assert recorded_related_threshold(manifest, "fast") is None
    manifest["profiles"]["full"]["match_threshold"] = 0.9
    assert recorded_related_threshold(manifest, "full") is None
