"""Train the transferred check-worthiness model: English labels, multilingual-e5 vectors, any language served.

The data and splits are the English model's (`factcheck.training.checkworthiness.load_splits`: CheckThat!
2020 task 1 tweets, task 5 debates, ClaimBuster; the same dev items, the same de-duplication against dev).
Each text goes through `normalize_claim_text` and is embedded by multilingual-e5-small on its "query: "
side (`MultilingualEncoder.encode_queries`), the side claims are embedded on. e5 maps a sentence and its
translation close together, so a logistic regression on English vectors carries over to French, Spanish
or German text: weaker than a model trained in the language, but far better than English n-grams on it.

Encoding costs tens of milliseconds a sentence on one thread, so the training negatives are subsampled
with a seeded RNG (every positive is kept):

    dataset      train negatives kept       why
    ClaimBuster  NEGATIVE_FRACTION[...]     ~7k negatives; 40% still leaves more negatives than positives
    task 5       NEGATIVE_FRACTION[...]     ~38k negatives, 1% positive: 5% of negatives keeps ~1,900
    task 1       all                        672 tweets

A kept negative weighs 1 / its fraction, so each dataset keeps its real class balance (the Platt scaling
then calibrates to the real base rate), and, as for the English model, each dataset carries the same total
weight. Dev is encoded in full, so the dev figures are comparable with the English model's.

Features are the 384 vector components plus a one-hot domain (the label scheme, as in the English model);
C is chosen on dev by the mean of task 1 MAP, task 5 MAP and ClaimBuster F1, the chosen model is Platt-
scaled per domain on 3-fold out-of-fold training log-odds, and each domain's threshold is its F1-best cut
on its English dev split. Vectors are cached in a file outside the repository (`--cache`), so a rerun
encodes nothing.
"""

from __future__ import annotations

import hashlib
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from factcheck._normalize import normalize_claim_text
from factcheck.checkworthiness import DOMAINS
from factcheck.checkworthiness_multilingual import TransferredCheckworthinessModel, domain_features
from factcheck.evaluation.checkworthiness import (
    DATASET_DOMAINS,
    DEV_SPLIT_FILE,
    EvaluationReport,
    LabelledData,
    best_f1_threshold,
    evaluate,
)
from factcheck.training.checkworthiness import CALIBRATION_FOLDS, DEFAULT_SEED, Splits, load_splits

__all__ = [
    "NEGATIVE_FRACTION",
    "TransferredTrainingResult",
    "VectorFile",
    "train_transferred_checkworthiness",
]

NEGATIVE_FRACTION: dict[str, float] = {"claimbuster": 0.4, "clef2020-task5": 0.05, "clef2020-task1": 1.0}
DEFAULT_GRID: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0)
ENCODE_CHUNK = 256


class VectorFile:
    """Vectors of texts, keyed by the SHA-1 of the text, in one .npz outside the repository.

    Written after every chunk (to a temporary file, then renamed), so an interrupted run resumes where it
    stopped. Holds only plain arrays (read with allow_pickle=False).
    """

    def __init__(self, path: Path, model_id: str) -> None:
        self.path = path
        self.model_id = model_id
        self._vectors: dict[str, np.ndarray] = {}
        if path.is_file():
            with np.load(path, allow_pickle=False) as stored:
                if str(stored["model_id"]) == model_id:
                    self._vectors = dict(zip(stored["keys"].tolist(), stored["vectors"], strict=True))

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def encode(
        self, encode: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str], say: Callable[[str], None]
    ) -> np.ndarray:
        """Vectors for `texts` in order; the ones not in the file are encoded with `encode` and stored."""
        missing = sorted({text for text in texts if self.key(text) not in self._vectors})
        started = time.perf_counter()
        for start in range(0, len(missing), ENCODE_CHUNK):
            chunk = missing[start : start + ENCODE_CHUNK]
            for text, vector in zip(chunk, encode(chunk), strict=True):
                self._vectors[self.key(text)] = vector
            self._save()
            done = start + len(chunk)
            say(
                f"encoded {done:,}/{len(missing):,} texts ({(time.perf_counter() - started) / done * 1000:.0f} ms each)"
            )
        return np.stack([self._vectors[self.key(text)] for text in texts]) if texts else np.zeros((0, 384))

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial.npz")
        keys = list(self._vectors)
        np.savez(
            partial,
            model_id=np.asarray(self.model_id),
            keys=np.asarray(keys),
            vectors=np.stack([self._vectors[key] for key in keys]).astype(np.float32),
        )
        os.replace(partial, self.path)


def subsample(data: LabelledData, fraction: float, seed: int) -> tuple[LabelledData, np.ndarray]:
    """Every positive and a seeded `fraction` of the negatives, with weights that restore the class balance."""
    rng = random.Random(f"{seed}:{data.dataset}")
    keep = [item.label == 1 or rng.random() < fraction for item in data.items]
    kept = data.select(keep)
    weights = np.where(kept.labels == 1, 1.0, 1.0 / fraction)
    return kept, weights


@dataclass(frozen=True)
class _Training:
    vectors: np.ndarray
    labels: np.ndarray
    domains: list[str]
    weights: np.ndarray

    def features(self, rows: np.ndarray | None = None) -> np.ndarray:
        rows = np.arange(len(self.labels)) if rows is None else rows
        return np.hstack([self.vectors[rows], domain_features([self.domains[i] for i in rows])])

    def fit(self, c: float, seed: int, rows: np.ndarray | None = None) -> LogisticRegression:
        rows = np.arange(len(self.labels)) if rows is None else rows
        classifier = LogisticRegression(C=c, max_iter=2000, random_state=seed)
        return classifier.fit(self.features(rows), self.labels[rows], sample_weight=self.weights[rows])


@dataclass(frozen=True)
class TransferredTrainingResult:
    model: TransferredCheckworthinessModel
    dev_reports: dict[str, EvaluationReport]
    search: list[dict[str, float]]
    splits: Splits
    seconds: float


def _model(classifier: LogisticRegression, **kwargs: object) -> TransferredCheckworthinessModel:
    coef = classifier.coef_[0]
    return TransferredCheckworthinessModel(
        coef=coef[: -len(DOMAINS)],
        domain_bias=coef[-len(DOMAINS) :] + classifier.intercept_[0],
        **kwargs,  # type: ignore[arg-type]
    )


def _reports(
    model: TransferredCheckworthinessModel, splits: Splits, dev_vectors: dict[str, np.ndarray]
) -> tuple[dict[str, EvaluationReport], dict[str, float]]:
    reports: dict[str, EvaluationReport] = {}
    thresholds: dict[str, float] = {}
    for name, data in splits.dev.items():
        domain = DATASET_DOMAINS[name]
        scores = model.score_vectors(dev_vectors[name], domain=domain)
        thresholds[domain], _ = best_f1_threshold(scores, data.labels)
        reports[name] = evaluate(scores, data, threshold=thresholds[domain])
    return reports, thresholds


def _selection(reports: dict[str, EvaluationReport]) -> float:
    return float(
        np.mean(
            [reports["clef2020-task1"].map, reports["clef2020-task5"].map, reports["claimbuster"].f1_positive]
        )
    )


def train_transferred_checkworthiness(
    data_dir: str | Path,
    *,
    encode: Callable[[Sequence[str]], np.ndarray],
    encoder_id: str,
    cache: Path,
    grid: Sequence[float] = DEFAULT_GRID,
    random_state: int = DEFAULT_SEED,
    log: Callable[[str], None] | None = None,
) -> TransferredTrainingResult:
    """Encode the (subsampled) train and the full dev splits, choose C on dev, calibrate, pick thresholds.

    `encode` is `MultilingualEncoder().encode_queries` (injected, so the encoder is built once by the caller);
    `encoder_id` identifies it in the cache and the artifact.
    """
    say = log or (lambda message: None)
    started = time.perf_counter()
    splits = load_splits(data_dir, seed=random_state)
    vectors = VectorFile(cache, encoder_id)
    parts = []
    for name, data in splits.train.items():
        kept, weights = subsample(data, NEGATIVE_FRACTION[name], random_state)
        say(
            f"train {name}: {len(kept.items):,} of {len(data.items):,} texts, {int(kept.labels.sum()):,} check-worthy"
        )
        parts.append((name, kept, weights))
    train_texts = [normalize_claim_text(t) for _, kept, _ in parts for t in kept.texts]
    dev_texts = {name: [normalize_claim_text(t) for t in data.texts] for name, data in splits.dev.items()}
    # Training texts first: dev (task 5 has 4k sentences) last, so a first look needs only the train part.
    train_vectors = vectors.encode(encode, train_texts, say)
    dev_vectors = {name: vectors.encode(encode, texts, say) for name, texts in dev_texts.items()}
    total = sum(len(kept.items) for _, kept, _ in parts)
    training = _Training(
        vectors=train_vectors,
        labels=np.concatenate([kept.labels for _, kept, _ in parts]),
        domains=[DATASET_DOMAINS[name] for name, kept, _ in parts for _ in kept.items],
        # Each dataset carries the same total weight (mean weight 1), within it the restored class balance.
        weights=np.concatenate([weights * total / (len(parts) * weights.sum()) for _, _, weights in parts]),
    )
    search: list[dict[str, float]] = []
    best: tuple[float, float] | None = None
    for c in grid:
        raw = _model(training.fit(c, random_state), thresholds={"general": 0.5})
        reports, _ = _reports(raw, splits, dev_vectors)
        score = _selection(reports)
        search.append(
            {
                "C": c,
                "selection_score": score,
                **{f"{n} map": r.map for n, r in reports.items()},
                **{f"{n} f1": r.f1_positive for n, r in reports.items()},
            }
        )
        say(
            f"C={c}: selection {score:.4f} ("
            + ", ".join(f"{n} MAP {r.map:.3f} F1 {r.f1_positive:.3f}" for n, r in reports.items())
            + ")"
        )
        if best is None or score > best[0]:
            best = (score, c)
    if best is None:
        raise ValueError("grid is empty")
    best_c = best[1]
    log_odds = np.zeros(len(training.labels))
    splitter = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=random_state)
    for fit_rows, held_out in splitter.split(np.zeros(len(training.labels)), training.labels):
        log_odds[held_out] = training.fit(best_c, random_state, fit_rows).decision_function(
            training.features(held_out)
        )
    domains = np.asarray(training.domains)
    calibration = {}
    for domain in sorted(set(training.domains)):
        rows = domains == domain
        platt = LogisticRegression(C=1e4).fit(
            log_odds[rows].reshape(-1, 1), training.labels[rows], sample_weight=training.weights[rows]
        )
        calibration[domain] = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
    classifier = training.fit(best_c, random_state)
    reports, thresholds = _reports(
        _model(classifier, thresholds={"general": 0.5}, calibration=calibration), splits, dev_vectors
    )
    metadata = {
        "name": "checkworthiness-multilingual",
        "created": date.today().isoformat(),
        "random_state": random_state,
        "encoder": encoder_id,
        "encoder_side": "query",
        "C": best_c,
        "training_data": {
            name: {
                "domain": DATASET_DOMAINS[name],
                "sources": splits.sources[name],
                "train_texts_available": len(splits.train[name].items),
                "train_texts_encoded": len(kept.items),
                "train_positive": int(kept.labels.sum()),
                "negative_fraction_kept": NEGATIVE_FRACTION[name],
                "dev_texts": len(splits.dev[name].items),
                "dev_positive": int(splits.dev[name].labels.sum()),
            }
            for name, kept, _ in parts
        },
        "dev_split": f"the English model's ({DEV_SPLIT_FILE}), seed {random_state}",
        "selection": "mean of task 1 MAP, task 5 MAP, ClaimBuster F1 on dev",
        "search": search,
        "calibration_method": f"Platt scaling per domain on {CALIBRATION_FOLDS}-fold out-of-fold training log-odds",
        "dev_metrics": {name: report.to_dict() for name, report in reports.items()},
    }
    model = _model(classifier, thresholds=thresholds, calibration=calibration, metadata=metadata)
    return TransferredTrainingResult(model, reports, search, splits, time.perf_counter() - started)
