"""LIAR (Wang 2017): reading its TSV files and scoring 6-way and binary (false-leaning) predictions.

The binary task is the usual LIAR split: pants-fire, false and barely-true against the rest. Its
prediction is the classifier's false-leaning probability at 0.5, not a sum of 6-way votes, so the
binary figures also test that probability's calibration (Brier score and ECE are reported with them).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from factcheck.errors import InputError
from factcheck.liar import FALSE_LEANING, LIAR_LABELS, TextClassifier

SPLIT_FILES = ("valid.tsv", "test.tsv")


@dataclass(frozen=True)
class LiarSplit:
    """The statements of one LIAR file and their gold labels, in file order."""

    statements: list[str]
    labels: list[str]


def read_liar(path: Path) -> LiarSplit:
    """A LIAR .tsv file: 14 tab-separated columns, the label second and the statement third."""
    statements, labels = [], []
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if not row:
                continue
            if len(row) < 3 or row[1].strip() not in LIAR_LABELS:
                raise InputError(f"{path}:{number}: not a LIAR row (id, label, statement, ...)")
            labels.append(row[1].strip())
            statements.append(row[2])
    if not statements:
        raise InputError(f"{path}: no LIAR rows")
    return LiarSplit(statements, labels)


def liar_files(path: Path) -> list[Path]:
    """A file, or the valid.tsv and test.tsv of a LIAR folder (train.tsv is never evaluated)."""
    path = Path(path)
    if path.is_dir():
        files = [path / name for name in SPLIT_FILES if (path / name).is_file()]
        if not files:
            raise InputError(f"{path} has neither valid.tsv nor test.tsv")
        return files
    if not path.is_file():
        raise InputError(f"{path} is not a file or folder")
    return [path]


def score_liar(labels: Sequence[str], probabilities: np.ndarray, classes: Sequence[str]) -> dict[str, float]:
    """6-way and binary figures of class probabilities (columns in `classes` order) against gold labels."""
    classes = list(classes)
    predicted = [classes[int(i)] for i in probabilities.argmax(axis=1)]
    false_probability = probabilities[:, [classes.index(label) for label in FALSE_LEANING]].sum(axis=1)
    predicted_false = false_probability >= 0.5
    truly_false = np.array([label in FALSE_LEANING for label in labels])
    return {
        "n": len(labels),
        "accuracy_6": float(accuracy_score(labels, predicted)),
        "macro_f1_6": float(f1_score(labels, predicted, labels=list(LIAR_LABELS), average="macro")),
        "accuracy_2": float(np.mean(predicted_false == truly_false)),
        "macro_f1_2": float(f1_score(truly_false, predicted_false, average="macro")),
        "brier_2": float(np.mean((false_probability - truly_false) ** 2)),
        "ece_2": expected_calibration_error(false_probability, truly_false),
        "majority_6": max(list(labels).count(label) for label in LIAR_LABELS) / len(labels),
        "majority_2": float(max(truly_false.mean(), 1.0 - truly_false.mean())),
    }


def expected_calibration_error(probability: np.ndarray, outcome: np.ndarray, *, bins: int = 10) -> float:
    """Mean |observed rate - predicted probability| over equal-width bins, weighted by bin size."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(probability, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        members = which == b
        if members.any():
            error += members.mean() * abs(float(outcome[members].mean()) - float(probability[members].mean()))
    return float(error)


def evaluate_liar(classifier: TextClassifier, split: LiarSplit) -> dict[str, float]:
    """The classifier's figures on one LIAR split (see `score_liar`)."""
    return score_liar(split.labels, classifier.probabilities(split.statements), classifier.classes)
