"""The cross-encoder: reads a claim and a debunk together and says whether they are *the same claim*.

The retrievers and the gradient-boosted re-ranker see each text apart (vectors, shared words), so a
debunk about the same topic with another claim (a real plague case vs "three cats in Wyoming have the
plague") can look as close as the right one. Reading both at once, attention can compare them word for
word. It costs a few ms per pair, so the matcher runs it only on the top few candidates of the claims
that pass the MiniLM gate (see `Matcher`).

The model (`models/crossencoder/`, written by `factcheck train pairmodel`) is all-MiniLM-L6-v2 fine-tuned
with a linear head on its mean-pooled output, int8 ONNX: `model.onnx`, `tokenizer.json`, `metadata.json`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from factcheck.errors import ModelArtifactError
from factcheck.matching.embeddings import _onnx_session, _sha256, _tokenizer

__all__ = ["CrossEncoderScorer"]


class CrossEncoderScorer:
    """Logits of "the debunk addresses this very claim" from the int8 ONNX cross-encoder.

    Parameters
    ----------
    path : Path
        The model folder.
    """

    def __init__(self, path: Path) -> None:
        weights = path / "model.onnx"
        for needed in (weights, path / "tokenizer.json", path / "metadata.json"):
            if not needed.is_file():
                raise ModelArtifactError(
                    f"cross-encoder file missing: {needed} (run `factcheck train pairmodel`)"
                )
        try:
            metadata = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
            self.max_seq_length = int(metadata["max_seq_length"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ModelArtifactError(f"unreadable {path / 'metadata.json'}: {error}") from error
        self.model_id = f"minilm-crossencoder-int8:{_sha256(weights)[:12]}:{self.max_seq_length}"
        self._tokenizer = _tokenizer(path / "tokenizer.json", self.max_seq_length)
        self._session = _onnx_session(weights)

    def logits(self, claim: str, debunks: Sequence[str]) -> np.ndarray:
        """One logit per debunk text. Pairs run one at a time, unpadded: with dynamic int8 quantisation a
        padded batch would let a pair's score move with its batch mates (as for the MiniLM encoder)."""
        out = np.zeros(len(debunks), dtype=np.float32)
        for row, debunk in enumerate(debunks):
            encoding = self._tokenizer.encode(claim, debunk)
            ids = np.asarray([encoding.ids], dtype=np.int64)
            [logit] = self._session.run(
                ["logit"],
                {
                    "input_ids": ids,
                    "attention_mask": np.ones_like(ids),
                    "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64),
                },
            )
            out[row] = float(logit[0])
        return out
