"""The matcher's approximate mode (issue 14) on the shipped corpus: the same code a million-debunk index
runs, switched on from zero debunks, against the exact search it replaces."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from factcheck.matching import IndexEntry, Matcher, entries_from_debunks, snapshot
from factcheck.matching import matcher as matcher_module
from factcheck.store import Store
from factcheck.types import Debunk

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"


@pytest.fixture(scope="module")
def debunks(corpus_debunks: list[Debunk]) -> list[Debunk]:
    return corpus_debunks


@pytest.fixture(scope="module")
def exact(debunks: list[Debunk]) -> Matcher:
    matcher = Matcher.load(MODELS, multilingual=False)
    matcher.index(entries_from_debunks(debunks))
    return matcher


def approximate(debunks: list[Debunk], *, probes: int = 48) -> Matcher:
    matcher = Matcher.load(
        MODELS, multilingual=False, ann_min_debunks=0, ann_probes=probes, ann_dense_probes=probes
    )
    matcher.index(entries_from_debunks(debunks))
    return matcher


def test_index_stays_exact_below_ann_min_debunks(debunks: list[Debunk]) -> None:
    matcher = Matcher.load(MODELS, profile="fast", multilingual=False, ann_min_debunks=len(debunks) + 1)
    matcher.index(entries_from_debunks(debunks))
    assert matcher._static_index.ann is None


def test_dense_and_static_indexes_scan_their_own_number_of_clusters(debunks: list[Debunk]) -> None:
    matcher = Matcher.load(MODELS, multilingual=False, ann_min_debunks=0, ann_probes=3, ann_dense_probes=5)
    matcher.index(entries_from_debunks(debunks))
    assert matcher._dense_index is not None and matcher._dense_index.ann is not None
    assert matcher._static_index.ann is not None
    assert (matcher._static_index.ann.probes, matcher._dense_index.ann.probes) == (3, 5)
    assert (matcher._static_index.ann._index.nprobe, matcher._dense_index.ann._index.nprobe) == (3, 5)


def test_approximate_search_finds_the_exact_nearest_entries(exact: Matcher, debunks: list[Debunk]) -> None:
    matcher = approximate(debunks, probes=8)
    assert matcher._dense_index is not None and matcher._dense_index.ann is not None
    queries = [debunk.title for debunk in debunks[::3]]
    wanted, got = exact.nearest_entries(queries, 10), matcher.nearest_entries(queries, 10)
    recall = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(wanted, got, strict=True)])
    assert recall >= 0.9


def test_approximate_search_ranks_debunks_as_the_exact_search_when_every_cluster_is_probed(
    exact: Matcher, debunks: list[Debunk]
) -> None:
    matcher = approximate(debunks)  # 48 probes: more than this corpus has clusters
    queries = [debunk.title for debunk in debunks[::5]]
    for want, got in zip(
        exact.search(queries, k=5, gated=False), matcher.search(queries, k=5, gated=False), strict=True
    ):
        assert got[0].debunk_id == want[0].debunk_id
        assert got[0].probability == pytest.approx(want[0].probability, abs=0.05)


def test_approximate_index_adds_and_retires_debunks_without_a_rebuild(debunks: list[Debunk]) -> None:
    matcher = approximate(debunks)
    new_id = len(debunks) + 1
    text = "Octopuses were elected to the city council of a small Portuguese fishing town."
    matcher.add([IndexEntry(new_id, text, "claim")])
    [found] = matcher.search([text], k=3, gated=False)
    assert found[0].debunk_id == new_id
    [entries] = matcher.nearest_entries([text], 1)
    assert entries == [len(matcher._texts) - 1]

    matcher.remove([new_id])
    [found] = matcher.search([text], k=3, gated=False)
    assert new_id not in {candidate.debunk_id for candidate in found}
    assert len(matcher.nearest_entries([text], 5)[0]) == 5
    assert len(matcher) == len(debunks)


def _manifest() -> dict[str, object]:
    static = Matcher.load(MODELS, profile="fast", multilingual=False).static
    return {"static": static.model_id, "dense": None, "dense_kinds": ["claim", "variant"]}


def mapped(debunks: list[Debunk], root: Path) -> Matcher:
    matcher = Matcher.load(MODELS, profile="fast", multilingual=False, ann_min_debunks=0, index_dir=root)
    matcher.index(entries_from_debunks(debunks))
    return matcher


def test_a_second_process_maps_the_snapshot_the_first_one_wrote(
    debunks: list[Debunk], tmp_path: Path
) -> None:
    first = mapped(debunks, tmp_path)
    written = (tmp_path / snapshot.CURRENT / "static.faiss").stat().st_mtime_ns
    second = mapped(debunks, tmp_path)
    assert (tmp_path / snapshot.CURRENT / "static.faiss").stat().st_mtime_ns == written  # not rebuilt
    queries = [debunk.title for debunk in debunks[::7]]
    assert [c[0].debunk_id for c in first.search(queries, k=1)] == [
        c[0].debunk_id for c in second.search(queries, k=1)
    ]


def test_a_snapshot_of_an_older_database_is_caught_up_not_served_stale(
    debunks: list[Debunk], tmp_path: Path
) -> None:
    mapped(debunks, tmp_path)
    written = (tmp_path / snapshot.CURRENT / "static.faiss").stat().st_mtime_ns
    edited = dataclasses.replace(
        debunks[4], claim_reviewed="Octopuses sit on the council of a Portuguese town."
    )
    new = dataclasses.replace(
        debunks[0], id=len(debunks) + 1, claim_reviewed="Penguins run the Lisbon metro."
    )
    retired = debunks[9]
    now = [edited if d.id == edited.id else d for d in debunks if d.id != retired.id] + [new]

    matcher = mapped(now, tmp_path)

    assert (tmp_path / snapshot.CURRENT / "static.faiss").stat().st_mtime_ns == written  # reconciled in place
    assert len(matcher) == len(now)
    [found] = matcher.search(["Octopuses sit on the council of a Portuguese town"], k=1)
    assert found[0].debunk_id == edited.id
    [found] = matcher.search(["Penguins run the Lisbon metro"], k=1)
    assert found[0].debunk_id == new.id
    [found] = matcher.search([retired.claim_reviewed], k=10)
    assert retired.id not in {candidate.debunk_id for candidate in found}
    old_text = debunks[4].claim_reviewed
    [found] = matcher.search([old_text], k=10)
    assert all(candidate.matched_text != old_text for candidate in found)


def test_a_mapped_snapshot_serves_each_debunks_profile_as_computed_from_its_texts_now(
    debunks: list[Debunk], tmp_path: Path
) -> None:
    mapped(debunks, tmp_path)
    edited = dataclasses.replace(debunks[4], title="Octopuses sit on the council of a Portuguese town")
    now = [edited if d.id == edited.id else d for d in debunks]
    matcher = mapped(now, tmp_path)  # reconciled: debunk 4 has a new entry the snapshot lacks
    positions = np.flatnonzero(matcher._groups.debunk_ids != matcher_module.DEAD_DEBUNK).tolist()
    stored = [matcher._stored_profile(matcher._live_entries(p)) for p in positions]
    edited_position = positions.index(int(np.flatnonzero(matcher._groups.debunk_ids == edited.id)[0]))
    assert stored[edited_position] is None  # its profile is computed again, not read
    assert sum(profile is not None for profile in stored) == len(stored) - 1
    computed = [
        matcher_module.profile(
            " \n ".join(
                matcher._texts[e] for e in matcher._live_entries(p) if matcher._kinds[e] != "explanation"
            )
        )
        for p in positions
    ]
    assert [matcher._profile_of(p) for p in positions] == computed


def test_a_snapshot_is_rebuilt_when_much_of_the_database_changed(
    debunks: list[Debunk], tmp_path: Path
) -> None:
    mapped(debunks[: len(debunks) // 2], tmp_path)
    before = snapshot.read_keys(tmp_path, _manifest())
    matcher = mapped(debunks, tmp_path)
    after = snapshot.read_keys(tmp_path, _manifest())
    assert before is not None and after is not None and len(after) > len(before)
    assert len(matcher) == len(debunks)


def test_a_snapshot_of_an_older_format_is_rebuilt_not_opened(debunks: list[Debunk], tmp_path: Path) -> None:
    mapped(debunks, tmp_path)
    manifest = tmp_path / snapshot.CURRENT / snapshot.MANIFEST
    older = {**json.loads(manifest.read_text(encoding="utf-8")), "format": snapshot.FORMAT - 1}
    manifest.write_text(json.dumps(older), encoding="utf-8")
    (tmp_path / snapshot.CURRENT / "texts.utf8").unlink()  # an older snapshot had no texts

    matcher = mapped(debunks, tmp_path)

    assert json.loads(manifest.read_text(encoding="utf-8"))["format"] == snapshot.FORMAT
    assert (tmp_path / snapshot.CURRENT / "texts.utf8").is_file()
    [found] = matcher.search([debunks[3].claim_reviewed], k=1)
    assert found[0].debunk_id == debunks[3].id


def test_snapshot_reconcile_keeps_positions_marks_gone_entries_and_lists_new_ones() -> None:
    old = snapshot.entry_keys([1, 1, 2, 3], ["a", "b", "c", "d"])
    now = snapshot.entry_keys([3, 1, 4, 1], ["d", "a", "e", "b2"])
    plan = snapshot.reconcile(old, now)
    assert plan.order.tolist() == [1, -1, -1, 0]
    assert plan.extra.tolist() == [2, 3]


class Interrupted(Exception):
    """Stands for the process being killed halfway through an index build."""


def test_an_index_build_killed_halfway_resumes_without_encoding_again(
    debunks: list[Debunk], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(matcher_module, "ENCODE_CHUNK", 200)
    store = Store(f"sqlite:///{tmp_path / 'vectors.db'}")
    store.migrate()
    loaded = Matcher.load(MODELS, multilingual=False)
    encoder = CountingEncoder(loaded.transformer)

    def build() -> Matcher:
        return Matcher(
            reranker=loaded.reranker,
            static=loaded.static,
            transformer=encoder,
            vector_cache=store,
            config=loaded.config,
            ann_min_debunks=0,
            index_dir=tmp_path / "index",
        )

    def kill(done: int, total: int) -> None:
        raise Interrupted

    with pytest.raises(Interrupted):
        build().index(entries_from_debunks(debunks), progress=kill)
    first = encoder.encoded
    assert 0 < first < 250  # the first chunk's dense texts, kept in the store

    resumed = build()
    resumed.index(entries_from_debunks(debunks))
    dense_texts = sum(1 for e in resumed._kinds if e in loaded.config.dense_kinds)
    assert encoder.encoded - first == pytest.approx(dense_texts - first, abs=5)  # only what was left
    [found] = resumed.search([debunks[3].claim_reviewed], k=1, gated=False)
    assert found[0].debunk_id == debunks[3].id
    store.close()


class CountingEncoder:
    """An encoder that counts the texts it was asked to encode (to see the vector cache at work)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.encoded = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += len(texts)
        return self.inner.encode(texts)
