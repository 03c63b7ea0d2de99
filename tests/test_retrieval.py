"""The first-stage indexes on their own: BM25 over compact token ids, and the approximate vector index."""

from __future__ import annotations

import numpy as np

from factcheck.matching.retrieval import AnnIndex, LexicalIndex, TextColumn

TEXTS = [
    "5G mobile networks spread the coronavirus",
    "Drinking bleach cures COVID-19",
    "Bill Gates wants to implant microchips through vaccines",
    "",
    "The Great Wall of China is visible from the Moon",
    "Barack Obama was born in Kenya",
]


def test_lexical_index_scores_as_a_fresh_build_after_adds_that_force_a_rebuild() -> None:
    grown = LexicalIndex(max_delta=1)
    grown.build(TEXTS[:2])
    grown.add(TEXTS[2:4])  # past max_delta: folded into a new bm25s index from the stored token ids
    grown.add(TEXTS[4:])
    fresh = LexicalIndex()
    fresh.build(TEXTS)
    for query in ("coronavirus 5G", "Obama Kenya birth", "microchips in vaccines", "nothing matches"):
        np.testing.assert_allclose(grown.scores(query), fresh.scores(query), rtol=1e-6)
    assert len(grown) == len(TEXTS)


def test_ann_index_finds_each_vector_as_its_own_nearest_and_forgets_removed_ones() -> None:
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(2000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = AnnIndex(32, probes=64)
    index.add(np.arange(1500), vectors[:1500])
    index.add(np.arange(1500, 2000), vectors[1500:])  # after the clusters were trained
    _, keys = index.search(vectors[::50], 1)
    assert keys[:, 0].tolist() == list(range(0, 2000, 50))
    np.testing.assert_allclose(index.vectors(np.array([7, 1999])), vectors[[7, 1999]], atol=1e-3)

    index.remove(np.array([0, 1950]))
    _, keys = index.search(vectors[[0, 1950]], 5)
    assert not {0, 1950} & set(keys.ravel().tolist())
    assert not index.vectors(np.array([0])).any()


def test_ann_index_leaves_zero_vectors_out() -> None:
    index = AnnIndex(4)
    index.add(np.arange(3), np.array([[1, 0, 0, 0], [0, 0, 0, 0], [0, 1, 0, 0]], dtype=np.float32))
    assert len(index) == 2


def test_text_column_returns_each_text_as_given_across_extends() -> None:
    column = TextColumn()
    column.extend(TEXTS[:2])
    column.extend([])
    column.extend([*TEXTS[2:], "Café – naïve ☕ 5G"])
    assert list(column) == [*TEXTS, "Café – naïve ☕ 5G"]
    assert column[-1] == "Café – naïve ☕ 5G" and column[3] == "" and column[1:3] == TEXTS[1:3]
    assert len(column) == len(TEXTS) + 1
