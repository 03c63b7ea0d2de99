"""Benchmark the claim matcher: latency, throughput, memory, and how they grow with the collection.

Indexes the 14,231 Snopes claims of CLEF-2022 task 2A, then 100k records (the real ones plus
synthetic variants: words dropped, swapped, numbers changed), and matches tweets from the 2A train
split against them. Each size reports index time, resident memory, per-article latency (15 claims
per call, the API's batch) at p50/p95, per-claim latency and claims/s at batch 64. 1M is projected
from the two measured sizes (costs are linear in the collection: one matrix product and one BM25
pass per claim) unless --sizes includes it.

The "full" profile needs MiniLM vectors of the real claims: pass --vector-cache with a Store SQLite
file that holds them (as `factcheck train matcher --vector-cache` leaves it); synthetic records get
their source's vector plus noise, which costs the same to search.

    .venv/bin/python bench/matching.py --vector-cache /tmp/factcheck-vectors.db
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from factcheck._text import canonical_key  # noqa: E402
from factcheck.evaluation.retrieval import read_queries  # noqa: E402
from factcheck.importers import read_records  # noqa: E402
from factcheck.matching import IndexEntry, Matcher  # noqa: E402
from factcheck.types import Debunk  # noqa: E402

DATA = REPO.parent / "shared" / "data" / "clef2022_task2a_claim_retrieval_tweets"
ARTICLE_CLAIMS = 15


class MemoryCache:
    """A VectorCache in a dict (the bench keeps the Store out of the timings)."""

    def __init__(self) -> None:
        self.vectors: dict[str, dict[str, bytes]] = {}

    def get_vectors(self, model_id: str, text_keys: Iterable[str]) -> dict[str, bytes]:
        known = self.vectors.get(model_id, {})
        return {key: known[key] for key in text_keys if key in known}

    def put_vectors(self, model_id: str, vectors: dict[str, bytes]) -> None:
        self.vectors.setdefault(model_id, {}).update(vectors)


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


_NUMBER = re.compile(r"\d+")


def perturb(text: str, rng: random.Random) -> str:
    words = text.split()
    if len(words) > 4:
        del words[rng.randrange(len(words))]
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    out = " ".join(words)
    return (
        _NUMBER.sub(lambda m: str(int(m.group()) + rng.randint(1, 9)), out, count=1)
        + f" ({rng.randint(1, 10**6)})"
    )


def build_entries(debunks: Sequence[Debunk], size: int, seed: int = 0) -> list[IndexEntry]:
    rng = random.Random(seed)
    entries = []
    for number, debunk in enumerate(debunks[:size], start=1):
        entries.append(IndexEntry(number, debunk.claim_reviewed, "claim"))
        if debunk.title:
            entries.append(IndexEntry(number, debunk.title, "title"))
    for number in range(len(debunks) + 1, size + 1):
        source = debunks[rng.randrange(len(debunks))]
        entries.append(IndexEntry(number, perturb(source.claim_reviewed, rng), "claim"))
        if source.title:
            entries.append(IndexEntry(number, perturb(source.title, rng), "title"))
    return entries


def prefill(
    cache: MemoryCache, model_id: str, entries: Sequence[IndexEntry], real: dict[str, bytes], seed: int = 0
) -> int:
    """Cache vectors for every entry text: real ones as stored, synthetic ones = a real vector + noise."""
    rng = np.random.default_rng(seed)
    pool = list(real.values())
    vectors: dict[str, bytes] = {}
    for entry in entries:
        key = canonical_key(entry.text)
        if key in real:
            vectors[key] = real[key]
            continue
        base = np.frombuffer(pool[rng.integers(len(pool))], dtype=np.float32)
        noisy = base + rng.normal(0, 0.02, base.shape).astype(np.float32)
        vectors[key] = (noisy / np.linalg.norm(noisy)).astype(np.float32).tobytes()
    cache.put_vectors(model_id, vectors)
    return len(vectors)


def measure(matcher: Matcher, entries: Sequence[IndexEntry], claims: Sequence[str]) -> dict[str, float]:
    before = rss_mb()
    started = time.perf_counter()
    matcher.index(entries)
    index_s = time.perf_counter() - started
    memory = rss_mb() - before
    matcher.search(claims[:ARTICLE_CLAIMS], k=5)  # warm-up: first calls into each library
    articles = [
        claims[i : i + ARTICLE_CLAIMS] for i in range(0, len(claims) - ARTICLE_CLAIMS + 1, ARTICLE_CLAIMS)
    ]
    cold: list[float] = []
    for article in articles:
        started = time.perf_counter()
        matcher.search(article, k=5)
        cold.append((time.perf_counter() - started) * 1000)
    warm: list[float] = []
    cpu_started = time.process_time()
    for article in articles:
        started = time.perf_counter()
        matcher.search(article, k=5)
        warm.append((time.perf_counter() - started) * 1000)
    # CPU time of all this process's threads: steadier than wall time on a machine shared with other jobs
    cpu_ms = (time.process_time() - cpu_started) * 1000 / (len(articles) * ARTICLE_CLAIMS)
    started = time.perf_counter()
    for i in range(0, len(claims), 64):
        matcher.search(claims[i : i + 64], k=5)
    throughput = len(claims) / (time.perf_counter() - started)
    return {
        "debunks": len(matcher),
        "entries": len(entries),
        "index_s": index_s,
        "memory_mb": memory,
        "article_p50_ms": statistics.median(warm),
        "article_p95_ms": float(np.percentile(warm, 95)),
        "article_p95_cold_ms": float(np.percentile(cold, 95)),
        "claim_ms": statistics.mean(warm) / ARTICLE_CLAIMS,
        "claim_cpu_ms": cpu_ms,
        "claims_per_s": throughput,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", type=Path, default=REPO / "models")
    parser.add_argument("--profile", choices=("fast", "full", "both"), default="both")
    parser.add_argument("--sizes", default="14231,100000", help="collection sizes, comma separated")
    parser.add_argument("--claims", type=int, default=300, help="tweets to match")
    parser.add_argument(
        "--vector-cache", type=Path, help="Store SQLite file with MiniLM vectors of the real claims"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    _, records = read_records(DATA / "vclaims.jsonl")
    debunks = [record for record in records if isinstance(record, Debunk)]
    queries = read_queries(DATA / "train" / "CT2022-Task2A-EN-Train_Queries.tsv")
    claims = list(queries.values())[: args.claims]
    sizes = [int(size) for size in args.sizes.split(",")]
    profiles = ["fast", "full"] if args.profile == "both" else [args.profile]
    rows = []
    for profile in profiles:
        cache = MemoryCache()
        matcher = Matcher.load(args.models, vector_cache=cache, profile=profile)  # type: ignore[arg-type]
        if profile == "full":
            if args.vector_cache is None:
                print("skipping the full profile: pass --vector-cache with the real claims' MiniLM vectors")
                continue
            from factcheck.store import Store

            store = Store(f"sqlite:///{args.vector_cache}")
            if matcher.transformer is None:
                raise SystemExit("the full profile has no transformer: check models/matcher/manifest.json")
            keys = {canonical_key(d.claim_reviewed) for d in debunks} | {
                canonical_key(d.title) for d in debunks if d.title
            }
            real = store.get_vectors(matcher.transformer.model_id, keys)
            store.close()
            print(f"{len(real):,} of {len(keys):,} real texts have cached MiniLM vectors")
        for size in sizes:
            entries = build_entries(debunks, size)
            if profile == "full":
                prefill(cache, matcher.transformer.model_id, entries, real)  # type: ignore[union-attr]
            figures = measure(matcher, entries, claims)
            figures.update(profile=profile, size=size)  # type: ignore[arg-type]
            rows.append(figures)
            print(_row(figures), flush=True)
        if len(sizes) >= 2 and 1_000_000 not in sizes:
            rows.append(project(rows[-2], rows[-1], profile))
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        "| profile | debunks | index s | memory MB | article p50 ms | article p95 ms | p95 cold ms "
        "| ms/claim | CPU ms/claim | claims/s |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(_row(row))


def project(small: dict[str, float], large: dict[str, float], profile: str) -> dict[str, float]:
    """Linear projection to 1M debunks from two measured sizes (marked with ~)."""
    target = 1_000_000

    def line(key: str) -> float:
        # costs only grow with the collection: a noisy pair of measurements must not project a drop
        slope = max(0.0, (large[key] - small[key]) / (large["size"] - small["size"]))
        return large[key] + slope * (target - large["size"])

    per_claim = line("claim_ms")
    return {
        "profile": f"{profile} (projected)",  # type: ignore[dict-item]
        "size": target,
        "debunks": target,
        "index_s": line("index_s"),
        "memory_mb": line("memory_mb"),
        "article_p50_ms": line("article_p50_ms"),
        "article_p95_ms": line("article_p95_ms"),
        "article_p95_cold_ms": line("article_p95_cold_ms"),
        "claim_ms": per_claim,
        "claim_cpu_ms": line("claim_cpu_ms"),
        "claims_per_s": 1000 / per_claim * large["claims_per_s"] / (1000 / large["claim_ms"]),
    }


def _row(row: dict[str, float]) -> str:
    return (
        f"| {row['profile']} | {int(row['debunks']):,} | {row['index_s']:.1f} | {row['memory_mb']:.0f} | "
        f"{row['article_p50_ms']:.0f} | {row['article_p95_ms']:.0f} | {row['article_p95_cold_ms']:.0f} | "
        f"{row['claim_ms']:.1f} | {row['claim_cpu_ms']:.1f} | {row['claims_per_s']:.0f} |"
    )


if __name__ == "__main__":
    main()
