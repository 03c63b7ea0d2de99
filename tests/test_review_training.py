"""Editors' reviewed pairs as re-ranker training data, read back by the trainer's own readers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli import app
from factcheck.errors import InputError
from factcheck.evaluation.retrieval import load_collection, read_qrels, read_queries
from factcheck.review import ReviewedPair
from factcheck.review.training import REVIEW_SPLIT, augment_training_data
from factcheck.store import Store
from factcheck.training.matcher import DATASETS
from factcheck.types import Debunk
from tests.conftest import SHARED_DATA, shared_data

MICROCHIP = Debunk(
    claim_reviewed="COVID-19 vaccines contain microchips to track people.",
    label="false",
    title="No, vaccines do not contain microchips",
    review_url="https://desk.example.org/microchips",
    id=7,
)
FIVE_G = Debunk(
    claim_reviewed="5G towers spread the coronavirus.",
    label="false",
    review_url="https://desk.example.org/5g",
    id=9,
)
PAIRS = [
    ReviewedPair("Bill Gates hid tracking chips in every vaccine dose.", 7, True),
    ReviewedPair("Bill Gates hid tracking chips in every vaccine dose.", 9, False),
    ReviewedPair("Vaccines make you magnetic, look at this spoon.", 7, False),
]


def test_augmented_train_split_holds_the_confirmed_pairs_and_leaves_dev_alone(tmp_path: Path) -> None:
    shared_data(DATASETS[REVIEW_SPLIT][0])
    workdir = tmp_path / "data"
    added = augment_training_data(
        PAIRS, {7: MICROCHIP, 9: FIVE_G}, SHARED_DATA, workdir, datasets=DATASETS, repeat=2
    )
    assert (added.queries, added.positives, added.debunks, added.unused_rejections) == (1, 1, 2, 1)
    collection_rel, queries_rel, qrels_rel = DATASETS[REVIEW_SPLIT]
    queries = read_queries(workdir / queries_rel)
    qrels = read_qrels(workdir / qrels_rel)
    mine = {q: t for q, t in queries.items() if q.startswith("review-")}
    assert sorted(mine) == ["review-0-0", "review-0-1"]
    assert set(mine.values()) == {"Bill Gates hid tracking chips in every vaccine dose."}
    assert qrels["review-0-0"] == {"vclaim-review-7"}
    assert len(queries) == len(read_queries(SHARED_DATA / queries_rel)) + 2
    collection = load_collection(workdir / collection_rel, tmp_path)
    [ours] = [d for d in collection.debunks if d.review_url == MICROCHIP.review_url]
    assert collection.vclaim_to_debunk["vclaim-review-7"] == ours.id
    assert ours.claim_reviewed == MICROCHIP.claim_reviewed
    for name, parts in DATASETS.items():  # everything else is the shared data itself
        for relative in parts:
            if relative not in DATASETS[REVIEW_SPLIT]:
                assert (workdir / relative).resolve() == (SHARED_DATA / relative).resolve(), name


def test_augment_refuses_a_repeat_below_one(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        augment_training_data(PAIRS, {}, tmp_path, tmp_path / "out", datasets=DATASETS, repeat=0)


runner = CliRunner()


def test_train_reranker_needs_with_reviews_and_confirmed_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    Store(url).migrate()
    monkeypatch.setenv("FACTCHECK_DATABASE_URL", url)
    without = runner.invoke(app, ["train", "reranker"])
    assert without.exit_code == 1 and "--with-reviews" in without.output
    empty = runner.invoke(app, ["train", "reranker", "--with-reviews", "--out", str(tmp_path / "models")])
    assert empty.exit_code == 1
    assert "no confirmed matches to learn from yet" in empty.output
