"""Every import format, read without a database: shapes, fields, skipped records, bad files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from factcheck.claimreview import normalise_rating
from factcheck.errors import InputError, UnsupportedFormatError
from factcheck.importers import debunk_from_dict, read_records, write_records
from factcheck.store import SkippedRecord
from factcheck.types import Debunk
from tests.conftest import FIXTURES, shared_data

IMPORTS = FIXTURES / "imports"


def _read(path: Path, **options: object) -> tuple[str, list[Debunk], list[SkippedRecord]]:
    detected, records = read_records(path, **options)  # type: ignore[arg-type]
    items = list(records)
    return (
        detected,
        [item for item in items if isinstance(item, Debunk)],
        [item for item in items if isinstance(item, SkippedRecord)],
    )


def test_single_claimreview_object_keeps_every_field() -> None:
    detected, debunks, skipped = _read(IMPORTS / "claimreview_single.json")
    assert detected == "claimreview"
    assert skipped == []
    (debunk,) = debunks
    assert debunk.claim_reviewed == "COVID-19 vaccines contain microchips that track people."
    assert debunk.label == "false"
    assert (debunk.rating_text, debunk.rating_value, debunk.best_rating, debunk.worst_rating) == (
        "False",
        1,
        5,
        1,
    )
    assert debunk.reviewer_name == "Example Fact Check"
    assert debunk.reviewer_site == "factcheck.example.org"
    assert debunk.review_date == date(2021, 3, 2)
    assert debunk.claim_date == date(2021, 2, 20)
    assert debunk.claimant == "Viral Facebook post"
    assert debunk.appearance_urls == ("https://social.example.com/post/1",)
    assert debunk.title == "No, vaccines do not contain tracking microchips"


def test_graph_array_and_datafeed_shapes_are_all_read() -> None:
    _, graph, _ = _read(IMPORTS / "claimreview_graph.jsonld")
    assert [d.label for d in graph] == ["mostly_false", "mixed"]  # 3 of 1..5 is the middle of the scale
    _, array, _ = _read(IMPORTS / "array.json")
    assert [d.label for d in array] == ["unproven", "misleading"]
    _, feed, skipped = _read(IMPORTS / "datafeed.json")
    assert [d.claim_reviewed for d in feed] == [
        "5G towers spread the coronavirus.",
        "Bill Gates will pay you for forwarding this email.",
    ]
    assert [d.label for d in feed] == ["false", "satire"]
    assert [s.position for s in skipped] == [2]  # the item without claimReviewed


def test_claimreview_markup_in_a_fact_check_page() -> None:
    detected, debunks, _ = _read(IMPORTS / "factcheck_page.html")
    assert detected == "html"
    assert [(d.claim_reviewed, d.review_date) for d in debunks] == [
        ("Sharks do not get cancer.", date(2019, 5, 1))
    ]


def test_fact_check_tools_response() -> None:
    detected, debunks, skipped = _read(IMPORTS / "factchecktools.json")
    assert detected == "factchecktools"
    (debunk,) = debunks
    assert (debunk.claimant, debunk.label, debunk.reviewer_site) == (
        "Social media users",
        "mostly_false",
        "factcheck.example.org",
    )
    assert skipped[0].position == 2


def test_lazytruth_csv_columns_work_as_they_are() -> None:
    detected, debunks, skipped = _read(IMPORTS / "lazytruth.csv")
    assert detected == "csv"
    assert len(debunks) == 2
    assert debunks[0].claim_reviewed.startswith("FW: Do not pump gas")
    assert debunks[0].explanation.startswith("There is no documented case")
    assert debunks[0].review_url == "https://factcheck.example.org/phones-gas"
    assert debunks[0].label == "false"
    assert skipped and "claim_reviewed" in skipped[0].reason


def test_csv_in_another_encoding_is_detected() -> None:
    _, debunks, _ = _read(IMPORTS / "latin1.csv")
    assert debunks[0].claim_reviewed == "Le café déshydrate le corps."


def test_csv_mapping_names_unusual_columns(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Statement;Verdict\nThe moon landing was staged.;Pants on Fire\n", encoding="utf-8")
    _, debunks, _ = _read(path, csv_mapping={"claim_reviewed": "Statement", "rating_text": "Verdict"})
    assert (debunks[0].claim_reviewed, debunks[0].label) == ("The moon landing was staged.", "false")
    with pytest.raises(InputError, match="no column 'Nope'"):
        _read(path, csv_mapping={"claim_reviewed": "Nope"})


def test_broken_empty_and_binary_files_get_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="broken JSON"):
        _read(IMPORTS / "broken.json")
    with pytest.raises(InputError, match="empty"):
        _read(IMPORTS / "empty.json")
    binary = tmp_path / "image.json"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 10)
    with pytest.raises(InputError, match="binary"):
        _read(binary)
    unknown = tmp_path / "notes.txt"
    unknown.write_text("just some words", encoding="utf-8")
    with pytest.raises(UnsupportedFormatError, match="--format"):
        _read(unknown)


def test_jsonl_skips_bad_lines_with_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    lines = [
        '{"claim_reviewed": "Vaccines cause autism.", "label": "false"}',
        "{not json",
        '{"claim_reviewed": "", "label": "false"}',
        '{"claim_reviewed": "Ostriches bury their heads in sand.", "label": "not-a-label"}',
        '{"claim_reviewed": "Goldfish have a three-second memory.", "labl": "false"}',
        '{"claim_reviewed": "Bulls hate the colour red.", "review_date": "yesterday-ish"}',
    ]
    path.write_bytes(("\n".join(lines) + "\n").encode() + b'{"claim_reviewed": "\xff\xfe bad bytes"}\n')
    _, debunks, skipped = _read(path)
    assert [d.claim_reviewed for d in debunks] == ["Vaccines cause autism."]
    reasons = {s.position: s.reason for s in skipped}
    assert set(reasons) == {2, 3, 4, 5, 6, 7}
    assert "invalid JSON" in reasons[2]
    assert "claim_reviewed" in reasons[3]
    assert "not-a-label" in reasons[4]
    assert "labl" in reasons[5]
    assert "not a date" in reasons[6]
    assert "utf-8" in reasons[7]


def test_an_overlong_line_is_skipped_without_reading_it_whole(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    with path.open("wb") as handle:
        handle.write(b'{"claim_reviewed": "A short first record.", "label": "false"}\n')
        handle.write(b'{"claim_reviewed": "' + b"x" * (5 * 1024 * 1024) + b'"}\n')
        handle.write(b'{"claim_reviewed": "A short last record.", "label": "false"}\n')
    _, debunks, skipped = _read(path, max_record_bytes=64 * 1024)
    assert len(debunks) == 2
    assert skipped[0].position == 2 and "longer than" in skipped[0].reason


@pytest.mark.parametrize(
    ("rating", "expected"),
    [
        ("Pants on Fire!", "false"),
        ("Mostly False", "mostly_false"),
        ("Half-True", "mixed"),
        ("Miscaptioned", "misleading"),
        ("Labeled Satire", "satire"),
        ("Correct Attribution", "true"),
        ("Legend", "other"),
    ],
)
def test_published_ratings_map_onto_the_fixed_labels(rating: str, expected: str) -> None:
    assert normalise_rating(rating) == expected


def test_numeric_rating_decides_when_the_words_do_not() -> None:
    assert normalise_rating("", 1, 5, 1) == "false"
    assert normalise_rating("", 5, 5, 1) == "true"


def test_own_shape_rejects_unknown_keys_so_typos_do_not_pass() -> None:
    with pytest.raises(Exception, match="unknown field"):
        debunk_from_dict({"claim_reviewed": "x", "raiting": "False"})


def test_checkthat_verified_claim_files_are_detected() -> None:
    snopes_2020 = shared_data("clef2020_task2_claim_retrieval", "verified_claims.docs.tsv")
    detected, records = read_records(snopes_2020)
    first = next(records)
    assert detected == "checkthat-tsv"
    assert isinstance(first, Debunk) and first.external_id == "checkthat2020:0"

    snopes_2022 = shared_data("clef2022_task2a_claim_retrieval_tweets", "vclaims.jsonl")
    detected, records = read_records(snopes_2022)
    first = next(records)
    assert detected == "checkthat-snopes-jsonl"
    assert isinstance(first, Debunk)
    assert first.review_url == "https://www.snopes.com/fact-check/1-mcdonald39s-any-size-fries/"
    assert first.review_date == date(2015, 5, 26)

    politifact = shared_data("clef2022_task2b_claim_retrieval_debates", "politifact_vclaims.jsonl")
    detected, records = read_records(politifact)
    first = next(records)
    assert detected == "checkthat-politifact-jsonl"
    assert isinstance(first, Debunk)
    assert first.review_url.startswith("https://www.politifact.com/factchecks/2019/oct/30/")
    assert (first.label, first.claimant) == ("false", "GayDonna Vandergriff")


_FRENCH_CLAIMREVIEW = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "claimReviewed": "Les vaccins contiennent des puces électroniques.",
    "reviewRating": {"@type": "Rating", "alternateName": "Faux"},
    "author": {"@type": "Organization", "name": "Exemple Vérif"},
    "url": "https://verif.example.fr/puces",
}
_FRENCH_FACTCHECKTOOLS = {
    "claims": [
        {
            "text": "Les vaccins contiennent des puces électroniques.",
            "claimReview": [
                {
                    "publisher": {"name": "Exemple Vérif"},
                    "url": "https://verif.example.fr/puces",
                    "textualRating": "Faux",
                    "languageCode": "fr-FR",
                }
            ],
        }
    ]
}


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("tag.json", json.dumps({**_FRENCH_CLAIMREVIEW, "inLanguage": "fr-FR"})),
        (
            "object.json",
            json.dumps(
                {
                    **_FRENCH_CLAIMREVIEW,
                    "inLanguage": {"@type": "Language", "name": "French", "alternateName": "fr"},
                }
            ),
        ),
        ("name.json", json.dumps({**_FRENCH_CLAIMREVIEW, "inLanguage": "French"})),
        ("tools.json", json.dumps(_FRENCH_FACTCHECKTOOLS)),
        (
            "records.csv",
            "claim_reviewed,rating_text,reviewer_name,language\nLes vaccins contiennent des puces.,Faux,Exemple,fr\n",
        ),
        (
            "records.jsonl",
            json.dumps(
                {"claim_reviewed": "Les vaccins contiennent des puces.", "label": "false", "language": "FR"}
            )
            + "\n",
        ),
    ],
)
def test_import_keeps_the_language_of_every_format_as_a_code(tmp_path: Path, name: str, content: str) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    _, debunks, skipped = _read(path)
    assert skipped == []
    assert [debunk.language for debunk in debunks] == ["fr"]


@pytest.mark.parametrize("format", ["claimreview-jsonld", "jsonl", "csv"])
def test_export_then_import_keeps_the_language(tmp_path: Path, format: str) -> None:
    french = Debunk(
        claim_reviewed="Les vaccins contiennent des puces.",
        label="false",
        reviewer_name="Vérif",
        language="fr",
    )
    path = tmp_path / f"export.{ {'claimreview-jsonld': 'json', 'jsonl': 'jsonl', 'csv': 'csv'}[format] }"
    with path.open("w", encoding="utf-8") as handle:
        write_records(iter([french]), handle, format)
    _, debunks, _ = _read(path)
    assert [debunk.language for debunk in debunks] == ["fr"]
