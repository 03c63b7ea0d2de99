"""Features of one (claim, debunk) pair, as the re-ranker sees them.

Retriever features are query-relative as well as absolute (score, rank, gap to the query's best
score), so the re-ranker can tell "best of a bad lot" from "clearly the one". Overlap features compare
the claim's profile with the union of the debunk's texts (claim, title, variants): content tokens,
numbers, dates and proxy entities, where a conflict (both mention years, none shared) is evidence
against a match.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from factcheck.matching.text import TextProfile

__all__ = ["RetrieverColumn", "feature_names", "pair_features"]

RETRIEVERS = ("bm25", "static", "dense")
_PER_RETRIEVER = ("score", "log_rank", "gap", "relative")
_VECTOR_EXTRA = ("claim", "mean")
_OVERLAP = (
    "token_jaccard", "query_coverage", "debunk_coverage", "shared_tokens",
    "numbers_shared", "numbers_query_only", "numbers_conflict",
    "dates_shared", "dates_conflict",
    "entities_shared", "entity_coverage", "entities_query_only",
    "query_words", "debunk_words", "length_ratio", "debunk_texts", "rrf", "rrf_log_rank",
)  # fmt: skip


def feature_names(retrievers: Sequence[str]) -> list[str]:
    names = []
    for retriever in retrievers:
        names += [f"{retriever}_{name}" for name in _PER_RETRIEVER]
        if retriever != "bm25":
            names += [f"{retriever}_{name}" for name in _VECTOR_EXTRA]
    return names + list(_OVERLAP)


@dataclass(frozen=True)
class RetrieverColumn:
    """One retriever's view of a query's candidates."""

    scores: np.ndarray  # best entry score per candidate
    ranks: np.ndarray  # 1-based rank among all debunks, capped
    top: float  # the query's best score over all debunks
    claim_scores: np.ndarray | None = None  # vector retrievers: score of the debunk's own claim text
    mean_scores: np.ndarray | None = None  # vector retrievers: mean over the debunk's texts


def _safe_div(a: float, b: float) -> float:
    return a / b if b else 0.0


def pair_features(
    query: TextProfile,
    debunks: Sequence[TextProfile],
    debunk_texts: Sequence[int],
    columns: dict[str, RetrieverColumn],
    rrf_scores: np.ndarray,
    rrf_ranks: np.ndarray,
) -> np.ndarray:
    """(candidates x features) matrix in the order of `feature_names(list(columns))`."""
    blocks = []
    for name, column in columns.items():
        scores = column.scores.astype(np.float32)
        top = float(column.top) if math.isfinite(column.top) else 0.0
        block = [
            scores,
            np.log1p(column.ranks),
            top - scores,
            scores / top if top > 0 else np.zeros_like(scores),
        ]
        if name != "bm25":
            block += [column.claim_scores, column.mean_scores]  # type: ignore[list-item]
        blocks.append(np.column_stack(block))
    rows = []
    q_tokens, q_numbers, q_dates, q_entities = query.tokens, query.numbers, query.dates, query.entity_words
    q_years = {d for d in q_dates if d.isdigit()}
    for profile, texts in zip(debunks, debunk_texts, strict=True):
        shared = len(q_tokens & profile.tokens)
        union = len(q_tokens | profile.tokens)
        numbers_shared = len(q_numbers & profile.numbers)
        d_years = {d for d in profile.dates if d.isdigit()}
        entities_shared = len(q_entities & profile.entity_words)
        rows.append(
            (
                _safe_div(shared, union),
                _safe_div(shared, len(q_tokens)),
                _safe_div(shared, len(profile.tokens)),
                shared,
                numbers_shared,
                len(q_numbers - profile.numbers),
                float(bool(q_numbers) and bool(profile.numbers) and not numbers_shared),
                len(q_dates & profile.dates),
                float(bool(q_years) and bool(d_years) and not (q_years & d_years)),
                entities_shared,
                _safe_div(len(q_entities & (profile.entity_words | profile.tokens)), len(q_entities)),
                len(q_entities - profile.entity_words),
                query.length,
                profile.length,
                _safe_div(min(query.length, profile.length), max(query.length, profile.length)),
                texts,
            )
        )
    overlap = np.asarray(rows, dtype=np.float32).reshape(len(debunks), 16)
    fused = np.column_stack([rrf_scores, np.log1p(rrf_ranks)]).astype(np.float32)
    return np.hstack([*blocks, overlap, fused]).astype(np.float32)
