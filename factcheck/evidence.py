"""Message-level evidence: several sentences of one block telling the same hoax add up to one decision.

A chain letter is one hoax told in several sentences. Each sentence alone may match its debunk with a
confidence under the match threshold ("Microsoft will pay you $245" at 0.79, "Bill Gates is sharing
his fortune" at 0.78), yet three of them pointing at the same debunk, with the block as a whole
matching it too, is strong evidence. For each unit of a document (an e-mail's quoted block; a
paragraph elsewhere) and each debunk its sentences point to, a small logistic model turns the
sentence confidences and the unit's own match into one calibrated probability that the unit
restates that debunk. It was fitted on hand-written chain e-mails, ordinary e-mails and news
paragraphs (`factcheck train evidence`); its threshold keeps precision at match >= 0.95 on held-out
folds. Pure functions and a few numbers: no I/O beyond loading the artifact.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from factcheck.errors import ModelArtifactError
from factcheck.types import MATCHED_STATUSES, Claim, ClaimVerdict, Document, Match, TextBlock
from factcheck.verdicts import rating_class

__all__ = [
    "FEATURE_NAMES",
    "MIN_UNIT_CLAIMS",
    "ClaimEvidence",
    "EvidenceModel",
    "UnitCandidate",
    "UnitEvidence",
    "candidates_for_units",
    "claim_evidence",
    "claims_in",
    "document_units",
    "units_to_search",
    "weigh_units",
    "with_evidence",
]

# The matcher as the pipeline runs it (exact phrasings, rejections and all): claims in, candidates out.
MatchClaims = Callable[[list[Claim]], list[list[Match]]]

FEATURE_NAMES = (
    "logit_max",  # the best sentence confidence for this debunk
    "logit_second",  # the second best (0 when one sentence only)
    "logit_unit",  # the unit matched as one text
    "top_sentences",  # sentences with this debunk first (log1p)
    "top_share",  # ... as a share of the unit's sentences
    "logit_mean_top",  # mean confidence over those sentences
)
MIN_UNIT_CLAIMS = 2
"""A unit of one sentence has nothing to add up: the sentence's own verdict stands."""
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_EPSILON = 1e-4


@dataclass(frozen=True)
class UnitCandidate:
    """One (unit, debunk) pair the unit's sentences or the unit itself point to, with its features."""

    unit: int
    debunk_id: int
    features: tuple[float, ...]
    claims: tuple[int, ...]  # indexes of the unit's claims that list this debunk among their candidates


@dataclass(frozen=True)
class EvidenceModel:
    """Logistic regression over FEATURE_NAMES; `threshold` is the probability that makes a match."""

    coefficients: tuple[float, ...]
    intercept: float
    threshold: float
    version: str = ""

    def probability(self, features: Sequence[float]) -> float:
        z = self.intercept + sum(c * f for c, f in zip(self.coefficients, features, strict=True))
        return 1.0 / (1.0 + math.exp(-z)) if z > -500 else 0.0

    @classmethod
    def load(cls, directory: Path) -> EvidenceModel:
        path = directory / "model.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ModelArtifactError(f"cannot read the evidence model {path}: {error}") from error
        if tuple(data["features"]) != FEATURE_NAMES:
            raise ModelArtifactError(f"{path} was trained on other features: {data['features']}")
        return cls(
            coefficients=tuple(float(c) for c in data["coefficients"]),
            intercept=float(data["intercept"]),
            threshold=float(data["threshold"]),
            version=str(data.get("trained", "")),
        )

    def save(self, directory: Path, **extra: object) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / "model.json"
        data = {
            "features": list(FEATURE_NAMES),
            "coefficients": [round(c, 6) for c in self.coefficients],
            "intercept": round(self.intercept, 6),
            "threshold": round(self.threshold, 6),
            "trained": self.version,
            **extra,
        }
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        return path


def document_units(document: Document) -> list[TextBlock]:
    """The stretches whose sentences are weighed together: an e-mail's blocks, else the paragraphs."""
    if document.blocks:
        return list(document.blocks)
    units, start = [], 0
    for found in _PARAGRAPH_BREAK.finditer(document.text):
        units.append(TextBlock(start=start, end=found.start()))
        start = found.end()
    units.append(TextBlock(start=start, end=len(document.text)))
    return [unit for unit in units if document.text[unit.start : unit.end].strip()]


def claims_in(units: Sequence[TextBlock], claims: Sequence[Claim]) -> list[list[int]]:
    """For each unit, the indexes of the claims that lie inside it."""
    return [
        [i for i, claim in enumerate(claims) if unit.start <= claim.start and claim.end <= unit.end]
        for unit in units
    ]


def units_to_search(
    members: Sequence[Sequence[int]], matches: Sequence[Sequence[Match]], suggest: float
) -> list[int]:
    """Units worth matching as one text: two claims or more, one of them at least suggested.

    The condition keeps the extra search off the paragraphs of an ordinary page that nothing points
    at; training applies the same rule, so the model sees the features it will be given.
    """
    return [
        unit
        for unit, inside in enumerate(members)
        if len(inside) >= MIN_UNIT_CLAIMS
        and any(matches[i] and matches[i][0].probability >= suggest for i in inside)
    ]


def candidates_for_units(
    members: Sequence[Sequence[int]],
    matches: Sequence[Sequence[Match]],
    unit_matches: dict[int, Sequence[Match]],
    suggest: float,
) -> list[UnitCandidate]:
    """Every (unit, debunk) pair that a searched unit's sentences or the unit itself rank first."""
    found = []
    for unit, whole in unit_matches.items():
        inside = members[unit]
        pointed = {matches[i][0].debunk.id for i in inside if matches[i]}
        pointed |= {whole[0].debunk.id} if whole else set()
        for debunk_id in sorted(d for d in pointed if d is not None):
            per_claim = [_probability_of(matches[i], debunk_id) for i in inside]
            unit_probability = _probability_of(whole, debunk_id)
            if max(*per_claim, unit_probability) < suggest:
                continue
            ranked = sorted(per_claim, reverse=True)
            top = [
                matches[i][0].probability
                for i in inside
                if matches[i] and matches[i][0].debunk.id == debunk_id
            ]
            features = (
                _logit(ranked[0]),
                _logit(ranked[1]),
                _logit(unit_probability),
                math.log1p(len(top)),
                len(top) / len(inside),
                _logit(sum(top) / len(top)) if top else _logit(0.0),
            )
            holders = tuple(i for i, p in zip(inside, per_claim, strict=True) if p >= suggest)
            found.append(UnitCandidate(unit=unit, debunk_id=debunk_id, features=features, claims=holders))
    return found


def _probability_of(candidates: Sequence[Match], debunk_id: int) -> float:
    return next((m.probability for m in candidates if m.debunk.id == debunk_id), 0.0)


def _logit(probability: float) -> float:
    p = min(max(probability, _EPSILON), 1 - _EPSILON)
    return math.log(p / (1 - p))


@dataclass(frozen=True)
class UnitEvidence:
    """A document's units, the claims inside each, and the (unit, debunk) pairs worth weighing."""

    units: list[TextBlock]
    members: list[list[int]]
    candidates: list[UnitCandidate]


def weigh_units(
    document: Document,
    claims: list[Claim],
    matches: Sequence[Sequence[Match]],
    match: MatchClaims,
    suggest: float,
) -> UnitEvidence:
    """Cut the document into units, match the promising ones as one text, and list their candidates."""
    units = document_units(document)
    members = claims_in(units, claims)
    searched = units_to_search(members, matches, suggest)
    wholes = match([_unit_claim(document, units[unit]) for unit in searched]) if searched else []
    unit_matches = dict(zip(searched, wholes, strict=True))
    return UnitEvidence(units, members, candidates_for_units(members, matches, unit_matches, suggest))


def _unit_claim(document: Document, unit: TextBlock) -> Claim:
    text = " ".join(document.text[unit.start : unit.end].split())
    # A block or paragraph is in its document's language (set by the pipeline before this runs).
    return Claim(
        text=text,
        normalized=text,
        start=unit.start,
        end=unit.end,
        checkworthiness=1.0,
        language=document.language or "en",
    )


@dataclass(frozen=True)
class ClaimEvidence:
    """The strongest unit-level evidence a claim takes part in."""

    debunk_id: int
    probability: float
    unit: int


def claim_evidence(model: EvidenceModel, evidence: UnitEvidence) -> dict[int, ClaimEvidence]:
    """For each claim that points at a weighed debunk, the most probable such (unit, debunk) decision."""
    best: dict[int, ClaimEvidence] = {}
    for candidate in evidence.candidates:
        probability = model.probability(candidate.features)
        for claim in candidate.claims:
            if claim not in best or probability > best[claim].probability:
                best[claim] = ClaimEvidence(candidate.debunk_id, probability, candidate.unit)
    return best


def with_evidence(
    verdicts: Sequence[ClaimVerdict],
    evidence: UnitEvidence,
    model: EvidenceModel | None,
    *,
    blocks: bool,
    min_words: int,
) -> list[ClaimVerdict]:
    """The verdicts with their block, and matched where their unit's evidence reaches the threshold.

    Matched means what `claim_status` means by it: `debunked` when the fact-check refutes the claim,
    else `fact_checked`.

    A claim is raised only to the debunk its own unit points at, and only when it lists that debunk
    itself (at the suggest threshold or above) and is long enough to be specific; nothing is lowered.
    `blocks` says the units are the document's blocks, so each claim can name the one it came from.
    """
    found = claim_evidence(model, evidence) if model is not None else {}
    block_of = {i: unit for unit, inside in enumerate(evidence.members) for i in inside} if blocks else {}
    weighed = []
    for index, verdict in enumerate(verdicts):
        verdict = replace(verdict, block=block_of.get(index))
        decision = found.get(index)
        if decision is not None and model is not None:
            own = next((m for m in verdict.matches if m.debunk.id == decision.debunk_id), None)
            if (
                own is not None
                and verdict.status not in MATCHED_STATUSES
                and decision.probability >= model.threshold
                and len(verdict.claim.normalized.split()) >= min_words
            ):
                others = tuple(m for m in verdict.matches if m is not own)
                status = "debunked" if rating_class(own.debunk.label) == "refuted" else "fact_checked"
                verdict = replace(verdict, status=status, matches=(own, *others), signal=None)
            if verdict.matches and verdict.matches[0].debunk.id == decision.debunk_id:
                verdict = replace(verdict, block_confidence=decision.probability)
        weighed.append(verdict)
    return weighed
