"""Web pages to Documents: main text, metadata, ClaimReview markup, hostile markup."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from factcheck.claimreview import claim_reviews_from_html
from factcheck.errors import InputError
from factcheck.evaluation.extraction import score_page, score_pages
from factcheck.ingest import document_from_html, ingest
from factcheck.ingest.html import html_to_text

FIXTURES = Path(__file__).parent / "fixtures" / "html"
BENCHMARK = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "article_extraction"


@pytest.fixture(scope="module")
def ingest_news_document():
    html = (FIXTURES / "news_article.html").read_text(encoding="utf-8")
    return document_from_html(html, url="https://gazette.example.org/news/2023/05/mill-road-cycle-lanes")


def test_document_from_html_keeps_the_article_and_drops_the_boilerplate(ingest_news_document) -> None:
    text = ingest_news_document.text
    assert text.count("\n\n") >= 6  # paragraphs separated by a blank line
    assert "protected cycle lanes along the full length of Mill Road" in text
    assert "until at least the autumn" in text
    for boilerplate in (
        "We use cookies",
        "Most read",
        "About time, this road",
        "All rights reserved",
        "Subscribe",
    ):
        assert boilerplate not in text


def test_document_from_html_reads_title_author_date_site_and_language(ingest_news_document) -> None:
    document = ingest_news_document
    assert document.title == "Council approves new cycle lanes on Mill Road"
    assert document.author == "Priya Natarajan"
    assert document.date is not None and document.date.isoformat() == "2023-05-17"
    assert document.site == "The Riverside Gazette"
    assert document.language == "en"
    assert document.source_url.endswith("mill-road-cycle-lanes")
    assert document.kind == "html"
    assert document.claim_reviews == ()


def test_document_from_html_returns_the_claimreviews_of_a_fact_check_page() -> None:
    document = ingest(FIXTURES / "factcheck_claimreview.html")
    [review] = document.claim_reviews
    assert review.claim_reviewed == "5G mobile networks spread the coronavirus."
    assert review.label == "false"
    assert review.review_url == "https://checkdesk.example.org/fact-check/5g-coronavirus"
    assert "Viruses cannot travel on radio waves" in document.text


def test_document_from_html_decodes_bytes_by_meta_charset() -> None:
    document = document_from_html((FIXTURES / "latin1_meta_charset.html").read_bytes())
    assert document.title == "Le café de la gare ferme ses portes"
    assert "Après quarante-deux ans d'activité" in document.text
    assert "Accueil" not in document.text


def test_document_from_html_falls_back_to_visible_text_for_a_fragment() -> None:
    document = document_from_html("<p>Obama was born in <b>Kenya</b>.</p><script>track()</script>")
    assert document.text == "Obama was born in Kenya."


def test_document_from_html_without_metadata_still_reads_the_page_fields(ingest_news_document) -> None:
    html = (FIXTURES / "news_article.html").read_text(encoding="utf-8")
    document = document_from_html(html, metadata=False)
    assert document.text == ingest_news_document.text
    assert document.title == "Council approves new cycle lanes on Mill Road"
    assert document.language == "en"


def test_document_from_html_gives_empty_text_for_a_page_without_text() -> None:
    document = document_from_html(
        "<html><head><title>Gallery</title></head><body><img src=a.jpg></body></html>"
    )
    assert document.text == ""
    assert document.title == "Gallery"


@pytest.mark.parametrize(
    "markup",
    [
        "<html><body>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000 + "</body></html>",
        "<html><body>" + "<b><i>" * 50_000 + "never closed",
    ],
)
def test_document_from_html_refuses_100k_nested_tags_without_recursion_error(markup: str) -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match="nests elements"):
        document_from_html(markup)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("markup", "first_words"),
    [
        (
            "<html><body><p>Unclosed <b>bold <i>and <div>nested</p></span></html></td><p>Second line</p>",
            ["Unclosed", "bold", "and", "nested"],
        ),
        ("<html><body><table><tr><td>cell<td>cell</table></tr></body>", ["cell", "cell"]),
        ("<<<>>> <p <p>> </ </html", []),
        ("<html>" + "<p>x" * 1_000, ["x"] * 1_000),
    ],
)
def test_document_from_html_survives_malformed_markup(markup: str, first_words: list[str]) -> None:
    text = document_from_html(markup).text
    assert re.findall(r"\w+", text)[: len(first_words)] == first_words
    assert "<p" not in text and "</" not in text


def test_document_from_html_refuses_a_page_with_too_many_elements_quickly() -> None:
    started = time.monotonic()
    with pytest.raises(InputError, match="HTML elements"):
        document_from_html("<html><body>" + "<p>x" * 60_000)
    assert time.monotonic() - started < 2


def test_claim_reviews_from_html_ignores_json_nested_too_deeply_to_parse() -> None:
    markup = (
        '<script type="application/ld+json">' + "[" * 100_000 + '{"@type": "ClaimReview"}' + "]" * 100_000
    )
    assert claim_reviews_from_html(markup + "</script>") == ()


def test_html_to_text_quotes_blockquotes_and_keeps_line_breaks() -> None:
    markup = (
        "<div>Is this true?<br>Really?</div><blockquote><p>Quoted claim</p>"
        "<blockquote>deeper</blockquote></blockquote><script>x()</script><p>After</p>"
    )
    assert html_to_text(markup).split("\n") == [
        "Is this true?",
        "Really?",
        ">",
        "> Quoted claim",
        "> >",
        "> > deeper",
        "",
        "After",
    ]


SPLIT_BODY = "grid--item body body__container article__body"


def _split_body_page(second_part: str) -> str:
    """An article whose body is cut in two containers of one class by an ad, as Wired's pages are."""

    def paragraphs(part: str) -> str:
        return "".join(
            f"<p>Part {part} paragraph {n} explains how the neo-banks promise convenience to customers "
            "who are short of money, and what that costs them over time in fees and lost savings.</p>"
            for n in range(6)
        )

    return f"""<html><head><title>The future of banking</title></head><body><main><article>
<h1>The future of banking is you're broke</h1>
<div class="grid"><div class="{SPLIT_BODY}">{paragraphs("one")}</div></div>
<div class="ad-slot"><p>Advertisement</p></div>
<div class="grid"><div class="{SPLIT_BODY}">{second_part}</div></div>
<div class="grid"><div class="{SPLIT_BODY}"><p>Read more</p><p>Subscribe</p></div></div>
</article></main><footer><p>Copyright</p></footer></body></html>"""


def test_document_from_html_reads_every_part_of_a_body_split_by_ads() -> None:
    hoax = "Bill Gates admitted that vaccines are designed to depopulate the world, a leaked memo shows."
    second = "".join(
        f"<p>Part two, paragraph {n}, goes on about overdraft fees and payday loans.</p>" for n in range(3)
    )
    text = document_from_html(_split_body_page(f"{second}<p>{hoax}</p>")).text

    assert text.index("Part one paragraph 5") < text.index("Part two, paragraph 0") < text.index(hoax)
    assert "Read more" not in text  # a same-class container of a few words is not body text
    assert "Advertisement" not in text


def test_document_from_html_adds_no_container_of_another_class() -> None:
    sidebar = "".join(
        f"<p>Related story {n}: how to pick a bank that treats you well in hard times.</p>" for n in range(4)
    )
    page = _split_body_page("<p>Short.</p><p>Also short.</p>").replace(
        "</article>", f'<div class="related-stories">{sidebar}</div></article>'
    )
    assert "Related story" not in document_from_html(page).text


@pytest.mark.skipif(not BENCHMARK.is_dir(), reason="shared article_extraction data not present")
def test_document_from_html_scores_high_on_benchmark_pages() -> None:
    truth = json.loads((BENCHMARK / "ground_truth.json").read_text(encoding="utf-8"))
    page_ids = sorted(truth)[:12]
    scores = [
        score_page(
            page_id,
            truth[page_id]["articleBody"],
            document_from_html(
                (BENCHMARK / "html" / f"{page_id}.html").read_bytes(), url=truth[page_id]["url"]
            ).text,
        )
        for page_id in page_ids
    ]
    assert score_pages(scores).shingle_f1 > 0.9
