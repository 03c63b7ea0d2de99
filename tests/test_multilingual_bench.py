"""The hand-written multilingual dev set (bench/multilingual_dev/) is well formed and only uses
verified claims that are gold for a CLEF-2020 train/dev tweet, so it never touches held-out data."""

from __future__ import annotations

import csv
import json
from collections import Counter
from typing import Any

import multilingual

from tests.conftest import shared_data

LANGUAGES = multilingual.LANGUAGES
TASK = "clef2020_task2_claim_retrieval"


def _lines(name: str) -> list[dict[str, Any]]:
    with (multilingual.DEV / name).open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _gold_vclaims() -> set[str]:
    gold: set[str] = set()
    for split in ("train", "dev"):
        with shared_data(TASK, split, "tweet-vclaim-pairs.qrels").open(encoding="utf-8") as handle:
            gold.update(line.split("\t")[2] for line in handle if line.strip())
    return gold


def _vclaim_ids() -> set[str]:
    with shared_data(TASK, "verified_claims.docs.tsv").open(encoding="utf-8", newline="") as handle:
        return {row[0].strip() for row in list(csv.reader(handle, delimiter="\t"))[1:] if row}


def test_posts_have_the_schema_and_the_minimum_counts() -> None:
    posts = _lines("posts.jsonl")
    assert all(set(p) == {"id", "language", "text", "vclaim_id", "split"} for p in posts)
    assert len({p["id"] for p in posts}) == len(posts)
    assert all(p["id"].startswith(f"{p['language']}-") and p["text"].strip() for p in posts)
    assert {p["split"] for p in posts} == {"tune", "check"}
    per_language = Counter(p["language"] for p in posts)
    assert set(per_language) == set(LANGUAGES)
    assert all(per_language[language] >= 60 for language in LANGUAGES)
    assert len({p["vclaim_id"] for p in posts}) >= 120


def test_tune_and_check_never_share_a_claim() -> None:
    posts = _lines("posts.jsonl")
    tune = {p["vclaim_id"] for p in posts if p["split"] == "tune"}
    check = {p["vclaim_id"] for p in posts if p["split"] == "check"}
    assert tune and check and not tune & check
    assert all(p["split"] == multilingual.split_of(p["vclaim_id"]) for p in posts)


def test_the_benchmark_reads_each_half() -> None:
    posts, news = multilingual.load_posts(), multilingual.load_news()
    assert len(posts) == len(_lines("posts.jsonl")) and len(news) == len(_lines("news.jsonl"))
    halves = [multilingual.load_posts("tune"), multilingual.load_posts("check")]
    assert sum(map(len, halves)) == len(posts)
    assert all(p.vclaim_id for p in posts) and not any(n.vclaim_id for n in news)


def test_every_post_restates_a_gold_claim_of_the_train_or_dev_split() -> None:
    known, gold = _vclaim_ids(), _gold_vclaims()
    claims = {p["vclaim_id"] for p in _lines("posts.jsonl")}
    assert claims <= known
    assert claims <= gold


def test_news_sentences_have_the_schema_and_half_per_split() -> None:
    news = _lines("news.jsonl")
    assert all(set(n) == {"id", "language", "text", "split"} for n in news)
    assert len({n["id"] for n in news}) == len(news)
    per_language = Counter(n["language"] for n in news)
    assert set(per_language) == set(LANGUAGES)
    assert all(per_language[language] >= 20 for language in LANGUAGES)
    for language in LANGUAGES:
        splits = Counter(n["split"] for n in news if n["language"] == language)
        assert splits["tune"] == splits["check"]
