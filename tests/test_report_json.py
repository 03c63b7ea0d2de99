"""The one report shape: the JSON the CLI prints and the API returns, field for field and in order."""

from __future__ import annotations

import json
from datetime import date

from api.schemas import CheckResponse
from factcheck.serialize import ClaimSpan, MatchOut, ReportOut
from factcheck.types import Claim, ClaimVerdict, ClassifierSignal, Debunk, Document, Match, Report

DEBUNK = Debunk(
    claim_reviewed="Vaccines contain microchips.",
    label="false",
    rating_text="False",
    reviewer_name="Snopes",
    reviewer_site="snopes.com",
    review_url="https://www.snopes.com/x",
    review_date=date(2021, 5, 4),
    title="Microchips?",
    explanation="No.",
    id=7,
    variants=("chips in vaccines",),
)
GATES = Claim(
    text="Bill Gates put microchips in the vaccine.",
    normalized="bill gates put microchips in the vaccine",
    start=10,
    end=51,
    checkworthiness=0.912345,
    prefix="FORWARD! ",
    suffix=" Share",
)
MOON = Claim(
    text="The moon is made of cheese.", normalized="the moon is made of cheese", start=52, end=79,
    checkworthiness=0.55555,
)  # fmt: skip
REPORT = Report(
    document=Document(
        text="x" * 80,
        title="T",
        author="A",
        date=date(2024, 1, 2),
        site="example.org",
        language="en",
        source_url="https://example.org/a",
        kind="html",
    ),
    claims=(
        ClaimVerdict(
            claim=GATES,
            status="debunked",
            matches=(
                Match(debunk=DEBUNK, score=float("inf"), probability=1.0, matched_text="chips in vaccines"),
                Match(debunk=DEBUNK, score=0.123456, probability=0.444444),
            ),
        ),
        ClaimVerdict(
            claim=MOON,
            status="no_match",
            signal=ClassifierSignal(
                label="false", false_probability=0.612345, label_probabilities={"false": 0.6}
            ),
        ),
    ),
    timings_ms={"ingest": 1.23456, "claims": 2.0},
)

SUMMARY = {
    "id": 7, "claim_reviewed": "Vaccines contain microchips.", "label": "false", "rating_text": "False",
    "reviewer_name": "Snopes", "reviewer_site": "snopes.com", "review_url": "https://www.snopes.com/x",
    "review_date": "2021-05-04", "language": "en", "title": "Microchips?", "explanation": "No.",
    "rating_class": "refuted",
}  # fmt: skip
GATES_SPAN = {
    "text": "Bill Gates put microchips in the vaccine.", "normalized": "bill gates put microchips in the vaccine",
    "start": 10, "end": 51, "prefix": "FORWARD! ", "suffix": " Share", "checkworthiness": 0.9123,
}  # fmt: skip
# What `report_to_dict` printed before the report shape became one pydantic model (the CLI's --json),
# plus the fields added since, each after the old ones: rating_class, fact_checked, possibly_related,
# the e-mail blocks (`blocks`, `reader_note`, `block`, `block_confidence`), the debunk's `language`,
# the claim's `reported` clause, and the claim's `language` and `checkworthiness_transferred`.
EXPECTED = {
    "document": {
        "title": "T",
        "author": "A",
        "date": "2024-01-02",
        "site": "example.org",
        "language": "en",
        "source_url": "https://example.org/a",
        "kind": "html",
        "text_length": 80,
        "text": None,
        "blocks": [],
        "reader_note": "",
    },
    "summary": {
        "claims": 2,
        "debunked": 1,
        "needs_review": 0,
        "no_match": 1,
        "not_checkworthy": 0,
        "fact_checked": 0,
        "possibly_related": 0,
    },
    "claims": [
        {
            **GATES_SPAN,
            "status": "debunked",
            "matches": [
                {
                    "debunk": SUMMARY,
                    "score": 1000000.0,
                    "confidence": 1.0,
                    "matched_text": "chips in vaccines",
                },
                {"debunk": SUMMARY, "score": 0.1235, "confidence": 0.4444, "matched_text": ""},
            ],
            "signal": None,
            "block": None,
            "block_confidence": None,
            "reported": None,
            "language": "en",
            "checkworthiness_transferred": False,
        },
        {
            "text": "The moon is made of cheese.",
            "normalized": "the moon is made of cheese",
            "start": 52,
            "end": 79,
            "prefix": "",
            "suffix": "",
            "checkworthiness": 0.5555,
            "status": "no_match",
            "matches": [],
            "signal": {
                "label": "false",
                "false_probability": 0.6123,
                "note": "weak signal from a text-only classifier; not a fact-check",
            },
            "block": None,
            "block_confidence": None,
            "reported": None,
            "language": "en",
            "checkworthiness_transferred": False,
        },
    ],
    "timings_ms": {"ingest": 1.23, "claims": 2.0},
}


def test_the_report_json_is_the_shape_it_always_was_in_the_same_order() -> None:
    dumped = ReportOut.of(REPORT).model_dump(mode="json")
    assert json.dumps(dumped) == json.dumps(EXPECTED)
    assert ReportOut.of(REPORT, include_text=True).model_dump(mode="json")["document"]["text"] == "x" * 80


def test_the_api_answer_is_the_same_report_with_its_request_id() -> None:
    answer = CheckResponse.of(REPORT, request_id="abc").model_dump(mode="json")
    assert answer == {**EXPECTED, "request_id": "abc"}


def test_a_match_and_a_claim_alone_dump_as_parts_of_the_report() -> None:
    assert (
        MatchOut.of(REPORT.claims[0].matches[1]).model_dump(mode="json")
        == EXPECTED["claims"][0]["matches"][1]
    )
    assert ClaimSpan.of(GATES).model_dump(mode="json") == GATES_SPAN
