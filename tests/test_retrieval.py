"""The first-stage indexes on their own: BM25 over compact token ids, and the approximate vector index."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from factcheck.matching.retrieval import (
    AnnIndex,
    CodedRows,
    DebunkGroups,
    LabelColumn,
    LexicalIndex,
    TextColumn,
)

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
    # 8-bit codes: each component within half a step of its dimension's range
    np.testing.assert_allclose(index.vectors(np.array([7, 1999])), vectors[[7, 1999]], atol=1e-2)

    index.remove(np.array([0, 1950]))
    _, keys = index.search(vectors[[0, 1950]], 5)
    assert not {0, 1950} & set(keys.ravel().tolist())
    assert not index.vectors(np.array([0])).any()


def test_coded_rows_hold_only_the_keys_put_and_read_them_back_from_the_saved_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(40, 16)).astype(np.float32)
    rows = CodedRows(16)
    rows.train(vectors)
    keys = np.arange(0, 80, 2)  # every other key: titles have no dense vector
    rows.put(keys[:30], vectors[:30])
    rows.put(keys[30:], vectors[30:])
    rows.put(keys[:1], vectors[39:])  # a key put again takes its new vector, not a new row
    expected = np.vstack([vectors[39:], vectors[1:]])
    np.testing.assert_allclose(rows.get(keys), expected, atol=2e-2)
    rows.save(tmp_path / "dense.rows")
    assert (tmp_path / "dense.rows").stat().st_size == 40 * 16
    opened = CodedRows.open(tmp_path / "dense.rows", 16)
    np.testing.assert_array_equal(opened.get(keys[::-1]), rows.get(keys[::-1]))


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


def test_ann_index_over_8_bit_codes_agrees_with_exact_search_when_every_cluster_is_probed() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(3000, 48)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = vectors[:100] + rng.normal(scale=0.05, size=(100, 48)).astype(np.float32)
    index = AnnIndex(48, probes=10_000)
    index.add(np.arange(len(vectors)), vectors)
    _, keys = index.search(queries, 10)
    exact = np.argsort(-(queries @ vectors.T), axis=1)[:, :10]
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(keys.tolist(), exact.tolist(), strict=True)])
    assert recall >= 0.98


def test_text_column_opened_from_a_saved_one_reads_its_texts_and_appends_new_ones(tmp_path: Path) -> None:
    saved = TextColumn()
    saved.extend([*TEXTS, "Café – naïve ☕ 5G"])
    saved.save(tmp_path)
    opened = TextColumn.open(tmp_path)
    opened.extend(["Penguins run the Lisbon metro", ""])
    assert list(opened) == [*TEXTS, "Café – naïve ☕ 5G", "Penguins run the Lisbon metro", ""]
    assert opened[-2] == "Penguins run the Lisbon metro" and opened[4:6] == TEXTS[4:6]


def test_label_column_returns_each_label_as_given() -> None:
    column = LabelColumn()
    column.extend(["claim", "title", "claim"])
    column.extend(["variant", "fr"])
    assert list(column) == ["claim", "title", "claim", "variant", "fr"]
    assert column[-1] == "fr" and column[1:3] == ["title", "claim"] and len(column) == 5


def test_debunk_groups_find_positions_by_id_in_the_order_debunks_first_came() -> None:
    groups = DebunkGroups()
    groups.add([70, 70, 30, 90])
    groups.add([50, 30, -1, 50])  # a debunk seen before gets another entry; new ones come after
    assert groups.debunk_ids.tolist() == [70, 30, 90, 50, -1]
    assert groups.entry_debunk.tolist() == [0, 0, 1, 2, 3, 1, 4, 3]
    positions, found = groups.positions_of([30, 40, -1])
    assert found.tolist() == [True, False, True] and positions[found].tolist() == [1, 4]
    groups.remove([30, 40])
    assert groups.entries_of(1) == [] and groups.entries_of(3) == [4, 7] and groups.live_debunks == 4
