"""Stage 2: sentence spans, normalisation, joining, dropping, and scoring with the shipped model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import spacy
from spacy.attrs import SENT_START
from typer.testing import CliRunner

from factcheck.checkworthiness import CheckworthinessModel
from factcheck.claims import (
    CONTEXT_CHARS,
    candidate_spans,
    claim_windows,
    extract_claims,
    normalize_claim_text,
    sentence_pipeline,
    sentence_spans,
)
from factcheck.cli import app
from factcheck.types import Document
from tests.conftest import shared_data

MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "checkworthiness"


@pytest.fixture(scope="session")
def model() -> CheckworthinessModel:
    return CheckworthinessModel.load(MODEL_DIR)


def _texts(text: str) -> list[str]:
    return [text[c.span.start : c.span.end] for c in candidate_spans(text)]


@pytest.mark.parametrize(
    "text",
    [
        "The unemployment rate fell to 3.5 percent in 2019. Crime rose by 10% in Chicago last year.",
        "Café owners in Zürich say prices rose 12%.   Naïve résumé writers earn €40,000 a year!",
        "🚨🚨 BREAKING: Vaccines contain microchips 💉📡!!! Share if you agree 🙏\nhttps://t.co/abc",
        "Line one has a claim about taxes rising.\r\nLine two says the mayor stole $5 million.\n\n\nDone here now.",
        "  \t Leading whitespace and   multiple   spaces everywhere in this sentence.  \n  ",
        "日本の人口は減少している. The population of Japan fell by 500,000 people in 2020 👨‍👩‍👧.",
        "He said: “The wall will be paid for by Mexico.” Then he left the stage quickly.",
        "- Masks reduce transmission by 50%.\n• Schools closed for 3 months in 2020.\n1. Taxes went up twice.",
    ],
)
def test_extract_claims_spans_index_the_document_text_exactly(text: str, model: CheckworthinessModel) -> None:
    claims = extract_claims(Document(text=text), scorer=model)
    assert claims
    for claim in claims:
        assert text[claim.start : claim.end] == claim.text
        assert claim.text == claim.text.strip()
        assert claim.prefix == text[max(0, claim.start - CONTEXT_CHARS) : claim.start]
        assert claim.suffix == text[claim.end : claim.end + CONTEXT_CHARS]
        assert 0.0 <= claim.checkworthiness <= 1.0
    assert [c.start for c in claims] == sorted(c.start for c in claims)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        (
            "BREAKING: 5G towers spread the virus!!! https://t.co/x Share if you agree",
            "5G towers spread the virus!",
        ),
        (
            "RT @foo: JUST IN: Bill Gates admits vaccines kill ‼️‼️ #COVID19",
            "Bill Gates admits vaccines kill COVID19",
        ),
        ("@ann @bob Vaccines are safe, says @WHO.", "Vaccines are safe, says WHO."),
        (
            "🚨🚨 URGENT!!! Drinking bleach cures corona?!?! Please forward to everyone you know!!",
            "Drinking bleach cures corona?",
        ),
        ("ALERT‼️‼️ The virus spreads through money.", "The virus spreads through money."),
        ("Breaking news – the president has resigned", "the president has resigned"),
        ("Share prices fell 5% on Monday.", "Share prices fell 5% on Monday."),
        ("Wait.... the tax rose 40%,, really", "Wait... the tax rose 40%, really"),
        ("Masks   don't\n\twork . Pass it on!", "Masks don't work."),
        ("Copy and paste this to your wall. Taxes doubled in 2021.", "Taxes doubled in 2021."),
        ("pls rt: masks don't work", "masks don't work"),
        ("Visit www.example.com for proof: crime rose 10%", "Visit for proof: crime rose 10%"),
        ("Great article @nytimes @cnn", "Great article"),
    ],
)
def test_normalize_claim_text_strips_packaging_and_keeps_wording(raw: str, normalized: str) -> None:
    assert normalize_claim_text(raw) == normalized


def test_normalize_claim_text_is_idempotent() -> None:
    once = normalize_claim_text("JUST IN 🚨 @cdc says #masks cut cases 50%!!! https://x.co/1 Please share")
    assert normalize_claim_text(once) == once


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Taxes will rise next year. Because the deficit grew by $1 trillion.",
            ["Taxes will rise next year. Because the deficit grew by $1 trillion."],
        ),
        (
            "The plant closed in 2019. That's why 3,000 people lost their jobs.",
            ["The plant closed in 2019. That's why 3,000 people lost their jobs."],
        ),
        (
            "Here is what they hide from you:\nThe vaccine changes your DNA.",
            ["Here is what they hide from you:\nThe vaccine changes your DNA."],
        ),
        (
            "The plant closed in 2019. Then 3,000 people lost their jobs.",
            ["The plant closed in 2019.", "Then 3,000 people lost their jobs."],
        ),
    ],
)
def test_candidate_spans_join_follow_ups_and_colon_continuations(text: str, expected: list[str]) -> None:
    assert _texts(text) == expected


def test_candidate_spans_join_at_most_three_sentences() -> None:
    text = "Prices rose 9%. Because wages rose. Because oil rose. Because the war started."
    assert _texts(text) == [
        "Prices rose 9%. Because wages rose. Because oil rose.",
        "Because the war started.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Wow!",
        "So true.",
        "https://example.org/a/very/long/path?query=1",
        "Health and Science News",
        "Top Stories This Week",
        "🙏🙏🙏 🇺🇸🇺🇸",
        "Share if you agree!!",
        "@ann @bob",
    ],
)
def test_candidate_spans_drop_fragments_urls_and_verbless_headings(text: str) -> None:
    assert candidate_spans(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Vaccines Cause Autism, Study Finds",
        "Unemployment at 3.5 percent",
        "Bill Gates admits vaccines will kill",
    ],
)
def test_candidate_spans_keep_headlines_that_state_something(text: str) -> None:
    assert _texts(text) == [text]


def test_sentence_spans_split_on_hard_line_breaks_but_not_soft_wraps() -> None:
    text = (
        "BREAKING NEWS\nThe senator voted against the bill twice\n\n"
        "This long line of an e-mail is wrapped at seventy-two columns so it goes\n"
        "on to the next line and is still one sentence."
    )
    spans = [text[s.start : s.end] for s in sentence_spans(text)]
    assert spans == [
        "BREAKING NEWS",
        "The senator voted against the bill twice",
        "This long line of an e-mail is wrapped at seventy-two columns so it goes\n"
        "on to the next line and is still one sentence.",
    ]


@pytest.mark.parametrize("text", ["", "   \n\t  ", "\n\n"])
def test_extract_claims_returns_nothing_for_an_empty_document(text: str, model: CheckworthinessModel) -> None:
    assert extract_claims(Document(text=text), scorer=model) == []


def test_extract_claims_scores_every_candidate_and_filters_on_request(model: CheckworthinessModel) -> None:
    text = "Thank you all for coming tonight. The unemployment rate fell to 3.5 percent in 2019."
    every = extract_claims(Document(text=text), scorer=model)
    assert [c.text for c in every] == ["Thank you all for coming tonight.", text.split(". ", 1)[1]]
    assert every[1].checkworthiness > every[0].checkworthiness
    kept = extract_claims(Document(text=text), scorer=model, min_checkworthiness=model.threshold)
    assert [c.text for c in kept] == ["The unemployment rate fell to 3.5 percent in 2019."]


def test_extract_claims_passes_normalized_text_to_the_scorer() -> None:
    seen: list[str] = []

    class RecordingScorer:
        def score(
            self, texts: list[str], *, normalized: bool = False, languages: list[str] | None = None
        ) -> np.ndarray:
            assert normalized
            seen.extend(texts)
            return np.full(len(texts), 0.5)

        def transfers(self, language: str) -> bool:
            return False

    text = "JUST IN: The mayor stole $5 million!!! https://t.co/x"
    [claim] = extract_claims(Document(text=text), scorer=RecordingScorer())
    assert seen == ["The mayor stole $5 million!"] == [claim.normalized]
    assert claim.text == text  # the link on the same line ends the post, so it is part of the claim


def test_sentence_pipeline_is_built_once_and_needs_no_download() -> None:
    nlp = sentence_pipeline()
    assert nlp is sentence_pipeline()
    assert nlp.pipe_names == ["factcheck_line_breaks", "factcheck_sentencizer"]


def test_array_sentencizer_sets_the_same_boundaries_as_spacys_sentencizer() -> None:
    reference = spacy.blank("en")
    reference.add_pipe("factcheck_line_breaks")
    reference.add_pipe("sentencizer")
    texts = [
        "",
        ".",
        "Hello",
        ". Hello world. Bye!",
        "“Quoted.” He said. Then? Yes!! ok",
        "Wow?! Really... yes. 3.5 percent of U.S. voters. a.b.c. d",
        "End.\n\nA paragraph without a stop\nNext line",
        "नमस्ते। दुनिया। Done.",
    ]
    bodies = shared_data("article_extraction") / "ground_truth.json"
    texts += [entry["articleBody"] for entry in json.loads(bodies.read_text(encoding="utf-8")).values()][:40]
    for text in texts:
        ours, theirs = sentence_pipeline()(text), reference(text)
        assert ours.to_array(SENT_START).tolist() == theirs.to_array(SENT_START).tolist(), text[:80]


def test_sentence_spans_accept_a_caller_pipeline_and_refuse_one_without_boundaries() -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    assert len(sentence_spans("One claim here. Another claim there.", nlp=nlp)) == 2
    with pytest.raises(ValueError, match="sentencizer"):
        sentence_spans("No boundaries. At all.", nlp=spacy.blank("en"))


def test_claims_command_prints_spans_and_scores_as_json() -> None:
    text = "Thank you all for coming tonight. The unemployment rate fell to 3.5 percent in 2019."
    result = CliRunner().invoke(app, ["claims", "-", "--json"], input=text)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert [c["text"] for c in payload["claims"]] == [text[c["start"] : c["end"]] for c in payload["claims"]]
    assert [c["checkworthy"] for c in payload["claims"]] == [False, True]


def test_claims_command_prints_a_table_and_only_checkworthy_on_request(tmp_path: Path) -> None:
    source = tmp_path / "post.txt"
    source.write_text(
        "Thank you all for coming tonight.\nThe unemployment rate fell to 3.5 percent in 2019.\n"
    )
    result = CliRunner().invoke(app, ["claims", str(source), "--checkworthy"])
    assert result.exit_code == 0, result.output
    assert "unemployment" in result.output
    assert "Thank you" not in result.output


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        (
            "@realDonaldTrump wins Indiana primary in a landslide",
            "real Donald Trump wins Indiana primary in a landslide",
        ),
        ("#BREAKING Pope Francis endorses Donald Trump", "Pope Francis endorses Donald Trump"),
        ("Hillary Clinton sold weapons to ISIS via @WorldNewsDaily", "Hillary Clinton sold weapons to ISIS"),
        ("Masks do not work (h/t @ann)", "Masks do not work"),
        (
            "THE CDC ADMITS VACCINES CAUSE AUTISM!!! #VaccinesKill",
            "THE CDC admits vaccines cause autism! Vaccines Kill",
        ),
        (
            "Coronavirus was made in a lab 😱😱 — John Smith (@jsmith) March 3, 2020",
            "Coronavirus was made in a lab",
        ),
        ("Wombats are heroes #AustralianFires pic.twitter.com/x", "Wombats are heroes Australian Fires"),
        ("Update the software now, it blocks 5G", "Update the software now, it blocks 5G"),
        ("NASA says the WHO and CDC lied", "NASA says the WHO and CDC lied"),
        ("Trump &amp; Putin met in secret", "Trump & Putin met in secret"),
    ],
)
def test_normalize_claim_text_rewrites_the_social_media_register(raw: str, normalized: str) -> None:
    assert normalize_claim_text(raw) == normalized
    assert normalize_claim_text(normalized) == normalized


def test_matcher_query_cleaning_is_the_claim_normaliser() -> None:
    from factcheck.matching import clean_query

    tweet = "Coronavirus was made in a lab #COVID19 — John Smith (@jsmith) March 3, 2020"
    assert clean_query(tweet) == normalize_claim_text(tweet) == "Coronavirus was made in a lab COVID19"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one-line paragraphs of tweet-like text between article paragraphs
        (
            "The council met on Tuesday to discuss the budget.\n\n"
            "#Obamagate Obama Administration Spied On Trump Campaign\n\n"
            "The meeting ended at noon.",
            [
                "The council met on Tuesday to discuss the budget.",
                "#Obamagate Obama Administration Spied On Trump Campaign",
                "The meeting ended at noon.",
            ],
        ),
        # a satire site's title-case headline
        (
            "Pope Francis Shocks World, Endorses Donald Trump For President\nBy Staff Writer",
            ["Pope Francis Shocks World, Endorses Donald Trump For President"],
        ),
        # a post ending in its source, its tags and its link
        (
            "Hillary Clinton Sold Weapons To ISIS. via @WorldNewsDaily",
            ["Hillary Clinton Sold Weapons To ISIS. via @WorldNewsDaily"],
        ),
        (
            "THE CDC ADMITS VACCINES CAUSE AUTISM!!! #VaccinesKill #Truth https://t.co/x",
            ["THE CDC ADMITS VACCINES CAUSE AUTISM!!! #VaccinesKill #Truth https://t.co/x"],
        ),
        # an embedded tweet: the signature belongs to the tweet
        (
            "Wombats are heroes. — Bio Div (@BioDiv) January 14, 2020",
            ["Wombats are heroes. — Bio Div (@BioDiv) January 14, 2020"],
        ),
        # list items and a hashtag-led next sentence on the same line
        (
            "- Masks reduce transmission by 50%\n- Schools closed for 3 months\nMasks work well. #Masks4All save lives.",
            [
                "Masks reduce transmission by 50%",
                "Schools closed for 3 months",
                "Masks work well.",
                "#Masks4All save lives.",
            ],
        ),
        # a handle-led headline about a primary win
        ("@realDonaldTrump wins Indiana primary", ["@realDonaldTrump wins Indiana primary"]),
    ],
)
def test_candidate_spans_make_every_sentence_like_unit_a_claim(text: str, expected: list[str]) -> None:
    assert _texts(text) == expected


def test_extract_claims_keep_exact_spans_of_posts_and_headlines(model: CheckworthinessModel) -> None:
    text = (
        "Officials said nothing.\n\n#BREAKING Pope Francis endorses Donald Trump 😱 via @wtoe5news\n\n"
        "Pope Francis Shocks World, Endorses Donald Trump For President"
    )
    claims = extract_claims(Document(text=text), scorer=model)
    assert [c.normalized for c in claims] == [
        "Officials said nothing.",
        "Pope Francis endorses Donald Trump",
        "Pope Francis Shocks World, Endorses Donald Trump For President",
    ]
    for claim in claims:
        assert text[claim.start : claim.end] == claim.text


def test_claim_windows_cover_consecutive_claims_of_a_short_post_only(model: CheckworthinessModel) -> None:
    post = "The CDC admits it now. Vaccines cause autism in boys.\nThey hid the study for years."
    article = "Officials met on Tuesday to talk. " * 15
    text = f"{post}\n\nA lone one-line paragraph of news here.\n\n{article.strip()}"
    document = Document(text=text)
    claims = extract_claims(document, scorer=model)
    windows = claim_windows(document, claims, scorer=model)
    assert [window.members for window in windows] == [(0, 1), (1, 2), (0, 1, 2)]
    for window in windows:
        first, last = claims[window.members[0]], claims[window.members[-1]]
        assert (window.claim.start, window.claim.end) == (first.start, last.end)
        assert text[window.claim.start : window.claim.end] == window.claim.text
        assert window.claim.normalized == " ".join(claims[i].normalized for i in window.members)
        assert 0.0 <= window.claim.checkworthiness <= 1.0
    assert windows[-1].claim.text == post


def test_claim_windows_are_empty_for_single_sentence_paragraphs(model: CheckworthinessModel) -> None:
    document = Document(text="Masks reduce transmission by half.\n\nSchools closed for three months.")
    assert claim_windows(document, extract_claims(document, scorer=model), scorer=model) == []
