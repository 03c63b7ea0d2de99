"""The extraction benchmark's metrics and `factcheck eval extraction`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.cli import app
from factcheck.errors import InputError
from factcheck.evaluation.extraction import evaluate_extraction, score_page, score_pages, shingles, tokens

FIXTURES = Path(__file__).parent / "fixtures" / "html"


def test_tokens_and_shingles_follow_the_benchmark() -> None:
    assert tokens("It’s 5G, not COVID-19!") == ["It", "s", "5G", "not", "COVID", "19"]
    assert shingles(["a", "b"]) == {("a", "b"): 1}  # fewer than 4 tokens: one short shingle
    assert shingles([]) == {}
    assert sum(shingles(list("abcdef")).values()) == 3


def test_score_page_gives_perfect_scores_for_the_same_tokens() -> None:
    score = score_page("p", "The moon, landing was real.", "The moon landing\nwas real")
    assert (score.shingle_tp, score.shingle_fp, score.shingle_fn) == (1.0, 0.0, 0.0)
    assert score.token_precision == score.token_recall == score.token_f1 == 1.0
    assert score.exact


def test_score_page_counts_an_empty_prediction_as_zero_recall_and_no_precision() -> None:
    score = score_page("p", "some true article text here", "")
    assert score.token_precision is None
    assert score.token_recall == 0.0
    assert score.shingle_fn == 1.0


def test_score_pages_averages_per_page_then_takes_f1_of_the_means() -> None:
    truth = "one two three four five six seven eight"
    half = score_page("a", truth, "one two three four five")  # 2 of 5 true shingles, no extra
    noisy = score_page("b", truth, truth + " nine ten")  # all 5 true shingles, 2 extra
    empty = score_page("c", truth, "")
    report = score_pages([half, noisy, empty])
    assert report.shingle_precision == pytest.approx((1.0 + 5 / 7) / 2)  # the empty page has no precision
    assert report.shingle_recall == pytest.approx((2 / 5 + 1.0 + 0.0) / 3)
    expected_f1 = 2 * report.shingle_precision * report.shingle_recall
    assert report.shingle_f1 == pytest.approx(
        expected_f1 / (report.shingle_precision + report.shingle_recall)
    )
    assert report.token_recall == pytest.approx((5 / 8 + 1.0 + 0.0) / 3)
    assert report.empty_predictions == 1


@pytest.fixture
def ingest_tiny_benchmark(tmp_path: Path) -> Path:
    (tmp_path / "html").mkdir()
    shutil.copy(FIXTURES / "news_article.html", tmp_path / "html" / "news.html")
    shutil.copy(FIXTURES / "factcheck_claimreview.html", tmp_path / "html" / "check.html")
    truth = {
        "news": {"articleBody": "Councillors have approved plans for protected cycle lanes.", "url": ""},
        "check": {"articleBody": "Viruses cannot travel on radio waves or mobile networks.", "url": ""},
    }
    (tmp_path / "ground_truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return tmp_path


def test_evaluate_extraction_scores_every_page(ingest_tiny_benchmark: Path) -> None:
    report = evaluate_extraction(ingest_tiny_benchmark)
    assert report.pages == 2
    assert report.shingle_recall == 1.0
    assert 0 < report.shingle_precision < 0.5  # the gold bodies are one sentence of each page
    assert report.mean_ms_per_page > 0


def test_evaluate_extraction_raises_input_error_for_a_folder_without_ground_truth(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"ground_truth\.json"):
        evaluate_extraction(tmp_path)


def test_eval_extraction_command_prints_one_json_object(ingest_tiny_benchmark: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "extraction", "--data", str(ingest_tiny_benchmark), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["pages"] == 2
    assert {"token_precision", "token_recall", "token_f1", "shingle_f1", "accuracy"} <= set(report)
    assert report["published_trafilatura"]["f1"] == 0.958


def test_eval_extraction_command_prints_the_metrics(ingest_tiny_benchmark: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "extraction", "--data", str(ingest_tiny_benchmark)])
    assert result.exit_code == 0, result.output
    assert "shingle  precision" in result.output
    assert "token    precision" in result.output


def test_eval_extraction_command_reports_a_missing_folder_without_traceback(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "extraction", "--data", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "Error:" in result.output
