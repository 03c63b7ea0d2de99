"""First-stage retrieval over index entries: BM25 (bm25s) and cosine over sentence vectors.

Both indexes score *entries* (a debunk's claim, title, variants...). `DebunkGroups` folds entry scores
into one score per debunk (the best of its entries), so a debunk shows up once however many
phrasings it has.

A vector index is exact (every entry scored by one matrix product) or, for large collections (issue 14),
approximate: `AnnIndex`, an inverted-file index (faiss IVF) over 4-bit codes, which scans only the
entries of the clusters nearest each query, scores the best of them again from their 8-bit rows, and
returns the best `k`.

Both indexes grow without a rebuild. The vector index appends rows. The BM25 index keeps a bm25s
index for what `build` saw and scores entries added later with the same formula and the same corpus
statistics (a *delta*), folding them into a fresh bm25s index once the delta is large.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, overload

import bm25s
import numpy as np

from factcheck.matching.text import bm25_tokens

__all__ = [
    "AnnIndex",
    "CodedRows",
    "DebunkGroups",
    "LabelColumn",
    "LexicalIndex",
    "TextColumn",
    "VectorIndex",
]

NEG_INF = np.float32(-np.inf)
REFINE = 2  # AnnIndex: the scan's best REFINE x k entries are scored again from their rows ...
MIN_SCANNED = 1_000  # ... and at least this many, so a small k still finds the exact top k


def _position(index: int, length: int) -> int:
    """`index` into a column of `length` entries as a position, counting back from the end when
    negative, as a list does; IndexError outside."""
    position = index + length if index < 0 else index
    if not 0 <= position < length:
        raise IndexError(index)
    return position


class TextColumn(Sequence[str]):
    """Entry texts as UTF-8 in one growing buffer with an offset per entry.

    A list of Python strings costs about 50 bytes of object header a text on top of the text itself,
    and a string per entry of two million entries is over 200 MB in all (issue 14). A column `open`ed
    from an index snapshot reads the texts `save` wrote there from the file, a text at a time, and
    keeps the texts appended after it in memory. Read, not memory-mapped: a mapped page counts in the
    resident memory of every process that touched it, and the kernel maps the cached pages around
    each one read, so the few thousand candidates' texts of one article made all 151 MB of a 1M
    collection's texts resident in each worker; read, they stay in the page cache, shared and
    reclaimable. Their end offsets (16 MB at 2M texts) are mapped: a text then costs one read, not two.
    """

    def __init__(self) -> None:
        self._stored: BinaryIO | None = None  # the snapshot's texts, read a text at a time ...
        self._stored_ends = np.zeros(0, dtype="<i8")  # ... and their end offsets, mapped (8 bytes a text)
        self._stored_count = 0
        self._data = bytearray()  # texts appended in this process
        self._ends = np.zeros(0, dtype=np.int64)
        self._count = 0

    @classmethod
    def open(cls, folder: Path, name: str = "texts") -> TextColumn:
        """The texts `save` wrote to `folder` under `name`, read from there as they are asked for."""
        column = cls()
        column._stored = open(folder / f"{name}.utf8", "rb", buffering=0)  # noqa: SIM115 - kept open
        ends = folder / f"{name}.ends.i8"
        if ends.stat().st_size:
            column._stored_ends = np.memmap(ends, dtype="<i8", mode="r")
        column._stored_count = len(column._stored_ends)
        return column

    def save(self, folder: Path, name: str = "texts") -> None:
        if self._stored is not None:
            raise ValueError("only a column built in memory can be saved")
        (folder / f"{name}.utf8").write_bytes(self._data)
        self._ends[: self._count].astype("<i8").tofile(folder / f"{name}.ends.i8")

    def __len__(self) -> int:
        return self._stored_count + self._count

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        index = _position(index, len(self))
        if index < self._stored_count:
            return self._read_stored(index)
        index -= self._stored_count
        start = int(self._ends[index - 1]) if index else 0
        return self._data[start : int(self._ends[index])].decode()

    def _read_stored(self, index: int) -> str:
        if self._stored is None:
            raise IndexError(index)
        start = int(self._stored_ends[index - 1]) if index else 0
        # pread: positional, so threads searching at once need no lock
        return os.pread(self._stored.fileno(), int(self._stored_ends[index]) - start, start).decode()

    def extend(self, texts: Sequence[str]) -> None:
        needed = self._count + len(texts)
        if needed > len(self._ends):
            grown = np.zeros(max(needed, len(self._ends) * 3 // 2 + 64), dtype=np.int64)
            grown[: self._count] = self._ends[: self._count]
            self._ends = grown
        for i, text in enumerate(texts, start=self._count):
            self._data += text.encode()
            self._ends[i] = len(self._data)
        self._count = needed


class LabelColumn(Sequence[str]):
    """A short label per entry (its kind, its language) as a 2-byte code into the labels seen: a list
    of two million references took 16 MB a column (issue 14)."""

    def __init__(self) -> None:
        self._labels: list[str] = []
        self._codes: dict[str, int] = {}
        self._column = np.zeros(0, dtype=np.uint16)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self._labels[code] for code in self._column[: self._count][index].tolist()]
        return self._labels[int(self._column[_position(index, self._count)])]

    def extend(self, labels: Sequence[str]) -> None:
        codes = np.fromiter((self._code(label) for label in labels), dtype=np.uint16, count=len(labels))
        needed = self._count + len(codes)
        if needed > len(self._column):
            grown = np.zeros(max(needed, len(self._column) * 3 // 2 + 64), dtype=np.uint16)
            grown[: self._count] = self._column[: self._count]
            self._column = grown
        self._column[self._count : needed] = codes
        self._count = needed

    def _code(self, label: str) -> int:
        code = self._codes.get(label)
        if code is None:
            code = self._codes[label] = len(self._labels)
            self._labels.append(label)
        return code


class TokenColumn:
    """Every entry's tokens as vocabulary ids in flat int32 arrays, one pair of arrays per `extend`.

    A Python list of token strings per entry took about 0.7 kB an entry: over a gigabyte at two million
    entries (issue 14). The lists are rebuilt only while BM25 re-indexes.
    """

    def __init__(self) -> None:
        self._ids: dict[str, int] = {}
        self._words: list[str] = []
        self._flat: list[np.ndarray] = []
        self._lengths: list[np.ndarray] = []
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def extend(self, documents: Sequence[list[str]]) -> None:
        ids = self._ids
        for document in documents:
            for token in document:
                if token not in ids:
                    ids[token] = len(self._words)
                    self._words.append(token)
        self._flat.append(np.fromiter((ids[t] for d in documents for t in d), dtype=np.int32))
        self._lengths.append(np.fromiter((len(d) for d in documents), dtype=np.int32, count=len(documents)))
        self._count += len(documents)

    def lengths(self) -> np.ndarray:
        return np.concatenate(self._lengths) if self._lengths else np.zeros(0, dtype=np.int32)

    def documents(self) -> list[list[str]]:
        words = self._words
        out = []
        for flat, lengths in zip(self._flat, self._lengths, strict=True):
            ends = np.cumsum(lengths)
            out += [
                [words[i] for i in flat[end - length : end]]
                for end, length in zip(ends, lengths, strict=True)
            ]
        return out


class LexicalIndex:
    """BM25 (Lucene variant, k1=1.5, b=0.75) over entry texts, with English stopwords and stemming.

    `tokenize` reads texts another way (another language's analyser: languages.analyser_tokens).
    """

    def __init__(
        self,
        *,
        k1: float = 1.5,
        b: float = 0.75,
        max_delta: int = 2000,
        tokenize: Callable[[str], list[str]] = bm25_tokens,
    ) -> None:
        self.k1, self.b, self.max_delta, self.tokenize = k1, b, max_delta, tokenize
        self._tokens = TokenColumn()
        self._main: bm25s.BM25 | None = None
        self._main_size = 0
        self._doc_freq: Counter[str] = Counter()
        self._avg_len = 1.0
        self._delta_postings: dict[str, list[tuple[int, float]]] = {}

    def __len__(self) -> int:
        return len(self._tokens)

    def build(self, texts: Sequence[str]) -> None:
        documents = [self.tokenize(text) for text in texts]
        self._tokens = TokenColumn()
        self._tokens.extend(documents)
        self._rebuild(documents)

    def _rebuild(self, documents: list[list[str]] | None = None) -> None:
        documents = self._tokens.documents() if documents is None else documents
        self._main_size = len(documents)
        self._delta_postings = {}
        self._doc_freq = Counter(token for tokens in documents for token in set(tokens))
        self._avg_len = float(np.mean(self._tokens.lengths())) if documents else 1.0
        if not documents:
            self._main = None
            return
        main = bm25s.BM25(k1=self.k1, b=self.b, method="lucene")
        # an empty document would be dropped by bm25s's token-id path; give it a token nothing matches
        main.index([tokens or ["\x00"] for tokens in documents], show_progress=False)
        self._main = main

    def add(self, texts: Sequence[str]) -> None:
        start = len(self._tokens)
        new = [self.tokenize(text) for text in texts]
        self._tokens.extend(new)
        if len(self._tokens) - self._main_size > max(self.max_delta, self._main_size // 10):
            self._rebuild()
            return
        for offset, tokens in enumerate(new):
            norm = self.k1 * (1 - self.b + self.b * len(tokens) / self._avg_len)
            for token, count in Counter(tokens).items():
                self._delta_postings.setdefault(token, []).append((start + offset, count / (count + norm)))

    def _idf(self, token: str) -> float:
        df = self._doc_freq.get(token, 0) or sum(1 for _ in self._delta_postings.get(token, ()))
        n = max(self._main_size, 1)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every entry for one query (0 where no query term occurs)."""
        scores = np.zeros(len(self._tokens), dtype=np.float32)
        tokens = self.tokenize(query)
        if not tokens:
            return scores
        if self._main is not None:
            known = [token for token in tokens if token in self._main.vocab_dict]
            if known:
                scores[: self._main_size] = self._main.get_scores(known)
        for token in tokens:
            postings = self._delta_postings.get(token)
            if postings:
                idf = self._idf(token)
                for position, tfc in postings:
                    scores[position] += idf * tfc
        return scores


class CodedRows:
    """Vectors by key as 8-bit codes (a faiss scalar quantizer: each dimension's range, trained on the
    first vectors, in 256 steps), a quarter of float32's size; only keys put have a row (the dense
    retriever encodes claims, not titles: half the keys).

    In memory while an index is built; `open`ed from a snapshot, read from the file with `pread` a row
    at a time, for the reason `TextColumn` reads its texts: a mapped page counts in the resident memory
    of every worker that touched it, and fault-around maps 64 KB about each row read, so the candidates
    of a few articles would make the whole file resident in each worker. Read, the rows stay in the page
    cache, shared and reclaimable.
    """

    def __init__(self, dim: int) -> None:
        import faiss

        self.dim = dim
        self._quantizer = faiss.ScalarQuantizer(dim, faiss.ScalarQuantizer.QT_8bit)
        self._faiss = faiss
        self._row_of = np.zeros(0, dtype=np.int32)  # key -> its row, -1 for none
        self._codes = np.zeros((0, dim), dtype=np.uint8)  # built here: the rows (with spare room) ...
        self._count = 0  # ... of which this many are used
        self._stored: BinaryIO | None = None  # opened: the saved rows

    @classmethod
    def open(cls, path: Path, dim: int) -> CodedRows:
        rows = cls(dim)
        rows._faiss.copy_array_to_vector(np.load(path.with_suffix(".ranges.npy")), rows._quantizer.trained)
        rows._row_of = np.load(path.with_suffix(".keys.npy"))
        rows._stored = open(path, "rb", buffering=0)  # noqa: SIM115 - kept open
        return rows

    def save(self, path: Path) -> None:
        if self._stored is not None:
            raise ValueError("only rows built in memory can be saved")
        self._codes[: self._count].tofile(path)
        np.save(path.with_suffix(".ranges.npy"), self._faiss.vector_to_array(self._quantizer.trained))
        np.save(path.with_suffix(".keys.npy"), self._row_of)

    def train(self, sample: np.ndarray) -> None:
        self._quantizer.train(np.ascontiguousarray(sample, dtype=np.float32))

    def put(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        """Store each key's vector (keys unique), replacing the row of a key put before."""
        if self._stored is not None:
            raise ValueError("opened rows are read-only")
        if int(keys.max()) >= len(self._row_of):
            grown = np.full(max(int(keys.max()) + 1, len(self._row_of) * 3 // 2), -1, dtype=np.int32)
            grown[: len(self._row_of)] = self._row_of
            self._row_of = grown
        new = self._row_of[keys] < 0
        self._row_of[keys[new]] = np.arange(self._count, self._count + int(new.sum()), dtype=np.int32)
        self._count += int(new.sum())
        if self._count > len(self._codes):
            grown_codes = np.zeros((max(self._count, len(self._codes) * 3 // 2), self.dim), dtype=np.uint8)
            grown_codes[: len(self._codes)] = self._codes
            self._codes = grown_codes
        rows = self._row_of[keys]
        self._codes[rows] = self._quantizer.compute_codes(np.ascontiguousarray(vectors, dtype=np.float32))

    def get(self, keys: np.ndarray) -> np.ndarray:
        """The decoded vectors of `keys` (float32), each key put or saved before."""
        rows = self._row_of[keys]
        if self._stored is None:
            codes = self._codes[rows]
        else:
            # pread: positional, so threads searching at once need no lock
            descriptor, size = self._stored.fileno(), self.dim
            data = b"".join(os.pread(descriptor, size, row * size) for row in rows.tolist())
            codes = np.frombuffer(data, dtype=np.uint8).reshape(len(rows), size)
        return self._quantizer.decode(np.ascontiguousarray(codes))


class AnnIndex:
    """Approximate inner-product search over entry vectors (issue 14): faiss IVF over 4-bit product-
    quantised codes finds candidates, and each is scored again from its 8-bit row (`CodedRows`).

    Why IVF rather than a graph (HNSW): at 1M entries a graph took 6-7 minutes to build on 2 threads
    and still missed recall@10 0.98 (models/matcher/CARD.md, "ANN library for issue 14"); IVF trains
    its clusters on a sample and assigns each vector to one, about 20 s a million on one thread, and
    adds and removes entries in place. Why two codes: the 4-bit codes (a byte per 8 dimensions, scanned
    with SIMD lookup tables, faiss "fast scan") make scanning half a million vectors cost about half
    a millisecond and the whole file 48 bytes a 384-dimension vector, small enough for every
    worker to hold; their scores are rough, so the best `REFINE` x k of the scan are scored again from
    the 8-bit rows, which are read from disk (page cache), never resident in a worker.

    Keys are entry positions; zero vectors (texts a retriever does not encode) are left out. The
    clusters are trained on the first vectors added, so `add` the bulk first.

    `save` writes it to files that `AnnIndex.open` reads: the scan codes into memory, the rows from the
    file as they are asked for. An opened index keeps what is added after it was written in a small
    exact delta (scanned whole at each search), and what is removed in a mask.

    Parameters
    ----------
    dim : int
        Vector size.
    probes : int
        Clusters scanned a query: more finds more of the exact top-k, and costs proportionally.
    """

    def __init__(self, dim: int, *, probes: int = 48) -> None:
        try:
            import faiss
        except ImportError as error:  # pragma: no cover - a core dependency
            raise ImportError("approximate search needs faiss: pip install faiss-cpu") from error
        self.dim, self.probes = dim, probes
        self._faiss = faiss
        self._index: Any = None
        self._rows = CodedRows(dim)
        self._present = np.zeros(0, dtype=bool)  # by key: in the index
        self._mapped = False
        self._delta_rows: dict[int, int] = {}  # mapped: key -> row of `_delta`
        self._delta = np.zeros((0, dim), dtype=np.float32)

    @classmethod
    def open(cls, path: Path, dim: int, *, probes: int = 48) -> AnnIndex:
        """The index `save` wrote to `path` (and the files beside it), opened read-only."""
        opened = cls(dim, probes=probes)
        index = opened._faiss.read_index(str(path), opened._faiss.IO_FLAG_READ_ONLY)
        index.nprobe = min(probes, index.nlist)
        opened._index, opened._mapped = index, True
        opened._rows = CodedRows.open(path.with_suffix(".rows"), dim)
        opened._present = np.load(path.with_suffix(".present.npy"))
        return opened

    def save(self, path: Path) -> None:
        if self._index is None or self._mapped:
            raise ValueError("only an index built in memory, with vectors, can be saved")
        self._faiss.write_index(self._index, str(path))
        self._rows.save(path.with_suffix(".rows"))
        np.save(path.with_suffix(".present.npy"), self._present)

    def __len__(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    def _train(self, vectors: np.ndarray) -> None:
        faiss = self._faiss
        # ~4 sqrt(n) clusters (faiss's rule of thumb), each trained on at least 39 points
        lists = int(max(1, min(4 * math.sqrt(len(vectors)), len(vectors) // 39, 8192)))
        # 4 bits for each 4 dimensions (2 or 1 where the size is not a multiple of 4)
        parts = self.dim // next(width for width in (4, 2, 1) if self.dim % width == 0)
        index = faiss.IndexIVFPQFastScan(
            faiss.IndexFlatIP(self.dim), self.dim, lists, parts, 4, faiss.METRIC_INNER_PRODUCT
        )
        sample = vectors[np.random.default_rng(0).permutation(len(vectors))[: lists * 64]]
        # 4 bits: 16 centroids a part to train, from a first batch repeated if it is smaller than that
        sample = np.ascontiguousarray(np.resize(sample, (max(len(sample), 16), self.dim)), dtype=np.float32)
        index.train(sample)
        self._rows.train(sample)
        index.nprobe = min(self.probes, lists)
        self._index = index

    def add(self, keys: np.ndarray, vectors: np.ndarray) -> None:
        keep = np.linalg.norm(vectors, axis=1) > 0
        if not keep.any():
            return
        vectors = np.ascontiguousarray(vectors[keep], dtype=np.float32)
        keys = np.asarray(keys, dtype=np.int64)[keep]
        if self._mapped:
            start = len(self._delta)
            self._delta = np.vstack([self._delta, vectors])
            self._delta_rows.update(zip(keys.tolist(), range(start, len(self._delta)), strict=True))
        else:
            if self._index is None:
                self._train(vectors)
            self._index.add_with_ids(vectors, keys)
            self._rows.put(keys, vectors)
        if keys.max() >= len(self._present):
            grown = np.zeros(max(int(keys.max()) + 1, len(self._present) * 3 // 2), dtype=bool)
            grown[: len(self._present)] = self._present
            self._present = grown
        self._present[keys] = True

    def remove(self, keys: np.ndarray) -> None:
        keys = np.asarray(keys, dtype=np.int64)
        keys = keys[keys < len(self._present)]
        keys = keys[self._present[keys]]
        if self._index is not None and len(keys):
            if not self._mapped:  # an opened index is read-only: its removed keys are filtered out
                self._index.remove_ids(keys)
            self._present[keys] = False

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, keys) of the k best entries of each query, then of the other entries it scored from
        their rows (about `REFINE` x k in all), best first; key -1 pads short rows."""
        if self._index is None or k <= 0:
            empty = np.zeros((len(queries), 0))
            return empty.astype(np.float32), empty.astype(np.int64)
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        _, found = self._index.search(queries, min(max(REFINE * k, MIN_SCANNED), int(self._index.ntotal)))
        delta_keys = np.fromiter(self._delta_rows, dtype=np.int64, count=len(self._delta_rows))
        width = found.shape[1] + len(delta_keys)
        scores = np.full((len(queries), width), NEG_INF, dtype=np.float32)
        keys = np.full((len(queries), width), -1, dtype=np.int64)
        for row, query in enumerate(queries):
            # the scan's candidates (less what was removed since it was written) and the exact delta
            candidates = found[row][found[row] >= 0]
            candidates = np.union1d(
                candidates[self._present[candidates]], delta_keys[self._present[delta_keys]]
            )
            candidate_scores = self.vectors(candidates) @ query
            order = np.argsort(-candidate_scores, kind="stable")
            scores[row, : len(order)], keys[row, : len(order)] = candidate_scores[order], candidates[order]
        return scores, keys

    def vectors(self, keys: np.ndarray) -> np.ndarray:
        """The stored (8-bit-rounded) vectors of `keys`; zeros for keys never added or removed."""
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        if self._index is None or not len(keys):
            return out
        keys = np.asarray(keys, dtype=np.int64)
        present = np.zeros(len(keys), dtype=bool)
        inside = keys < len(self._present)
        present[inside] = self._present[keys[inside]]
        if self._delta_rows:
            delta = np.fromiter((self._delta_rows.get(int(key), -1) for key in keys), np.int64, len(keys))
            in_delta = present & (delta >= 0)
            out[in_delta] = self._delta[delta[in_delta]]
            present &= delta < 0
        if present.any():
            out[present] = self._rows.get(keys[present])
        return out


class VectorIndex:
    """L2-normalised entry vectors; scores are cosine similarities.

    Exact by default: one growing float32 matrix, every entry scored. With `ann`, the vectors live
    only in that approximate index (`AnnIndex`), and `top` scans the entries of the nearest clusters.
    """

    def __init__(self, dim: int, *, ann: AnnIndex | None = None) -> None:
        self.dim = dim
        self.ann = ann
        self._matrix = np.zeros((0, dim), dtype=np.float32)
        self._size = 0

    @classmethod
    def over(cls, ann: AnnIndex, size: int) -> VectorIndex:
        """A vector index whose first `size` entries are already in `ann` (a mapped file's)."""
        index = cls(ann.dim, ann=ann)
        index._size = size
        return index

    def __len__(self) -> int:
        return self._size

    def build(self, vectors: np.ndarray) -> None:
        if self.ann is not None:
            self._size = 0
            self.add(vectors)
            return
        self._matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        self._size = len(vectors)

    def add(self, vectors: np.ndarray) -> None:
        needed = self._size + len(vectors)
        if self.ann is not None:
            self.ann.add(np.arange(self._size, needed), vectors)
            self._size = needed
            return
        if needed > len(self._matrix):
            grown = np.zeros((max(needed, int(len(self._matrix) * 1.5) + 64), self.dim), dtype=np.float32)
            grown[: self._size] = self._matrix[: self._size]
            self._matrix = grown
        self._matrix[self._size : needed] = vectors
        self._size = needed

    def remove(self, positions: np.ndarray) -> None:
        """Drop entries from the approximate index (the exact one masks them at search instead)."""
        if self.ann is not None:
            self.ann.remove(positions)

    def scores(self, queries: np.ndarray) -> np.ndarray:
        """(queries x entries) cosine similarities; exact index only."""
        if self.ann is not None:
            raise ValueError("an approximate index scores only given rows or its top entries")
        return queries @ self._matrix[: self._size].T

    def top(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, positions) of about the k best entries of each query, best first; position -1 pads."""
        if self.ann is not None:
            scores, positions = self.ann.search(queries, k)
            return scores[:, :k], positions[:, :k]
        scores = self.scores(queries)
        positions = np.full((len(queries), min(k, self._size)), -1, dtype=np.int64)
        for row, query_scores in enumerate(scores):
            found = top_positions(query_scores, k)
            positions[row, : len(found)] = found
        return np.take_along_axis(scores, np.maximum(positions, 0), axis=1), positions

    def scored(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Approximate index: `top`'s k best of each query followed by the other entries its search scored
        (`AnnIndex.search`), whose scores a caller can reuse instead of reading their rows again."""
        if self.ann is None:
            raise ValueError("only an approximate index scores a short list")
        return self.ann.search(queries, k)

    def rows(self, positions: np.ndarray) -> np.ndarray:
        if self.ann is not None:
            return self.ann.vectors(positions)
        return self._matrix[positions]

    def replace(self, positions: Sequence[int], vectors: np.ndarray) -> None:
        """Give rows already added their real vectors (rows added as zeros while those were encoded)."""
        if self.ann is not None:
            self.ann.remove(np.asarray(positions, dtype=np.int64))
            self.ann.add(np.asarray(positions, dtype=np.int64), vectors)
            return
        self._matrix[np.asarray(positions, dtype=np.int64)] = vectors


class DebunkGroups:
    """Which entry belongs to which debunk, and per-debunk best scores from per-entry scores.

    Debunk ids live in a numpy array, looked up through a sorted copy: an id -> position dict held a
    Python int per debunk, and at a million debunks those ints, made while the start's short-lived
    entries were, kept the allocator from handing that garbage back (issue 14).
    """

    def __init__(self) -> None:
        self._ids = np.zeros(0, dtype=np.int64)  # debunk position -> debunk id (with spare room)
        self._count = 0
        self._sorted_ids = np.zeros(0, dtype=np.int64)  # the ids, ascending, and the position of each
        self._sorted_positions = np.zeros(0, dtype=np.int64)
        self.entry_debunk = np.zeros(0, dtype=np.int64)  # entry -> debunk position
        self.alive = np.zeros(0, dtype=bool)  # entry still searchable
        self._order = np.zeros(0, dtype=np.int64)
        self._starts = np.zeros(0, dtype=np.int64)  # by group: where its entries start in `_order` ...
        self._ends = np.zeros(0, dtype=np.int64)  # ... and end
        self._group_debunks = np.zeros(0, dtype=np.int64)
        self._dirty = True

    @property
    def debunk_ids(self) -> np.ndarray:
        """Debunk position -> debunk id."""
        return self._ids[: self._count]

    def positions_of(self, debunk_ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each id's debunk position, and whether it is indexed at all: (positions, found)."""
        wanted = np.asarray(debunk_ids, dtype=np.int64)
        at, found = sorted_lookup(self._sorted_ids, wanted)
        return (self._sorted_positions[at] if len(self._sorted_ids) else at), found

    def add(self, debunk_ids: Sequence[int]) -> None:
        ids = np.asarray(debunk_ids, dtype=np.int64)
        positions, found = self.positions_of(ids)
        # new ids take the next positions in the order they first appear
        new, first = np.unique(ids[~found], return_index=True)
        new = new[np.argsort(first, kind="stable")]
        start, self._count = self._count, self._count + len(new)
        if self._count > len(self._ids):
            grown = np.zeros(max(self._count, len(self._ids) * 3 // 2 + 64), dtype=np.int64)
            grown[:start] = self._ids[:start]
            self._ids = grown
        self._ids[start : self._count] = new
        by_id = np.argsort(new, kind="stable")
        at = np.searchsorted(self._sorted_ids, new[by_id])
        self._sorted_ids = np.insert(self._sorted_ids, at, new[by_id])
        self._sorted_positions = np.insert(self._sorted_positions, at, start + by_id)
        positions[~found] = self.positions_of(ids[~found])[0]
        self.entry_debunk = np.concatenate([self.entry_debunk, positions])
        self.alive = np.concatenate([self.alive, np.ones(len(positions), dtype=bool)])
        self._dirty = True

    def remove(self, debunk_ids: Sequence[int]) -> None:
        positions, found = self.positions_of(debunk_ids)
        if found.any():
            self.alive[np.isin(self.entry_debunk, positions[found])] = False
            self._dirty = True

    def entries_of(self, debunk_position: int) -> list[int]:
        """The debunk's live entries, in the order they were added (from the grouped arrays: a list
        per debunk took about 250 bytes a debunk, issue 14)."""
        return self.entries_of_many(np.asarray([debunk_position]))[0].tolist()

    def entries_of_many(self, debunk_positions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`entries_of` each debunk at once, as one array: (entries, each debunk's count, each one's
        start), the shape `np.*.reduceat` folds back to one value a debunk. One array lookup for all: a
        search touches a few hundred debunks a claim (issue 14)."""
        if self._dirty:
            self._refresh()
        positions = np.asarray(debunk_positions, dtype=np.int64)
        at, found = sorted_lookup(self._group_debunks, positions)
        first = np.where(found, self._starts[at] if len(self._starts) else 0, 0)
        counts = np.where(found, self._ends[at] if len(self._ends) else 0, 0) - first
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        flat = self._order[np.repeat(first - starts, counts) + np.arange(int(counts.sum()))]
        return flat, counts, starts

    def _refresh(self) -> None:
        live = np.flatnonzero(self.alive)
        order = live[np.argsort(self.entry_debunk[live], kind="stable")]
        groups = self.entry_debunk[order]
        boundary = np.ones(len(order), dtype=bool)
        boundary[1:] = groups[1:] != groups[:-1]
        self._order, self._starts = order, np.flatnonzero(boundary)
        self._ends = np.append(self._starts[1:], len(order))
        self._group_debunks = groups[self._starts]
        self._dirty = False

    def best(self, entry_scores: np.ndarray) -> np.ndarray:
        """(queries x debunks) best entry score per debunk; -inf for removed debunks."""
        if self._dirty:
            self._refresh()
        entry_scores = np.atleast_2d(entry_scores)
        out = np.full((entry_scores.shape[0], len(self.debunk_ids)), NEG_INF, dtype=np.float32)
        if len(self._order):
            out[:, self._group_debunks] = np.maximum.reduceat(
                entry_scores[:, self._order], self._starts, axis=1
            )
        return out

    @property
    def live_debunks(self) -> int:
        if self._dirty:
            self._refresh()
        return len(self._group_debunks)


def top_positions(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the k best finite scores, best first."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    part = part[np.isfinite(scores[part])]
    return part[np.argsort(-scores[part], kind="stable")]


def sorted_lookup(sorted_values: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of `wanted` stands in `sorted_values` (ascending), and whether it is there at all:
    (positions, found); a position is only meaningful where found."""
    if not len(sorted_values):
        return np.zeros(len(wanted), dtype=np.int64), np.zeros(len(wanted), dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, wanted), len(sorted_values) - 1)
    return at, sorted_values[at] == wanted


def ranks_of(scores: np.ndarray, positions: np.ndarray, *, depth: int = 1000) -> np.ndarray:
    """1-based rank of `positions` in `scores` (ties share the better rank), capped at depth + 1."""
    return rank_among(scores[top_positions(scores, depth)], scores[positions], depth=depth)


def rank_among(top: np.ndarray, wanted: np.ndarray, *, depth: int = 1000) -> np.ndarray:
    """1-based rank of scores `wanted` among the best scores `top` (best first, at most `depth` of
    them; ties share the better rank); below a full `top`, depth + 1, below a shorter one, its length
    + 1 (all that is known when `top` is an approximate search's best few)."""
    ranks = np.searchsorted(-top, -wanted, side="left") + 1
    if len(top) == depth:
        ranks[wanted < top[-1]] = depth + 1
    ranks[~np.isfinite(wanted)] = depth + 1
    return ranks.astype(np.float32)
