"""The LIAR text classifier: the shipped artifact, its signals, its errors, and its figures on valid."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io
from sklearn.ensemble import StackingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from typer.testing import CliRunner

import factcheck.cli.liar_commands  # noqa: F401  (registers `eval liar` and `train liar`)
from factcheck.cli._apps import app
from factcheck.errors import InputError, ModelArtifactError
from factcheck.liar import FALSE_LEANING, LIAR_LABELS, MODEL_FILE, TextClassifier, pack_model
from tests.conftest import REPO_ROOT, shared_data

MODEL_DIR = REPO_ROOT / "models" / "liar"
VALID_LIKE = [
    "Says the governor cut school funding by 50 percent.",
    "We have less Americans working now than in the 70s.",
    "Obama was not born in the United States.",
]


@pytest.fixture(scope="module")
def classifier() -> TextClassifier:
    return TextClassifier.load(MODEL_DIR)


def test_load_reads_the_shipped_model_and_its_metadata(classifier: TextClassifier) -> None:
    assert sorted(classifier.classes) == sorted(LIAR_LABELS)
    assert classifier.metadata["labels"] == list(LIAR_LABELS)
    assert classifier.metadata["false_leaning"] == list(FALSE_LEANING)
    assert (MODEL_DIR / MODEL_FILE).stat().st_size < 20_000_000
    assert (MODEL_DIR / "CARD.md").is_file()


def test_signal_gives_probabilities_over_the_six_labels(classifier: TextClassifier) -> None:
    texts = ["Says the governor cut school funding by 50 percent.", "Taxes went up.", "", "é " * 500]
    signals = classifier.signal(texts)
    assert len(signals) == len(texts)
    for signal in signals:
        assert signal.label in LIAR_LABELS
        assert list(signal.label_probabilities) == list(LIAR_LABELS)
        assert all(0.0 <= p <= 1.0 for p in signal.label_probabilities.values())
        assert sum(signal.label_probabilities.values()) == pytest.approx(1.0, abs=1e-6)
        assert signal.label == max(signal.label_probabilities, key=signal.label_probabilities.__getitem__)
        false_leaning = sum(signal.label_probabilities[label] for label in FALSE_LEANING)
        assert signal.false_probability == pytest.approx(false_leaning, abs=1e-9)
        assert "weak signal" in signal.note
        assert "text-only" in signal.note


def test_signal_of_no_texts_is_empty(classifier: TextClassifier) -> None:
    assert classifier.signal([]) == []


def test_signal_is_the_same_batched_or_one_by_one(classifier: TextClassifier) -> None:
    texts = ["Crime fell 20% last year.", "Obama was not born in the United States.", "Jobs are up."]
    together = classifier.probabilities(texts)
    alone = np.vstack([classifier.probabilities([text]) for text in texts])
    np.testing.assert_allclose(together, alone, atol=1e-12)


def test_probabilities_equal_the_estimators_own_predict_proba(classifier: TextClassifier) -> None:
    texts = [*VALID_LIKE, "", "   ", "é " * 300, "the the the", "50% of $3.2 billion"]
    assert classifier._linear is not None  # the shipped stack takes the fast path
    np.testing.assert_allclose(
        classifier.probabilities(texts), classifier.model.predict_proba(texts), rtol=0, atol=1e-12
    )


def test_signal_rejects_what_is_not_text(classifier: TextClassifier) -> None:
    with pytest.raises(InputError, match="strings"):
        classifier.signal([b"bytes"])  # type: ignore[list-item]


def test_load_raises_model_artifact_error_when_the_model_is_missing(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactError, match="train liar"):
        TextClassifier.load(tmp_path)


@pytest.mark.parametrize("content", [b"not a zip file", b"PK\x03\x04 truncated"])
def test_load_raises_model_artifact_error_when_the_artifact_is_corrupt(
    tmp_path: Path, content: bytes
) -> None:
    (tmp_path / MODEL_FILE).write_bytes(content)
    with pytest.raises(ModelArtifactError, match="cannot read"):
        TextClassifier.load(tmp_path)


def test_load_raises_model_artifact_error_when_the_zip_is_not_a_skops_file(tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / MODEL_FILE, "w") as archive:
        archive.writestr("schema.json", "{}")
    with pytest.raises(ModelArtifactError, match="cannot read"):
        TextClassifier.load(tmp_path)


def test_load_raises_model_artifact_error_when_the_metadata_is_corrupt(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes((MODEL_DIR / MODEL_FILE).read_bytes())
    (tmp_path / "metadata.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelArtifactError, match=r"metadata\.json"):
        TextClassifier.load(tmp_path)


def test_load_refuses_a_bare_estimator_not_saved_by_train_liar(tmp_path: Path) -> None:
    skops.io.dump(LogisticRegression().fit([[0.0], [1.0]], ["a", "b"]), tmp_path / MODEL_FILE)
    with pytest.raises(ModelArtifactError, match="train liar"):
        TextClassifier.load(tmp_path)


def test_load_refuses_a_model_of_other_labels(tmp_path: Path) -> None:
    texts, labels = ["taxes rose", "taxes fell", "crime rose", "crime fell"], ["up", "down", "up", "down"]
    other = StackingClassifier(
        [("word", make_pipeline(TfidfVectorizer(), LogisticRegression()))], LogisticRegression(), cv=2
    ).fit(texts, labels)
    skops.io.dump(pack_model(other), tmp_path / MODEL_FILE)
    with pytest.raises(ModelArtifactError, match="six labels"):
        TextClassifier.load(tmp_path)


def test_load_refuses_an_artifact_holding_untrusted_types(tmp_path: Path) -> None:
    skops.io.dump({"payload": Path("/etc/passwd")}, tmp_path / MODEL_FILE)
    with pytest.raises(ModelArtifactError, match="does not trust"):
        TextClassifier.load(tmp_path)


def test_eval_liar_beats_the_published_text_only_accuracy_on_valid() -> None:
    valid = shared_data("liar", "valid.tsv")
    result = CliRunner().invoke(
        app, ["eval", "liar", "--data", str(valid), "--model", str(MODEL_DIR), "--json"]
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["n"] == 1284
    assert figures["accuracy_6"] > 0.27  # Wang 2017, text-only CNN (test split)
    shipped = json.loads((MODEL_DIR / "metadata.json").read_text(encoding="utf-8"))["valid"]
    assert figures == pytest.approx(shipped)  # the artifact is the model its metadata describes
    assert figures["accuracy_6"] > figures["majority_6"]
    assert figures["accuracy_2"] > figures["majority_2"]
    assert 0.0 < figures["macro_f1_6"] <= 1.0
    assert 0.0 < figures["macro_f1_2"] <= 1.0


def test_eval_liar_reads_the_splits_of_a_folder_and_prints_a_table() -> None:
    folder = shared_data("liar")
    result = CliRunner().invoke(app, ["eval", "liar", "--data", str(folder), "--model", str(MODEL_DIR)])
    assert result.exit_code == 0, result.output
    assert "valid.tsv: n=1284" in result.output
    assert "train.tsv" not in result.output


def test_eval_liar_reports_a_malformed_file_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "valid.tsv"
    bad.write_text("1.json\tmaybe\tSome statement.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "liar", "--data", str(bad), "--model", str(MODEL_DIR)])
    assert result.exit_code == 1
    assert "not a LIAR row" in result.output
