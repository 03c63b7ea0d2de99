"""The dev end-to-end benchmark's page builder and scoring helpers (bench/e2e.py)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import e2e

from factcheck.ingest.html import document_from_html
from tests.conftest import shared_data

TWEET = (
    "Did you know? The 5G towers spread the virus. #COVID19 #5G https://t.co/abc123 "
    "— Jane Doe (@janedoe) March 3, 2020"
)


def _carrier(body_paragraphs: list[str]) -> e2e.Carrier:
    markup = (
        "<html><head><title>News</title></head><body><nav><p>Home | World | Sport and weather</p></nav>"
        "<article>" + "".join(f"<p>{text}</p>" for text in body_paragraphs) + "</article>"
        "<footer><p>Copyright 2020 The Example Times, all rights reserved.</p></footer></body></html>"
    )
    return e2e.Carrier("p" * 64, "https://example.org/story", markup, "\n\n".join(body_paragraphs))


def test_plant_points_are_only_after_paragraphs_of_the_gold_body() -> None:
    body = [
        f"Paragraph {i} of the article says something long enough to be a body paragraph." for i in range(3)
    ]
    carrier = _carrier(body)
    points = e2e.plant_points(carrier)
    assert len(points) == 3
    assert all(carrier.html[point - 4 : point] == "</p>" for point in points)
    assert all(carrier.html.index("<footer>") > point > carrier.html.index("<article>") for point in points)


def test_plant_escapes_the_text_and_changes_nothing_else() -> None:
    planted = e2e.plant("<p>a</p><p>b</p>", "x < y & z", 8)
    assert planted == "<p>a</p>\n<p>x &lt; y &amp; z</p><p>b</p>"


def test_planted_span_finds_the_text_despite_changed_spaces_and_case() -> None:
    text = "Before it.\n\nDID you know?  The 5G towers spread the virus. #COVID19\n\nAfter it."
    start, end = e2e.planted_span(text, TWEET)
    assert text[start:end].startswith("DID you know")
    assert text[end:].startswith("\n\nAfter")
    assert e2e.planted_span("Nothing of it here at all.", TWEET) is None


def test_build_pages_plants_each_tweet_inside_the_extracted_main_text() -> None:
    shared_data("article_extraction", "ground_truth.json")
    carriers = e2e.dev_carriers()[:6]
    tweets = [e2e.Tweet(str(i), f"{TWEET} number {i}", frozenset({"1"})) for i in range(8)]
    pages = e2e.build_pages(carriers, tweets)
    planted = [p for p in pages if p.tweet is not None]
    assert len(planted) == 8
    assert [p.carrier for p in pages if p.tweet is None] == carriers  # every carrier, untouched
    assert all(p.html == p.carrier.html for p in pages if p.tweet is None)
    assert e2e.build_pages(carriers, tweets) == pages  # deterministic
    extracted = 0
    for page in planted:
        assert page.tweet is not None
        document = document_from_html(page.html, page.carrier.url)
        clean = document_from_html(page.carrier.html, page.carrier.url)
        if e2e.planted_span(clean.text, page.tweet.text) is None and (
            span := e2e.planted_span(document.text, page.tweet.text)
        ):
            extracted += 1
            assert document.text[span[0] : span[1]].startswith("Did you know")
    # the extractor keeps the paragraph on nearly every page (a page whose article it cuts short may drop it)
    assert extracted >= 7


def test_status_under_other_thresholds_follows_claim_status() -> None:
    claim = {
        "text": "The 5G towers spread the virus all over the town.",
        "normalized": "The 5G towers spread the virus all over the town.",
        "start": 0,
        "end": 49,
        "checkworthiness": 0.9,
        "status": "needs_review",
        "matches": [
            {"debunk": {"id": 7, "claim_reviewed": "5G spreads COVID", "label": "false"}, "confidence": 0.6}
        ],
    }
    unrated = {
        **claim,
        "matches": [{"debunk": {"id": 7, "claim_reviewed": "5G spreads COVID"}, "confidence": 0.6}],
    }
    loose = e2e.status_under(e2e.Thresholds(match=0.5, suggest=0.2, checkworthy=0.5))
    strict = e2e.status_under(e2e.Thresholds(match=0.9, suggest=0.7, checkworthy=0.5))
    assert loose(claim) == "debunked"
    assert loose(unrated) == "fact_checked"  # a match all the same: CheckThat!'s Snopes claims have no rating
    assert e2e.is_hit([unrated], {7}, "match", loose)
    assert strict(claim) == "no_match"
    assert e2e.is_hit([claim], {7}, "match", loose)
    assert not e2e.is_hit([claim], {7}, "suggest", strict)


def test_database_copy_keeps_the_runs_writes_out_but_merges_its_vectors_back(tmp_path: Path) -> None:
    from _server import database_copy

    prepared = tmp_path / "prepared.db"
    with sqlite3.connect(prepared) as connection:
        connection.execute(
            "CREATE TABLE text_vectors (model_id TEXT, text_key TEXT, vector BLOB, PRIMARY KEY (model_id, text_key))"
        )
        connection.execute("CREATE TABLE review_items (claim TEXT)")
        connection.execute("INSERT INTO text_vectors VALUES ('m', 'old', x'00')")
    with database_copy(prepared) as copy:
        assert copy != prepared
        with sqlite3.connect(copy) as connection:
            connection.execute("INSERT INTO text_vectors VALUES ('m', 'new', x'01')")
            connection.execute("INSERT INTO review_items VALUES ('queued by the run')")
    with sqlite3.connect(prepared) as connection:
        assert sorted(k for (k,) in connection.execute("SELECT text_key FROM text_vectors")) == ["new", "old"]
        assert connection.execute("SELECT count(*) FROM review_items").fetchone() == (0,)
