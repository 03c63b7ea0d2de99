"""bench/checkworthiness_embeddings.py: the stack touches only the domains it is asked to, and fits its
combination on training log-odds, never on dev."""

from __future__ import annotations

import numpy as np
from checkworthiness_embeddings import embedding_features, stacked


def test_stacked_keeps_the_ngram_score_in_domains_not_stacked() -> None:
    rng = np.random.default_rng(0)
    train_domains = np.asarray(["general", "transcript"] * 50)
    labels = rng.integers(0, 2, size=100)
    train_log_odds = np.column_stack([labels + rng.normal(size=100), rng.normal(size=100)])
    dev_domains = np.asarray(["general", "transcript", "social"])
    dev_log_odds = np.asarray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])

    scores = stacked(train_log_odds, dev_log_odds, labels, (train_domains, dev_domains), ("general",))

    assert scores[1:].tolist() == [3.0, 5.0]
    assert scores[0] != 1.0


def test_stacked_ranks_by_the_informative_input() -> None:
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, size=200)
    domains = np.asarray(["general"] * 200)
    train_log_odds = np.column_stack([rng.normal(size=200), 3.0 * labels + rng.normal(size=200)])
    dev_log_odds = np.asarray([[5.0, -2.0], [-5.0, 2.0]])

    scores = stacked(train_log_odds, dev_log_odds, labels, (domains, domains[:2]), ("general",))

    assert scores[1] > scores[0]


def test_embedding_features_copy_the_vector_into_its_domain_block_only() -> None:
    vectors = np.asarray([[1.0, 2.0]], dtype=np.float32)

    [row] = embedding_features(vectors, np.asarray(["social"]))

    # shared copy, general / social / transcript copies, one-hot domain
    assert row.tolist() == [1.0, 2.0, 0.0, 0.0, 1.0, 2.0, 0.0, 0.0, 0.0, 1.0, 0.0]
