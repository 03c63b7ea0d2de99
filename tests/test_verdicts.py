"""Stage 4: a claim's status follows its best fact-check's rating and where the confidence falls."""

from __future__ import annotations

from dataclasses import replace

import pytest

from factcheck.types import RATING_LABELS, Claim, ClaimVerdict, Debunk, Match
from factcheck.verdicts import (
    RATING_CLASS_OF,
    RATING_CLASS_WORDS,
    Thresholds,
    attributed_to,
    claim_status,
    rating_class,
    recorded_related_threshold,
    with_speakers_named,
)

THRESHOLDS = Thresholds(match=0.87, suggest=0.15, checkworthy=0.5, related=0.6)
CLAIM = Claim(
    text="Bill Gates warned in 2015 that the world was not ready for a deadly virus outbreak.",
    normalized="Bill Gates warned in 2015 that the world was not ready for a deadly virus outbreak.",
    start=0,
    end=83,
    checkworthiness=0.9,
)


def _match(label: str, probability: float) -> list[Match]:
    debunk = Debunk(claim_reviewed=CLAIM.text, label=label, id=1)  # type: ignore[arg-type]
    return [Match(debunk=debunk, score=1.0, probability=probability)]


@pytest.mark.parametrize(
    ("label", "status", "rating"),
    [
        ("false", "debunked", "refuted"),
        ("mostly_false", "debunked", "refuted"),
        ("misleading", "debunked", "refuted"),
        ("true", "fact_checked", "supported"),
        ("mostly_true", "fact_checked", "supported"),
        ("mixed", "fact_checked", "mixed"),
        ("unproven", "fact_checked", "unproven"),
        ("satire", "fact_checked", "satire"),
        ("other", "fact_checked", "other"),
    ],
)
def test_claim_status_is_debunked_only_when_the_matched_rating_refutes_the_claim(
    label: str, status: str, rating: str
) -> None:
    assert claim_status(CLAIM, _match(label, 1.0), THRESHOLDS) == status
    assert rating_class(label) == rating  # type: ignore[arg-type]


def test_every_rating_label_has_a_rating_class_with_words() -> None:
    assert set(RATING_CLASS_OF) == set(RATING_LABELS)
    assert set(RATING_CLASS_OF.values()) == set(RATING_CLASS_WORDS)


@pytest.mark.parametrize("label", RATING_LABELS)
def test_claim_status_is_possibly_related_between_the_related_and_match_thresholds_whatever_the_rating(
    label: str,
) -> None:
    assert claim_status(CLAIM, _match(label, 0.7), THRESHOLDS) == "possibly_related"
    assert claim_status(CLAIM, _match(label, 0.6), THRESHOLDS) == "possibly_related"
    assert claim_status(CLAIM, _match(label, 0.59), THRESHOLDS) == "needs_review"


def test_claim_status_has_no_possibly_related_tier_when_its_threshold_is_none() -> None:
    off = Thresholds(match=0.87, suggest=0.15, checkworthy=0.5)
    assert claim_status(CLAIM, _match("false", 0.7), off) == "needs_review"


def test_a_short_claim_over_the_match_threshold_is_only_possibly_related() -> None:
    short = Claim(
        text="Gates warned us.", normalized="Gates warned us.", start=0, end=16, checkworthiness=0.9
    )
    assert claim_status(short, _match("false", 0.99), THRESHOLDS) == "possibly_related"


def test_claim_status_without_a_candidate_falls_to_checkworthiness() -> None:
    assert claim_status(CLAIM, [], THRESHOLDS) == "no_match"
    dull = Claim(text="Hello there.", normalized="Hello there.", start=0, end=12, checkworthiness=0.1)
    assert claim_status(dull, [], THRESHOLDS) == "not_checkworthy"


def test_thresholds_refuse_a_related_threshold_outside_suggest_and_match() -> None:
    with pytest.raises(ValueError, match="related"):
        Thresholds(match=0.87, suggest=0.15, checkworthy=0.5, related=0.9)
    with pytest.raises(ValueError, match="related"):
        Thresholds(match=0.87, suggest=0.15, checkworthy=0.5, related=0.1)


@pytest.mark.parametrize(
    ("status", "shown"),
    [("debunked", True), ("fact_checked", True), ("possibly_related", True), ("needs_review", False)],
)
def test_a_verdict_shows_its_first_match_to_readers_only_for_shown_statuses(status: str, shown: bool) -> None:
    matches = tuple(_match("false", 0.9))
    verdict = ClaimVerdict(claim=CLAIM, status=status, matches=matches)  # type: ignore[arg-type]
    assert (verdict.shown is matches[0]) is shown


def test_the_recorded_related_threshold_is_ignored_once_the_matcher_is_retrained() -> None:
    record = {"threshold": 0.6, "match_threshold": 0.87}
    manifest = {"profiles": {"full": {"match_threshold": 0.87, "related_threshold": record}}}
    assert recorded_related_threshold(manifest, "full") == 0.6
    assert recorded_related_threshold(manifest, "fast") is None
    manifest["profiles"]["full"]["match_threshold"] = 0.9
    assert recorded_related_threshold(manifest, "full") is None


@pytest.mark.parametrize(
    ("claim_reviewed", "names"),
    [
        ("Joe Biden once said that Roe v. Wade went too far.", {"joe", "biden"}),
        (
            "In October 2019, U.S. President Donald Trump called Italy's president 'Mozzarella'.",
            {"donald", "trump"},
        ),
        ("Retired U.S. Army General Barry McCaffrey opined that Trump is a threat.", {"barry", "mccaffrey"}),
        ("Michelle Obama plagiarized parts of her 2008 speech.", set()),
        ('Police in Sweden admitted they are "no longer" investigating rape.', set()),  # one word: loose
        ('In May 2018, Pope Francis said people who own guns were "hypocrites".', set()),
        ("A video shows President Obama agreeing with President Trump on immigration.", set()),
    ],
)
def test_attributed_to_names_whom_a_quote_fact_check_is_about(claim_reviewed: str, names: set[str]) -> None:
    assert attributed_to(claim_reviewed) == names


def _verdict_on(text: str, sentence: str, claim_reviewed: str) -> ClaimVerdict:
    start = text.index(sentence)
    claim = Claim(
        text=sentence, normalized=sentence, start=start, end=start + len(sentence), checkworthiness=0.9
    )
    debunk = Debunk(claim_reviewed=claim_reviewed, label="false", id=7)
    return ClaimVerdict(
        claim=claim, status="debunked", matches=(Match(debunk=debunk, score=1.0, probability=0.97),)
    )


ROE = "Joe Biden once said that Roe v. Wade, the Supreme Court's abortion ruling, went too far."
ROE_SENTENCE = "I want a Supreme Court that will stick with Roe v. Wade and a woman's right to choose."


def test_a_quote_fact_check_is_not_a_match_where_the_paragraph_never_names_the_speaker() -> None:
    text = f"The debate turned to the courts.\n\n{ROE_SENTENCE} The audience applauded."
    [judged] = with_speakers_named([_verdict_on(text, ROE_SENTENCE, ROE)], text, THRESHOLDS)
    assert judged.status == "possibly_related"  # shown softly and queued for editors, never as false
    assert judged.matches[0].debunk.id == 7


@pytest.mark.parametrize(
    "paragraph",
    [
        f"Biden, in 1982: {ROE_SENTENCE}",  # the speaker in the same paragraph
        f"{ROE_SENTENCE} #ThanksJoeBiden (@someone) May 2, 2019",  # only in a hashtag
    ],
)
def test_a_quote_fact_check_stays_a_match_where_the_paragraph_names_the_speaker(paragraph: str) -> None:
    text = f"Another paragraph, about nobody.\n\n{paragraph}"
    [judged] = with_speakers_named([_verdict_on(text, ROE_SENTENCE, ROE)], text, THRESHOLDS)
    assert judged.status == "debunked"


def test_a_fact_check_not_about_what_someone_said_is_left_as_it_is() -> None:
    text = f"Nothing else here.\n\n{CLAIM.text}"
    verdict = _verdict_on(text, CLAIM.text, "Three cats in Wyoming were diagnosed with the bubonic plague.")
    assert with_speakers_named([verdict], text, THRESHOLDS) == [verdict]


def test_a_quote_fact_check_of_a_claim_in_another_language_is_left_as_it_is() -> None:
    text = f"Le débat.\n\n{ROE_SENTENCE}"
    verdict = _verdict_on(text, ROE_SENTENCE, ROE)
    french = replace(verdict, claim=replace(verdict.claim, language="fr"))
    assert with_speakers_named([french], text, THRESHOLDS) == [french]
