"""Message-level evidence: sentences of one block that point at the same debunk, weighed together."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from factcheck.cli import app
from factcheck.evidence import (
    EvidenceModel,
    UnitEvidence,
    candidates_for_units,
    claims_in,
    document_units,
    with_evidence,
)
from factcheck.pipeline import Checker
from factcheck.settings import Settings
from factcheck.training.evidence import lowest_threshold_for_precision
from factcheck.types import Claim, ClaimVerdict, Debunk, Document, Match, TextBlock

CLASSIC_PATH = Path(__file__).parent / "fixtures" / "email" / "lazytruth_microsoft_245.eml"
SNOPES_URL = "https://www.snopes.com/fact-check/bill-gates-5000-giveaway/"
runner = CliRunner()


def _debunk(debunk_id: int) -> Debunk:
    return Debunk(
        claim_reviewed=f"hoax {debunk_id}", label="false", id=debunk_id, review_url=f"https://x/{debunk_id}"
    )


def _claim(text: str, start: int) -> Claim:
    return Claim(text=text, normalized=text, start=start, end=start + len(text), checkworthiness=0.1)


def _match(debunk_id: int, probability: float) -> Match:
    return Match(debunk=_debunk(debunk_id), score=1.0, probability=probability)


def test_document_units_are_the_blocks_of_an_email_and_the_paragraphs_elsewhere() -> None:
    text = "One two three.\n\nFour five six.\n\n\nSeven."
    assert [text[u.start : u.end] for u in document_units(Document(text=text))] == [
        "One two three.",
        "Four five six.",
        "Seven.",
    ]
    block = TextBlock(start=0, end=len(text), quote_depth=2)
    assert document_units(Document(text=text, blocks=(block,))) == [block]


def test_candidates_weigh_every_sentence_and_the_unit_for_each_debunk_pointed_at() -> None:
    claims = [_claim("a b c d e", 0), _claim("f g h i j", 10), _claim("k l m n o", 20)]
    matches = [[_match(1, 0.8), _match(2, 0.3)], [_match(1, 0.7)], [_match(3, 0.05)]]
    members = claims_in([TextBlock(0, 30)], claims)
    assert members == [[0, 1, 2]]
    found = candidates_for_units(members, matches, {0: [_match(1, 0.9)]}, suggest=0.15)
    assert [(c.debunk_id, c.claims) for c in found] == [(1, (0, 1))]  # 3 is under the suggest threshold
    logit_max, logit_second, logit_unit, top, share, _ = found[0].features
    assert logit_max == pytest.approx(np.log(0.8 / 0.2))
    assert logit_second == pytest.approx(np.log(0.7 / 0.3))
    assert logit_unit == pytest.approx(np.log(0.9 / 0.1))
    assert top == pytest.approx(np.log1p(2)) and share == pytest.approx(2 / 3)


def test_with_evidence_raises_the_claims_that_point_at_the_weighed_debunk_and_lowers_none() -> None:
    claims = [_claim("a b c d e", 0), _claim("f g h i j", 10), _claim("k l", 20)]
    verdicts = [
        ClaimVerdict(claim=claims[0], status="needs_review", matches=(_match(2, 0.5), _match(1, 0.6))),
        ClaimVerdict(claim=claims[1], status="needs_review", matches=(_match(1, 0.7),)),
        ClaimVerdict(claim=claims[2], status="needs_review", matches=(_match(1, 0.7),)),  # too short
    ]
    members = [[0, 1, 2]]
    candidates = candidates_for_units(members, [list(v.matches) for v in verdicts], {0: []}, suggest=0.15)
    evidence = UnitEvidence([TextBlock(0, 30)], members, candidates)
    always = EvidenceModel(coefficients=(0.0,) * 6, intercept=5.0, threshold=0.9)
    weighed = with_evidence(verdicts, evidence, always, blocks=True, min_words=5)
    assert [v.status for v in weighed] == ["debunked", "debunked", "needs_review"]
    assert weighed[0].matches[0].debunk.id == 1  # the weighed debunk comes first
    assert [v.block for v in weighed] == [0, 0, 0]
    assert weighed[1].block_confidence == pytest.approx(always.probability((0.0,) * 6))
    supported = [
        replace(v, matches=tuple(replace(m, debunk=replace(m.debunk, label="true")) for m in v.matches))
        for v in verdicts
    ]
    assert with_evidence(supported, evidence, always, blocks=True, min_words=5)[1].status == "fact_checked"
    never = EvidenceModel(coefficients=(0.0,) * 6, intercept=-5.0, threshold=0.9)
    unchanged = with_evidence(verdicts, evidence, never, blocks=False, min_words=5)
    assert [v.status for v in unchanged] == ["needs_review"] * 3 and unchanged[0].block is None


def test_evidence_model_round_trips_through_its_json(tmp_path: Path) -> None:
    model = EvidenceModel(coefficients=(1.0, 0.5, 0.25, 0.0, -1.0, 2.0), intercept=-3.0, threshold=0.7)
    model.save(tmp_path)
    loaded = EvidenceModel.load(tmp_path)
    features = (1.0, 2.0, 3.0, 0.5, 0.5, 1.0)
    assert loaded.probability(features) == pytest.approx(model.probability(features))
    assert loaded.threshold == pytest.approx(0.7)


def test_lowest_threshold_for_precision_keeps_ties_together() -> None:
    probabilities = np.array([0.9, 0.8, 0.8, 0.6, 0.5, 0.4])
    labels = np.array([1, 1, 1, 0, 1, 0])
    assert lowest_threshold_for_precision(probabilities, labels, 0.95) == pytest.approx(0.8)
    assert lowest_threshold_for_precision(probabilities, labels, 0.75) == pytest.approx(0.5)
    assert lowest_threshold_for_precision(np.array([0.9]), np.array([0]), 0.95) == 1.0


def test_the_shipped_model_loads_with_a_threshold_between_zero_and_one() -> None:
    model = EvidenceModel.load(Path(__file__).parent.parent / "models" / "evidence")
    assert 0 < model.threshold < 1


# --- the classic, end to end --------------------------------------------------------------------------


@pytest.fixture
def shared_checker(checker: Checker, monkeypatch: pytest.MonkeyPatch) -> Iterator[Checker]:
    monkeypatch.setattr(Checker, "from_settings", classmethod(lambda cls, settings, **_: checker))
    yield checker


def _debunked(claims: list[dict]) -> list[dict]:
    return [claim for claim in claims if claim["status"] == "debunked"]


def test_the_classic_microsoft_chain_letter_ends_debunked_in_the_cli(shared_checker: Checker) -> None:
    result = runner.invoke(app, ["check", str(CLASSIC_PATH), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    debunked = _debunked(report["claims"])
    assert debunked, [(c["text"], c["status"], c["matches"][:1]) for c in report["claims"]]
    assert {claim["matches"][0]["debunk"]["review_url"] for claim in debunked} == {SNOPES_URL}
    assert all(claim["block"] == 0 for claim in debunked)
    assert report["document"]["blocks"][0]["quote_depth"] == 2
    assert report["document"]["reader_note"].startswith("Danny, I checked and it is true!!!")
    assert not any("checked and it is true" in claim["text"] for claim in report["claims"])


def test_the_classic_microsoft_chain_letter_ends_debunked_through_the_api(
    checker: Checker, checker_settings: Settings
) -> None:
    settings = checker_settings.model_copy(update={"rate_limit": ""})
    with TestClient(create_app(settings=settings, checker=checker)) as client:
        response = client.post("/v1/check", json={"email": CLASSIC_PATH.read_text(encoding="latin-1")})
    assert response.status_code == 200, response.text
    debunked = _debunked(response.json()["claims"])
    assert debunked
    assert debunked[0]["matches"][0]["debunk"]["review_url"] == SNOPES_URL
    assert debunked[0]["matches"][0]["debunk"]["reviewer_name"] == "Snopes"


def test_an_ordinary_email_about_microsoft_and_bill_gates_is_not_flagged(checker: Checker) -> None:
    raw = (
        "From: Jen <jen@example.org>\nTo: team@example.org\nSubject: Fwd: Office licenses and the Gates book\n\n"
        "FYI\n\n---------- Forwarded message ---------\nFrom: IT <it@example.org>\nSubject: licenses\n\n"
        "Our Microsoft Office licenses expire on the 30th and finance approved the renewal for a year. "
        "If a window asks you to sign in again, use your work e-mail. Bill Gates's new book on climate "
        "is in the library too, and the Gates Foundation grant report is due next month.\n"
    )
    report = checker.check(raw, kind="email")
    assert [v.status for v in report.claims if v.status == "debunked"] == []
