"""LIAR (Wang 2017): reading its TSV files and scoring 6-way and binary (false-leaning) predictions."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

from factcheck.classify import FALSE_LEANING, LIAR_LABELS, TextClassifier
from factcheck.errors import InputError


@dataclass(frozen=True)
class LiarSplit:
    statements: list[str]
    labels: list[str]


def read_liar(path: Path) -> LiarSplit:
    """A LIAR .tsv file: 14 tab-separated columns, the label second and the statement third."""
    statements, labels = [], []
    with Path(path).open(encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE), start=1):
            if not row:
                continue
            if len(row) < 3 or row[1] not in LIAR_LABELS:
                raise InputError(f"{path}:{number}: not a LIAR row (id, label, statement, ...)")
            labels.append(row[1])
            statements.append(row[2])
    if not statements:
        raise InputError(f"{path}: no LIAR rows")
    return LiarSplit(statements, labels)


def liar_files(path: Path) -> list[Path]:
    """A file, or the valid.tsv and test.tsv of a LIAR folder."""
    path = Path(path)
    if path.is_dir():
        files = [path / name for name in ("valid.tsv", "test.tsv") if (path / name).is_file()]
        if not files:
            raise InputError(f"{path} has neither valid.tsv nor test.tsv")
        return files
    if not path.is_file():
        raise InputError(f"{path} is not a file or folder")
    return [path]


def evaluate_liar(classifier: TextClassifier, split: LiarSplit) -> dict[str, float]:
    probabilities = classifier.probabilities(split.statements)
    predicted = [classifier.classes[int(i)] for i in probabilities.argmax(axis=1)]
    false_column = [classifier.classes.index(label) for label in FALSE_LEANING]
    predicted_false = probabilities[:, false_column].sum(axis=1) >= 0.5
    truly_false = np.array([label in FALSE_LEANING for label in split.labels])
    return {
        "n": len(split.labels),
        "accuracy_6": float(accuracy_score(split.labels, predicted)),
        "macro_f1_6": float(f1_score(split.labels, predicted, average="macro")),
        "accuracy_2": float(np.mean(predicted_false == truly_false)),
        "macro_f1_2": float(f1_score(truly_false, predicted_false, average="macro")),
        "majority_6": max(split.labels.count(label) for label in LIAR_LABELS) / len(split.labels),
    }
