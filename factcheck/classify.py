"""The text classifier: a weak, text-only guess for claims that no debunk addresses.

Trained on LIAR (PolitiFact statements, 6 labels). Text alone predicts PolitiFact's rating poorly
(about a quarter right of six labels), so its output is labelled a weak signal everywhere and is
never turned into a verdict.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from factcheck.errors import ModelArtifactError
from factcheck.types import ClassifierSignal

LIAR_LABELS = ("pants-fire", "false", "barely-true", "half-true", "mostly-true", "true")
FALSE_LEANING = ("pants-fire", "false", "barely-true")
MODEL_FILE = "liar.skops"

# Every type the saved pipeline holds; skops refuses anything else on load.
TRUSTED_TYPES = [
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.naive_bayes.ComplementNB",
    "sklearn.preprocessing._label.LabelEncoder",
    "sklearn.model_selection._split.StratifiedKFold",
    "builtins.dict",
    "builtins.list",
    "builtins.tuple",
    "builtins.slice",
    "builtins.int",
    "builtins.float",
    "builtins.str",
    "numpy.dtype",
    "numpy.ndarray",
    "numpy.int64",
    "numpy.float64",
]


class TextClassifier:
    def __init__(self, model: Any) -> None:
        self.model = model
        classes = [str(label) for label in model.classes_]
        if sorted(classes) != sorted(LIAR_LABELS):
            raise ModelArtifactError(f"the text classifier predicts {classes}, not LIAR's six labels")
        self.classes = classes
        self._false_columns = [classes.index(label) for label in FALSE_LEANING]

    @classmethod
    def load(cls, path: Path) -> TextClassifier:
        import skops.io

        file = Path(path) / MODEL_FILE
        if not file.is_file():
            raise ModelArtifactError(f"no text classifier at {file}; train one with `factcheck train liar`")
        try:
            untrusted = set(skops.io.get_untrusted_types(file=file)) - set(TRUSTED_TYPES)
            if untrusted:
                raise ModelArtifactError(f"{file} holds types this code does not trust: {sorted(untrusted)}")
            model = skops.io.load(file, trusted=TRUSTED_TYPES)
        except ModelArtifactError:
            raise
        except Exception as error:  # skops and zipfile raise many types on a corrupt file
            raise ModelArtifactError(f"cannot read the text classifier {file}: {error}") from error
        return cls(model)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text: the probability of each of `self.classes`."""
        if not texts:
            return np.zeros((0, len(self.classes)))
        return np.asarray(self.model.predict_proba(list(texts)))

    def signal(self, texts: Sequence[str]) -> list[ClassifierSignal]:
        rows = self.probabilities(texts)
        signals = []
        for row in rows:
            signals.append(
                ClassifierSignal(
                    label=self.classes[int(np.argmax(row))],
                    false_probability=float(row[self._false_columns].sum()),
                    label_probabilities={label: float(p) for label, p in zip(self.classes, row, strict=True)},
                )
            )
        return signals
