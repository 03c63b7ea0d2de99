"""Training the LIAR text classifier: word and character TF-IDF logistic regressions, stacked.

Two views of the statement text, each a multinomial logistic regression: word 1-2-grams and character
2-5-grams (within word boundaries, so spelling variants and numbers share features). A third logistic
regression reads their log-probabilities, fitted on 5-fold out-of-fold predictions over train
(`StackingClassifier`), which both combines the views and calibrates the output: the false-leaning
probability needs no further step (its calibration on valid is in metadata.json).

Every choice (features, C values, the stack) was made by cross-validation on LIAR train; valid.tsv is
only reported. What was tried and what it gave is in models/liar/CARD.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import tempfile
import time
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import StackingClassifier
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from factcheck.errors import InputError
from factcheck.evaluation.liar import evaluate_liar, read_liar
from factcheck.liar import (
    FALSE_LEANING,
    LIAR_LABELS,
    METADATA_FILE,
    MODEL_FILE,
    TextClassifier,
    pack_model,
)

SEED = 0
FOLDS = 5
HYPERPARAMETERS: dict[str, Any] = {
    "word": {"ngram_range": [1, 2], "min_df": 2, "sublinear_tf": True, "C": 1.0},
    "char": {"analyzer": "char_wb", "ngram_range": [2, 5], "min_df": 2, "sublinear_tf": True, "C": 1.0},
    "meta": {"input": "log-probabilities of both views, standardised", "C": 0.1},
    "folds": FOLDS,
}


def build_liar_estimator() -> StackingClassifier:
    """The unfitted model: two TF-IDF logistic regressions stacked under a third."""
    word, char, meta = (HYPERPARAMETERS[key] for key in ("word", "char", "meta"))
    return StackingClassifier(
        estimators=[
            (
                "word",
                make_pipeline(
                    TfidfVectorizer(
                        ngram_range=tuple(word["ngram_range"]),
                        min_df=word["min_df"],
                        sublinear_tf=word["sublinear_tf"],
                    ),
                    LogisticRegression(C=word["C"], max_iter=2000),
                ),
            ),
            (
                "char",
                make_pipeline(
                    TfidfVectorizer(
                        analyzer=char["analyzer"],
                        ngram_range=tuple(char["ngram_range"]),
                        min_df=char["min_df"],
                        sublinear_tf=char["sublinear_tf"],
                    ),
                    LogisticRegression(C=char["C"], max_iter=2000),
                ),
            ),
        ],
        # Logistic-regression probabilities are never exactly 0 on bounded TF-IDF inputs, so log is safe.
        final_estimator=make_pipeline(
            FunctionTransformer(np.log), StandardScaler(), LogisticRegression(C=meta["C"], max_iter=2000)
        ),
        stack_method="predict_proba",
        cv=FOLDS,
    )


def train_liar(data_dir: Path, out_dir: Path, *, random_state: int = SEED) -> dict[str, Any]:
    """Fit on `data_dir`/train.tsv, save to `out_dir` (liar.skops + metadata.json), report valid.tsv.

    The rows are shuffled with `random_state` before fitting so the stacking folds are random but
    reproducible. Returns the metadata written.
    """
    import skops.io

    data_dir, out_dir = Path(data_dir), Path(out_dir)
    train_file, valid_file = data_dir / "train.tsv", data_dir / "valid.tsv"
    if not train_file.is_file():
        raise InputError(f"{data_dir} has no train.tsv (the LIAR folder has train.tsv and valid.tsv)")
    train = read_liar(train_file)
    order = np.random.default_rng(random_state).permutation(len(train.labels))
    statements = [train.statements[i] for i in order]
    labels = [train.labels[i] for i in order]

    started = time.perf_counter()
    model = build_liar_estimator().fit(statements, labels)
    training_seconds = time.perf_counter() - started

    out_dir.mkdir(parents=True, exist_ok=True)
    artifact = out_dir / MODEL_FILE
    # Write beside the target and rename, so a failed run never leaves half an artifact.
    with tempfile.NamedTemporaryFile(dir=out_dir, suffix=".skops.tmp", delete=False) as handle:
        temporary = Path(handle.name)
    try:
        skops.io.dump(pack_model(model), temporary, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
        os.replace(temporary, artifact)
        artifact.chmod(0o644)  # NamedTemporaryFile makes it private; the artifact is shipped and read by all
    finally:
        temporary.unlink(missing_ok=True)

    classifier = TextClassifier.load(out_dir)
    metadata: dict[str, Any] = {
        "model": "liar-text-stack",
        "trained": date.today().isoformat(),
        "task": "LIAR 6-way rating from the statement text only; binary = false-leaning vs the rest",
        "labels": list(LIAR_LABELS),
        "false_leaning": list(FALSE_LEANING),
        "features": "statement text only (no speaker, party, subject, context or credit history)",
        "estimator": "StackingClassifier(word TF-IDF LR, char TF-IDF LR) -> LR on log-probabilities",
        "hyperparameters": HYPERPARAMETERS,
        "random_state": random_state,
        "data": {"train": _describe(train_file, len(labels))},
        "training_seconds": round(training_seconds, 1),
        "artifact": {"file": MODEL_FILE, "bytes": artifact.stat().st_size, "sha256": _sha256(artifact)},
        "versions": _versions(),
    }
    if valid_file.is_file():
        valid = read_liar(valid_file)
        metadata["data"]["valid"] = _describe(valid_file, len(valid.labels))
        metadata["valid"] = evaluate_liar(classifier, valid)
        metadata["claims_per_second_one_core"] = round(_throughput(classifier, valid.statements))
    (out_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return metadata


def _throughput(classifier: TextClassifier, statements: list[str]) -> float:
    """Claims per second on one thread, the best of three passes over `statements` in one batch."""
    from threadpoolctl import threadpool_limits

    best = float("inf")
    with threadpool_limits(limits=1):
        for _ in range(3):
            started = time.perf_counter()
            classifier.signal(statements)
            best = min(best, time.perf_counter() - started)
    return len(statements) / best


def _describe(file: Path, rows: int) -> dict[str, Any]:
    return {"file": file.name, "rows": rows, "sha256": _sha256(file)}


def _sha256(file: Path) -> str:
    return hashlib.sha256(file.read_bytes()).hexdigest()


def _versions() -> dict[str, str]:
    import scipy
    import sklearn
    import skops

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "skops": skops.__version__,
    }
