"""Train the cross-lingual path's scorer (matching/crosslingual.py): fit on English, calibrate on French,
Spanish and German.

    fit        CLEF-2020 task 2 *train* tweets vs its 10,375 Snopes claims, read through the cross-lingual
               path as if they were in another language (e5 query vs passages, names and numbers), plus
               sentences without a debunk (news pages and debates, the matcher's train negatives): a
               logistic regression over features that mean the same in every language
    calibrate  the multilingual dev set's *tune* half (bench/multilingual_dev: fr/es/de posts restating a
               Snopes claim, and news sentences that must not be flagged): Platt scaling of the regression's
               log-odds, and the thresholds
    report     the same figures on the *check* half, which nothing was chosen on

Thresholds, on the top candidate's calibrated probability over tune posts and news:

    match    the lowest at which the top candidates are right >= 95 % of the time and no news sentence
             reaches it
    suggest  the lowest that at most 5 % of the news sentences reach (the editors' queue)
    related  the lowest whose band [related, match) is right >= 80 % of the time over >= MIN_BAND posts;
             None when none is
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from factcheck.errors import InputError
from factcheck.evaluation.retrieval import evaluate_rankings, load_collection, read_qrels, read_queries
from factcheck.matching import Matcher, entries_from_debunks
from factcheck.matching.crosslingual import (
    CrossLingual,
    CrossLingualCandidates,
    CrossLingualScorer,
)
from factcheck.matching.embeddings import MultilingualEncoder, VectorCache, encode_cached
from factcheck.training.matcher import negative_sentences

__all__ = ["CrossLingualReport", "DevItem", "read_multilingual_dev", "train_crosslingual"]

COLLECTION = "clef2020_task2_claim_retrieval/verified_claims.docs.tsv"
TRAIN_QUERIES = "clef2020_task2_claim_retrieval/train/tweets.queries.tsv"
TRAIN_QRELS = "clef2020_task2_claim_retrieval/train/tweet-vclaim-pairs.qrels"
TRAIN_NEGATIVES = 600  # sentences without a debunk among the matcher's train negatives
PRECISION_TARGET = 0.95
RELATED_PRECISION = 0.80
MIN_BAND = 5
MAX_NEWS_SUGGESTED = 0.05


@dataclass(frozen=True)
class DevItem:
    """A post of the multilingual dev set (with the verified claim it restates) or a news sentence."""

    id: str
    language: str
    text: str
    split: str
    vclaim_id: str | None = None


def read_multilingual_dev(folder: Path) -> list[DevItem]:
    """posts.jsonl and news.jsonl of bench/multilingual_dev (see its README)."""
    items = []
    for name in ("posts.jsonl", "news.jsonl"):
        path = folder / name
        if not path.is_file():
            raise InputError(f"multilingual dev data missing: {path}")
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                items.append(DevItem(**{key: row.get(key) for key in DevItem.__dataclass_fields__}))
    return items


class _CachedQueries:
    """Training only: e5 query vectors kept in the vector cache too (under their own model id)."""

    def __init__(self, encoder: MultilingualEncoder, cache: VectorCache | None) -> None:
        self.encoder, self.cache = encoder, cache
        self.model_id, self.dim = encoder.model_id, encoder.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:  # passages: the debunks
        return self.encoder.encode(texts)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return encode_cached(_QueryView(self), texts, self.cache)


class _QueryView:
    def __init__(self, owner: _CachedQueries) -> None:
        self.model_id, self.dim, self._owner = f"{owner.model_id}:query", owner.dim, owner

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self._owner.encoder.encode_queries(texts)


@dataclass
class CrossLingualReport:
    out_dir: Path
    scorer: CrossLingualScorer
    figures: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def train_crosslingual(
    data_dir: Path,
    dev_dir: Path,
    models_dir: Path,
    *,
    out_dir: Path,
    vector_cache: VectorCache | None = None,
    multilingual_model: Path | None = None,
) -> CrossLingualReport:
    """Fit, calibrate and judge the cross-lingual scorer; write `out_dir/scorer.json`."""
    from sklearn.linear_model import LogisticRegression

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="factcheck-xling-") as tmp:
        collection = load_collection(data_dir / COLLECTION, Path(tmp))
    encoder = _CachedQueries(MultilingualEncoder(multilingual_model), vector_cache)
    matcher = Matcher.load(models_dir, vector_cache=vector_cache, multilingual=False)
    matcher.crosslingual = CrossLingual(scorer=None, encoder=encoder)  # type: ignore[arg-type]
    matcher.index(entries_from_debunks(collection.debunks))

    queries = read_queries(data_dir / TRAIN_QUERIES)
    relevant = {
        q: {collection.vclaim_to_debunk[v] for v in vs if v in collection.vclaim_to_debunk}
        for q, vs in read_qrels(data_dir / TRAIN_QRELS).items()
        if q in queries
    }
    train_texts = [queries[q] for q in relevant] + negative_sentences(data_dir)["train"][:TRAIN_NEGATIVES]
    train_gold = [*relevant.values(), *([set()] * (len(train_texts) - len(relevant)))]
    found = matcher.crosslingual_candidates(train_texts, ["en"] * len(train_texts))
    features, labels = _pairs(found, train_gold)
    mean, scale = features.mean(axis=0), features.std(axis=0)
    scale[scale == 0] = 1.0
    regression = LogisticRegression(C=1.0, max_iter=2000).fit((features - mean) / scale, labels)
    scorer = CrossLingualScorer(
        mean=mean,
        scale=scale,
        coef=regression.coef_[0].astype(np.float64),
        intercept=float(regression.intercept_[0]),
    )

    dev = read_multilingual_dev(dev_dir)
    gold_of = _dev_gold(dev, collection.vclaim_to_debunk)
    halves: dict[str, tuple[list[DevItem], list[CrossLingualCandidates]]] = {}
    for half in ("tune", "check"):
        items = [item for item in dev if item.split == half]
        halves[half] = (
            items,
            matcher.crosslingual_candidates([i.text for i in items], [i.language for i in items]),
        )
    tune_items, tune_found = halves["tune"]
    tune_features, tune_labels = _pairs(tune_found, [gold_of.get(i.id, set()) for i in tune_items])
    platt = LogisticRegression(C=1e4, max_iter=2000).fit(scorer.raw(tune_features)[:, None], tune_labels)
    scorer = CrossLingualScorer(
        mean=mean,
        scale=scale,
        coef=scorer.coef,
        intercept=scorer.intercept,
        slope=float(platt.coef_[0][0]),
        bias=float(platt.intercept_[0]),
    )
    thresholds = choose_thresholds(*_tops(scorer, tune_items, tune_found, gold_of))
    figures = {
        half: _figures(scorer, thresholds, items, found_, gold_of) for half, (items, found_) in halves.items()
    }
    scorer = CrossLingualScorer(
        mean=scorer.mean,
        scale=scorer.scale,
        coef=scorer.coef,
        intercept=scorer.intercept,
        slope=scorer.slope,
        bias=scorer.bias,
        thresholds=thresholds,
        dev=figures,
    )
    scorer.save(
        out_dir,
        trained={
            "date": date.today().isoformat(),
            "fit": f"{TRAIN_QUERIES} ({len(relevant)} tweets) + {TRAIN_NEGATIVES} sentences without a debunk",
            "calibration": f"{dev_dir.name} tune half",
            "encoder": encoder.encoder.model_id,
        },
    )
    return CrossLingualReport(out_dir, scorer, figures, time.perf_counter() - started)


def _pairs(found: list[CrossLingualCandidates], gold: list[set[int]]) -> tuple[np.ndarray, np.ndarray]:
    rows = [c.features for c in found if len(c.debunk_ids)]
    labels = [
        np.asarray([d in g for d in c.debunk_ids], dtype=np.int8)
        for c, g in zip(found, gold, strict=True)
        if len(c.debunk_ids)
    ]
    return np.vstack(rows).astype(np.float64), np.concatenate(labels)


def _dev_gold(dev: list[DevItem], vclaim_to_debunk: dict[str, int]) -> dict[str, set[int]]:
    gold = {}
    for item in dev:
        if item.vclaim_id is not None:
            if item.vclaim_id not in vclaim_to_debunk:
                raise InputError(f"{item.id}: verified claim {item.vclaim_id} is not in {COLLECTION}")
            gold[item.id] = {vclaim_to_debunk[item.vclaim_id]}
    return gold


def _tops(
    scorer: CrossLingualScorer,
    items: list[DevItem],
    found: list[CrossLingualCandidates],
    gold_of: dict[str, set[int]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per item: the top candidate's probability, whether it is right, whether the item is a news sentence."""
    top, right = [], []
    for item, candidates in zip(items, found, strict=True):
        if not candidates.debunk_ids:
            top.append(0.0)
            right.append(False)
            continue
        probabilities = scorer.probability(candidates.features)
        best = int(np.argmax(probabilities))
        top.append(float(probabilities[best]))
        right.append(candidates.debunk_ids[best] in gold_of.get(item.id, ()))
    news = np.asarray([item.vclaim_id is None for item in items])
    return np.asarray(top), np.asarray(right), news


def choose_thresholds(top: np.ndarray, right: np.ndarray, news: np.ndarray) -> dict[str, float | None]:
    """Match, suggest and related thresholds (module docstring) from each tune item's top candidate."""
    candidates = np.unique(np.concatenate([top, [1.0]]))
    match = 1.0
    for threshold in candidates:  # ascending: the lowest that holds
        above = top >= threshold
        if not (news & above).any() and above.any() and right[above].mean() >= PRECISION_TARGET:
            match = float(threshold)
            break
    news_top = np.sort(top[news])[::-1]
    allowed = int(MAX_NEWS_SUGGESTED * len(news_top))
    suggest = float(np.nextafter(news_top[allowed], np.inf)) if allowed < len(news_top) else 0.0
    suggest = min(suggest, match)
    related = None
    for threshold in candidates[candidates >= suggest]:
        band = (top >= threshold) & (top < match)
        if band.sum() >= MIN_BAND and right[band].mean() >= RELATED_PRECISION:
            related = float(threshold)
            break
    return {"match": match, "suggest": suggest, "related": related}


def _figures(
    scorer: CrossLingualScorer,
    thresholds: dict[str, float | None],
    items: list[DevItem],
    found: list[CrossLingualCandidates],
    gold_of: dict[str, set[int]],
) -> dict[str, Any]:
    """Per language and overall: MAP@5, recall@5, recall at match / suggest, news reaching each threshold."""
    out: dict[str, Any] = {}
    for language in (*sorted({item.language for item in items}), "all"):
        chosen = [i for i, item in enumerate(items) if language in ("all", item.language)]
        posts = [i for i in chosen if items[i].vclaim_id is not None]
        news = [i for i in chosen if items[i].vclaim_id is None]
        rankings = {}
        for i in posts:
            probabilities = scorer.probability(found[i].features)
            rankings[items[i].id] = [
                found[i].debunk_ids[j] for j in np.argsort(-probabilities, kind="stable")
            ]
        metrics = evaluate_rankings(rankings, {items[i].id: gold_of[items[i].id] for i in posts})
        top, right, _ = _tops(scorer, [items[i] for i in chosen], [found[i] for i in chosen], gold_of)
        is_post = np.asarray([items[i].vclaim_id is not None for i in chosen])
        match, suggest = thresholds["match"] or 1.0, thresholds["suggest"] or 0.0
        out[language] = {
            "posts": len(posts),
            "map@5": round(metrics["map@5"], 4),
            "recall@5": round(metrics["recall@5"], 4),
            "recall_at_match": round(float((right & is_post & (top >= match)).sum() / max(len(posts), 1)), 4),
            "recall_at_suggest": round(
                float((right & is_post & (top >= suggest)).sum() / max(len(posts), 1)), 4
            ),
            "wrong_at_match": int((~right & (top >= match)).sum()),
            "news": len(news),
            "news_at_match": int((~is_post & (top >= match)).sum()),
            "news_at_suggest": int((~is_post & (top >= suggest)).sum()),
        }
    return out
