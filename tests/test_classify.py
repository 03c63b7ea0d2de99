"""The LIAR text classifier: the shipped artifact, its signals, its errors, and its figures on valid."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from factcheck.classify import LIAR_LABELS, TextClassifier
from factcheck.cli import app
from factcheck.errors import ModelArtifactError
from tests.conftest import REPO_ROOT, shared_data

MODEL_DIR = REPO_ROOT / "models" / "liar"


@pytest.fixture(scope="module")
def classifier() -> TextClassifier:
    return TextClassifier.load(MODEL_DIR)


def test_signals_are_probabilities_over_the_six_labels(classifier: TextClassifier) -> None:
    signals = classifier.signal(["Says the governor cut school funding by 50 percent.", "Taxes went up."])
    assert len(signals) == 2
    for signal in signals:
        assert signal.label in LIAR_LABELS
        assert set(signal.label_probabilities) == set(LIAR_LABELS)
        assert sum(signal.label_probabilities.values()) == pytest.approx(1.0, abs=1e-6)
        assert 0.0 <= signal.false_probability <= 1.0
        assert "weak signal" in signal.note
    assert classifier.signal([]) == []


def test_a_missing_or_corrupt_artifact_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactError, match="train liar"):
        TextClassifier.load(tmp_path)
    (tmp_path / "liar.skops").write_bytes(b"not a zip file")
    with pytest.raises(ModelArtifactError, match="cannot read"):
        TextClassifier.load(tmp_path)


def test_eval_liar_beats_the_published_text_only_accuracy_on_valid() -> None:
    valid = shared_data("liar", "valid.tsv")
    result = CliRunner().invoke(app, ["eval", "liar", "--data", str(valid), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["n"] == 1284
    assert figures["accuracy_6"] > 0.27
    assert figures["accuracy_6"] > figures["majority_6"]
    assert {"accuracy_2", "macro_f1_6"} <= set(figures)
