"""Score the claim matcher on the CheckThat! claim-retrieval tasks, read in their native formats.

    task               debunks (verified claims)        queries                          qrels
    clef2020 task 2    verified_claims.docs.tsv         tweets.queries.tsv (header)      *.qrels
    clef2022 task 2A   vclaims.jsonl (Snopes)           *_Queries.tsv (no header)        *_QRELs.tsv
    clef2022 task 2B   politifact_vclaims.jsonl         *_Queries.tsv, one row per qrel  *_QRELs.tsv

The debunks go through the same path as production: `read_records` -> `Store.import_records` ->
`Store.iter_debunks` -> `Matcher.index`, in a throw-away SQLite database. The Store upserts on
(review URL, normalised claim), so verified claims with the same wording and no URL collapse into one
debunk; qrels are mapped through that collapse (and the count is reported), never dropped.

Measures follow the CheckThat! scorer: AP@k divides by the number of relevant verified claims of the
query, MAP@k averages AP@k over queries; P@1 and Recall@5 are averaged over queries too. The
operating points read the calibrated probability of each query's top candidate: precision@match is
the share of correct top candidates among queries at or above the match threshold, recall@suggest the
share of queries whose top candidate is correct and at or above the suggest threshold.
"""

from __future__ import annotations

import csv
import tempfile
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from factcheck._text import canonical_key
from factcheck.errors import InputError
from factcheck.types import Debunk

if TYPE_CHECKING:
    from factcheck.matching import Candidate, Matcher

__all__ = [
    "Collection",
    "RetrievalReport",
    "evaluate_rankings",
    "load_collection",
    "operating_points",
    "read_qrels",
    "read_queries",
    "run_retrieval_eval",
]

MAP_CUTOFFS = (1, 3, 5, 10)


# --------------------------------------------------------------------------------------------- readers


def _tsv_rows(path: Path) -> list[list[str]]:
    if not path.is_file():
        raise InputError(f"{path} is not a file")
    csv.field_size_limit(1 << 24)
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            row for row in csv.reader(handle, delimiter="\t") if row and any(cell.strip() for cell in row)
        ]


def read_queries(path: Path) -> dict[str, str]:
    """Query id -> text from a CheckThat! queries TSV (2020 with a header row, 2022 without one).

    Task 2B repeats a query once per relevant verified claim; repeats are kept once.
    """
    rows = _tsv_rows(path)
    if (
        rows
        and rows[0][0].strip() == ""
        and rows[0][-1].strip().lower() in ("tweet_content", "text", "query")
    ):
        rows = rows[1:]
    queries: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        if len(row) < 2:
            raise InputError(f"{path}: row {number} is not `query_id <TAB> text`")
        queries.setdefault(row[0].strip(), "\t".join(row[1:]).strip())
    if not queries:
        raise InputError(f"{path}: no queries")
    return queries


def read_qrels(path: Path) -> dict[str, set[str]]:
    """Query id -> relevant verified-claim ids from a TREC qrels file (`qid 0 vclaim_id 1`)."""
    qrels: dict[str, set[str]] = {}
    for number, row in enumerate(_tsv_rows(path), start=1):
        if len(row) == 1:
            row = row[0].split()
        if len(row) != 4:
            raise InputError(f"{path}: row {number} is not `query_id 0 vclaim_id relevance`")
        if row[3].strip() not in ("0",):
            qrels.setdefault(row[0].strip(), set()).add(row[2].strip())
    if not qrels:
        raise InputError(f"{path}: no relevant pairs")
    return qrels


@dataclass
class Collection:
    """Debunks as the Store holds them, and where each verified-claim id of the source file went."""

    debunks: list[Debunk]
    vclaim_to_debunk: dict[str, int]
    format: str
    records: int = 0
    collapsed: int = 0  # records merged into another record's debunk (same claim, same URL)
    skipped: int = 0


def _vclaim_id(external_id: str) -> str:
    return external_id.removeprefix("checkthat2020:")


def load_collection(path: Path, workdir: Path) -> Collection:
    """Import a verified-claims file into a fresh SQLite Store under `workdir` and read it back."""
    from factcheck.importers import read_records
    from factcheck.store import SkippedRecord, Store

    format_, records = read_records(path)
    kept = [record for record in records if isinstance(record, Debunk)]
    store = Store(f"sqlite:///{workdir}/eval.db")
    try:
        store.migrate()
        summary = store.import_records(kept, source=str(path), format=format_)
        debunks = list(store.iter_debunks())
    finally:
        store.close()
    by_key = {(debunk.review_url, canonical_key(debunk.claim_reviewed)): debunk.id for debunk in debunks}
    mapping: dict[str, int] = {}
    for record in kept:
        debunk_id = by_key.get((record.review_url, canonical_key(record.claim_reviewed)))
        if debunk_id is not None:
            mapping[_vclaim_id(record.external_id)] = debunk_id
    skipped = sum(1 for item in summary.skipped if isinstance(item, SkippedRecord))
    return Collection(
        debunks=debunks,
        vclaim_to_debunk=mapping,
        format=format_,
        records=len(kept),
        collapsed=len(kept) - len(debunks) - skipped,
        skipped=skipped,
    )


# --------------------------------------------------------------------------------------------- metrics


def _average_precision(ranking: Sequence[int], relevant: set[int], k: int) -> float:
    hits, total = 0, 0.0
    for position, item in enumerate(ranking[:k], start=1):
        if item in relevant:
            hits += 1
            total += hits / position
    return total / len(relevant) if relevant else 0.0


def evaluate_rankings(
    rankings: Mapping[str, Sequence[int]], relevant: Mapping[str, set[int]]
) -> dict[str, float]:
    """MAP@1/3/5/10, P@1, Recall@5/10 and MRR over the queries of `relevant` (a missing ranking scores 0)."""
    queries = [query for query in relevant if relevant[query]]
    if not queries:
        raise InputError("no query has a relevant debunk in the collection")
    result: dict[str, float] = {}
    for k in MAP_CUTOFFS:
        result[f"map@{k}"] = sum(_average_precision(rankings.get(q, ()), relevant[q], k) for q in queries)
    result["p@1"] = sum(1.0 for q in queries if rankings.get(q) and rankings[q][0] in relevant[q])
    for k in (5, 10):
        result[f"recall@{k}"] = sum(
            len(set(rankings.get(q, ())[:k]) & relevant[q]) / len(relevant[q]) for q in queries
        )
    result["mrr"] = sum(
        next(
            (1 / position for position, item in enumerate(rankings.get(q, ()), 1) if item in relevant[q]), 0.0
        )
        for q in queries
    )
    return {name: value / len(queries) for name, value in result.items()}


def operating_points(
    results: Mapping[str, Sequence[tuple[int, float]]],
    relevant: Mapping[str, set[int]],
    *,
    match_threshold: float,
    suggest_threshold: float,
    depth: int = 5,
) -> dict[str, float]:
    """Precision at the match threshold and recall at the suggest threshold.

    `results` maps a query to its candidates as (debunk id, calibrated probability), best first.
    precision@match and recall@suggest read the top candidate; recall@suggest_top5 counts a query when
    any relevant debunk among the first `depth` candidates reaches the suggest threshold (what a
    reader shown the suggestions would find).
    """
    queries = [query for query in relevant if relevant[query]]
    top = {q: results[q][0] for q in queries if results.get(q)}
    matched = [q for q in top if top[q][1] >= match_threshold]
    suggested = [q for q in top if top[q][1] >= suggest_threshold]
    correct_matched = sum(1 for q in matched if top[q][0] in relevant[q])
    correct_suggested = sum(1 for q in suggested if top[q][0] in relevant[q])
    found_in_depth = sum(
        1
        for q in queries
        if any(d in relevant[q] and p >= suggest_threshold for d, p in results.get(q, ())[:depth])
    )
    return {
        "precision@match": correct_matched / len(matched) if matched else float("nan"),
        "coverage@match": len(matched) / len(queries),
        "recall@match": correct_matched / len(queries),
        "recall@suggest": correct_suggested / len(queries),
        f"recall@suggest_top{depth}": found_in_depth / len(queries),
        "precision@suggest": correct_suggested / len(suggested) if suggested else float("nan"),
        "coverage@suggest": len(suggested) / len(queries),
    }


# --------------------------------------------------------------------------------------------- the run


@dataclass
class RetrievalReport:
    metrics: dict[str, float]
    queries: int
    debunks: int
    collapsed: int
    unmapped_qrels: int
    match_threshold: float
    suggest_threshold: float
    seconds: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            **{name: round(value, 4) for name, value in self.metrics.items()},
            "queries": self.queries,
            "debunks": self.debunks,
            "collapsed_records": self.collapsed,
            "unmapped_qrels": self.unmapped_qrels,
            "match_threshold": round(self.match_threshold, 4),
            "suggest_threshold": round(self.suggest_threshold, 4),
            **{f"seconds_{name}": round(value, 2) for name, value in self.seconds.items()},
        }


def search_all(
    matcher: Matcher, texts: Sequence[str], *, k: int = 10, batch_size: int = 64, gated: bool = True
) -> list[list[Candidate]]:
    results: list[list[Candidate]] = []
    for start in range(0, len(texts), batch_size):
        results.extend(matcher.search(texts[start : start + batch_size], k=k, gated=gated))
    return results


def run_retrieval_eval(
    debunks_path: Path,
    queries_path: Path,
    qrels_path: Path,
    *,
    models_dir: Path,
    limit: int | None = None,
    vector_cache: Path | None = None,
    profile: Literal["full", "fast"] = "full",
) -> RetrievalReport:
    """Index `debunks_path` with the shipped matcher and score it on the queries that have qrels.

    `limit` keeps the first N queries (for quick checks). `vector_cache` is a SQLite file that keeps the
    debunk vectors between runs (a Store's embedding cache); by default it is temporary.
    """
    from factcheck.matching import Matcher, entries_from_debunks
    from factcheck.store import Store

    queries = read_queries(queries_path)
    qrels = read_qrels(qrels_path)
    with tempfile.TemporaryDirectory(prefix="factcheck-eval-") as tmp:
        workdir = Path(tmp)
        seconds: dict[str, float] = {}
        started = time.perf_counter()
        collection = load_collection(debunks_path, workdir)
        seconds["import"] = time.perf_counter() - started
        cache_store = Store(f"sqlite:///{vector_cache or workdir / 'vectors.db'}")
        cache_store.migrate()
        try:
            matcher = Matcher.load(models_dir, vector_cache=cache_store, profile=profile)
            started = time.perf_counter()
            matcher.index(entries_from_debunks(collection.debunks))
            seconds["index"] = time.perf_counter() - started
            relevant, unmapped = _map_qrels(qrels, collection.vclaim_to_debunk)
            ids = [query for query in queries if relevant.get(query)]
            if limit is not None:
                ids = ids[:limit]
            texts = [queries[query] for query in ids]
            started = time.perf_counter()
            searched = search_all(matcher, texts, k=10, gated=False)
            seconds["search"] = time.perf_counter() - started
            if matcher.gate is not None:
                started = time.perf_counter()
                checked = search_all(matcher, texts, k=10)
                seconds["search_gated"] = time.perf_counter() - started
            else:
                checked = searched
        finally:
            cache_store.close()
    relevant = {query: relevant[query] for query in ids}

    def rankings(results: list[list[Candidate]]) -> dict[str, list[int]]:
        return {query: [c.debunk_id for c in found] for query, found in zip(ids, results, strict=True)}

    found = {
        query: [(c.debunk_id, c.probability) for c in cands]
        for query, cands in zip(ids, checked, strict=True)
    }
    # Ranking quality of the whole cascade (an editor's search); what a check flags goes through the
    # gate, so the operating points are read from the gated results, and their MAP@5 is kept beside.
    metrics = evaluate_rankings(rankings(searched), relevant)
    metrics["gated_map@5"] = evaluate_rankings(rankings(checked), relevant)["map@5"]
    metrics.update(
        operating_points(
            found,
            relevant,
            match_threshold=matcher.match_threshold,
            suggest_threshold=matcher.suggest_threshold,
        )
    )
    search_seconds = seconds.get("search_gated", seconds["search"])
    metrics["queries_per_s"] = len(ids) / search_seconds if search_seconds > 0 else float("inf")
    return RetrievalReport(
        metrics=metrics,
        queries=len(ids),
        debunks=len(collection.debunks),
        collapsed=collection.collapsed,
        unmapped_qrels=unmapped,
        match_threshold=matcher.match_threshold,
        suggest_threshold=matcher.suggest_threshold,
        seconds=seconds,
    )


def _map_qrels(
    qrels: Mapping[str, Iterable[str]], mapping: Mapping[str, int]
) -> tuple[dict[str, set[int]], int]:
    relevant: dict[str, set[int]] = {}
    unmapped = 0
    for query, vclaims in qrels.items():
        for vclaim in vclaims:
            debunk_id = mapping.get(vclaim)
            if debunk_id is None:
                unmapped += 1
                continue
            relevant.setdefault(query, set()).add(debunk_id)
    return relevant, unmapped
