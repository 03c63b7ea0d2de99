"""Stage 4: from a claim's candidate debunks to a status. Pure functions, no I/O.

A claim reaches its best debunk when the calibrated confidence reaches the match threshold (chosen on
dev for precision >= 0.95) and the claim has enough words to be specific. What it is then called
follows that fact-check's rating, because a match is not always a debunk (issue 13): `debunked` only
when the rating refutes the claim (false, mostly false, misleading), else `fact_checked` (the rating
says supported, mixed, unproven, satire or other; see `rating_class`).

Under the match threshold, a claim is `possibly_related` when the best debunk reaches the related
threshold (chosen on dev for precision >= 0.80 in its band; None turns the tier off): readers see the
fact-check softly, never as a verdict on the text. Then `needs_review` when it reaches the suggest
threshold (chosen for recall >= 0.95), which sends it to editors only; else `not_checkworthy` or
`no_match` by its check-worthiness. Claims in another language than English were matched by the
cross-lingual path, whose probabilities have their own calibration and thresholds (`other_languages`,
chosen on the multilingual dev set; issue 15). A strong match wins over a low check-worthiness score: chain-email
hoaxes rarely read like the political claims the check-worthiness model was trained on, and they are
exactly what LazyTruth existed to catch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from factcheck.language import is_english
from factcheck.types import (
    MATCHED_STATUSES,
    Claim,
    ClaimStatus,
    ClaimVerdict,
    Match,
    RatingClass,
    RatingLabel,
)

RATING_CLASS_OF: dict[RatingLabel, RatingClass] = {
    "false": "refuted",
    "mostly_false": "refuted",
    "misleading": "refuted",
    "true": "supported",
    "mostly_true": "supported",
    "mixed": "mixed",
    "unproven": "unproven",
    "satire": "satire",
    "other": "other",
}

# How every edge (CLI, feed report, editor pages) names a shown fact-check by its rating class; the
# extension has the same words in extension/content/verdict.js.
RATING_CLASS_WORDS: dict[RatingClass, str] = {
    "refuted": "rated false",
    "supported": "rated true",
    "mixed": "rated partly true",
    "unproven": "rated unproven",
    "satire": "satire",
    "other": "fact-checked",
}


def rating_class(label: RatingLabel) -> RatingClass:
    """What a fact-check's normalised rating says of the claim; an unknown label is `other`."""
    return RATING_CLASS_OF.get(label, "other")


def describe_status(status: ClaimStatus, label: RatingLabel | None = None) -> str:
    """A status in a few words for people, given the shown fact-check's rating `label`.

    Only `debunked` says the claim is false; a possibly related fact-check is described by its own
    rating, never as a verdict on the text.
    """
    words = RATING_CLASS_WORDS[rating_class(label)] if label is not None else ""
    if status == "fact_checked":
        return f"fact-checked, {words}" if label not in (None, "other") else "fact-checked"
    if status == "possibly_related":
        return f"possibly related to a fact-check ({words})" if words else "possibly related to a fact-check"
    return status.replace("_", " ")


@dataclass(frozen=True)
class LanguageThresholds:
    """Match, suggest and related thresholds of the cross-lingual path (models/crosslingual/scorer.json)."""

    match: float
    suggest: float
    related: float | None = None


@dataclass(frozen=True)
class Thresholds:
    match: float
    suggest: float
    checkworthy: float
    min_words_for_match: int = 5
    related: float | None = None  # None: no possibly_related tier
    # The gate for a claim scored by the transferred (multilingual) model, whose scores have their own
    # F1-best cut; None: the same `checkworthy` cut as English claims.
    checkworthy_transferred: float | None = None
    # For claims not in English; None: they use the thresholds above.
    other_languages: LanguageThresholds | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.suggest <= self.match <= 1:
            raise ValueError(f"need 0 <= suggest ({self.suggest}) <= match ({self.match}) <= 1")
        if self.related is not None and not self.suggest <= self.related <= self.match:
            raise ValueError(
                f"need suggest ({self.suggest}) <= related ({self.related}) <= match ({self.match})"
            )

    def for_language(self, language: str) -> Thresholds:
        """The thresholds a claim in `language` is judged by (English or unknown: these)."""
        other = self.other_languages
        if other is None or is_english(language):
            return self
        related = other.related if self.related is not None else None  # the tier stays off when turned off
        return replace(self, match=other.match, suggest=other.suggest, related=related, other_languages=None)


def claim_status(
    claim: Claim, matches: list[Match], thresholds: Thresholds, *, matchable: bool = True
) -> ClaimStatus:
    """`matchable=False`: the status under the match threshold, for a match other evidence rules out."""
    thresholds = thresholds.for_language(claim.language)
    best = matches[0] if matches else None
    confidence = best.probability if best is not None else 0.0
    if (
        matchable
        and best is not None
        and confidence >= thresholds.match
        and len(claim.normalized.split()) >= thresholds.min_words_for_match
    ):
        return "debunked" if rating_class(best.debunk.label) == "refuted" else "fact_checked"
    if thresholds.related is not None and best is not None and confidence >= thresholds.related:
        return "possibly_related"
    if confidence >= thresholds.suggest:
        return "needs_review"
    gate = thresholds.checkworthy
    if claim.checkworthiness_transferred and thresholds.checkworthy_transferred is not None:
        gate = thresholds.checkworthy_transferred
    if claim.checkworthiness < gate:
        return "not_checkworthy"
    return "no_match"


# "Sen. Joe Biden once said …", "In October 2019, U.S. President Donald Trump called …": a fact-check of
# what a named person said. Up to two leading clauses and four words before the name.
_ATTRIBUTION = re.compile(
    r"^(?:[^,]{0,80},\s+){0,2}(?:[\w.'’-]+\s+){0,4}?"
    r"(?P<name>(?:[A-Z][\w.'’-]*\s+){0,5}[A-Z][\w'’-]*)"
    r"(?:\s+(?:once|publicly|reportedly|has|had))?\s+"
    r"(?:said|says|stated|tweeted|wrote|told|asked|claimed|declared|admitted|announced|proclaimed|"
    r"remarked|opined|predicted|vowed|warned|quipped|joked|urged|argued|posted|called)\b"
)
# fmt: off
_TITLES = frozenset({
    "president", "former", "sen", "senator", "rep", "representative", "gov", "governor", "general",
    "retired", "army", "the", "vice", "first", "lady", "secretary", "speaker", "house", "minority",
    "majority", "leader", "chairman", "host", "actor", "actress", "mrs", "pope", "prime", "minister",
})
# fmt: on
_WORD = re.compile(r"[^\W\d_]+")
_CAMEL_CASE = re.compile(r"([a-z])([A-Z])")  # handles and hashtags: @JoeBiden, #HillaryClinton


def attributed_to(claim_reviewed: str) -> frozenset[str]:
    """The name words of the person a quote-attribution fact-check is about ("Joe Biden once said that
    …" -> {"joe", "biden"}), titles left out; empty when the fact-check is not about what a person
    said. A name of one word is left out too: a body or a single name is referred to too loosely
    ("Police in Sweden admitted" read as "Swedish police", "Pope Francis" as "the Pope")."""
    found = _ATTRIBUTION.match(claim_reviewed)
    if found is None:
        return frozenset()
    words = {w.lower() for w in _WORD.findall(found.group("name"))}
    names = frozenset(w for w in words if len(w) >= 3 and w not in _TITLES)
    return names if len(names) >= 2 else frozenset()


def with_speakers_named(
    verdicts: Sequence[ClaimVerdict], text: str, thresholds: Thresholds
) -> list[ClaimVerdict]:
    """Matches to a fact-check of what someone said stand only where the claim's paragraph names them.

    "I want a Supreme Court that will stick with Roe v. Wade", said in a debate, is not the claim that
    "Joe Biden once said that Roe v. Wade went too far", however close the words: a quote-attribution
    fact-check is about who said it. Each such match of an English claim in `verdicts` is judged again as
    if under the match threshold (`possibly_related` or `needs_review`) when no word of the name is in
    the paragraph of `text` (the document's) that holds the claim, handles and hashtags split at their
    capitals. Claims in other languages are left alone: names are written their way ("le pape François").
    """
    judged = []
    for verdict in verdicts:
        claim = verdict.claim
        matched = verdict.status in MATCHED_STATUSES and is_english(claim.language)
        names = attributed_to(verdict.matches[0].debunk.claim_reviewed) if matched else frozenset()
        if names:
            start = text.rfind("\n\n", 0, claim.start) + 1
            end = text.find("\n\n", claim.end)
            paragraph = text[start : end if end >= 0 else len(text)] or claim.text
            words = {w.lower() for w in _WORD.findall(_CAMEL_CASE.sub(r"\1 \2", paragraph))}
            if not names & words:
                status = claim_status(claim, list(verdict.matches), thresholds, matchable=False)
                verdict = replace(verdict, status=status)
        judged.append(verdict)
    return judged


# Where `factcheck train related-threshold` records the threshold, in each profile of the matcher manifest.
RELATED_THRESHOLD_KEY = "related_threshold"


def recorded_related_threshold(manifest: dict[str, Any], profile: str) -> float | None:
    """The related threshold recorded for `profile`, or None when there is none or it was chosen against
    another match threshold (the matcher was retrained since: rerun the command)."""
    section = manifest.get("profiles", {}).get(profile, {})
    record = section.get(RELATED_THRESHOLD_KEY) if isinstance(section, dict) else None
    if not isinstance(record, dict) or record.get("match_threshold") != section.get("match_threshold"):
        return None
    return float(record["threshold"])
