"""schema.org ClaimReview in and out: JSON-LD shapes, Google Fact Check Tools, rating normalisation.

Publishers wrap ClaimReview in many shapes (a bare object, an array, an `@graph`, a DataFeed of
DataFeedItems, `<script type="application/ld+json">` in a page); every reader funnels into
`debunks_from_jsonld`, so one set of field rules applies everywhere.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from lxml.html import HtmlElement
from trafilatura.utils import load_html

from factcheck._text import web_urls
from factcheck.errors import RecordError
from factcheck.language import language_of_record
from factcheck.types import RATING_LABELS, Debunk, RatingLabel

# Textual ratings as fact-checkers publish them, lowercased with punctuation folded to spaces.
_RATING_WORDS: dict[str, RatingLabel] = {
    "false": "false",
    "pants on fire": "false",
    "pants fire": "false",
    "fake": "false",
    "hoax": "false",
    "incorrect": "false",
    "wrong": "false",
    "fabricated": "false",
    "scam": "false",
    "fake news": "false",
    "four pinocchios": "false",
    "not true": "false",
    "baseless": "false",
    "debunked": "false",
    "mostly false": "mostly_false",
    "barely true": "mostly_false",
    "largely false": "mostly_false",
    "three pinocchios": "mostly_false",
    "mostly fake": "mostly_false",
    "mixture": "mixed",
    "mixed": "mixed",
    "half true": "mixed",
    "partly false": "mixed",
    "partially false": "mixed",
    "partly true": "mixed",
    "partially true": "mixed",
    "half flip": "mixed",
    "two pinocchios": "mixed",
    "misleading": "misleading",
    "miscaptioned": "misleading",
    "missing context": "misleading",
    "out of context": "misleading",
    "exaggerated": "misleading",
    "distorted": "misleading",
    "cherry picks": "misleading",
    "spins the facts": "misleading",
    "needs context": "misleading",
    "misattributed": "misleading",
    "altered": "misleading",
    "manipulated": "misleading",
    "unproven": "unproven",
    "unsupported": "unproven",
    "unverified": "unproven",
    "no evidence": "unproven",
    "research in progress": "unproven",
    "unsubstantiated": "unproven",
    "mostly true": "mostly_true",
    "largely true": "mostly_true",
    "mostly accurate": "mostly_true",
    "one pinocchio": "mostly_true",
    "true": "true",
    "correct": "true",
    "accurate": "true",
    "correct attribution": "true",
    "geppetto checkmark": "true",
    "satire": "satire",
    "labeled satire": "satire",
    "labelled satire": "satire",
    "originated as satire": "satire",
}
_FOLD = re.compile(r"[^a-z]+")
_CLAIMREVIEW_HINT = re.compile("claimreview", re.IGNORECASE)


def normalise_rating(
    rating_text: str,
    rating_value: float | None = None,
    best_rating: float | None = None,
    worst_rating: float | None = None,
) -> RatingLabel:
    """Map a published rating onto our fixed label set; the numeric scale decides when the words don't."""
    folded = _FOLD.sub(" ", rating_text.casefold()).strip()
    if folded in _RATING_WORDS:
        return _RATING_WORDS[folded]
    for words, label in sorted(_RATING_WORDS.items(), key=lambda item: -len(item[0])):
        if len(words) > 4 and re.search(rf"\b{re.escape(words)}\b", folded):
            return label
    if rating_value is not None and best_rating is not None:
        worst = worst_rating if worst_rating is not None else 1.0
        if best_rating != worst:
            fraction = (rating_value - worst) / (best_rating - worst)
            for ceiling, label in (
                (0.2, "false"),
                (0.4, "mostly_false"),
                (0.6, "mixed"),
                (0.8, "mostly_true"),
            ):
                if fraction <= ceiling:
                    return label  # type: ignore[return-value]
            return "true"
    return "other"


def parse_date(value: Any) -> date | None:
    """Dates in the wild: ISO dates, ISO datetimes, '26 May 2015', 'May 26, 2015'."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for pattern in ("%d %B %Y", "%B %d, %Y", "%b %d, %Y", "%d %b %Y", "%Y/%m/%d", "%m/%d/%Y"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    match = re.search(r"([A-Z][a-z]+ \d{1,2}, \d{4})", text)
    if match:
        return parse_date(match.group(1))
    return None


def _number(value: Any) -> float | None:
    if value in (None, ""):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _language(value: Any) -> str:
    """`inLanguage` is a tag ("fr-FR") or a Language object, whose `alternateName` is the code."""
    if isinstance(value, dict) and value.get("alternateName"):
        value = value["alternateName"]
    return language_of_record(_text(value))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("@value") or "")
    if isinstance(value, list):
        return _text(value[0]) if value else ""
    return " ".join(str(value).split())


def _types(node: dict[str, Any]) -> set[str]:
    raw = node.get("@type", ())
    names = [raw] if isinstance(raw, str) else list(raw)
    return {str(name).rsplit("/", 1)[-1] for name in names}


def _site(url: str) -> str:
    match = re.match(r"^[a-z]+://(?:www\.)?([^/:?#]+)", url.strip(), re.IGNORECASE)
    return match.group(1).lower() if match else ""


def _urls(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    urls = []
    for item in items:
        url = item.get("url") if isinstance(item, dict) else item
        if isinstance(url, str) and url.strip():
            urls.append(url.strip())
    return web_urls(urls)


def debunk_from_claimreview(node: dict[str, Any], *, provenance: str = "") -> Debunk:
    """One schema.org ClaimReview object to a Debunk; raises RecordError when it has no claim."""
    rating = node.get("reviewRating") or {}
    if isinstance(rating, list):
        rating = rating[0] if rating else {}
    item_reviewed = node.get("itemReviewed") or {}
    if isinstance(item_reviewed, list):
        item_reviewed = item_reviewed[0] if item_reviewed else {}
    claim = _text(node.get("claimReviewed")) or _text(item_reviewed.get("text") or item_reviewed.get("name"))
    if not claim:
        raise RecordError("ClaimReview has no claimReviewed text")
    author = node.get("author") or {}
    if isinstance(author, list):
        author = author[0] if author else {}
    review_url = _text(node.get("url"))
    reviewer_site = _site(_text(author.get("url")) if isinstance(author, dict) else "") or _site(review_url)
    rating_text = _text(rating.get("alternateName") or rating.get("name") or rating.get("ratingExplanation"))
    rating_value = _number(rating.get("ratingValue"))
    best = _number(rating.get("bestRating"))
    worst = _number(rating.get("worstRating"))
    appearance = item_reviewed.get("appearance") or item_reviewed.get("firstAppearance") or []
    claimant = item_reviewed.get("author") or {}
    keywords = node.get("keywords") or []
    tags = (
        [k.strip() for k in keywords.split(",")] if isinstance(keywords, str) else [str(k) for k in keywords]
    )
    label = node.get("factcheck:label")
    variants = node.get("factcheck:variants") or []
    return Debunk(
        claim_reviewed=claim,
        label=label if label in RATING_LABELS else normalise_rating(rating_text, rating_value, best, worst),
        rating_text=rating_text,
        rating_value=rating_value,
        best_rating=best,
        worst_rating=worst,
        reviewer_name=_text(author),
        reviewer_site=reviewer_site,
        review_url=review_url,
        review_date=parse_date(node.get("datePublished")),
        claimant=_text(claimant),
        claim_date=parse_date(item_reviewed.get("datePublished")),
        appearance_urls=_urls(appearance),
        language=_language(node.get("inLanguage")),
        title=_text(node.get("headline") or node.get("name")),
        explanation=_text(node.get("description") or rating.get("ratingExplanation")),
        tags=tuple(tag for tag in tags if tag),
        variants=tuple(_text(variant) for variant in variants if _text(variant)),
        external_id=_text(node.get("factcheck:externalId")),
        provenance=provenance,
    )


def iter_claimreview_nodes(obj: Any) -> Iterator[dict[str, Any]]:
    """Every ClaimReview object inside any JSON-LD shape: object, array, @graph, DataFeed, DataFeedItem."""
    if isinstance(obj, list):
        for item in obj:
            yield from iter_claimreview_nodes(item)
        return
    if not isinstance(obj, dict):
        return
    types = _types(obj)
    if "ClaimReview" in types:
        yield obj
        return
    for key in ("@graph", "dataFeedElement", "item", "mainEntity", "review"):
        if key in obj:
            yield from iter_claimreview_nodes(obj[key])


def debunks_from_jsonld(obj: Any, *, provenance: str = "") -> list[Debunk]:
    """All debunks in a JSON-LD document; ClaimReviews without a claim are left out."""
    debunks = []
    for node in iter_claimreview_nodes(obj):
        try:
            debunks.append(debunk_from_claimreview(node, provenance=provenance))
        except RecordError:
            continue
    return debunks


def claim_reviews_from_html(page: str | HtmlElement) -> tuple[Debunk, ...]:
    """The ClaimReviews a fact-check page publishes in its JSON-LD (markup, or the page lxml parsed).

    Only `application/ld+json` scripts that mention ClaimReview are parsed: most pages have none.
    Broken blocks are skipped.
    """
    tree = load_html(page) if isinstance(page, str) else page
    if tree is None:
        return ()
    debunks: list[Debunk] = []
    for script in tree.iter("script"):
        text = script.text or ""
        if "ld+json" not in (script.get("type") or "").lower() or not _CLAIMREVIEW_HINT.search(text):
            continue
        try:
            debunks.extend(debunks_from_jsonld(json.loads(text)))
        except (ValueError, RecursionError):
            # Broken JSON, or JSON nested thousands deep (json.loads recurses): not a review.
            continue
    return tuple(debunks)


def debunks_from_factchecktools_claim(claim: dict[str, Any], *, provenance: str = "") -> list[Debunk]:
    """One entry of a Google Fact Check Tools `claims:search` response: a claim with its reviews."""
    text = _text(claim.get("text"))
    if not text:
        raise RecordError("claim has no text")
    reviews = claim.get("claimReview") or []
    if not reviews:
        raise RecordError("claim has no claimReview")
    debunks = []
    for review in reviews:
        publisher = review.get("publisher") or {}
        rating_text = _text(review.get("textualRating"))
        debunks.append(
            Debunk(
                claim_reviewed=text,
                label=normalise_rating(rating_text),
                rating_text=rating_text,
                reviewer_name=_text(publisher.get("name")),
                reviewer_site=_text(publisher.get("site")) or _site(_text(review.get("url"))),
                review_url=_text(review.get("url")),
                review_date=parse_date(review.get("reviewDate")),
                claimant=_text(claim.get("claimant")),
                claim_date=parse_date(claim.get("claimDate")),
                language=language_of_record(_text(review.get("languageCode"))),
                title=_text(review.get("title")),
                provenance=provenance,
            )
        )
    return debunks


def debunk_to_claimreview(debunk: Debunk) -> dict[str, Any]:
    """A Debunk as schema.org ClaimReview JSON-LD; our extra fields travel under `factcheck:*` keys."""
    rating: dict[str, Any] = {"@type": "Rating"}
    for key, value in (
        ("alternateName", debunk.rating_text or None),
        ("ratingValue", debunk.rating_value),
        ("bestRating", debunk.best_rating),
        ("worstRating", debunk.worst_rating),
    ):
        if value is not None:
            rating[key] = value
    item: dict[str, Any] = {"@type": "Claim"}
    if debunk.claimant:
        item["author"] = {"@type": "Person", "name": debunk.claimant}
    if debunk.claim_date:
        item["datePublished"] = debunk.claim_date.isoformat()
    if debunk.appearance_urls:
        item["appearance"] = [
            {"@type": "CreativeWork", "url": url} for url in web_urls(debunk.appearance_urls)
        ]
    node: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": debunk.claim_reviewed,
        "reviewRating": rating,
        "itemReviewed": item,
        "author": {
            "@type": "Organization",
            "name": debunk.reviewer_name,
            **({"url": f"https://{debunk.reviewer_site}"} if debunk.reviewer_site else {}),
        },
        "inLanguage": debunk.language,
        "factcheck:label": debunk.label,
        "factcheck:variants": list(debunk.variants),
    }
    optional = {
        "url": debunk.review_url,
        "datePublished": debunk.review_date.isoformat() if debunk.review_date else "",
        "headline": debunk.title,
        "description": debunk.explanation,
        "keywords": ", ".join(debunk.tags),
        "factcheck:externalId": debunk.external_id,
    }
    node.update({key: value for key, value in optional.items() if value})
    return node
