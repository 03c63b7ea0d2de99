"""`factcheck eval retrieval`: readers, measures, and a small real run (skipped without ../shared/data)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli import app
from factcheck.evaluation.retrieval import evaluate_rankings, operating_points, read_qrels, read_queries
from tests.conftest import shared_data


def test_read_queries_skips_the_2020_header_and_keeps_repeated_2b_queries_once(tmp_path: Path) -> None:
    tweets = tmp_path / "tweets.queries.tsv"
    tweets.write_text('\ttweet_content\n0\tfirst tweet\n11\t"quoted ""CBC"" tweet"\n', encoding="utf-8")
    assert read_queries(tweets) == {"0": "first tweet", "11": 'quoted "CBC" tweet'}
    debates = tmp_path / "queries.tsv"
    debates.write_text("a_1\tsentence one\na_1\tsentence one\nb_2\tsentence two\n", encoding="utf-8")
    assert read_queries(debates) == {"a_1": "sentence one", "b_2": "sentence two"}


def test_read_qrels_groups_relevant_ids_per_query(tmp_path: Path) -> None:
    qrels = tmp_path / "pairs.qrels"
    qrels.write_text("1\t0\t394\t1\n1\t0\t12\t1\n2\t0\tvclaim-sno-x\t1\n", encoding="utf-8")
    assert read_qrels(qrels) == {"1": {"394", "12"}, "2": {"vclaim-sno-x"}}


def test_evaluate_rankings_follows_the_checkthat_scorer() -> None:
    rankings = {"q1": [5, 1, 2], "q2": [3, 4], "q3": [9]}
    relevant = {"q1": {1, 2}, "q2": {3}, "q3": {8}}
    result = evaluate_rankings(rankings, relevant)
    # q1: AP@5 = (1/2 + 2/3) / 2; q2: 1; q3: 0
    assert result["map@5"] == pytest.approx(((1 / 2 + 2 / 3) / 2 + 1) / 3)
    assert result["map@1"] == pytest.approx(1 / 3)
    assert result["p@1"] == pytest.approx(1 / 3)
    assert result["recall@5"] == pytest.approx((1 + 1 + 0) / 3)


def test_operating_points_reads_the_top_candidate_probability() -> None:
    results = {"q1": [(1, 0.95), (2, 0.1)], "q2": [(7, 0.9), (3, 0.5)], "q3": [(4, 0.2)]}
    relevant = {"q1": {1}, "q2": {3}, "q3": {4}}
    points = operating_points(results, relevant, match_threshold=0.8, suggest_threshold=0.3)
    assert points["precision@match"] == pytest.approx(1 / 2)
    assert points["coverage@match"] == pytest.approx(2 / 3)
    assert points["recall@suggest"] == pytest.approx(1 / 3)
    assert points["recall@suggest_top5"] == pytest.approx(2 / 3)


def test_eval_retrieval_scores_a_slice_of_clef2020_dev_against_the_full_collection() -> None:
    base = shared_data("clef2020_task2_claim_retrieval")
    result = CliRunner().invoke(
        app,
        [
            "eval",
            "retrieval",
            "--debunks",
            str(base / "verified_claims.docs.tsv"),
            "--queries",
            str(base / "dev" / "tweets.queries.tsv"),
            "--qrels",
            str(base / "dev" / "tweet-vclaim-pairs.qrels"),
            "--profile",
            "fast",
            "--limit",
            "30",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.strip().splitlines()[-1])
    assert report["queries"] == 30
    assert report["debunks"] > 10_000
    for key in ("map@1", "map@3", "map@5", "map@10", "p@1", "recall@5", "recall@suggest", "queries_per_s"):
        assert key in report
    assert 0.5 < report["map@5"] <= 1.0
    assert report["map@1"] <= report["map@5"] <= report["map@10"]
