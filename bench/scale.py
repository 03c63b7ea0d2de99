"""Benchmark the claim matcher at scale (issue 14): the real Snopes claims, then the same padded to N.

    .venv/bin/python bench/scale.py --debunks 1000000 [--profile full|fast] [--json]

The collection is the 14,231 verified claims of CLEF-2022 2A (claim and title entries, as a worker
indexes them), padded to N with synthetic debunks. Synthetic debunk i draws two different real debunks A
and B at random (seeded): its claim is the first half of the words of A's claim followed by the second
half of B's (drawn again if that wording, by `canonical_key`, is already in the collection), and its title
is the same splice of their titles. BM25 and the static model read that text. Its MiniLM vector is made,
not encoded (a million encodings would take hours here): A's and B's vectors summed, plus Gaussian noise
(sd 0.02 a component), normalised; it costs the same to search.

At the real collection's size and at N it measures, in one run:

- index build: `Matcher.index` over every entry in a process of its own (the MiniLM vectors come from an
  in-memory cache, as a worker reads them from the Store; the Store read itself is not timed). From
  `--ann-min-debunks` debunks (FACTCHECK_ANN_MIN_DEBUNKS's default) search is approximate: the single
  process builds the index snapshot into a fresh temporary folder, and the two workers after it open that
  folder (`index_build_two_workers_s` is then their start over an existing snapshot);
- memory: RSS and PSS (/proc/<pid>/smaps_rollup) of that process once indexed and warmed up, and the sum
  over two processes started at the same time, as `factcheck serve --workers 2` starts its workers
  (spawned, one thread each); PSS shares a page between the processes that map it, RSS counts it in each;
- latency of an article (15 claims, one `search` call) at p50 and p95, and claims/s over those articles
  one after another, with tweets of 2A train as claims, on one thread (a worker's share of 2 cores);
- ann_recall_at_10: the dense retriever's 10 first entries for each dev tweet against an exact numpy top-10
  over every entry vector (1.0 while search is exact; the same code measures issue 14's ANN index);
- MAP@5 on the 197 CLEF-2020 dev tweets (held out of the matcher's training; the 2022 2A dev split is in
  the holdout), against the gold of their 2022 2A train copies, through `Matcher.search` ungated (the whole
  cascade, as `factcheck eval retrieval` scores it). Duplicate verified claims stay separate debunks here.

A stage that brings the machine under 2 GB of available memory is stopped and reported as not fitting
(the OOM killer would pick among every job running here); two workers are not started when twice one
process's peak RSS is more than is available.

The "full" profile needs MiniLM vectors of the real claims: the first run encodes them into
bench/.cache/minilm-vectors.db (a Store's vector table, the one `factcheck train matcher --vector-cache`
fills) and says how long it took. The cross-lingual path is left out (it indexes on its first foreign claim).
"""

from __future__ import annotations

import argparse
import itertools
import json
import multiprocessing
import os
import queue
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, Literal

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _synthetic import new_splices, splice  # noqa: E402

from factcheck._text import canonical_key  # noqa: E402
from factcheck.cpu import limit_cpu_threads  # noqa: E402
from factcheck.evaluation.retrieval import evaluate_rankings, read_qrels, read_queries  # noqa: E402
from factcheck.importers import read_records  # noqa: E402
from factcheck.matching import IndexEntry, Matcher, entries_from_debunks  # noqa: E402
from factcheck.matching.matcher import release_free_memory  # noqa: E402
from factcheck.matching.text import clean_query  # noqa: E402
from factcheck.settings import Settings  # noqa: E402
from factcheck.types import Debunk  # noqa: E402

DATA = REPO.parent / "shared" / "data"
TASK_2A = DATA / "clef2022_task2a_claim_retrieval_tweets"
DEV_2020 = DATA / "clef2020_task2_claim_retrieval" / "dev"
VECTOR_CACHE = Path(__file__).resolve().parent / ".cache" / "minilm-vectors.db"
ARTICLE_CLAIMS = 15
NOISE = 0.02
RECALL_K = 10
DIM = 384  # MiniLM's
CHUNK = 65_536  # entries scored at once by the exact search
MIN_AVAILABLE_MB = 2_000
FIGURES = (
    "index_build_s",
    "rss_mb",
    "pss_mb",
    "peak_rss_mb",
    "article_p50_ms",
    "article_p95_ms",
    "claims_per_s",
    "map5_dev",
    "ann_recall_at_10",
    "rss_two_workers_mb",
    "pss_two_workers_mb",
    "index_build_two_workers_s",
)

Profile = Literal["full", "fast"]


@dataclass(frozen=True)
class DevSet:
    """Claims with their correct debunks (ids of the real collection)."""

    texts: list[str]
    relevant: list[set[int]]


@dataclass(frozen=True)
class Job:
    """What one worker process indexes, and whether it measures search afterwards."""

    models: Path
    profile: Profile
    debunks: list[Debunk]  # the real ones, ids 1..n
    size: int
    vector_cache: Path | None
    claims: list[str] = field(default_factory=list)
    dev: DevSet | None = None
    seed: int = 0
    ann_min_debunks: int | None = None  # the Matcher's: approximate search from this many debunks
    index_dir: Path | None = None  # the Matcher's: where the approximate index is written and mapped


class MemoryCache:
    """A VectorCache in a dict: a worker reads these from the Store's file, and keeps only the index."""

    def __init__(self) -> None:
        self.vectors: dict[str, dict[str, bytes]] = {}

    def get_vectors(self, model_id: str, text_keys: Iterable[str]) -> dict[str, bytes]:
        known = self.vectors.get(model_id, {})
        return {key: known[key] for key in text_keys if key in known}

    def put_vectors(self, model_id: str, vectors: dict[str, bytes]) -> None:
        self.vectors.setdefault(model_id, {}).update(vectors)


# ------------------------------------------------------------------------------------------ the collection


def read_debunks(path: Path) -> list[Debunk]:
    """The verified claims of `path`, numbered 1..n as the index's debunk ids."""
    _, records = read_records(path)
    debunks = [record for record in records if isinstance(record, Debunk)]
    return [replace(debunk, id=number) for number, debunk in enumerate(debunks, start=1)]


def read_dev(debunks: Sequence[Debunk]) -> DevSet:
    """CLEF-2020 dev tweets with the gold of the same tweets in 2022 2A train (the 2022 collection's ids)."""
    queries = read_queries(TASK_2A / "train" / "CT2022-Task2A-EN-Train_Queries.tsv")
    qrels = read_qrels(TASK_2A / "train" / "CT2022-Task2A-EN-Train_QRELs.tsv")
    by_text = {" ".join(text.split()): query for query, text in queries.items()}
    by_vclaim = {debunk.external_id: debunk.id for debunk in debunks if debunk.id is not None}
    texts, relevant = [], []
    for text in read_queries(DEV_2020 / "tweets.queries.tsv").values():
        gold = {
            by_vclaim[v] for v in qrels.get(by_text.get(" ".join(text.split()), ""), ()) if v in by_vclaim
        }
        if gold:
            texts.append(text)
            relevant.append(gold)
    return DevSet(texts, relevant)


def padded_collection(
    debunks: Sequence[Debunk],
    size: int,
    *,
    vectors: dict[str, np.ndarray] | None = None,
    dense_kinds: Sequence[str] = (),
    seed: int = 0,
) -> Iterator[tuple[IndexEntry, np.ndarray | None]]:
    """Every entry of the real debunks, then of synthetic ones up to `size` debunks (module docstring).

    With `vectors` (MiniLM vectors of the real texts by `canonical_key`), each entry of a kind in
    `dense_kinds` comes with its vector (a synthetic one made from its sources'), the others with None.
    The same arguments give the same entries and vectors, in the same order.
    """
    rng = random.Random(seed)
    noise = np.random.default_rng(seed)
    seen: set[str] = set()
    claim_keys = [canonical_key(debunk.claim_reviewed) for debunk in debunks]
    for entry in entries_from_debunks(debunks):
        key = canonical_key(entry.text)
        seen.add(key)
        yield entry, vectors.get(key) if vectors is not None and entry.kind in dense_kinds else None
    number = max((debunk.id or 0 for debunk in debunks), default=0)
    for a, b, claim in itertools.islice(new_splices(debunks, rng, seen), max(0, size - number)):
        first, second = debunks[a], debunks[b]
        number += 1
        vector = None
        if vectors is not None and "claim" in dense_kinds:
            parts = [vectors.get(claim_keys[source]) for source in (a, b)]
            summed = sum(part for part in parts if part is not None) + noise.normal(0, NOISE, DIM)
            vector = (summed / np.linalg.norm(summed)).astype(np.float32)
        yield IndexEntry(number, claim, "claim"), vector
        title = splice(first.title, second.title) if first.title and second.title else ""
        if title and title.casefold() != claim.casefold():
            yield IndexEntry(number, title, "title"), None


def ensure_vector_cache(path: Path, models: Path, debunks: Sequence[Debunk]) -> float:
    """Encode the real debunks' MiniLM vectors into the Store file `path` where missing; seconds spent."""
    from factcheck.store import Store

    path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{path}")
    try:
        store.migrate()
        matcher = Matcher.load(models, vector_cache=store, profile="full", multilingual=False)
        started = time.perf_counter()
        matcher.index(entries_from_debunks(debunks))  # encodes and stores what the file lacks
        return time.perf_counter() - started
    finally:
        store.close()


def real_vectors(path: Path, model_id: str, debunks: Sequence[Debunk]) -> dict[str, np.ndarray]:
    from factcheck.store import Store

    store = Store(f"sqlite:///{path}")
    try:
        keys = {canonical_key(entry.text) for entry in entries_from_debunks(debunks)}
        blobs = store.get_vectors(model_id, keys)
    finally:
        store.close()
    return {key: np.frombuffer(blob, dtype=np.float32) for key, blob in blobs.items()}


# ------------------------------------------------------------------------------------------ a worker


def _collection(job: Job, matcher: Matcher) -> Iterator[tuple[IndexEntry, np.ndarray | None]]:
    vectors = (
        real_vectors(job.vector_cache, matcher.transformer.model_id, job.debunks)
        if matcher.transformer is not None and job.vector_cache is not None
        else None
    )
    return padded_collection(
        job.debunks, job.size, vectors=vectors, dense_kinds=matcher.config.dense_kinds, seed=job.seed
    )


def build(job: Job) -> tuple[Matcher, float, ExactTop | None]:
    """A matcher over the job's collection, as a worker builds it at start; seconds `index` took; with a
    dev set and a transformer, the exact top-10 entries of each dev claim, read off the same stream."""
    cache = MemoryCache()
    matcher = Matcher.load(
        job.models,
        vector_cache=cache,
        profile=job.profile,
        multilingual=False,
        ann_min_debunks=job.ann_min_debunks,
        index_dir=job.index_dir,
    )
    exact = None
    if job.dev is not None and matcher.transformer is not None:
        exact = ExactTop(matcher.transformer.encode([clean_query(text) or text for text in job.dev.texts]))
    zero = np.zeros(DIM, dtype=np.float32)
    entries: list[IndexEntry] = []
    vectors: dict[str, bytes] = {}
    for entry, vector in _collection(job, matcher):
        entries.append(entry)
        if vector is not None:
            vectors[canonical_key(entry.text)] = vector.tobytes()
        if exact is not None:
            exact.add(zero if vector is None else vector)  # the index holds zeros for other kinds
    if exact is not None:
        exact.flush()  # its last vectors (up to 100 MB) are not the serving process's to hold
    if matcher.transformer is not None:
        cache.put_vectors(matcher.transformer.model_id, vectors)
    del vectors
    started = time.perf_counter()
    matcher.index(entries)
    seconds = time.perf_counter() - started
    # a worker reads these from the Store a chunk at a time: hand back the memory of this copy of them
    del entries
    cache.vectors.clear()
    release_free_memory()
    return matcher, seconds, exact


class ExactTop:
    """The k entries nearest each query by cosine, exactly: numpy over every entry vector, fed in order."""

    def __init__(self, queries: np.ndarray, k: int = RECALL_K) -> None:
        self.queries, self.k = queries, k
        self.scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
        self.positions = np.zeros((len(queries), 0), dtype=np.int64)
        self._chunk: list[np.ndarray] = []
        self._seen = 0

    def add(self, vector: np.ndarray) -> None:
        self._chunk.append(vector)
        if len(self._chunk) == CHUNK:
            self.flush()

    def flush(self) -> None:
        """Score the vectors fed since the last flush, and let them go."""
        if not self._chunk:
            return
        scores = self.queries @ np.stack(self._chunk).T
        positions = np.arange(self._seen, self._seen + len(self._chunk))
        self._seen += len(self._chunk)
        self._chunk = []
        k = min(self.k, scores.shape[1])
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        merged = np.concatenate([self.scores, np.take_along_axis(scores, part, axis=1)], axis=1)
        at = np.concatenate([self.positions, positions[part]], axis=1)
        keep = np.argsort(-merged, axis=1, kind="stable")[:, : self.k]
        self.scores, self.positions = (np.take_along_axis(a, keep, axis=1) for a in (merged, at))

    def top(self) -> list[set[int]]:
        self.flush()
        return [set(row.tolist()) for row in self.positions]


def serve_worker(job: Job, reports: Queue[tuple[int, str, Any]], go_on: Event) -> None:
    """Index, say so, wait while the parent reads this process's memory, then measure if asked."""
    limit_cpu_threads(1)
    matcher, seconds, exact = build(job)
    matcher.search(job.claims[:ARTICLE_CLAIMS] or ["warm-up"], k=5)  # a worker's first request
    reports.put((os.getpid(), "indexed", seconds))
    go_on.wait()
    if job.dev is not None:
        reports.put((os.getpid(), "figures", measure(matcher, job.claims, job.dev, exact)))


def measure(matcher: Matcher, claims: Sequence[str], dev: DevSet, exact: ExactTop | None) -> dict[str, Any]:
    """Article latency and claims/s (articles one after another), dev MAP@5, and the dense retriever's
    recall@10 against `exact` (None without a transformer)."""
    articles = [
        claims[i : i + ARTICLE_CLAIMS] for i in range(0, len(claims) - ARTICLE_CLAIMS + 1, ARTICLE_CLAIMS)
    ]
    latencies = []
    for article in articles:
        started = time.perf_counter()
        matcher.search(article, k=5)
        latencies.append((time.perf_counter() - started) * 1000)
    rankings = {}
    for start in range(0, len(dev.texts), 64):
        found = matcher.search(dev.texts[start : start + 64], k=5, gated=False)
        rankings.update({str(start + i): [c.debunk_id for c in cands] for i, cands in enumerate(found)})
    recall = None
    if exact is not None:
        nearest = matcher.nearest_entries(dev.texts, RECALL_K)
        recall = float(
            np.mean([len(want & set(got)) / RECALL_K for want, got in zip(exact.top(), nearest, strict=True)])
        )
    return {
        "article_p50_ms": statistics.median(latencies),
        "article_p95_ms": float(np.percentile(latencies, 95)),
        "claims_per_s": len(articles) * ARTICLE_CLAIMS / (sum(latencies) / 1000),
        "map5_dev": evaluate_rankings(rankings, {str(i): gold for i, gold in enumerate(dev.relevant)})[
            "map@5"
        ],
        "ann_recall_at_10": recall,
    }


# ------------------------------------------------------------------------------------------ the parent


def memory_mb(pid: int) -> dict[str, float]:
    """RSS and PSS from /proc/<pid>/smaps_rollup, and the peak RSS (VmHWM), in MB."""
    figures = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as handle:
        for line in handle:
            name, _, rest = line.partition(":")
            if name in ("Rss", "Pss"):
                figures[name.lower() + "_mb"] = int(rest.split()[0]) / 1024
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                figures["peak_rss_mb"] = int(line.split()[1]) / 1024
    return figures


def available_mb() -> float:
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class OutOfMemory(Exception):
    """The machine ran low on memory while workers built their index; they were stopped."""


def run_workers(jobs: Sequence[Job]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Start one process a job at once, read each one's memory once all have indexed, then let them
    measure; (per process: memory and index seconds, per measuring process: its figures)."""
    context = multiprocessing.get_context("spawn")  # as api/workers.py starts `serve --workers N`
    reports: Queue[tuple[int, str, Any]] = context.Queue()
    go_on = context.Event()
    processes: list[BaseProcess] = [
        context.Process(target=serve_worker, args=(job, reports, go_on)) for job in jobs
    ]
    for process in processes:
        process.start()
    try:
        indexed: dict[int, float] = {}
        while len(indexed) < len(jobs):
            pid, _, seconds = _next_report(reports, processes)
            indexed[pid] = seconds
        memory = [{**memory_mb(pid), "index_build_s": indexed[pid]} for pid in indexed]
        go_on.set()
        figures = [_next_report(reports, processes)[2] for job in jobs if job.dev is not None]
    except BaseException:
        for process in processes:
            process.terminate()
        raise
    finally:
        for process in processes:
            process.join()
    return memory, figures


def _next_report(
    reports: Queue[tuple[int, str, Any]], processes: Sequence[BaseProcess]
) -> tuple[int, str, Any]:
    """The next report, watching meanwhile that no worker died and that the machine keeps some memory
    free (the OOM killer would pick a victim among every job running here)."""
    while True:
        try:
            return reports.get(timeout=1)
        except queue.Empty as error:
            if any(process.exitcode not in (None, 0) for process in processes):
                raise SystemExit("a worker process failed; see its traceback above") from error
            if available_mb() < MIN_AVAILABLE_MB:
                peak = sum(memory_mb(process.pid)["peak_rss_mb"] for process in processes if process.pid)
                raise OutOfMemory(
                    f"stopped at {peak:,.0f} MB of peak RSS, with less than {MIN_AVAILABLE_MB:,} MB left"
                ) from error


def measure_size(job: Job) -> dict[str, Any]:
    """One serving process (build, memory, search figures), then two workers side by side (memory);
    a stage that does not fit in memory is reported as such, with None for its figures."""
    row: dict[str, Any] = dict.fromkeys(FIGURES) | {"debunks": job.size}
    try:
        [one], [figures] = run_workers([job])
    except OutOfMemory as error:
        return row | {"one_process_failed": str(error), "two_workers_failed": "not tried"}
    row.update(one, **figures)
    needed, free = 2 * one["peak_rss_mb"] * 1.1, available_mb()
    if free < needed:
        failed = f"not tried: two need ~{needed:,.0f} MB at their peak, {free:,.0f} MB available"
        return row | {"two_workers_failed": failed}
    try:
        pair, _ = run_workers([replace(job, dev=None), replace(job, dev=None)])
    except OutOfMemory as error:
        return row | {"two_workers_failed": str(error)}
    return row | {
        "rss_two_workers_mb": sum(worker["rss_mb"] for worker in pair),
        "pss_two_workers_mb": sum(worker["pss_mb"] for worker in pair),
        "index_build_two_workers_s": max(worker["index_build_s"] for worker in pair),
    }


def run(
    *,
    models: Path,
    profile: Profile,
    debunks: list[Debunk],
    size: int,
    claims: list[str],
    dev: DevSet,
    vector_cache: Path | None,
    ann_min_debunks: int | None = None,
    log: Any = print,
) -> dict[str, Any]:
    """The figures at the real collection's size (baseline) and at `size`, in the keys of issue 14."""
    started = time.perf_counter()
    if profile == "full":
        if vector_cache is None:
            raise ValueError("the full profile needs a vector cache file")
        log(f"MiniLM vectors of the real debunks in {vector_cache} ...")
        with multiprocessing.get_context("spawn").Pool(1) as pool:  # keeps the models out of this process
            seconds = pool.apply(ensure_vector_cache, (vector_cache, models, debunks))
        log(f"  ready after {seconds:.1f} s of encoding/checking")
    with tempfile.TemporaryDirectory(prefix="scale-index-") as index_dir:
        # a fresh folder: the single process builds the approximate index into it, the two workers after it
        # open that folder, as workers started after `factcheck db reindex` (or a first start) do
        job = Job(
            models,
            profile,
            debunks,
            len(debunks),
            vector_cache,
            claims,
            dev,
            ann_min_debunks=ann_min_debunks,
            index_dir=Path(index_dir),
        )
        baseline = measure_size(replace(job, index_dir=Path(index_dir) / "baseline"))
        large = measure_size(replace(job, size=size)) if size > len(debunks) else baseline
    for row in (baseline, large):
        log(_row(profile, row))
        for key in ("one_process_failed", "two_workers_failed"):
            if key in row:
                log(f"  {key.replace('_', ' ')}: {row[key]}")
    return {
        **large,
        "profile": profile,
        "ann_min_debunks": ann_min_debunks,
        "baseline_article_p95_ms": baseline["article_p95_ms"],
        "map5_dev_baseline": baseline["map5_dev"],
        "baseline": baseline,
        "real_debunks": len(debunks),
        "synthetic_debunks": max(0, size - len(debunks)),
        "synthetic": (
            "claims and titles spliced from halves of two real ones; MiniLM vectors made from the two "
            "sources' vectors plus noise, not encoded"
        ),
        "dev_queries": len(dev.texts),
        "claims": len(claims),
        "seconds": time.perf_counter() - started,
        "load_average": list(os.getloadavg()),
    }


def _row(profile: str, row: dict[str, Any]) -> str:
    def shown(key: str, form: str = ",.0f") -> str:
        return "—" if row[key] is None else format(row[key], form)

    return (
        f"| {profile} | {row['debunks']:,} | {shown('index_build_s', '.1f')} | {shown('rss_mb')} "
        f"({shown('pss_mb')}) | {shown('rss_two_workers_mb')} ({shown('pss_two_workers_mb')}) "
        f"| {shown('article_p50_ms')} | {shown('article_p95_ms')} | {shown('claims_per_s', '.1f')} "
        f"| {shown('ann_recall_at_10', '.3f')} | {shown('map5_dev', '.3f')} |"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--debunks", type=int, default=100_000, help="collection size to measure")
    parser.add_argument("--profile", choices=("full", "fast"), default="full")
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--claims", type=int, default=300, help="2A train tweets to time articles with")
    parser.add_argument("--vector-cache", type=Path, default=VECTOR_CACHE)
    parser.add_argument(
        "--ann-min-debunks",
        type=int,
        default=Settings().ann_min_debunks,
        help="approximate search from this many debunks (FACTCHECK_ANN_MIN_DEBUNKS; -1: always exact)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    debunks = read_debunks(TASK_2A / "vclaims.jsonl")
    queries = read_queries(TASK_2A / "train" / "CT2022-Task2A-EN-Train_Queries.tsv")
    log = (lambda message: print(message, file=sys.stderr, flush=True)) if args.json else print
    result = run(
        models=args.models,
        profile=args.profile,
        debunks=debunks,
        size=args.debunks,
        claims=list(queries.values())[: args.claims],
        dev=read_dev(debunks),
        vector_cache=args.vector_cache if args.profile == "full" else None,
        ann_min_debunks=None if args.ann_min_debunks < 0 else args.ann_min_debunks,
        log=log,
    )
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print()
    print(f"{result['seconds'] / 60:.1f} minutes; load average at the end {result['load_average'][0]:.1f}")
    print(f"{result['synthetic_debunks']:,} synthetic debunks: {result['synthetic']}")
    print(
        "| profile | debunks | index s | MB one process RSS (PSS) | MB two workers RSS (PSS) "
        "| article p50 ms | article p95 ms | claims/s | recall@10 | dev MAP@5 |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(_row(args.profile, result["baseline"]))
    print(_row(args.profile, result))


if __name__ == "__main__":
    main()
