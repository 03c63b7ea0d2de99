"""Reported speech: the clause a sentence reports, and where it is."""

from __future__ import annotations

import pytest

from factcheck.reported import reported_clause

MASKS = (
    "He added that some patients still believe that wearing a face mask lowers your oxygen levels "
    "dangerously, a claim he called 'simply wrong.'"
)


@pytest.mark.parametrize(
    ("sentence", "clause"),
    [
        (MASKS, "wearing a face mask lowers your oxygen levels dangerously"),
        ("Another said that 5G towers spread the coronavirus.", "5G towers spread the coronavirus"),
        ("Someone told me 5G towers spread the coronavirus.", "5G towers spread the coronavirus"),
        ("They claim 5G towers spread the coronavirus!", "5G towers spread the coronavirus"),
        ('My neighbour says: "the vaccine makes you magnetic"', "the vaccine makes you magnetic"),
        ("The post — “drinking bleach cures the flu” — went viral.", "drinking bleach cures the flu"),
    ],
)
def test_the_reported_clause_and_its_span(sentence: str, clause: str) -> None:
    found = reported_clause(sentence)
    assert found is not None
    assert found.text == clause
    assert sentence[found.start : found.end] == clause


@pytest.mark.parametrize(
    "sentence",
    [
        "5G towers spread the coronavirus.",
        "Bill Gates is hiding tracking chips inside the covid jab.",
        "He said that it was fine.",  # too short to be a claim of its own
        '"They are putting microchips in the vaccine to track you."',  # quoted whole: stated
    ],
)
def test_a_sentence_that_states_its_claim_reports_nothing(sentence: str) -> None:
    assert reported_clause(sentence) is None
