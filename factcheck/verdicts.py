"""Stage 4: from a claim's candidate debunks to a status. Pure functions, no I/O.

A claim is `debunked` only when the best debunk's calibrated confidence reaches the match threshold
(chosen on dev for precision >= 0.95) and the claim has enough words to be specific; `needs_review`
when it reaches the suggest threshold (chosen for recall >= 0.95), which sends it to editors; else
`not_checkworthy` or `no_match` by its check-worthiness. A strong match wins over a low
check-worthiness score: chain-email hoaxes rarely read like the political claims the check-worthiness
model was trained on, and they are exactly what LazyTruth existed to catch.
"""

from __future__ import annotations

from dataclasses import dataclass

from factcheck.types import Claim, ClaimStatus, Match


@dataclass(frozen=True)
class Thresholds:
    match: float
    suggest: float
    checkworthy: float
    min_words_for_match: int = 5

    def __post_init__(self) -> None:
        if not 0 <= self.suggest <= self.match <= 1:
            raise ValueError(f"need 0 <= suggest ({self.suggest}) <= match ({self.match}) <= 1")


def claim_status(claim: Claim, matches: list[Match], thresholds: Thresholds) -> ClaimStatus:
    best = matches[0].probability if matches else 0.0
    if best >= thresholds.match and len(claim.normalized.split()) >= thresholds.min_words_for_match:
        return "debunked"
    if best >= thresholds.suggest:
        return "needs_review"
    if claim.checkworthiness < thresholds.checkworthy:
        return "not_checkworthy"
    return "no_match"
