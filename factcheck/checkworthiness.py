"""How worth fact-checking a sentence is: a fast linear model over word and character n-grams.

    CheckworthinessClassifier   the scikit-learn estimator: TF-IDF word 1-2-grams + char_wb 3-5-grams +
                                a one-hot text domain -> logistic regression
    CheckworthinessModel        the shipped artifact: a fitted classifier, its dev-chosen thresholds
                                and metadata; `load`, `save`, `score`

Texts are normalised with `normalize_claim_text` (`factcheck/_normalize.py`) before featurising, so training data and the
claims of a document are seen the same way. The domain says which label scheme a text was judged under:

    general      ClaimBuster: is this a check-worthy factual claim? (the default: articles, e-mail, posts)
    social       CheckThat! 2020 task 1: is this tweet worth a fact-checker's time? (COVID-19 tweets)
    transcript   CheckThat! 2020 task 5: was this debate/speech sentence fact-checked? (~1% are)

The domain shifts the prior (a debate sentence is far less often check-worthy than a ClaimBuster one), a
domain listed in `domain_specific` also gets its own n-gram weights on top of the shared ones, and
a per-domain Platt scaling, fitted on out-of-fold training predictions, turns the strongly regularised
log-odds into calibrated probabilities within each domain; `thresholds` holds the F1-best cut per domain.

The artifact holds no pickle and no code: `weights.npz` (IDF vectors, coefficients; read with
allow_pickle=False), `vocabulary.json` (the n-grams in column order) and `metadata.json` (thresholds,
feature configuration, data, dev figures, library versions and a SHA-256 of each file, so a truncated or
altered file is refused before it is parsed). Plain arrays load quickly, where skops audits every one of
the vocabulary entries as its own node (see the card for the figures).
"""

from __future__ import annotations

import hashlib
import json
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import scipy.sparse as sp
import sklearn
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.utils.validation import check_is_fitted

from factcheck._normalize import normalize_claim_text
from factcheck._tfidf import tfidf_from_counts
from factcheck.errors import ModelArtifactError

__all__ = [
    "DOMAINS",
    "CheckworthinessClassifier",
    "CheckworthinessModel",
    "Domain",
    "domain_copy",
]

Domain = Literal["general", "social", "transcript"]
DOMAINS: tuple[str, ...] = get_args(Domain)
DEFAULT_DOMAIN: Domain = "general"

WEIGHTS_FILE = "weights.npz"
VOCABULARY_FILE = "vocabulary.json"
METADATA_FILE = "metadata.json"
FORMAT_VERSION = 1

MAX_CACHED_WORDS = 200_000
"""Distinct words whose character n-gram columns are remembered (about 100 bytes each)."""


def domain_copy(features: sp.spmatrix, domains: Sequence[str], domain: str) -> sp.csr_matrix:
    """`features` with every row not of `domain` zeroed: the columns that give a domain weights of its own
    (feature augmentation, Daumé 2007)."""
    return sp.csr_matrix(sp.diags(np.asarray([d == domain for d in domains], dtype=np.float32)) @ features)


def _domain_list(domains: Sequence[str] | str | None, n: int) -> list[str]:
    if domains is None:
        return [DEFAULT_DOMAIN] * n
    if isinstance(domains, str):
        domains = [domains] * n
    elif len(domains) != n:
        raise ValueError(f"domains has {len(domains)} entries for {n} texts")
    unknown = sorted(set(domains) - set(DOMAINS))
    if unknown:
        raise ValueError(f"unknown domain {unknown[0]!r}; expected one of {', '.join(DOMAINS)}")
    return list(domains)


class CheckworthinessClassifier(ClassifierMixin, BaseEstimator):
    """Logistic regression over TF-IDF word and character n-grams plus a one-hot domain.

    Parameters
    ----------
    C : float, default=0.5
        Inverse L2 regularisation strength of the logistic regression.
    word_ngram_range : tuple of (int, int), default=(1, 2)
    char_ngram_range : tuple of (int, int), default=(3, 5)
        Character n-grams inside word boundaries (`analyzer="char_wb"`).
    word_min_df, char_min_df : int, default=2, 3
        Minimum number of training texts an n-gram must occur in.
    max_features : int or None, default=None
        Cap on each vocabulary (most frequent n-grams kept); bounds the artifact's size.
    domain_specific : tuple of str, default=()
        Domains that get their own copy of the n-gram weights on top of the shared ones (feature
        augmentation, Daumé 2007): a phrase can count for ClaimBuster's labels and not for task 1's,
        while small domains still learn from the shared weights.
    random_state : int, default=0

    Example
    -------
    >>> clf = CheckworthinessClassifier(C=0.5).fit(texts, labels, domains=domains)
    >>> clf.predict_proba(["Crime fell 20 percent last year."], domains="general")[:, 1]
    """

    def __init__(
        self,
        *,
        C: float = 0.5,
        word_ngram_range: tuple[int, int] = (1, 2),
        char_ngram_range: tuple[int, int] = (3, 5),
        word_min_df: int = 2,
        char_min_df: int = 3,
        max_features: int | None = None,
        domain_specific: tuple[str, ...] = (),
        random_state: int = 0,
    ) -> None:
        self.C = C
        self.word_ngram_range = word_ngram_range
        self.char_ngram_range = char_ngram_range
        self.word_min_df = word_min_df
        self.char_min_df = char_min_df
        self.max_features = max_features
        self.domain_specific = domain_specific
        self.random_state = random_state

    def fit(
        self,
        texts: Sequence[str],
        y: Sequence[int] | np.ndarray,
        *,
        domains: Sequence[str] | str | None = None,
        sample_weight: np.ndarray | None = None,
    ) -> CheckworthinessClassifier:
        if not self.C > 0:
            raise ValueError(f"C must be > 0, got {self.C!r}")
        labels = np.asarray(y)
        if len(labels) != len(texts):
            raise ValueError(f"texts has {len(texts)} entries but y has {len(labels)}")
        if set(np.unique(labels)) - {0, 1}:
            raise ValueError("y must hold 0 (not check-worthy) and 1 (check-worthy) only")
        unknown = sorted(set(self.domain_specific) - set(DOMAINS))
        if unknown:
            raise ValueError(f"domain_specific holds unknown domain {unknown[0]!r}")
        prepared = [normalize_claim_text(text) for text in texts]
        domain_list = _domain_list(domains, len(texts))
        self.word_vectorizer_, self.char_vectorizer_ = self._vectorizers()
        ngrams = sp.hstack(
            [self.word_vectorizer_.fit_transform(prepared), self.char_vectorizer_.fit_transform(prepared)],
            format="csr",
        )
        copies = [domain_copy(ngrams, domain_list, domain) for domain in self.domain_specific]
        features = sp.hstack([ngrams, *copies, self._domain_features(domain_list)], format="csr")
        self.classifier_ = self._logistic_regression()
        self.classifier_.fit(features, labels, sample_weight=sample_weight)
        self.classes_ = self.classifier_.classes_
        self._set_domain_weights()
        return self

    def _set_domain_weights(self) -> None:
        """Fold the shared and domain-specific n-gram weights into one column per domain."""
        coef = self.classifier_.coef_[0]
        n_ngrams = len(self.word_vectorizer_.vocabulary_) + len(self.char_vectorizer_.vocabulary_)
        weights = np.repeat(coef[:n_ngrams, None], len(DOMAINS), axis=1)
        for copy, domain in enumerate(self.domain_specific, start=1):
            weights[:, DOMAINS.index(domain)] += coef[copy * n_ngrams : (copy + 1) * n_ngrams]
        self.domain_weights_ = weights
        self.domain_bias_ = coef[-len(DOMAINS) :] + self.classifier_.intercept_[0]

    def _vectorizers(self) -> tuple[TfidfVectorizer, TfidfVectorizer]:
        word = TfidfVectorizer(
            ngram_range=self.word_ngram_range,
            min_df=self.word_min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        char = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=self.char_ngram_range,
            min_df=self.char_min_df,
            max_features=self.max_features,
            sublinear_tf=True,
            dtype=np.float32,
        )
        return word, char

    def _logistic_regression(self) -> LogisticRegression:
        return LogisticRegression(C=self.C, solver="liblinear", max_iter=1000, random_state=self.random_state)

    def to_state(self) -> tuple[dict[str, list[str]], dict[str, np.ndarray]]:
        """The fitted model as plain data: the vocabularies (terms in column order) and arrays."""
        check_is_fitted(self)
        vocabularies = {
            "word": _terms_in_column_order(self.word_vectorizer_.vocabulary_),
            "char": _terms_in_column_order(self.char_vectorizer_.vocabulary_),
        }
        arrays = {
            "word_idf": self.word_vectorizer_.idf_,
            "char_idf": self.char_vectorizer_.idf_,
            "coef": self.classifier_.coef_,
            "intercept": self.classifier_.intercept_,
            "classes": self.classifier_.classes_,
        }
        return vocabularies, arrays

    @classmethod
    def from_state(
        cls,
        params: Mapping[str, Any],
        vocabularies: Mapping[str, Sequence[str]],
        arrays: Mapping[str, np.ndarray],
    ) -> CheckworthinessClassifier:
        """Rebuild a fitted classifier from `get_params()` and `to_state()` output, without refitting."""
        restored: dict[str, Any] = {key: tuple(v) if isinstance(v, list) else v for key, v in params.items()}
        model = cls(**restored)
        model.word_vectorizer_, model.char_vectorizer_ = model._vectorizers()
        for vectorizer, name in ((model.word_vectorizer_, "word"), (model.char_vectorizer_, "char")):
            vectorizer.vocabulary_ = {term: index for index, term in enumerate(vocabularies[name])}
            vectorizer.fixed_vocabulary_ = False
            vectorizer.idf_ = np.asarray(arrays[f"{name}_idf"])
        n_ngrams = len(vocabularies["word"]) + len(vocabularies["char"])
        n_features = n_ngrams * (1 + len(model.domain_specific)) + len(DOMAINS)
        coef = np.asarray(arrays["coef"])
        if coef.shape != (1, n_features):
            raise ValueError(
                f"coef has shape {coef.shape}, expected (1, {n_features}) for these vocabularies"
            )
        model.classifier_ = model._logistic_regression()
        model.classifier_.coef_ = coef
        model.classifier_.intercept_ = np.asarray(arrays["intercept"])
        model.classifier_.classes_ = np.asarray(arrays["classes"])
        model.classifier_.n_features_in_ = n_features
        model.classes_ = model.classifier_.classes_
        model._set_domain_weights()
        return model

    @staticmethod
    def _domain_features(domains: Sequence[str]) -> sp.csr_matrix:
        columns = np.fromiter(
            (DOMAINS.index(domain) for domain in domains), dtype=np.int64, count=len(domains)
        )
        rows = np.arange(len(domains))
        return sp.csr_matrix(
            (np.ones(len(domains), dtype=np.float32), (rows, columns)), shape=(len(domains), len(DOMAINS))
        )

    def _ngram_features(self, texts: Sequence[str], normalized: bool) -> sp.csr_matrix:
        check_is_fitted(self)
        prepared = list(texts) if normalized else [normalize_claim_text(text) for text in texts]
        return sp.hstack(
            [self.word_vectorizer_.transform(prepared), self._char_features(prepared)], format="csr"
        )

    def _char_features(self, texts: Sequence[str]) -> sp.csr_matrix:
        """What `char_vectorizer_.transform(texts)` gives, counted one distinct word at a time.

        `char_wb` n-grams never cross a word boundary, so a text's counts are the sum of its
        words' counts. Remembering each word's columns is much faster than scikit-learn's per-text
        analyzer, which dominated the claims stage's scoring time (figures in the card).
        """
        vectorizer = self.char_vectorizer_
        columns: list[np.ndarray] = []
        lengths = np.zeros(len(texts), dtype=np.int64)
        for row, text in enumerate(texts):
            for word in text.lower().split():
                word_columns = self._char_columns_of_word(word)
                columns.append(word_columns)
                lengths[row] += len(word_columns)
        rows = np.repeat(np.arange(len(texts)), lengths)
        flat_columns = np.concatenate(columns) if columns else np.zeros(0, dtype=np.int64)
        counts = sp.csr_matrix(
            (np.ones(len(flat_columns), dtype=vectorizer.dtype), (rows, flat_columns)),
            shape=(len(texts), len(vectorizer.vocabulary_)),
        )
        counts.sum_duplicates()
        return tfidf_from_counts(vectorizer, counts)

    def _char_columns_of_word(self, word: str) -> np.ndarray:
        cache: dict[str, np.ndarray] = self.__dict__.setdefault("_char_columns_cache", {})
        found = cache.get(word)
        if found is None:
            if len(cache) >= MAX_CACHED_WORDS:
                cache.clear()
            vocabulary = self.char_vectorizer_.vocabulary_
            ngrams = self.char_vectorizer_.build_analyzer()(word)
            found = np.fromiter(
                (vocabulary[ngram] for ngram in ngrams if ngram in vocabulary), dtype=np.int64
            )
            cache[word] = found
        return found

    def decision_function(
        self, texts: Sequence[str], *, domains: Sequence[str] | str | None = None, normalized: bool = False
    ) -> np.ndarray:
        """Log-odds of check-worthiness. `normalized=True`: the texts went through normalize_claim_text."""
        # The dot product directly: LogisticRegression.decision_function re-validates its input on every
        # call, which costs more than the product for the ~50 sentences of an article.
        columns = np.asarray([DOMAINS.index(d) for d in _domain_list(domains, len(texts))], dtype=np.int64)
        by_domain = self._ngram_features(texts, normalized) @ self.domain_weights_
        rows = np.arange(len(texts))
        return np.asarray(by_domain[rows, columns] + self.domain_bias_[columns], dtype=np.float64)

    def predict_proba(
        self, texts: Sequence[str], *, domains: Sequence[str] | str | None = None, normalized: bool = False
    ) -> np.ndarray:
        """Columns: P(not check-worthy), P(check-worthy), as scikit-learn classifiers return them."""
        positive = expit(self.decision_function(texts, domains=domains, normalized=normalized))
        return np.column_stack([1.0 - positive, positive])

    def predict(
        self, texts: Sequence[str], *, domains: Sequence[str] | str | None = None, normalized: bool = False
    ) -> np.ndarray:
        decision = self.decision_function(texts, domains=domains, normalized=normalized)
        return self.classes_[(decision > 0).astype(int)]


def _terms_in_column_order(vocabulary: Mapping[str, int]) -> list[str]:
    terms = [""] * len(vocabulary)
    for term, index in vocabulary.items():
        terms[index] = term
    return terms


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class CheckworthinessModel:
    """A fitted CheckworthinessClassifier with the thresholds chosen for it on dev data.

    Parameters
    ----------
    classifier : CheckworthinessClassifier
        Fitted.
    thresholds : mapping of domain -> float
        Probability at or above which a text counts as check-worthy, per domain; must include "general".
    calibration : mapping of domain -> (slope, intercept), optional
        Platt scaling of the classifier's log-odds per domain: P = 1 / (1 + exp(-(slope * z + intercept))).
        A domain without an entry gets the logistic regression's own probability.
    metadata : mapping, optional
        Everything else recorded with the artifact (data, features, dev figures, versions).

    Example
    -------
    >>> model = CheckworthinessModel.load("models/checkworthiness")
    >>> model.score(["The unemployment rate fell to 3.5 percent in 2019.", "Thank you all for coming."])
    array([0.95, 0.01])
    >>> round(model.threshold, 2)
    0.24
    """

    def __init__(
        self,
        classifier: CheckworthinessClassifier,
        *,
        thresholds: Mapping[str, float],
        calibration: Mapping[str, tuple[float, float]] | None = None,
        metadata: Mapping[str, Any] | None = None,
    ) -> None:
        if DEFAULT_DOMAIN not in thresholds:
            raise ValueError(f"thresholds must include the {DEFAULT_DOMAIN!r} domain")
        unknown = sorted(set(thresholds) - set(DOMAINS)) + sorted(set(calibration or {}) - set(DOMAINS))
        if unknown:
            raise ValueError(f"unknown domain {unknown[0]!r}; expected one of {', '.join(DOMAINS)}")
        self.classifier = classifier
        self.thresholds = dict(thresholds)
        self.calibration = {domain: (float(a), float(b)) for domain, (a, b) in (calibration or {}).items()}
        self.metadata = dict(metadata or {})

    @property
    def threshold(self) -> float:
        """The check-worthy cut for the default (general) domain."""
        return self.thresholds[DEFAULT_DOMAIN]

    def score(
        self,
        texts: Sequence[str],
        *,
        domain: Domain = DEFAULT_DOMAIN,
        normalized: bool = False,
        languages: Sequence[str] | None = None,
        batch_size: int = 4096,
    ) -> np.ndarray:
        """Probability that each text is check-worthy, in [0, 1], in input order.

        `normalized=True` skips normalize_claim_text for texts that already went through it (claims do).
        `languages` is accepted and ignored: this model scores every text as it would English (see
        `transfers`); `LanguageRoutedScorer` sends other languages to the transferred model instead.
        """
        if not len(texts):
            return np.zeros(0, dtype=np.float64)
        log_odds = np.concatenate(
            [
                self.classifier.decision_function(
                    texts[start : start + batch_size], domains=domain, normalized=normalized
                )
                for start in range(0, len(texts), batch_size)
            ]
        )
        slope, intercept = self.calibration.get(domain, (1.0, 0.0))
        return np.asarray(expit(slope * log_odds + intercept), dtype=np.float64)

    def transfers(self, language: str) -> bool:
        """False: whatever the language, the score is this model's own (English n-grams), not carried over."""
        return False

    # --- persistence ---------------------------------------------------------------------------------

    def save(self, folder: str | Path, *, overwrite: bool = False) -> Path:
        """Write weights.npz, vocabulary.json and metadata.json into `folder`; never replaces silently."""
        folder = Path(folder)
        if (folder / METADATA_FILE).exists() and not overwrite:
            raise FileExistsError(
                f"{folder} already holds a model; pass overwrite=True (--force) to replace it"
            )
        folder.mkdir(parents=True, exist_ok=True)
        vocabularies, arrays = self.classifier.to_state()
        stored: dict[str, Any] = dict(arrays)
        np.savez_compressed(folder / WEIGHTS_FILE, **stored)
        (folder / VOCABULARY_FILE).write_text(json.dumps(vocabularies, ensure_ascii=False), encoding="utf-8")
        metadata = {
            **self.metadata,
            "format_version": FORMAT_VERSION,
            "files": {name: _sha256(folder / name) for name in (WEIGHTS_FILE, VOCABULARY_FILE)},
            "threshold": self.threshold,
            "thresholds": self.thresholds,
            "calibration": {domain: list(pair) for domain, pair in self.calibration.items()},
            "default_domain": DEFAULT_DOMAIN,
            "domains": list(DOMAINS),
            "features": {key: _jsonable(value) for key, value in self.classifier.get_params().items()},
            "versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__},
        }
        (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
        return folder

    @classmethod
    def load(cls, path: str | Path) -> CheckworthinessModel:
        """Load a model folder; ModelArtifactError says what is missing or wrong."""
        folder = Path(path)
        metadata_path = folder / METADATA_FILE
        if not metadata_path.is_file():
            raise ModelArtifactError(
                f"no check-worthiness model in {folder} ({METADATA_FILE} is missing); "
                f"train one with `factcheck train checkworthiness --out {folder}`"
            )
        try:
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
            thresholds = {str(k): float(v) for k, v in metadata["thresholds"].items()}
            calibration = {
                str(k): (float(a), float(b)) for k, (a, b) in metadata.get("calibration", {}).items()
            }
            params = dict(metadata["features"])
            checksums = {name: str(metadata["files"][name]) for name in (WEIGHTS_FILE, VOCABULARY_FILE)}
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelArtifactError(f"{metadata_path} is unreadable or incomplete: {exc!r}") from exc
        for name, expected in checksums.items():
            if not (folder / name).is_file():
                raise ModelArtifactError(f"the check-worthiness model file {folder / name} is missing")
            if _sha256(folder / name) != expected:
                raise ModelArtifactError(
                    f"{folder / name} is corrupt or was changed after training (its SHA-256 does not match "
                    f"{METADATA_FILE}); retrain with `factcheck train checkworthiness --force`"
                )
        trained_with = metadata.get("versions", {}).get("scikit-learn")
        if trained_with and trained_with != sklearn.__version__:
            warnings.warn(
                f"the check-worthiness model was trained with scikit-learn {trained_with}, "
                f"this is {sklearn.__version__}; retrain if its scores look wrong",
                stacklevel=2,
            )
        try:
            vocabularies = json.loads((folder / VOCABULARY_FILE).read_text(encoding="utf-8"))
            with np.load(folder / WEIGHTS_FILE, allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
            classifier = CheckworthinessClassifier.from_state(params, vocabularies, arrays)
            return cls(classifier, thresholds=thresholds, calibration=calibration, metadata=metadata)
        except (OSError, EOFError, zipfile.BadZipFile, ValueError, KeyError, TypeError) as exc:
            raise ModelArtifactError(f"cannot load the check-worthiness model in {folder}: {exc!r}") from exc


def _jsonable(value: object) -> object:
    if isinstance(value, tuple):
        return list(value)
    return value
