"""bench/ann_libraries.py measures what it says: exact top-10 is the truth it scores against, and each
library's adapter finds, maps, adds and removes vectors as the comparison in models/matcher/CARD.md assumes.

Runs on 3,000 clustered random unit vectors (copies of 300 centres plus noise, as the bench pads real ones).
"""

from __future__ import annotations

from pathlib import Path

import ann_libraries as ann
import numpy as np
import pytest

CONFIGS = [ann.Config(library, storage) for library, storages in ann.STORAGES.items() for storage in storages]
MAPPABLE = [config for config in CONFIGS if config.library != "hnswlib"]


def _name(config: ann.Config) -> str:
    return f"{config.library}-{config.storage}"


@pytest.fixture(scope="module")
def base() -> np.ndarray:
    centres = np.random.default_rng(0).normal(size=(300, ann.DIM)).astype(np.float32)
    return ann.padded(centres / np.linalg.norm(centres, axis=1, keepdims=True), 3000)


@pytest.fixture(scope="module")
def queries(base: np.ndarray) -> np.ndarray:
    return ann.perturbed(base, 40, seed=7)


def test_exact_top_is_the_brute_force_ranking_and_scores_recall_one_against_itself(
    base: np.ndarray, queries: np.ndarray
) -> None:
    truth = ann.exact_top(base, queries, chunk=700)  # chunks that do not divide the collection
    expected = np.argsort(-(queries @ base.T), axis=1)[:, : ann.K]
    assert np.array_equal(truth, expected)
    assert ann.recall_at_k(truth, truth) == 1.0
    assert ann.recall_at_k(np.full_like(truth, -1), truth) == 0.0


def test_padded_keeps_the_real_vectors_first_and_adds_unit_perturbed_copies(base: np.ndarray) -> None:
    real = base[:300]
    grown = ann.padded(real, 1000)
    assert np.array_equal(grown[:300], real)
    assert np.allclose(np.linalg.norm(grown, axis=1), 1.0, atol=1e-5)
    nearest = (grown[300:] @ real.T).max(axis=1)
    assert nearest.min() > 0.85 and nearest.max() < 0.999  # a copy is near its source, never equal to it


@pytest.mark.parametrize("config", CONFIGS, ids=_name)
def test_index_returns_an_indexed_vector_as_its_own_nearest_neighbour(
    config: ann.Config, base: np.ndarray
) -> None:
    index = ann.build(config, base, threads=1)
    found = index.search(base[:50], ann.K, ef=64)
    assert np.array_equal(found[:, 0], np.arange(50))


@pytest.mark.parametrize("config", MAPPABLE, ids=_name)
def test_memory_mapped_index_answers_as_the_in_memory_one(
    config: ann.Config, base: np.ndarray, queries: np.ndarray, tmp_path: Path
) -> None:
    index = ann.build(config, base, threads=1)
    path = tmp_path / "index"
    index.save(path)
    mapped = ann.load(config, path, mmap=True)
    assert mapped is not None
    assert np.array_equal(mapped.search(queries, ann.K, ef=64), index.search(queries, ann.K, ef=64))


def test_hnswlib_cannot_memory_map_its_file(base: np.ndarray, tmp_path: Path) -> None:
    config = ann.Config("hnswlib")
    ann.build(config, base[:500], threads=1).save(tmp_path / "index")
    assert ann.load(config, tmp_path / "index", mmap=True) is None
    assert ann.load(config, tmp_path / "index", mmap=False) is not None


@pytest.mark.parametrize("library", ["usearch", "hnswlib"])
def test_removed_vectors_are_no_longer_found_and_added_ones_are(library: str, base: np.ndarray) -> None:
    index = ann.build(ann.Config(library), base, threads=1)
    added = ann.perturbed(base, 20, seed=3)
    index.add(np.arange(3000, 3020), added)
    assert np.array_equal(index.search(added, ann.K, ef=64)[:, 0], np.arange(3000, 3020))
    gone = np.arange(0, 3000, 100)
    assert index.remove(gone)
    assert not np.isin(index.search(base[gone], ann.K, ef=64), gone).any()


def test_faiss_hnsw_reports_that_it_cannot_remove(base: np.ndarray) -> None:
    index = ann.build(ann.Config("faiss"), base[:500], threads=1)
    assert index.remove(np.arange(10)) is False


@pytest.mark.parametrize("config", [ann.Config("usearch", "f16"), ann.Config("faiss", "f16")], ids=_name)
def test_two_workers_memory_mapping_one_file_share_its_pages_and_keep_it_off_their_heaps(
    config: ann.Config, base: np.ndarray, tmp_path: Path
) -> None:
    path = tmp_path / "index"
    ann.build(config, ann.padded(base, 12_000), threads=1).save(path)  # 12 MB: well above the noise
    queries = ann.perturbed(base, 1000, seed=5)  # enough to touch most of the file's pages
    full = ann.shared_memory(config, path, queries, ef=64, mmap=False)
    mapped = ann.shared_memory(config, path, queries, ef=64, mmap=True)
    assert full is not None and mapped is not None
    file_mb = path.stat().st_size / 2**20

    def shared(memory: dict[str, float]) -> float:
        """Pages resident in both workers: each counts fully in RSS, half in each PSS."""
        return 2 * memory["rss_mb"] - memory["two_pss_mb"]

    assert shared(mapped) - shared(full) > 0.5 * file_mb
    assert full["anonymous_mb"] - mapped["anonymous_mb"] > 0.8 * file_mb  # graph and vectors alike
