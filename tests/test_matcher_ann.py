"""The matcher's approximate mode (issue 14) on the shipped corpus: the same code a million-debunk index
runs, switched on from zero debunks, against the exact search it replaces."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from factcheck.importers import read_records
from factcheck.matching import IndexEntry, Matcher, entries_from_debunks
from factcheck.types import Debunk

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"


@pytest.fixture(scope="module")
def debunks() -> list[Debunk]:
    _, records = read_records(ROOT / "corpus" / "debunks.jsonl")
    found = [record for record in records if isinstance(record, Debunk)]
    return [dataclasses.replace(debunk, id=number) for number, debunk in enumerate(found, start=1)]


@pytest.fixture(scope="module")
def exact(debunks: list[Debunk]) -> Matcher:
    matcher = Matcher.load(MODELS, multilingual=False)
    matcher.index(entries_from_debunks(debunks))
    return matcher


def approximate(debunks: list[Debunk], *, probes: int = 48) -> Matcher:
    matcher = Matcher.load(MODELS, multilingual=False, ann_min_debunks=0, ann_probes=probes)
    matcher.index(entries_from_debunks(debunks))
    return matcher


def test_index_stays_exact_below_ann_min_debunks(debunks: list[Debunk]) -> None:
    matcher = Matcher.load(MODELS, profile="fast", multilingual=False, ann_min_debunks=len(debunks) + 1)
    matcher.index(entries_from_debunks(debunks))
    assert matcher._static_index.ann is None


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
