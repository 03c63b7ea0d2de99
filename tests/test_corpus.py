"""The curated corpus shipped in corpus/: it loads, every record validates, nothing is duplicated."""

from __future__ import annotations

import itertools
import re
from collections import Counter

import pytest

from factcheck.corpus import CORPUS_FILE, load_corpus
from factcheck.importers import read_records
from factcheck.store import SkippedRecord, Store
from factcheck.types import Debunk
from tests.conftest import REPO_ROOT

CORPUS_DIR = REPO_ROOT / "corpus"
THEMES = {"chain-email", "health", "social-media", "science", "politics"}


@pytest.fixture(scope="module")
def records() -> list[Debunk | SkippedRecord]:
    _, stream = read_records(CORPUS_DIR / CORPUS_FILE, format="jsonl")
    return list(stream)


def _words(text: str) -> set[str]:
    return set(re.findall(r"\w+", text.casefold()))


def test_every_record_validates(records: list[Debunk | SkippedRecord]) -> None:
    skipped = [r for r in records if isinstance(r, SkippedRecord)]
    assert skipped == []
    assert len(records) >= 300


def test_each_debunk_is_complete_enough_to_show_a_reader(records: list[Debunk]) -> None:
    for debunk in records:
        assert debunk.rating_text and debunk.reviewer_name and debunk.explanation, debunk.claim_reviewed
        assert 1 <= len(debunk.variants) <= 3, debunk.claim_reviewed
        assert set(debunk.tags) & THEMES, debunk.claim_reviewed
        assert debunk.review_url == "" or debunk.review_url.startswith("https://"), debunk.review_url


def test_all_five_themes_are_covered(records: list[Debunk]) -> None:
    themes = Counter(tag for debunk in records for tag in debunk.tags if tag in THEMES)
    assert set(themes) == THEMES
    assert min(themes.values()) >= 40


def test_no_two_records_duplicate_each_other(records: list[Debunk]) -> None:
    urls = [d.review_url for d in records if d.review_url]
    assert len(urls) == len(set(urls))
    phrasings = [text.casefold() for d in records for text in (d.claim_reviewed, *d.variants)]
    assert len(phrasings) == len(set(phrasings))
    for a, b in itertools.combinations(records, 2):
        words_a, words_b = _words(a.claim_reviewed), _words(b.claim_reviewed)
        overlap = len(words_a & words_b) / len(words_a | words_b)
        assert overlap < 0.8, (a.claim_reviewed, b.claim_reviewed)


def test_urls_come_from_the_shared_data_and_are_never_invented(records: list[Debunk]) -> None:
    """Snopes and PolitiFact links must be the ones the CheckThat! collections carry."""
    from tests.conftest import shared_data

    snopes = shared_data("clef2022_task2a_claim_retrieval_tweets", "vclaims.jsonl").read_text(
        encoding="utf-8"
    )
    politifact = shared_data("clef2022_task2b_claim_retrieval_debates", "politifact_vclaims.jsonl").read_text(
        encoding="utf-8"
    )
    for debunk in records:
        url = debunk.review_url
        if "snopes.com/fact-check/" in url:
            slug = url.rstrip("/").rsplit("/", 1)[-1]
            assert f'"vclaim-sno-{slug}"' in snopes or f'"{url}"' in snopes, url
        elif "politifact.com" in url:
            assert url.removeprefix("https://www.politifact.com") in politifact, url
        else:
            assert url == "", f"{url}: not from the shared data"


def test_the_corpus_loads_into_a_database_and_reloading_changes_nothing(sqlite_url: str) -> None:
    store = Store(sqlite_url)
    store.migrate()
    first = load_corpus(store, CORPUS_DIR)
    second = load_corpus(store, CORPUS_DIR)
    assert first.added >= 300 and first.skipped == []
    assert (second.added, second.updated) == (0, 0)
    assert store.count() == first.added
