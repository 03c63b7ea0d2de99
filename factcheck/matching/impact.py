"""BM25 whose cost per query is bounded, for approximate mode (issue 14).

`LexicalIndex` (bm25s) scores every entry holding a query term: at a million debunks a common term's
postings run to hundreds of thousands of entries, and the index is rebuilt from the texts in every
worker. `ImpactIndex` stores each term's postings sorted by their BM25 contribution (impact-ordered),
reads only the first `depth` of each query term's, and scores those candidates exactly from a forward
index (each entry's terms and contributions): the work a query does is bounded by its terms times
`depth`, whatever the collection's size.

Its arrays are written once to the index snapshot folder (`save`) and memory-mapped read-only by every
worker (`open`), so N workers share one copy. Entries added later go to a small exact delta scored
with the snapshot's statistics, as the faiss index keeps its own; removed ones are masked by the caller.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from factcheck.matching.retrieval import sorted_lookup, top_positions
from factcheck.matching.text import bm25_tokens

__all__ = ["ImpactIndex", "term_hashes"]

# postings read per query term: bounds a query's work (2,000 cost 5 ms more a claim at 1M; README)
DEPTH = 1000
ARRAYS = (  # each saved as lexical.<name>.npy
    "terms",
    "idf",
    "postings_start",
    "postings_entries",
    "forward_start",
    "forward_terms",
    "forward_impacts",
)
META = "lexical.meta.npy"  # (entries, average length)


def term_hashes(terms: Sequence[str]) -> np.ndarray:
    """A 64-bit key per term: the vocabulary is a sorted array of these, searched with no dict to build."""
    return np.fromiter(
        (int.from_bytes(hashlib.blake2b(t.encode(), digest_size=8).digest(), "little") for t in terms),
        dtype=np.uint64,
        count=len(terms),
    )


class ImpactIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75, the `LexicalIndex` formula) over impact-ordered postings.

    Parameters
    ----------
    depth : int
        Postings read per query term in `top`.
    """

    def __init__(
        self,
        *,
        k1: float = 1.5,
        b: float = 0.75,
        depth: int = DEPTH,
        tokenize: Callable[[str], list[str]] = bm25_tokens,
    ) -> None:
        self.k1, self.b, self.depth, self.tokenize = k1, b, depth, tokenize
        empty_f, empty_i = np.zeros(0, dtype=np.float32), np.zeros(0, dtype=np.int32)
        self._arrays: dict[str, np.ndarray] = {
            "terms": np.zeros(0, dtype=np.uint64),
            "idf": empty_f,
            "postings_start": np.zeros(1, dtype=np.int64),
            "postings_entries": empty_i,
            "forward_start": np.zeros(1, dtype=np.int64),
            "forward_terms": empty_i,
            "forward_impacts": empty_f,
        }
        self._size = 0  # entries in the arrays
        self._avg_len = 1.0
        # entries added since: each one's (term hashes, impacts), scored exhaustively (a small delta)
        self._delta: list[tuple[np.ndarray, np.ndarray]] = []

    def __len__(self) -> int:
        return self._size + len(self._delta)

    # --- building, saving, mapping ------------------------------------------------------------------

    def build(self, texts: Sequence[str]) -> None:
        """Index `texts` (entry positions 0..n-1) from scratch."""
        vocabulary: dict[str, int] = {}
        flat: list[int] = []
        lengths = np.zeros(len(texts), dtype=np.int64)
        for position, text in enumerate(texts):
            tokens = self.tokenize(text)
            lengths[position] = len(tokens)
            flat += [vocabulary.setdefault(token, len(vocabulary)) for token in tokens]
        hashes = term_hashes(list(vocabulary))
        by_hash = np.argsort(hashes)
        rank = np.empty(len(hashes), dtype=np.int64)  # first-seen id -> id in hash order
        rank[by_hash] = np.arange(len(hashes))
        entries = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        pairs, tf = np.unique(
            entries * max(len(hashes), 1) + rank[np.asarray(flat, dtype=np.int64)], return_counts=True
        )
        pair_entries, pair_terms = np.divmod(pairs, max(len(hashes), 1))
        df = np.bincount(pair_terms, minlength=len(hashes))
        n = max(len(texts), 1)
        idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self._avg_len = float(lengths.mean()) if len(texts) and lengths.sum() else 1.0
        norm = self.k1 * (1 - self.b + self.b * lengths[pair_entries] / self._avg_len)
        impacts = (idf[pair_terms] * tf / (tf + norm)).astype(np.float32)
        order = np.lexsort((-impacts, pair_terms))  # by term, then best contribution first
        self._arrays = {
            "terms": hashes[by_hash],
            "idf": idf,
            "postings_start": np.concatenate([[0], np.cumsum(df)]).astype(np.int64),
            "postings_entries": pair_entries[order].astype(np.int32),
            # `np.unique` sorted the pairs by entry: they are the forward index as they stand
            "forward_start": np.concatenate(
                [[0], np.cumsum(np.bincount(pair_entries, minlength=len(texts)))]
            ).astype(np.int64),
            "forward_terms": pair_terms.astype(np.int32),
            "forward_impacts": impacts,
        }
        self._size = len(texts)
        self._delta = []

    def save(self, folder: Path) -> None:
        if self._delta:
            raise ValueError("only an index without a delta can be saved")
        for name in ARRAYS:
            np.save(folder / f"lexical.{name}.npy", self._arrays[name])
        np.save(folder / META, np.asarray([self._size, self._avg_len], dtype=np.float64))

    @classmethod
    def open(cls, folder: Path, *, depth: int = DEPTH) -> ImpactIndex:
        """The index `save` wrote to `folder`, memory-mapped read-only (shared by every worker)."""
        opened = cls(depth=depth)
        for name in ARRAYS:
            opened._arrays[name] = np.load(folder / f"lexical.{name}.npy", mmap_mode="r")
        size, opened._avg_len = np.load(folder / META).tolist()
        opened._size = int(size)
        return opened

    def add(self, texts: Sequence[str]) -> None:
        """Append entries (positions after the last), scored with the indexed collection's statistics."""
        idf, terms = self._arrays["idf"], self._arrays["terms"]
        n = max(self._size, 1)
        for text in texts:
            counts = Counter(self.tokenize(text))
            hashes = term_hashes(list(counts))
            at, known = sorted_lookup(terms, hashes)
            # a term the collection never had counts as held by this entry alone
            weights = np.where(known, idf[at] if len(terms) else 0.0, math.log1p((n - 0.5) / 1.5))
            tf = np.fromiter(counts.values(), dtype=np.float64, count=len(counts))
            norm = self.k1 * (1 - self.b + self.b * tf.sum() / self._avg_len)
            self._delta.append((hashes, (weights * tf / (tf + norm)).astype(np.float32)))

    # --- search -------------------------------------------------------------------------------------

    def query(self, text: str) -> np.ndarray:
        """The claim's term hashes, one per occurrence (a repeated term counts again, as in bm25s)."""
        return term_hashes(self.tokenize(text))

    def top(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(entries, scores) of about the k best entries for `query` (term hashes), best first: the
        first `depth` postings of each term are the candidates, scored exactly."""
        candidates = np.concatenate([self._posted(query, self.depth), np.arange(self._size, len(self))])
        scores = self.entry_scores(query, candidates)
        hit = scores > 0
        candidates, scores = candidates[hit], scores[hit]
        best = top_positions(scores, k)
        return candidates[best], scores[best]

    def entry_scores(self, query: np.ndarray, entries: np.ndarray) -> np.ndarray:
        """Exact BM25 scores of `entries` (positions) for `query` (term hashes), from the forward index."""
        entries = np.asarray(entries, dtype=np.int64)
        out = np.zeros(len(entries), dtype=np.float32)
        ids = self._term_ids(query)
        main = entries < self._size
        if len(ids) and main.any():
            # each term's weight in the query: a query term twice counts twice
            weights = np.zeros(len(self._arrays["terms"]), dtype=np.float64)
            np.add.at(weights, ids, 1.0)
            start, counts = self._forward_rows(entries[main])
            rows = np.repeat(np.arange(len(start)), counts)
            flat = np.repeat(start - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts) + np.arange(
                int(counts.sum())
            )
            terms = self._arrays["forward_terms"][flat]
            impacts = np.asarray(self._arrays["forward_impacts"][flat], dtype=np.float64) * weights[terms]
            out[main] = np.bincount(rows, weights=impacts, minlength=len(start))
        for i in np.flatnonzero(~main):
            hashes, impacts = self._delta[int(entries[i]) - self._size]
            weight = (hashes[:, None] == query[None, :]).sum(axis=1)
            out[i] = float((impacts * weight).sum())
        return out

    def scores(self, text: str) -> np.ndarray:
        """Every entry's score for one claim (0 where no query term occurs): all postings, not pruned."""
        query = self.query(text)
        hits = self._posted(query, None)
        out = np.zeros(len(self), dtype=np.float32)
        everything = np.concatenate([hits, np.arange(self._size, len(self))])
        out[everything] = self.entry_scores(query, everything)
        return out

    def _posted(self, query: np.ndarray, depth: int | None) -> np.ndarray:
        """The indexed entries in the first `depth` postings (None: all) of each query term, ascending."""
        ids = self._term_ids(query)
        starts = self._arrays["postings_start"][ids]
        ends = self._arrays["postings_start"][ids + 1]
        if depth is not None:
            ends = np.minimum(ends, starts + depth)
        postings = self._arrays["postings_entries"]
        # marked in a mask of every entry rather than sorted out with np.unique: tens of thousands of
        # postings a claim at 1M debunks, the sort was most of the cost
        posted = np.zeros(self._size, dtype=bool)
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            posted[postings[start:end]] = True
        return np.flatnonzero(posted)

    def _term_ids(self, query: np.ndarray) -> np.ndarray:
        """Ids of the query's terms the indexed collection holds (one per occurrence)."""
        at, found = sorted_lookup(self._arrays["terms"], query)
        return at[found].astype(np.int64)

    def _forward_rows(self, entries: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        start = np.asarray(self._arrays["forward_start"][entries], dtype=np.int64)
        return start, np.asarray(self._arrays["forward_start"][entries + 1], dtype=np.int64) - start
