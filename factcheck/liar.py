"""The LIAR text classifier: a weak, text-only guess for claims that no debunk addresses.

Trained on LIAR (PolitiFact statements, 6 labels; see models/liar/CARD.md). Text alone predicts
PolitiFact's rating poorly (about a quarter right of six labels, two thirds right of false-leaning vs
not), so its output is labelled a weak signal everywhere and is never turned into a verdict.

The artifact is a scikit-learn estimator saved with skops (no pickle): loading it runs no code, and
skops refuses any type outside its defaults and `TRUSTED_TYPES`. The vectorizers' vocabularies are
stored beside the estimator as arrays of terms (`pack_model` / `unpack_model`): skops writes a dict
entry by entry, which made a 75,000-term model take seconds to load instead of a tenth of one.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from factcheck._tfidf import tfidf_from_counts
from factcheck.errors import InputError, ModelArtifactError
from factcheck.types import ClassifierSignal

LIAR_LABELS = ("pants-fire", "false", "barely-true", "half-true", "mostly-true", "true")
# The usual binary split of LIAR: the three lower ratings are "false-leaning".
FALSE_LEANING = ("pants-fire", "false", "barely-true")
MODEL_FILE = "liar.skops"
METADATA_FILE = "metadata.json"
ARTIFACT_FORMAT = "factcheck-liar-text/1"
NOTE = "weak signal from a text-only classifier; not a fact-check"
BATCH_SIZE = 2048

# Beyond skops' defaults (scikit-learn estimators, numpy arrays and ufuncs, builtins), the only type the
# saved StackingClassifier holds: the dict subclass behind `named_estimators_`. Never trust more blindly.
TRUSTED_TYPES = ["sklearn.utils._bunch.Bunch"]


class TextClassifier:
    """LIAR's six labels and a false-leaning probability for claim texts; a weak signal, not a verdict.

    Parameters
    ----------
    model : a fitted scikit-learn classifier over raw strings
        Its `classes_` must be LIAR's six labels and it must have `predict_proba`.
    metadata : dict, optional
        What `metadata.json` says about the model (training data, figures, versions).

    Example
    -------
    >>> classifier = TextClassifier.load(Path("models/liar"))  # doctest: +SKIP
    >>> [signal] = classifier.signal(["Says the governor cut school funding by 50 percent."])  # doctest: +SKIP
    >>> signal.label, round(signal.false_probability, 2)  # doctest: +SKIP
    ('half-true', 0.29)
    """

    def __init__(self, model: Any, *, metadata: dict[str, Any] | None = None) -> None:
        classes = [str(label) for label in getattr(model, "classes_", ())]
        if sorted(classes) != sorted(LIAR_LABELS) or not hasattr(model, "predict_proba"):
            raise ModelArtifactError(f"the text classifier predicts {classes}, not LIAR's six labels")
        self.model = model
        self.metadata = dict(metadata or {})
        self.classes = classes
        self._false_columns = [classes.index(label) for label in FALSE_LEANING]
        self._linear = _linear_stack(model)

    @classmethod
    def load(cls, path: str | Path) -> TextClassifier:
        """Load `liar.skops` (and `metadata.json`, if present) from the model folder `path`."""
        import skops.io

        folder = Path(path)
        file = folder / MODEL_FILE
        if not file.is_file():
            raise ModelArtifactError(f"no text classifier at {file}; train one with `factcheck train liar`")
        try:
            content = skops.io.load(file, trusted=TRUSTED_TYPES)
        except skops.io.exceptions.UntrustedTypesFoundException as error:
            raise ModelArtifactError(f"{file} holds types this code does not trust: {error}") from error
        except Exception as error:  # skops and zipfile raise many types on a corrupt file
            raise ModelArtifactError(f"cannot read the text classifier {file}: {error}") from error
        model = unpack_model(content, file)
        metadata = _read_metadata(folder / METADATA_FILE)
        _warn_on_version_mismatch(metadata, file)
        return cls(model, metadata=metadata)

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text: the probability of each of `self.classes`, in batches."""
        for text in texts:
            if not isinstance(text, str):
                raise InputError(f"the text classifier reads strings, got {type(text).__name__}")
        if not texts:
            return np.zeros((0, len(self.classes)))
        items = list(texts)
        linear = self._linear
        batches = [items[start : start + BATCH_SIZE] for start in range(0, len(items), BATCH_SIZE)]
        if linear is not None:
            return np.vstack([_predict_linear(linear, batch) for batch in batches])
        return np.vstack([np.asarray(self.model.predict_proba(batch), dtype=float) for batch in batches])

    def signal(self, texts: Sequence[str]) -> list[ClassifierSignal]:
        """The weak signal for each text: its likeliest label and the false-leaning probability."""
        signals = []
        for row in self.probabilities(texts):
            probabilities = {label: float(row[self.classes.index(label)]) for label in LIAR_LABELS}
            signals.append(
                ClassifierSignal(
                    label=self.classes[int(np.argmax(row))],
                    false_probability=float(np.clip(row[self._false_columns].sum(), 0.0, 1.0)),
                    label_probabilities=probabilities,
                    note=NOTE,
                )
            )
        return signals


def pack_model(model: Any) -> dict[str, Any]:
    """What `liar.skops` holds: a copy of the stacked `model` without vocabularies, and the vocabularies.

    Each base pipeline's vectorizer terms become a numpy string array ordered by feature index, keyed by
    the base estimator's name; `unpack_model` turns them back into `vocabulary_` dicts. `model` itself is
    not changed.
    """
    packed = copy.deepcopy(model)
    vocabularies: dict[str, np.ndarray] = {}
    for name, vectorizer in _vectorizers(packed):
        if name not in vocabularies:
            terms = np.empty(len(vectorizer.vocabulary_), dtype=object)
            for term, index in vectorizer.vocabulary_.items():
                terms[index] = term
            vocabularies[name] = terms.astype(str)
        vectorizer.vocabulary_ = None
        if hasattr(vectorizer, "stop_words_"):
            vectorizer.stop_words_ = None  # introspection only, and large; scikit-learn says it may go
    return {"format": ARTIFACT_FORMAT, "model": packed, "vocabularies": vocabularies}


def unpack_model(content: Any, file: Path) -> Any:
    """The fitted model from what `pack_model` produced (as read back from `file`)."""
    if not isinstance(content, dict) or content.get("format") != ARTIFACT_FORMAT:
        raise ModelArtifactError(
            f"{file} is not a {ARTIFACT_FORMAT} artifact; retrain with `factcheck train liar`"
        )
    model, vocabularies = content.get("model"), content.get("vocabularies")
    vectorizers = _vectorizers(model)
    if (
        not vectorizers
        or not isinstance(vocabularies, dict)
        or {n for n, _ in vectorizers} != set(vocabularies)
    ):
        raise ModelArtifactError(f"{file}: the vocabularies do not match the model's vectorizers")
    for name, vectorizer in vectorizers:
        vectorizer.vocabulary_ = {str(term): index for index, term in enumerate(vocabularies[name])}
    return model


def _vectorizers(model: Any) -> list[tuple[str, Any]]:
    """(base estimator name, its leading TfidfVectorizer) for each base pipeline of a stacked model.

    Covers both `estimators_` and `named_estimators_`, which need not be the same objects once read back.
    """
    from sklearn.feature_extraction.text import TfidfVectorizer

    names = [name for name, estimator in getattr(model, "estimators", []) if estimator != "drop"]
    pipelines = list(zip(names, getattr(model, "estimators_", []), strict=False))
    pipelines += list(getattr(model, "named_estimators_", {}).items())
    return [
        (name, pipeline[0])
        for name, pipeline in pipelines
        if hasattr(pipeline, "steps") and isinstance(pipeline[0], TfidfVectorizer)
    ]


LinearStack = tuple[
    list[tuple[Any, np.ndarray, np.ndarray]], tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
]


def _linear_stack(model: Any) -> LinearStack | None:
    """The weights of a stack shaped as `train liar` builds it, or None for any other model.

    Shape: base pipelines (TfidfVectorizer, multinomial LogisticRegression) whose probabilities go
    through log, StandardScaler and a multinomial LogisticRegression.
    """
    from sklearn.ensemble import StackingClassifier
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    if not isinstance(model, StackingClassifier) or model.stack_method_ != ["predict_proba"] * len(
        model.estimators_
    ):
        return None
    bases = []
    for pipeline in model.estimators_:
        if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
            return None
        vectorizer, regression = pipeline[0], pipeline[1]
        if not (
            isinstance(vectorizer, TfidfVectorizer)
            and vectorizer.norm == "l2"
            and not vectorizer.binary
            and _is_multinomial(regression)
        ):
            return None
        bases.append((vectorizer, regression.coef_, regression.intercept_))
    final = model.final_estimator_
    if not isinstance(final, Pipeline) or len(final.steps) != 3:
        return None
    log, scaler, regression = final[0], final[1], final[2]
    if not (
        isinstance(log, FunctionTransformer)
        and log.func is np.log
        and isinstance(scaler, StandardScaler)
        and scaler.with_mean
        and scaler.with_std
        and _is_multinomial(regression)
    ):
        return None
    return bases, (scaler.mean_, scaler.scale_, regression.coef_, regression.intercept_)


def _is_multinomial(regression: Any) -> bool:
    """A fitted LogisticRegression with one row of weights per class (softmax over more than two)."""
    from sklearn.linear_model import LogisticRegression

    if not isinstance(regression, LogisticRegression):
        return False
    return bool(regression.coef_.shape[0] == len(regression.classes_) > 2)


def _predict_linear(stack: LinearStack, texts: list[str]) -> np.ndarray:
    """`model.predict_proba` for the trained stack, as plain matrix products.

    The same arithmetic without scikit-learn's per-step input checks, which cost ~8 ms a call and
    made small batches (the claims of one page) run at ~100 claims/s; a test holds it to
    `predict_proba`.
    """
    bases, (mean, scale, coef, intercept) = stack
    log_probabilities = [
        _log_softmax(_tfidf(vectorizer, texts) @ base_coef.T + base_intercept)
        for vectorizer, base_coef, base_intercept in bases
    ]
    stacked = (np.hstack(log_probabilities) - mean) / scale
    return np.exp(_log_softmax(stacked @ coef.T + intercept))


def _tfidf(vectorizer: Any, texts: list[str]) -> Any:
    """`vectorizer.transform(texts)` for a fitted l2-normalised TfidfVectorizer, without input checks."""
    from scipy.sparse import csr_matrix

    analyze = vectorizer.build_analyzer()
    vocabulary = vectorizer.vocabulary_
    indices: list[int] = []
    values: list[float] = []
    indptr = [0]
    for text in texts:
        counts: dict[int, int] = {}
        for term in analyze(text):
            index = vocabulary.get(term)
            if index is not None:
                counts[index] = counts.get(index, 0) + 1
        indices.extend(counts)
        values.extend(counts.values())
        indptr.append(len(indices))
    counts = csr_matrix(
        (np.asarray(values, dtype=float), np.asarray(indices, dtype=np.int64), np.asarray(indptr)),
        shape=(len(texts), len(vocabulary)),
    )
    return tfidf_from_counts(vectorizer, counts)


def _log_softmax(scores: Any) -> np.ndarray:
    scores = np.asarray(scores, dtype=float)
    shifted = scores - scores.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _read_metadata(file: Path) -> dict[str, Any]:
    if not file.is_file():
        return {}
    try:
        metadata = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ModelArtifactError(f"cannot read {file}: {error}") from error
    if not isinstance(metadata, dict):
        raise ModelArtifactError(f"{file} is not a JSON object")
    return metadata


def _warn_on_version_mismatch(metadata: dict[str, Any], file: Path) -> None:
    """skops loads across scikit-learn versions, but the estimator may behave differently: say so."""
    import sklearn

    saved = metadata.get("versions", {}).get("scikit-learn")
    if saved and saved.split(".")[:2] != sklearn.__version__.split(".")[:2]:
        warnings.warn(
            f"{file} was saved with scikit-learn {saved}, this is {sklearn.__version__}; "
            "retrain with `factcheck train liar` if its figures matter",
            stacklevel=3,
        )
