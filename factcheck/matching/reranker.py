"""The learned re-ranker, its calibration and its thresholds, saved as skops + JSON (no pickles).

Files in `models/matcher/`:

    manifest.json            versions, cascade settings, per profile: features, calibration, thresholds,
                             dev figures
    reranker-<profile>.skops a HistGradientBoostingClassifier over `features.feature_names(...)`

A profile is one cascade: "full" uses BM25, the static model and MiniLM; "fast" uses BM25 and the
static model only (no transformer at query time).
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from threadpoolctl import ThreadpoolController

from factcheck.errors import ModelArtifactError

__all__ = ["MANIFEST", "PROFILES", "Reranker", "read_manifest"]

MANIFEST = "manifest.json"
PROFILES = ("full", "fast")

# Every type a saved HistGradientBoostingClassifier holds; skops refuses anything else on load.
TRUSTED_TYPES = [
    "numpy.dtype",
    "numpy.ndarray",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]


@functools.cache
def _thread_pools() -> ThreadpoolController:
    """Found once: `threadpool_limits` re-reads /proc/self/maps on every call (3-4 ms a search)."""
    return ThreadpoolController()


@dataclass
class Reranker:
    """A fitted classifier of (claim, debunk) pairs plus Platt calibration of its log-odds.

    `probability = 1 / (1 + exp(-(slope * score + intercept)))` where `score` is the classifier's
    decision function.
    """

    model: Any
    feature_names: list[str]
    retrievers: list[str]
    slope: float = 1.0
    intercept: float = 0.0
    match_threshold: float = 0.9
    suggest_threshold: float = 0.1
    dev: dict[str, Any] = field(default_factory=dict)

    def score(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros(0, dtype=np.float64)
        # A few hundred rows: OpenMP threads cost more to wake than they save, and on a busy machine
        # their barriers stall each tree's prediction for milliseconds.
        with _thread_pools().limit(limits=1, user_api="openmp"):
            return np.asarray(self.model.decision_function(features), dtype=np.float64)

    def log_odds(self, scores: np.ndarray) -> np.ndarray:
        """The calibrated log-odds: what the cross-encoder stage stacks with."""
        return self.slope * np.asarray(scores, dtype=np.float64) + self.intercept

    def calibrate(self, scores: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.log_odds(scores)))

    def save(self, directory: Path, profile: str) -> dict[str, Any]:
        """Write the classifier; returns this profile's manifest section."""
        import skops.io

        directory.mkdir(parents=True, exist_ok=True)
        skops.io.dump(self.model, directory / f"reranker-{profile}.skops")
        return {
            "model": f"reranker-{profile}.skops",
            "feature_names": self.feature_names,
            "retrievers": self.retrievers,
            "calibration": {"method": "platt", "slope": self.slope, "intercept": self.intercept},
            "match_threshold": self.match_threshold,
            "suggest_threshold": self.suggest_threshold,
            "dev": self.dev,
        }

    @classmethod
    def load(cls, directory: Path, profile: str) -> Reranker:
        import skops.io

        manifest = read_manifest(directory)
        section = manifest.get("profiles", {}).get(profile)
        if not isinstance(section, dict):
            raise ModelArtifactError(f"{directory / MANIFEST} has no matcher profile {profile!r}")
        path = directory / str(section.get("model", ""))
        if not path.is_file():
            raise ModelArtifactError(f"re-ranker model missing: {path} (run `factcheck train matcher`)")
        try:
            untrusted = set(skops.io.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
            if untrusted:
                raise ModelArtifactError(
                    f"{path} holds types this version does not trust: {sorted(untrusted)}"
                )
            model = skops.io.load(path, trusted=TRUSTED_TYPES)
            calibration = section["calibration"]
            reranker = cls(
                model=model,
                feature_names=list(section["feature_names"]),
                retrievers=list(section["retrievers"]),
                slope=float(calibration["slope"]),
                intercept=float(calibration["intercept"]),
                match_threshold=float(section["match_threshold"]),
                suggest_threshold=float(section["suggest_threshold"]),
                dev=dict(section.get("dev", {})),
            )
        except ModelArtifactError:
            raise
        except Exception as error:  # skops and zipfile raise many types on a corrupt file
            raise ModelArtifactError(f"cannot load the re-ranker {path}: {error}") from error
        expected = getattr(model, "n_features_in_", None)
        if expected != len(reranker.feature_names):
            raise ModelArtifactError(
                f"{path} expects {expected} features but the manifest lists {len(reranker.feature_names)}"
            )
        if not all(math.isfinite(v) for v in (reranker.slope, reranker.intercept)):
            raise ModelArtifactError(f"{directory / MANIFEST}: calibration of {profile!r} is not finite")
        return reranker


def read_manifest(directory: Path) -> dict[str, Any]:
    path = directory / MANIFEST
    if not path.is_file():
        raise ModelArtifactError(f"matcher manifest missing: {path} (run `factcheck train matcher`)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ModelArtifactError(f"cannot read {path}: {error}") from error
    if not isinstance(manifest, dict):
        raise ModelArtifactError(f"{path} is not a JSON object")
    return manifest
