"""Choose the ANN library for issue 14 by measurement: usearch, faiss-cpu (HNSW) and hnswlib, side by side.

Issue 14 ("A million debunks on one box") wants approximate nearest-neighbour search for the dense
stages, vectors stored compactly (int8 / f16), one index file that every worker memory-maps, and
incremental add and remove. Targets at 1M debunks: recall@10 >= 0.98 against exact search on real
queries; one serving process <= 2 GB resident, two workers <= 2.5 GB together.

Vectors: the matcher's MiniLM (the ONNX folder its manifest names, run by `TransformerEncoder`) on the
14,231 Snopes claims of CLEF-2022 2A, encoded once into bench/.cache/, then padded to --debunks with
perturbed copies: a real vector plus N(0, 0.02) noise per component, renormalised (cosine about 0.93
to its source, as bench/matching.py pads). Queries: the 997 real 2A train tweets, cleaned as the matcher
cleans them (the official dev split is in the holdout and stays unseen; recall against exact search needs
no labels).

Per library and storage type: build time (1 and 2 threads), file size, the lowest search effort (ef)
reaching recall@10 >= 0.98 against numpy float32 exact top-10, latency at that ef (one query, and a
batch of 15, one thread), resident memory of a process that loads the file fully or memory-maps it, the
PSS of two processes sharing it, and the time to add 1,000 vectors and remove 1,000.

    nice -n 10 .venv/bin/python bench/ann_libraries.py --debunks 100000
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

DATA = REPO.parent / "shared" / "data" / "clef2022_task2a_claim_retrieval_tweets"
CACHE = REPO / "bench" / ".cache"
DIM = 384
K = 10
TARGET_RECALL = 0.98
ARTICLE_CLAIMS = 15  # the API's batch: claims of one article searched together
CHANGED = 1000  # vectors added, then removed, incrementally
NOISE = 0.02
EF_LADDER = (16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 256, 320, 384, 512, 768, 1024)
STORAGES = {"usearch": ("f32", "f16", "i8"), "faiss": ("f32", "f16", "i8"), "hnswlib": ("f32",)}
ALL_INDEXES = [f"{library}:{storage}" for library, storages in STORAGES.items() for storage in storages]


# --- vectors ------------------------------------------------------------------------------------


def real_vectors(models_dir: Path = REPO / "models") -> tuple[np.ndarray, np.ndarray]:
    """MiniLM vectors of the Snopes claims and of the 2A train tweets, encoded once per model file."""
    from factcheck.evaluation.retrieval import read_queries
    from factcheck.importers import read_records
    from factcheck.matching.embeddings import TransformerEncoder
    from factcheck.matching.matcher import PACKAGED_TRANSFORMER_DIR
    from factcheck.matching.text import clean_query

    manifest = json.loads((models_dir / "matcher" / "manifest.json").read_text(encoding="utf-8"))
    encoder = TransformerEncoder(
        models_dir / "embeddings" / str(manifest.get("transformer_dir", PACKAGED_TRANSFORMER_DIR))
    )
    path = CACHE / f"ann-{encoder.model_id.replace(':', '-')}.npz"
    if path.is_file():
        with np.load(path) as cached:
            return cached["debunks"], cached["queries"]
    _, records = read_records(DATA / "vclaims.jsonl")
    queries = read_queries(DATA / "train" / "CT2022-Task2A-EN-Train_Queries.tsv")
    debunks = encoder.encode([record.claim_reviewed for record in records])
    tweets = encoder.encode([clean_query(text) for text in queries.values()])
    CACHE.mkdir(parents=True, exist_ok=True)
    np.savez(path, debunks=debunks, queries=tweets)
    return debunks, tweets


def perturbed(vectors: np.ndarray, count: int, *, seed: int) -> np.ndarray:
    """`count` rows, each a random row of `vectors` plus N(0, NOISE) per component, renormalised."""
    rng = np.random.default_rng(seed)
    rows = vectors[rng.integers(len(vectors), size=count)] + rng.normal(0, NOISE, (count, vectors.shape[1]))
    rows = rows.astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def padded(vectors: np.ndarray, size: int, *, seed: int = 0) -> np.ndarray:
    """The real vectors first, then perturbed copies up to `size` rows."""
    if size <= len(vectors):
        return np.ascontiguousarray(vectors[:size], dtype=np.float32)
    return np.vstack([vectors.astype(np.float32), perturbed(vectors, size - len(vectors), seed=seed)])


def exact_top(base: np.ndarray, queries: np.ndarray, k: int = K, chunk: int = 100_000) -> np.ndarray:
    """Row numbers of each query's k best inner products (float32), best first: the ground truth."""
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    best_scores = np.zeros((len(queries), 0), dtype=np.float32)
    for start in range(0, len(base), chunk):
        scores = queries @ base[start : start + chunk].T
        top = np.argpartition(-scores, min(k, scores.shape[1] - 1), axis=1)[:, :k]
        best_ids = np.hstack([best_ids, top + start])
        best_scores = np.hstack([best_scores, np.take_along_axis(scores, top, axis=1)])
        keep = np.argsort(-best_scores, axis=1, kind="stable")[:, :k]
        best_ids = np.take_along_axis(best_ids, keep, axis=1)
        best_scores = np.take_along_axis(best_scores, keep, axis=1)
    return best_ids


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each query's true top-k found in its returned k."""
    hits = sum(len(set(row) & set(true)) for row, true in zip(found.tolist(), truth.tolist(), strict=True))
    return hits / truth.size


# --- one adapter per library ------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """One index to measure: library, how vectors are stored, HNSW graph degree and build effort."""

    library: str
    storage: str = "f32"
    connectivity: int = 32
    ef_construction: int = 64


class AnnIndex(Protocol):
    config: Config

    def add(self, keys: np.ndarray, vectors: np.ndarray, threads: int = 1) -> None: ...

    def search(self, queries: np.ndarray, k: int, ef: int) -> np.ndarray: ...

    def remove(self, keys: np.ndarray) -> bool: ...

    def save(self, path: Path) -> None: ...


def _usearch() -> Any:
    """usearch's Index class, with onnxruntime imported first.

    With usearch 2.26.6's extension loaded first, `import onnxruntime` (1.32) segfaults, and the matcher
    imports onnxruntime lazily: the other order works.
    """
    import onnxruntime  # noqa: F401
    from usearch.index import Index

    return Index


class UsearchIndex:
    """usearch (Apache-2.0): f32 / f16 / i8 storage, `Index.restore(view=True)` memory-maps the file."""

    mmap_note: ClassVar[str] = "Index.restore(path, view=True)"

    def __init__(self, config: Config, index: Any = None) -> None:
        self.config = config
        self.index = index or _usearch()(
            ndim=DIM,
            metric="ip",  # the vectors are unit length; "cos" gives the same ranking 20 % slower
            dtype=config.storage,
            connectivity=config.connectivity,
            expansion_add=config.ef_construction,
        )

    @classmethod
    def load(cls, config: Config, path: Path, mmap: bool) -> UsearchIndex:
        return cls(config, _usearch().restore(str(path), view=mmap))

    def add(self, keys: np.ndarray, vectors: np.ndarray, threads: int = 1) -> None:
        self.index.add(keys, vectors, threads=threads)

    def search(self, queries: np.ndarray, k: int, ef: int) -> np.ndarray:
        self.index.expansion_search = ef
        matches = self.index.search(queries, k, threads=1)
        found = np.full((len(queries), k), -1, dtype=np.int64)
        if len(queries) == 1:  # one query gives `Matches`, its keys cut to the count found
            found[0, : len(matches)] = matches.keys
            return found
        counts = np.asarray(matches.counts).reshape(len(queries), 1)
        return np.where(np.arange(k) < counts, matches.keys, found)

    def remove(self, keys: np.ndarray) -> bool:
        self.index.remove(keys)
        return True

    def save(self, path: Path) -> None:
        self.index.save(str(path))


class FaissIndex:
    """faiss-cpu (MIT) IndexHNSWFlat, or IndexHNSWSQ with fp16 / 8-bit codes; ids are row numbers.

    IO_FLAG_MMAP_IFC maps the codes and the graph's neighbour lists in place (IO_FLAG_MMAP alone reads an
    HNSW index into the heap).
    """

    mmap_note: ClassVar[str] = "read_index(path, IO_FLAG_MMAP_IFC | IO_FLAG_READ_ONLY)"

    def __init__(self, config: Config, index: Any = None) -> None:
        import faiss

        self.config = config
        if index is None:
            if config.storage == "f32":
                index = faiss.IndexHNSWFlat(DIM, config.connectivity, faiss.METRIC_INNER_PRODUCT)
            else:
                kind = {"f16": faiss.ScalarQuantizer.QT_fp16, "i8": faiss.ScalarQuantizer.QT_8bit}
                index = faiss.IndexHNSWSQ(
                    DIM, kind[config.storage], config.connectivity, faiss.METRIC_INNER_PRODUCT
                )
            index.hnsw.efConstruction = config.ef_construction
        self.index = index

    @classmethod
    def load(cls, config: Config, path: Path, mmap: bool) -> FaissIndex:
        import faiss

        flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY if mmap else 0
        return cls(config, faiss.read_index(str(path), flags))

    def add(self, keys: np.ndarray, vectors: np.ndarray, threads: int = 1) -> None:
        import faiss

        if not np.array_equal(keys, np.arange(self.index.ntotal, self.index.ntotal + len(keys))):
            raise ValueError("faiss HNSW ids are row numbers: add keys ntotal, ntotal + 1, ...")
        faiss.omp_set_num_threads(threads)
        if not self.index.is_trained:  # the 8-bit quantiser learns each component's range
            self.index.train(vectors)
        self.index.add(vectors)
        faiss.omp_set_num_threads(1)

    def search(self, queries: np.ndarray, k: int, ef: int) -> np.ndarray:
        import faiss

        faiss.omp_set_num_threads(1)
        _, ids = self.index.search(queries, k, params=faiss.SearchParametersHNSW(efSearch=ef))
        return ids.astype(np.int64)

    def remove(self, keys: np.ndarray) -> bool:
        try:
            self.index.remove_ids(keys)
        except RuntimeError:  # "not implemented for this type of index"
            return False
        return True

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))


class HnswlibIndex:
    """hnswlib (Apache-2.0): float32 only; `mark_deleted` hides an item, `replace_deleted` reuses its slot."""

    mmap_note: ClassVar[str] = "none: load_index reads the whole file into the heap"

    def __init__(self, config: Config, index: Any = None) -> None:
        import hnswlib

        if config.storage != "f32":
            raise ValueError(f"hnswlib stores float32 only, not {config.storage!r}")
        self.config = config
        if index is None:
            index = hnswlib.Index(space="ip", dim=DIM)
            index.init_index(
                max_elements=CHANGED,
                ef_construction=config.ef_construction,
                M=config.connectivity,
                allow_replace_deleted=True,
            )
        self.index = index

    @classmethod
    def load(cls, config: Config, path: Path, mmap: bool) -> HnswlibIndex | None:
        import hnswlib

        if mmap:
            return None
        index = hnswlib.Index(space="ip", dim=DIM)
        index.load_index(str(path), allow_replace_deleted=True)
        return cls(config, index)

    def add(self, keys: np.ndarray, vectors: np.ndarray, threads: int = 1) -> None:
        needed = self.index.get_current_count() + len(keys)
        if needed > self.index.get_max_elements():
            self.index.resize_index(needed)
        self.index.add_items(vectors, keys, num_threads=threads)

    def search(self, queries: np.ndarray, k: int, ef: int) -> np.ndarray:
        self.index.set_ef(ef)
        labels, _ = self.index.knn_query(queries, k=k, num_threads=1)
        return labels.astype(np.int64)

    def remove(self, keys: np.ndarray) -> bool:
        for key in keys.tolist():
            self.index.mark_deleted(key)
        return True

    def save(self, path: Path) -> None:
        self.index.save_index(str(path))


ADAPTERS: dict[str, Any] = {"usearch": UsearchIndex, "faiss": FaissIndex, "hnswlib": HnswlibIndex}


def build(config: Config, vectors: np.ndarray, threads: int) -> AnnIndex:
    index = ADAPTERS[config.library](config)
    index.add(np.arange(len(vectors), dtype=np.int64), vectors, threads)
    return index


def load(config: Config, path: Path, *, mmap: bool) -> AnnIndex | None:
    """The saved index read back, or None when the library cannot memory-map it."""
    return ADAPTERS[config.library].load(config, path, mmap)


# --- measurements ---------------------------------------------------------------------------------


@dataclass
class Result:
    """What one index measured; times in seconds or ms, memory in MB."""

    config: Config
    debunks: int
    build_s: dict[int, float] = field(default_factory=dict)
    file_mb: float = 0.0
    recall_by_ef: dict[int, float] = field(default_factory=dict)
    ef: int | None = None
    recall: float = 0.0
    one_p50_ms: float = 0.0
    one_p95_ms: float = 0.0
    one_cpu_ms: float = 0.0
    batch_p50_ms: float = 0.0
    batch_p95_ms: float = 0.0
    memory: dict[str, dict[str, float] | None] = field(default_factory=dict)
    mmap: str = ""
    add_s: float = 0.0
    added_found: float = 0.0
    remove_s: float | None = None
    removed_found: int | None = None


def tune_ef(index: AnnIndex, queries: np.ndarray, truth: np.ndarray) -> tuple[int | None, dict[int, float]]:
    """The lowest ef of the ladder whose recall@10 reaches the target (None if none does), and the curve."""
    curve: dict[int, float] = {}
    for ef in EF_LADDER:
        curve[ef] = recall_at_k(index.search(queries, K, ef), truth)
        if curve[ef] >= TARGET_RECALL:
            return ef, curve
    return None, curve


def latencies(index: AnnIndex, queries: np.ndarray, ef: int, size: int) -> tuple[float, float, float]:
    """p50 and p95 wall ms of searching `size` queries at a time, one thread, over the query set, and the
    mean CPU ms a call (steadier than wall time on a machine shared with other jobs)."""
    index.search(queries[:size], K, ef)  # warm-up
    times = []
    cpu_started = time.process_time()
    for start in range(0, len(queries) - size + 1, size):
        started = time.perf_counter()
        index.search(queries[start : start + size], K, ef)
        times.append((time.perf_counter() - started) * 1000)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / len(times)
    return statistics.median(times), float(np.percentile(times, 95)), cpu_ms


def _memory_kb(pid: int) -> dict[str, int]:
    """Rss, Pss and Anonymous (the private heap: what a mapped file does not share) of a process, in kB."""
    values = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss", "Anonymous"):
                values[name] = int(rest.split()[0])
    return values


def _serve(config: Config, path: str, mmap: bool, queries_path: str, ef: int, conn: Connection) -> None:
    """A worker: import, load the index (fully or mapped), answer every query once, then wait to be measured."""
    import onnxruntime  # noqa: F401  a serving process has it loaded (and usearch needs it first)

    queries = np.load(queries_path)
    ADAPTERS[config.library](config)  # imports the library: its cost is the baseline, not the index's
    baseline = _memory_kb(os.getpid())["Rss"]
    index = load(config, Path(path), mmap=mmap)
    if index is not None:
        index.search(queries, K, ef)
    conn.send(baseline if index is not None else None)
    conn.recv()  # the parent reads smaps_rollup while both workers hold the index


def shared_memory(
    config: Config, path: Path, queries: np.ndarray, ef: int, *, mmap: bool
) -> dict[str, float] | None:
    """Two worker processes load `path` and search: RSS and heap of one, PSS of both, in MB (None: cannot mmap)."""
    context = multiprocessing.get_context("spawn")
    with tempfile.TemporaryDirectory() as scratch:
        queries_path = os.path.join(scratch, "queries.npy")
        np.save(queries_path, queries)
        workers = []
        for _ in range(2):
            parent, child = context.Pipe()
            process = context.Process(target=_serve, args=(config, str(path), mmap, queries_path, ef, child))
            process.start()
            workers.append((process, parent))
        baselines = [parent.recv() for _, parent in workers]
        measured = [_memory_kb(process.pid) for process, _ in workers]
        for process, parent in workers:
            parent.send(None)
            process.join()
    if None in baselines:
        return None
    return {
        "baseline_rss_mb": baselines[0] / 1024,
        "rss_mb": measured[0]["Rss"] / 1024,
        "anonymous_mb": measured[0]["Anonymous"] / 1024,
        "two_pss_mb": sum(entry["Pss"] for entry in measured) / 1024,
    }


def measure(
    config: Config,
    base: np.ndarray,
    queries: np.ndarray,
    truth: np.ndarray,
    *,
    build_threads: Sequence[int] = (1, 2),
    workdir: Path,
) -> Result:
    """Every figure of one index (see the module docstring); the index kept is the last one built."""
    result = Result(config=config, debunks=len(base), mmap=ADAPTERS[config.library].mmap_note)
    for threads in build_threads:
        index = None  # free the previous build before timing the next
        started = time.perf_counter()
        index = build(config, base, threads)
        result.build_s[threads] = time.perf_counter() - started
    path = workdir / f"{config.library}-{config.storage}.index"
    index.save(path)
    result.file_mb = path.stat().st_size / 1e6
    result.ef, result.recall_by_ef = tune_ef(index, queries, truth)
    ef = result.ef or EF_LADDER[-1]
    result.recall = result.recall_by_ef[ef]
    result.one_p50_ms, result.one_p95_ms, result.one_cpu_ms = latencies(index, queries, ef, 1)
    result.batch_p50_ms, result.batch_p95_ms, _ = latencies(index, queries, ef, ARTICLE_CLAIMS)
    result.memory = {
        "full": shared_memory(config, path, queries, ef, mmap=False),
        "mmap": shared_memory(config, path, queries, ef, mmap=True),
    }
    path.unlink()
    fresh = perturbed(base, CHANGED, seed=1)
    keys = np.arange(len(base), len(base) + CHANGED, dtype=np.int64)
    started = time.perf_counter()
    index.add(keys, fresh, threads=1)
    result.add_s = time.perf_counter() - started
    result.added_found = float(np.mean(index.search(fresh, K, ef)[:, 0] == keys))
    gone = np.random.default_rng(2).choice(len(base), CHANGED, replace=False).astype(np.int64)
    started = time.perf_counter()
    removed = index.remove(gone)
    if removed:
        result.remove_s = time.perf_counter() - started
        result.removed_found = int(np.isin(index.search(base[gone], K, ef), gone).sum())
    return result


# --- output -------------------------------------------------------------------------------------


def _mb(memory: dict[str, float] | None, key: str) -> str:
    return "-" if memory is None else f"{memory[key]:.0f}"


def table(results: Sequence[Result]) -> str:
    header = (
        "library  store  M  build s (1t/2t)  file MB  ef  recall@10  1q p50/p95/CPU ms  15q p50/p95 ms  "
        "RSS before/full/mmap MB  2-proc PSS full/mmap MB  add 1k s  remove 1k s"
    )
    lines = [header]
    for r in results:
        builds = "/".join(f"{r.build_s[t]:.1f}" if t in r.build_s else "-" for t in (1, 2))
        full, mapped = r.memory.get("full"), r.memory.get("mmap")
        remove = "no" if r.remove_s is None else f"{r.remove_s:.3f} ({r.removed_found} found)"
        lines.append(
            f"{r.config.library:<8} {r.config.storage:<5} {r.config.connectivity:>2}  {builds:>15}  "
            f"{r.file_mb:7.0f}  {r.ef or '>' + str(EF_LADDER[-1]):>3}  {r.recall:9.4f}  "
            f"{r.one_p50_ms:6.2f}/{r.one_p95_ms:.2f}/{r.one_cpu_ms:<5.2f}  {r.batch_p50_ms:6.2f}/{r.batch_p95_ms:<7.2f}  "
            f"{_mb(full, 'baseline_rss_mb'):>7}/{_mb(full, 'rss_mb')}/{_mb(mapped, 'rss_mb'):<5}  "
            f"{_mb(full, 'two_pss_mb'):>11}/{_mb(mapped, 'two_pss_mb'):<11}  {r.add_s:8.3f}  {remove}"
        )
    lines.append(
        "RSS 'before': Python, numpy, onnxruntime and the library, before loading the index; 'full' / "
        "'mmap': after loading it and answering every query once (a mapped index counts the pages touched)."
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debunks", type=int, default=100_000, help="collection size (real + perturbed)")
    parser.add_argument(
        "--indexes",
        nargs="+",
        default=ALL_INDEXES,
        help="library:storage pairs, measured in this order (default: all)",
    )
    # Tuned at 100k (models/matcher/CARD.md): M 32 / ef_construction 64 reaches the target at the lowest
    # query cost for usearch, and builds in half the time of ef_construction 128.
    parser.add_argument("--connectivity", type=int, default=32, help="HNSW M (graph degree)")
    parser.add_argument("--ef-construction", type=int, default=64)
    parser.add_argument("--build-threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.indexes) - set(ALL_INDEXES))
    if unknown:
        parser.error(f"unknown index {unknown[0]!r}: one of {', '.join(ALL_INDEXES)}")

    load_at_start = os.getloadavg()
    real, queries = real_vectors()
    base = padded(real, args.debunks)
    truth = exact_top(base, queries)
    results = []
    with tempfile.TemporaryDirectory(dir=CACHE) as workdir:
        for name in args.indexes:
            library, _, storage = name.partition(":")
            config = Config(library, storage, args.connectivity, args.ef_construction)
            results.append(
                measure(config, base, queries, truth, build_threads=args.build_threads, workdir=Path(workdir))
            )
            print(
                table(results[-1:]).splitlines()[1],
                json.dumps(asdict(results[-1])),
                file=sys.stderr,
                flush=True,
            )
    summary = {
        "debunks": len(base),
        "real_debunks": min(len(real), len(base)),
        "padding": f"perturbed copies of real vectors: + N(0, {NOISE}) a component, renormalised",
        "queries": len(queries),
        "queries_source": "CLEF-2022 2A train tweets, cleaned as the matcher cleans them",
        "search_threads": 1,
        "load_average": {"start": load_at_start, "end": os.getloadavg()},
        "results": [asdict(result) for result in results],
    }
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print(
            f"{summary['debunks']:,} debunks ({summary['real_debunks']:,} real, the rest {summary['padding']}); "
            f"{len(queries)} real queries; recall@10 vs numpy float32 exact; search on 1 thread; "
            f"load average (1, 5, 15 min) {load_at_start} at the start, {os.getloadavg()} at the end"
        )
        print(table(results))


if __name__ == "__main__":
    main()
