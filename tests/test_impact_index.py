"""The pruned BM25 of approximate mode (impact.py, issue 14): the same scores as the exact BM25, nearly
the same top entries from a bounded read of the postings, shared by workers through the snapshot and
caught up with the database like the faiss index."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from factcheck.matching import Matcher, entries_from_debunks, snapshot
from factcheck.matching.impact import ImpactIndex
from factcheck.matching.matcher import DEAD_DEBUNK
from factcheck.matching.retrieval import LexicalIndex, sorted_lookup, top_positions
from factcheck.types import Debunk

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"


@pytest.fixture(scope="module")
def debunks(corpus_debunks: list[Debunk]) -> list[Debunk]:
    return corpus_debunks


@pytest.fixture(scope="module")
def texts(debunks: list[Debunk]) -> list[str]:
    return [entry.text for entry in entries_from_debunks(debunks)]


@pytest.fixture(scope="module")
def exact(texts: list[str]) -> LexicalIndex:
    index = LexicalIndex()
    index.build(texts)
    return index


def test_scores_are_the_exact_bm25s(texts: list[str], exact: LexicalIndex) -> None:
    index = ImpactIndex()
    index.build(texts)
    for query in texts[::97]:
        assert index.scores(query) == pytest.approx(exact.scores(query), rel=1e-4, abs=1e-4)


def test_pruned_postings_find_the_exact_top_10_on_real_queries(
    debunks: list[Debunk], texts: list[str], exact: LexicalIndex
) -> None:
    # a depth far below the corpus's longest postings, so that pruning does cut them
    index = ImpactIndex(depth=20)
    index.build(texts)
    postings = np.diff(index._arrays["postings_start"])
    assert postings.max() > 5 * index.depth
    queries = [debunk.title for debunk in debunks[::11] if debunk.title]
    recalls = []
    for query in queries:
        want = set(top_positions(exact.scores(query), 10).tolist())
        got, _ = index.top(index.query(query), 10)
        recalls.append(len(want & set(got.tolist())) / max(len(want), 1))
    assert np.mean(recalls) >= 0.95


def test_a_query_reads_at_most_depth_postings_of_each_term(texts: list[str]) -> None:
    index = ImpactIndex(depth=5)
    index.build(texts)
    starts, postings = index._arrays["postings_start"], index._arrays["postings_entries"]
    query = index.query("Bill Gates will pay people who share a message about vaccines")
    at, known = sorted_lookup(index._arrays["terms"], query)
    assert known.all()
    read = {int(e) for i in at for e in postings[starts[i] : min(starts[i + 1], starts[i] + 5)]}
    assert len(read) <= 5 * len(query) < sum(int(starts[i + 1] - starts[i]) for i in at)
    found, _ = index.top(query, 100)
    assert set(found.tolist()) <= read


def test_added_entries_score_with_the_collections_statistics(texts: list[str]) -> None:
    index = ImpactIndex()
    index.build(texts[:-50])
    whole = ImpactIndex()
    whole.build(texts)
    index.add(texts[-50:])
    query = whole.query(texts[-1])
    found, _ = index.top(query, 5)
    assert len(texts) - 1 in found.tolist()
    # the delta uses the first entries' idf and average length: close to a rebuild's, not the same
    assert index.entry_scores(query, np.array([len(texts) - 1])) == pytest.approx(
        whole.entry_scores(query, np.array([len(texts) - 1])), rel=0.05
    )


def mapped(debunks: list[Debunk], root: Path) -> Matcher:
    matcher = Matcher.load(MODELS, profile="fast", multilingual=False, ann_min_debunks=0, index_dir=root)
    matcher.index(entries_from_debunks(debunks))
    return matcher


def test_workers_map_the_lexical_arrays_the_first_process_wrote(
    debunks: list[Debunk], tmp_path: Path
) -> None:
    first, second = mapped(debunks, tmp_path), mapped(debunks, tmp_path)
    for matcher in (first, second):
        assert isinstance(matcher._lexical, ImpactIndex)
        postings = matcher._lexical._arrays["postings_entries"]
        assert isinstance(postings, np.memmap)
        assert Path(postings.filename) == snapshot.folder(tmp_path) / "lexical.postings_entries.npy"


def test_a_stale_lexical_index_is_caught_up_with_the_database(debunks: list[Debunk], tmp_path: Path) -> None:
    mapped(debunks, tmp_path)
    new = dataclasses.replace(
        debunks[0], id=len(debunks) + 1, claim_reviewed="Penguins run the Lisbon metro."
    )
    retired = debunks[9]
    matcher = mapped([d for d in debunks if d.id != retired.id] + [new], tmp_path)

    lexical = matcher._lexical
    assert isinstance(lexical, ImpactIndex) and len(lexical) == len(matcher._texts)
    found, _ = lexical.top(lexical.query("penguins Lisbon metro"), 5)
    assert matcher._texts[int(found[0])] == new.claim_reviewed
    retrieved = matcher._retrieve_sparse([retired.claim_reviewed], ["bm25"])["bm25"]
    returned = {matcher._groups.debunk_ids[int(p)] for p in retrieved.top_debunks(0, 100)}
    assert retired.id not in returned and DEAD_DEBUNK not in returned  # its mapped postings are masked
