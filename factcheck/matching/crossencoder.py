"""The cross-encoder: reads a claim and a debunk together and says whether they are *the same claim*.

The retrievers and the gradient-boosted re-ranker see each text apart (vectors, shared words), so a
debunk about the same topic with another claim (a real plague case vs "three cats in Wyoming have the
plague") can look as close as the right one. Reading both at once, attention can compare them word for
word. It costs a few ms per pair, so the matcher runs it only on the top few candidates of the claims
that pass the MiniLM gate (see `Matcher`).

The model (`models/embeddings/crossencoder-int8/`, written by `factcheck train pairmodel`) is all-MiniLM-L6-v2 fine-tuned
with a linear head on its mean-pooled output, int8 ONNX: `model.onnx`, `tokenizer.json`, `metadata.json`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from factcheck.errors import ModelArtifactError
from factcheck.matching.embeddings import _onnx_session, _sha256, _tokenizer

__all__ = ["CROSS_ENCODER_DIR", "CrossEncoderScorer", "PairStage"]

CROSS_ENCODER_DIR = "crossencoder-int8"  # under models/embeddings/


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


@dataclass(frozen=True)
class PairStage:
    """The cross-encoder on the re-ranker's best `depth` candidates, stacked with the re-ranker:

        probability = 1 / (1 + exp(-(reranker_weight * r + cross_weight * c + intercept)))

    where r is the re-ranker's calibrated log-odds and c the cross-encoder's logit (a logistic regression
    fitted on dev pairs, see training/matcher.py). Candidates below `depth` keep the re-ranker's probability,
    and so do all the candidates of a claim whose best re-ranker probability is under `min_probability`
    (chosen on dev so that it almost never changes what is shown; most article sentences are far below it).
    """

    scorer: CrossEncoderScorer
    depth: int
    reranker_weight: float
    cross_weight: float
    intercept: float
    min_probability: float = 0.0

    def log_odds(self, reranker_log_odds: np.ndarray, cross_logits: np.ndarray) -> np.ndarray:
        z = self.reranker_weight * np.asarray(reranker_log_odds, dtype=np.float64)
        return z + self.cross_weight * np.asarray(cross_logits, dtype=np.float64) + self.intercept

    def to_json(self) -> dict[str, Any]:
        return {
            "dir": CROSS_ENCODER_DIR,
            "model_id": self.scorer.model_id,
            "depth": self.depth,
            "min_probability": self.min_probability,
            "stacking": {
                "method": "logistic regression on (re-ranker log-odds, cross-encoder logit)",
                "reranker_weight": self.reranker_weight,
                "cross_weight": self.cross_weight,
                "intercept": self.intercept,
            },
        }

    @classmethod
    def load(cls, embeddings_dir: Path, section: dict[str, Any]) -> PairStage:
        """The stage a manifest's profile describes; its cross-encoder must be the one it was fitted with."""
        try:
            scorer = CrossEncoderScorer(embeddings_dir / str(section["dir"]))
            stacking = section["stacking"]
            stage = cls(
                scorer=scorer,
                depth=int(section["depth"]),
                reranker_weight=float(stacking["reranker_weight"]),
                cross_weight=float(stacking["cross_weight"]),
                intercept=float(stacking["intercept"]),
                min_probability=float(section.get("min_probability", 0.0)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ModelArtifactError(
                f"the manifest's cross-encoder section is incomplete: {error}"
            ) from error
        if section.get("model_id") != scorer.model_id:
            raise ModelArtifactError(
                f"the matcher was stacked with cross-encoder {section.get('model_id')}, "
                f"but {embeddings_dir / str(section['dir'])} holds {scorer.model_id}"
            )
        if not all(math.isfinite(v) for v in (stage.reranker_weight, stage.cross_weight, stage.intercept)):
            raise ModelArtifactError("the manifest's cross-encoder stacking is not finite")
        return stage
