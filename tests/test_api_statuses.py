"""/v1/check: a claim's status follows its fact-check's rating, and the possibly_related tier (issues 13, 19)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from factcheck.pipeline import _related_threshold
from factcheck.settings import Settings

CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "debunks.jsonl"
GATES = "Bill Gates warned in 2015 that the world was not ready for a deadly virus outbreak."
GATES_PARAPHRASE = "Back in 2015 Bill Gates said the world was not prepared for a deadly virus outbreak."


def _first_claim_rated(label: str) -> str:
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record["label"] == label and "." not in record["claim_reviewed"].rstrip(".").replace("'", ""):
            return record["claim_reviewed"]
    raise AssertionError(f"the corpus has no one-sentence claim rated {label}")


def _only_claim(client: TestClient, text: str, **options: object) -> dict:
    response = client.post("/v1/check", json={"text": text, "options": options})
    assert response.status_code == 200, response.text
    [claim] = response.json()["claims"]
    return claim


def test_the_mostly_true_gates_warning_is_fact_checked_and_supported_not_debunked(client: TestClient) -> None:
    response = client.post("/v1/check", json={"text": GATES})
    report = response.json()
    [claim] = report["claims"]
    assert claim["status"] == "fact_checked"
    debunk = claim["matches"][0]["debunk"]
    assert (debunk["label"], debunk["rating_class"], debunk["reviewer_name"]) == (
        "mostly_true",
        "supported",
        "PolitiFact",
    )
    assert report["summary"]["debunked"] == 0 and report["summary"]["fact_checked"] == 1


@pytest.mark.parametrize(
    ("label", "status", "rating_class"),
    [
        ("false", "debunked", "refuted"),
        ("mostly_false", "debunked", "refuted"),
        ("misleading", "debunked", "refuted"),
        ("true", "fact_checked", "supported"),
        ("mostly_true", "fact_checked", "supported"),
        ("mixed", "fact_checked", "mixed"),
        ("unproven", "fact_checked", "unproven"),
        ("satire", "fact_checked", "satire"),
    ],
)
def test_a_matched_claim_is_debunked_only_when_its_fact_check_refutes_it(
    client: TestClient, label: str, status: str, rating_class: str
) -> None:
    claim = _only_claim(client, _first_claim_rated(label))
    assert claim["status"] == status
    assert claim["matches"][0]["debunk"]["label"] == label
    assert claim["matches"][0]["debunk"]["rating_class"] == rating_class


def test_a_claim_between_the_related_and_match_thresholds_is_possibly_related_unless_turned_off(
    client: TestClient,
) -> None:
    confidence = _only_claim(client, GATES_PARAPHRASE, possibly_related=False)["matches"][0]["confidence"]
    assert 0.2 < confidence < 1.0, confidence  # a paraphrase: not certain, not far
    gap = min(0.01, (1.0 - confidence) / 2)  # thresholds stay within [0, 1]
    band = {"match_threshold": confidence + gap, "related_threshold": confidence - gap}
    claim = _only_claim(client, GATES_PARAPHRASE, **band)
    assert claim["status"] == "possibly_related"
    assert claim["matches"][0]["debunk"]["claim_reviewed"] == GATES
    assert claim["matches"][0]["debunk"]["rating_class"] == "supported"
    off = _only_claim(client, GATES_PARAPHRASE, possibly_related=False, **band)
    assert off["status"] == "needs_review"
    above = _only_claim(
        client, GATES_PARAPHRASE, related_threshold=confidence + gap / 2, match_threshold=confidence + gap
    )
    assert above["status"] == "needs_review"


def test_a_related_threshold_outside_suggest_and_match_is_refused(client: TestClient) -> None:
    response = client.post(
        "/v1/check", json={"text": GATES, "options": {"match_threshold": 0.5, "related_threshold": 0.6}}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_input"


def test_the_openapi_schema_lists_the_new_statuses_and_options(client: TestClient) -> None:
    schema = json.dumps(client.get("/openapi.json").json())
    for word in ("fact_checked", "possibly_related", "rating_class", "related_threshold"):
        assert word in schema


def test_the_related_threshold_comes_from_the_setting_else_the_matcher_manifest(tmp_path: Path) -> None:
    manifest = {
        "profiles": {
            "full": {"match_threshold": 0.9, "related_threshold": {"threshold": 0.7, "match_threshold": 0.9}}
        }
    }
    (tmp_path / "matcher").mkdir()
    (tmp_path / "matcher" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert _related_threshold(Settings(), tmp_path, "full") == 0.7
    assert _related_threshold(Settings(related_threshold=0.5), tmp_path, "full") == 0.5
    assert _related_threshold(Settings(possibly_related=False), tmp_path, "full") is None
    # the profile serving decides, not the setting: a first start serves "fast" before "full"
    assert _related_threshold(Settings(), tmp_path, "fast") is None


def test_a_request_that_moves_the_match_threshold_keeps_the_checkers_other_gates() -> None:
    from api.routes.check import _thresholds
    from api.schemas import CheckRequest
    from factcheck.verdicts import Thresholds

    default = Thresholds(match=0.9, suggest=0.24, checkworthy=0.24, related=0.6, checkworthy_transferred=0.38)
    moved = _thresholds(
        default, CheckRequest.model_validate({"text": "x", "options": {"match_threshold": 0.8}})
    )
    assert (moved.match, moved.suggest, moved.related) == (0.8, 0.24, 0.6)
    assert (moved.checkworthy, moved.checkworthy_transferred) == (0.24, 0.38)
