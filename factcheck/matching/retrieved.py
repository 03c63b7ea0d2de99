"""What one retriever found for a batch of claims, as fusion and the pair features read it.

Two shapes behind one interface (issue 14):

- `ExactScores`: every entry's score and every debunk's best, as an exhaustive scan gives them. Ranks
  and the query's best score are over the whole collection; the shipped re-ranker was trained on these.
- `SparseScores`: the retriever's best few entries of each claim (an approximate vector search, or
  BM25's matching entries), folded to debunks. Scores of other debunks are computed exactly, on demand,
  for the few candidates fusion asks about; a rank below the retrieved few is "one past them".

Row `i` is the batch's i-th claim; `positions` are debunk positions, `entries` entry positions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from factcheck.matching.retrieval import rank_among, top_positions

__all__ = ["ExactScores", "Retrieved", "SparseScores", "fold_to_debunks"]

RANK_DEPTH = 1000  # ranks past this are all "depth + 1", as the re-ranker was trained

EntryScorer = Callable[[int, np.ndarray], np.ndarray]  # (claim row, entries) -> exact scores
# debunk positions -> their live entries as (entries, each one's count, each one's start)
EntriesOf = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]


class Retrieved(Protocol):
    """One retriever's findings for a batch of claims, as `Matcher._fuse` reads them."""

    def rows(self, chosen: list[int]) -> Retrieved: ...

    def top_debunks(self, i: int, depth: int) -> np.ndarray: ...

    def debunk_scores(self, i: int, positions: np.ndarray) -> np.ndarray: ...

    def ranks(self, i: int, scores: np.ndarray) -> np.ndarray: ...

    def best(self, i: int) -> float: ...

    def entry_scores(self, i: int, entries: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ExactScores:
    """(claims x entries) and (claims x debunks) scores of an exhaustive scan."""

    entries: np.ndarray
    debunks: np.ndarray

    def rows(self, chosen: list[int]) -> ExactScores:
        return ExactScores(self.entries[chosen], self.debunks[chosen])

    def top_debunks(self, i: int, depth: int) -> np.ndarray:
        return top_positions(self.debunks[i], depth)

    def debunk_scores(self, i: int, positions: np.ndarray) -> np.ndarray:
        return self.debunks[i][positions]

    def ranks(self, i: int, scores: np.ndarray) -> np.ndarray:
        row = self.debunks[i]
        return rank_among(row[top_positions(row, RANK_DEPTH)], scores, depth=RANK_DEPTH)

    def best(self, i: int) -> float:
        return float(self.debunks[i].max(initial=0.0))

    def entry_scores(self, i: int, entries: np.ndarray) -> np.ndarray:
        return self.entries[i][entries]


@dataclass(frozen=True)
class SparseScores:
    """Each claim's retrieved debunks (best first, with their scores) and an exact scorer of entries."""

    found: list[tuple[np.ndarray, np.ndarray]]  # per claim: (debunk positions, scores), best first
    claim_rows: list[int]  # this batch's row -> the row `scorer` knows the claim by
    scorer: EntryScorer
    entries_of: EntriesOf

    def rows(self, chosen: list[int]) -> SparseScores:
        return SparseScores(
            [self.found[i] for i in chosen],
            [self.claim_rows[i] for i in chosen],
            self.scorer,
            self.entries_of,
        )

    def top_debunks(self, i: int, depth: int) -> np.ndarray:
        return self.found[i][0][:depth]

    def debunk_scores(self, i: int, positions: np.ndarray) -> np.ndarray:
        flat, counts, starts = self.entries_of(positions)
        out = np.full(len(positions), -np.inf, dtype=np.float32)
        if not len(flat):
            return out
        scores = self.entry_scores(i, flat)
        some = counts > 0
        out[some] = np.maximum.reduceat(scores, starts[some])
        return out

    def ranks(self, i: int, scores: np.ndarray) -> np.ndarray:
        return rank_among(self.found[i][1][:RANK_DEPTH], scores, depth=RANK_DEPTH)

    def best(self, i: int) -> float:
        top = self.found[i][1]
        return max(float(top[0]), 0.0) if len(top) else 0.0

    def entry_scores(self, i: int, entries: np.ndarray) -> np.ndarray:
        return self.scorer(self.claim_rows[i], entries).astype(np.float32)


def fold_to_debunks(
    entries: np.ndarray, scores: np.ndarray, entry_debunk: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Entry hits -> (debunk positions, best entry score of each), best first."""
    order = np.argsort(-scores, kind="stable")
    debunks, scores = entry_debunk[entries[order]], scores[order]
    _, first = np.unique(debunks, return_index=True)
    first.sort()
    return debunks[first], scores[first].astype(np.float32)
