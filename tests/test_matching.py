"""The claim matcher with the shipped artifacts (models/matcher, models/embeddings/static): no training."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from factcheck.errors import ModelArtifactError
from factcheck.matching import Candidate, IndexEntry, Matcher, clean_query, entries_from_debunks
from factcheck.matching.crossencoder import CrossEncoderScorer
from factcheck.matching.embeddings import TransformerEncoder
from factcheck.matching.matcher import Gate
from factcheck.matching.reranker import read_manifest
from factcheck.matching.text import profile
from factcheck.store import Store
from factcheck.types import Debunk

MODELS = Path(__file__).resolve().parent.parent / "models"

DEBUNKS = [
    Debunk(
        claim_reviewed="5G mobile networks spread the coronavirus.",
        title="Do 5G Towers Spread COVID-19?",
        label="false",
        id=1,
    ),
    Debunk(
        claim_reviewed="Drinking bleach cures COVID-19.",
        title="Can Drinking Bleach Cure the Coronavirus?",
        label="false",
        id=2,
    ),
    Debunk(
        claim_reviewed="Bill Gates wants to implant microchips in people through vaccines.",
        title="Is Bill Gates Planning to Microchip Everyone?",
        label="false",
        id=3,
    ),
    Debunk(
        claim_reviewed="The Great Wall of China is visible from the Moon with the naked eye.",
        title="Can You See the Great Wall of China From Space?",
        label="false",
        id=4,
    ),
    Debunk(
        claim_reviewed="Barack Obama was born in Kenya.",
        title="Was Obama Born in Kenya?",
        label="false",
        id=5,
    ),
    Debunk(
        claim_reviewed="Wombats are herding other animals into their burrows to save them from the Australian fires.",
        title="Are Wombats Saving Animals From the Australian Bushfires?",
        label="mostly_false",
        id=6,
    ),
    Debunk(
        claim_reviewed="McDonald's restaurants are offering $1 any size fries between May 18 and 31.",
        title="$1 McDonald's Any Size Fries",
        label="true",
        id=7,
    ),
    Debunk(
        claim_reviewed="Eating carrots improves your night vision.",
        title="Do Carrots Help You See in the Dark?",
        label="mostly_false",
        id=8,
    ),
]

PARAPHRASES = [
    ("The new 5G phone masts are what is spreading the corona virus!", 1),
    ("Bill Gates is going to put a chip in all of us with the vaccine", 3),
    ("you can see the great wall of china from the moon", 4),
    ("Obama's real birthplace is Kenya, not Hawaii", 5),
    (
        "Wombats are heroes: they shepherd animals into their holes to escape the bushfires #AustralianFires",
        6,
    ),
]


class CountingEncoder:
    """MiniLM, counting how many texts it was asked to encode (to see the cache at work)."""

    def __init__(self) -> None:
        shipped = read_manifest(MODELS / "matcher")["transformer_dir"]
        self.inner = TransformerEncoder(MODELS / "embeddings" / shipped)
        self.model_id, self.dim = self.inner.model_id, self.inner.dim
        self.encoded = 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.encoded += len(texts)
        return self.inner.encode(texts)


@pytest.fixture(scope="module")
def fast_matcher() -> Matcher:
    matcher = Matcher.load(MODELS, profile="fast")
    matcher.index(entries_from_debunks(DEBUNKS))
    return matcher


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('matching') / 'vectors.db'}")
    store.migrate()
    return store


@pytest.fixture(scope="module")
def full_matcher(store: Store) -> Matcher:
    matcher = Matcher.load(MODELS, vector_cache=store)
    matcher.index(entries_from_debunks(DEBUNKS))
    return matcher


@pytest.mark.parametrize("profile_name", ["fast", "full"])
def test_search_ranks_the_debunk_first_for_paraphrases(
    profile_name: str, request: pytest.FixtureRequest
) -> None:
    matcher: Matcher = request.getfixturevalue(f"{profile_name}_matcher")
    results = matcher.search([text for text, _ in PARAPHRASES], k=3)
    assert [found[0].debunk_id for found in results] == [debunk_id for _, debunk_id in PARAPHRASES]


def test_search_returns_each_debunk_once_with_probabilities_in_unit_interval(full_matcher: Matcher) -> None:
    [found] = full_matcher.search(["5G masts spread coronavirus, drink bleach to cure it"], k=8)
    ids = [candidate.debunk_id for candidate in found]
    assert len(ids) == len(set(ids)) == len(DEBUNKS)
    assert all(isinstance(candidate, Candidate) for candidate in found)
    assert all(0.0 <= candidate.probability <= 1.0 for candidate in found)
    assert [c.score for c in found] == sorted((c.score for c in found), reverse=True)
    assert found[0].matched_text


def test_the_shipped_full_profile_gates_minilm_with_the_fast_cascade() -> None:
    gate = Matcher.load(MODELS).gate
    assert gate is not None and 0.0 < gate.threshold < 1.0
    assert Matcher.load(MODELS, profile="fast").gate is None


@pytest.mark.parametrize("threshold", [0.0, 2.0])
def test_only_claims_that_pass_the_gate_are_encoded_by_minilm(
    threshold: float, fast_matcher: Matcher
) -> None:
    shipped = Matcher.load(MODELS)
    assert shipped.gate is not None
    encoder = CountingEncoder()
    gated = Matcher(
        reranker=shipped.reranker,
        static=shipped.static,
        transformer=encoder,
        config=shipped.config,
        gate=Gate(shipped.gate.reranker, threshold),
    )
    gated.index(entries_from_debunks(DEBUNKS))
    encoder.encoded = 0
    texts = [text for text, _ in PARAPHRASES] + ["Thanks for reading, and see you all next week."]
    found = gated.search(texts, k=3)
    if threshold == 0.0:  # everything passes: the full cascade's answer
        assert encoder.encoded == len(texts)
        ungated = Matcher(
            reranker=shipped.reranker, static=shipped.static, transformer=encoder, config=shipped.config
        )
        ungated.index(entries_from_debunks(DEBUNKS))
        assert found == ungated.search(texts, k=3)
    else:  # nothing passes: MiniLM never runs and the fast cascade answers
        assert encoder.encoded == 0
        assert found == fast_matcher.search(texts, k=3)


class CountingScorer:
    """The shipped cross-encoder, recording which claims it read and with how many debunks."""

    def __init__(self, inner: CrossEncoderScorer) -> None:
        self.inner, self.model_id = inner, inner.model_id
        self.calls: list[tuple[str, int]] = []

    def logits(self, claim: str, debunks: Sequence[str]) -> np.ndarray:
        self.calls.append((claim, len(debunks)))
        return self.inner.logits(claim, debunks)


def test_the_shipped_full_profile_stacks_the_cross_encoder_on_its_best_few_candidates() -> None:
    pair = Matcher.load(MODELS).pair
    assert pair is not None and 1 <= pair.depth <= 5 and 0.0 <= pair.min_probability < 1.0
    assert pair.cross_weight > 0  # the stacking listens to the cross-encoder
    assert Matcher.load(MODELS, profile="fast").pair is None


def test_the_cross_encoder_reads_only_the_top_candidates_of_claims_near_a_debunk(store: Store) -> None:
    matcher = Matcher.load(MODELS, vector_cache=store)
    assert matcher.pair is not None
    scorer = CountingScorer(matcher.pair.scorer)
    matcher.pair = dataclasses.replace(matcher.pair, scorer=scorer)  # type: ignore[arg-type]
    matcher.index(entries_from_debunks(DEBUNKS))
    unrelated = "Thanks for reading, and see you all next week."
    texts = [text for text, _ in PARAPHRASES] + [unrelated]
    found = matcher.search(texts, k=5, gated=False)
    read = dict(scorer.calls)
    assert all(count <= matcher.pair.depth for count in read.values())
    assert clean_query(unrelated) not in read  # far from every debunk: the re-ranker alone answers
    assert [c[0].debunk_id for c in found[: len(PARAPHRASES)]] == [d for _, d in PARAPHRASES]
    for text, candidates in zip(texts, found, strict=True):
        assert [c.score for c in candidates] == sorted((c.score for c in candidates), reverse=True)
        if clean_query(text) in read:  # stacked: the score is the log-odds of the probability
            assert all(c.probability == pytest.approx(1 / (1 + np.exp(-c.score))) for c in candidates)


def test_a_cross_encoder_other_than_the_one_stacked_is_refused(tmp_path: Path) -> None:
    shutil.copytree(MODELS / "matcher", tmp_path / "matcher")
    shutil.copytree(MODELS / "embeddings", tmp_path / "embeddings", symlinks=True)
    manifest = read_manifest(tmp_path / "matcher")
    manifest["profiles"]["full"]["pair"]["model_id"] = "minilm-crossencoder-int8:000000000000:48"
    (tmp_path / "matcher" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ModelArtifactError, match="cross-encoder"):
        Matcher.load(tmp_path)


@pytest.mark.parametrize("profile_name", ["fast", "full"])
def test_thresholds_are_ordered_probabilities(profile_name: str) -> None:
    matcher = Matcher.load(MODELS, profile=profile_name)  # type: ignore[arg-type]
    assert 0.0 <= matcher.suggest_threshold <= matcher.match_threshold <= 1.0


def test_add_makes_a_new_debunk_findable_and_writes_its_vectors_to_the_cache(store: Store) -> None:
    encoder = CountingEncoder()
    loaded = Matcher.load(MODELS, vector_cache=store)
    matcher = Matcher(reranker=loaded.reranker, static=loaded.static, transformer=encoder, vector_cache=store)
    matcher.index(entries_from_debunks(DEBUNKS))
    new = IndexEntry(42, "Putting an onion in your sock draws out the flu virus overnight.", "claim")
    before = encoder.encoded
    matcher.add([new])
    assert encoder.encoded == before + 1
    [found] = matcher.search(["sliced onions in socks cure the flu"], k=3)
    assert found[0].debunk_id == 42
    assert len(store.get_vectors(encoder.model_id, [_key(new.text)])) == 1
    # a restart over the same store encodes nothing that is already cached
    restarted = Matcher(
        reranker=loaded.reranker, static=loaded.static, transformer=encoder, vector_cache=store
    )
    before = encoder.encoded
    restarted.index([*entries_from_debunks(DEBUNKS), new])
    assert encoder.encoded == before


def test_add_a_variant_makes_its_debunk_findable_by_that_phrasing(fast_matcher: Matcher) -> None:
    fast_matcher.add(
        [IndexEntry(8, "Rabbits never need glasses: orange veggies give you eagle eyes at night", "variant")]
    )
    [found] = fast_matcher.search(["orange veggies give you eagle eyes at night"], k=1)
    assert found[0].debunk_id == 8


def test_remove_drops_a_debunk_from_results() -> None:
    matcher = Matcher.load(MODELS, profile="fast")
    matcher.index(entries_from_debunks(DEBUNKS))
    matcher.remove([5])
    [found] = matcher.search(["Obama was born in Kenya"], k=8)
    assert 5 not in {candidate.debunk_id for candidate in found}
    assert len(matcher) == len(DEBUNKS) - 1


def test_search_on_an_empty_index_returns_empty_lists() -> None:
    matcher = Matcher.load(MODELS, profile="fast")
    matcher.index([])
    assert matcher.search(["anything at all"], k=5) == [[]]


def test_load_raises_model_artifact_error_when_the_folder_is_empty(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactError, match="manifest"):
        Matcher.load(tmp_path)


def test_load_raises_model_artifact_error_when_the_reranker_is_corrupt(tmp_path: Path) -> None:
    shutil.copytree(MODELS / "matcher", tmp_path / "matcher")
    shutil.copytree(MODELS / "embeddings", tmp_path / "embeddings")
    (tmp_path / "matcher" / "reranker-fast.skops").write_bytes(b"not a zip file")
    with pytest.raises(ModelArtifactError, match="reranker-fast"):
        Matcher.load(tmp_path, profile="fast")


def test_load_raises_model_artifact_error_when_the_static_model_is_missing(tmp_path: Path) -> None:
    shutil.copytree(MODELS / "matcher", tmp_path / "matcher")
    with pytest.raises(ModelArtifactError, match="static"):
        Matcher.load(tmp_path, profile="fast")


def test_clean_query_drops_links_and_the_tweet_signature_and_keeps_names() -> None:
    tweet = (
        "Wow @someone look #AustralianFires https://t.co/abc pic.twitter.com/xyz "
        "— Center for Bio Div (@CenterForBioDiv) January 14, 2020"
    )
    assert clean_query(tweet) == "Wow someone look Australian Fires"


def test_profile_reads_numbers_dates_and_capitalised_runs() -> None:
    found = profile("Joe Biden said 5,000 jobs were lost on March 3, 2019, ten times more.")
    assert {"5000", "10"} <= found.numbers
    assert {"2019", "m3", "m3d3"} <= found.dates
    assert "joe biden" in found.entities


def _key(text: str) -> str:
    from factcheck._text import canonical_key

    return canonical_key(text)


def test_remove_then_add_replaces_a_debunks_texts() -> None:
    matcher = Matcher.load(MODELS, profile="fast")
    matcher.index(entries_from_debunks(DEBUNKS))
    matcher.remove([8])
    matcher.add([IndexEntry(8, "Sharks cannot get cancer, so shark cartilage pills prevent it.", "claim")])
    [found] = matcher.search(["shark cartilage pills prevent cancer because sharks never get it"], k=3)
    assert found[0].debunk_id == 8
    assert "carrot" not in found[0].matched_text.lower()
    assert len(matcher) == len(DEBUNKS)
