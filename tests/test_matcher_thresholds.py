"""How the matcher's training reads its thresholds and MiniLM gate off dev predictions."""

from __future__ import annotations

import numpy as np

from factcheck.training.matcher import MAX_NEGATIVES_SUGGESTED, choose_gate, choose_thresholds


def _dev(tops: list[float], correct_top: list[bool], negative: list[bool]) -> tuple[list, list, np.ndarray]:
    """One candidate per query: its probability, whether it is the right debunk, whether the query has one."""
    probabilities = [np.asarray([p]) for p in tops]
    correct = [np.asarray([c]) for c in correct_top]
    return probabilities, correct, np.asarray(negative)


def test_suggest_threshold_keeps_most_sentences_without_a_debunk_out_of_the_queue() -> None:
    # 20 queries with a debunk, found at probabilities 0.90 .. 0.05; 100 without one, at 0.00 .. 0.50.
    positives = list(np.linspace(0.90, 0.05, 20))
    negatives = list(np.linspace(0.00, 0.50, 100))
    probabilities, correct, negative = _dev(
        positives + negatives, [True] * 20 + [False] * 100, [False] * 20 + [True] * 100
    )
    match, suggest, _ = choose_thresholds(probabilities, correct, negative)
    suggested = np.mean(np.asarray(negatives) >= suggest)
    assert suggested <= MAX_NEGATIVES_SUGGESTED
    assert suggest <= match
    # without the negatives the recall target alone would have put it at the 19th positive (0.095)
    assert suggest > 0.095


def test_suggest_threshold_follows_recall_when_negatives_score_low() -> None:
    positives = list(np.linspace(0.90, 0.50, 10))
    probabilities, correct, negative = _dev(
        positives + [0.01] * 50, [True] * 10 + [False] * 50, [False] * 10 + [True] * 50
    )
    match, suggest, _ = choose_thresholds(probabilities, correct, negative)
    assert match == positives[-1]
    assert suggest == positives[-1]  # ceil(0.95 * 10) = 10: all of them reach it


def test_gate_lets_through_nearly_all_claims_the_full_cascade_shows() -> None:
    fast_top = np.asarray([0.9, 0.5, 0.3, 0.2, 0.1, 0.05, 0.01, 0.001, 0.002, 0.003])
    shown = np.asarray([True] * 6 + [False] * 4)
    negative = np.asarray([False] * 6 + [True] * 4)
    gate, stats = choose_gate(fast_top, shown, negative)
    assert gate == 0.05  # ceil(0.98 * 6) = 6: every shown one passes
    assert stats == {"shown_passing": 1.0, "negatives_passing": 0.0}


def test_gate_may_leave_out_the_few_shown_claims_the_fast_cascade_scores_lowest() -> None:
    shown_top = np.linspace(0.9, 0.01, 100)
    fast_top = np.concatenate([shown_top, [0.5, 0.05, 0.001]])
    shown = np.asarray([True] * 100 + [False] * 3)
    negative = np.asarray([False] * 100 + [True] * 3)
    gate, stats = choose_gate(fast_top, shown, negative)
    assert gate == shown_top[97]  # ceil(0.98 * 100) = 98 pass, the two lowest do not
    assert stats == {"shown_passing": 0.98, "negatives_passing": round(2 / 3, 4)}
