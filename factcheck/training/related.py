"""The reader's "possibly related" threshold, read off the shipped matcher's dev predictions.

A claim whose best debunk is under the match threshold (precision >= 0.95) but at or above this one is
shown to readers as *possibly related* to that fact-check (issue 19): never as false. The threshold is
the lowest at which the top candidates that land in that band, [related, match), are right at least
RELATED_PRECISION_TARGET of the time on dev, over at least MIN_BAND claims (dev claims without any
debunk count: each one in the band is a wrong card). Band precision by default: a reader sees the
band's cards, and the 95 %-precise matches above them would otherwise hide a weak band (`basis=
"cumulative"` takes precision over everything at or above the threshold instead, the convention of
the match threshold; both figures are recorded). When no threshold reaches the target, the tier is
off: the threshold is the match threshold, an empty band.

It is not the editors' suggest threshold (tuned for recall), and it depends on the matcher's
calibration, so it is recomputed, not trained: `factcheck train related-threshold` runs the matcher as
checks run it (`Matcher.load`, `index`, `search`) over the dev splits the matcher was calibrated on, and
records the result in the profile's section of `models/matcher/manifest.json`. Rerun it after every
`factcheck train matcher`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import numpy as np

from factcheck.errors import ModelArtifactError
from factcheck.matching import Matcher, entries_from_debunks
from factcheck.matching.embeddings import VectorCache
from factcheck.matching.reranker import MANIFEST, read_manifest
from factcheck.training.matcher import Split, load_checkthat_splits
from factcheck.verdicts import RELATED_THRESHOLD_KEY

__all__ = [
    "RELATED_PRECISION_TARGET",
    "RelatedThreshold",
    "choose_related_threshold",
    "measure_related_threshold",
    "record_related_threshold",
]

RELATED_PRECISION_TARGET = 0.80
MIN_BAND = 10  # fewer dev claims in the band say little about its precision
Basis = Literal["band", "cumulative"]
COMMAND = "factcheck train related-threshold"


@dataclass(frozen=True)
class RelatedThreshold:
    """The chosen threshold and what it does on dev; stored as is in the manifest."""

    profile: str
    threshold: float
    precision_target: float
    basis: Basis
    dev_precision: float | None  # of the top candidates in [threshold, match); None when it is empty
    dev_precision_at_or_above: float  # of the top candidates at or above the threshold, matches included
    dev_shown: int  # dev claims whose top candidate lands in that band
    dev_claims_with_debunk: int
    dev_recall_gain: float  # share of dev claims with a debunk whose right one the band shows
    dev_claims_without_debunk: int
    dev_negatives_shown: float  # share of dev claims without a debunk shown as possibly related
    match_threshold: float
    suggest_threshold: float
    splits: tuple[str, ...]
    matcher_trained: str
    computed: str
    command: str = COMMAND


def choose_related_threshold(
    top: np.ndarray, correct: np.ndarray, *, match: float, floor: float, target: float, basis: Basis = "band"
) -> float:
    """The lowest threshold in [floor, match] whose top candidates are right at least `target` of the
    time, in its band [threshold, match) (`basis="band"`) or at or above it (`"cumulative"`), with at
    least MIN_BAND claims in the band; `match` (an empty band: the tier off) when none is."""
    counted = top >= floor if basis == "cumulative" else (top >= floor) & (top < match)
    scores, right = top[counted], correct[counted]
    order = np.argsort(-scores, kind="stable")
    precision = np.cumsum(right[order]) / np.arange(1, len(order) + 1)
    in_band = np.cumsum(scores[order] < match)
    ok = np.flatnonzero((precision >= target) & (in_band >= MIN_BAND))
    return float(scores[order][ok.max()]) if len(ok) else match


def _top_candidates(matcher: Matcher, splits: list[Split]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each dev claim's best probability, whether that debunk is right, and whether it has a debunk."""
    top, correct, labelled = [], [], []
    by_collection: dict[int, list[Split]] = {}
    for split in splits:
        by_collection.setdefault(id(split.collection), []).append(split)
    for group in by_collection.values():
        collection = group[0].collection
        matcher.index(entries_from_debunks(collection.debunks, kinds=matcher.config.kinds))
        for split in group:
            for query, found in zip(split.queries, matcher.search(split.texts, k=1), strict=True):
                best = found[0] if found else None
                top.append(best.probability if best else 0.0)
                correct.append(best is not None and best.debunk_id in split.relevant.get(query, ()))
                labelled.append(bool(split.relevant))
    return np.asarray(top), np.asarray(correct, dtype=bool), np.asarray(labelled, dtype=bool)


def measure_related_threshold(
    models_dir: Path,
    data_dir: Path,
    *,
    profile: str = "full",
    vector_cache: VectorCache | None = None,
    seed: int | None = None,
    target: float = RELATED_PRECISION_TARGET,
    basis: Basis = "band",
) -> RelatedThreshold:
    """Run the shipped matcher of `profile` over its dev splits and choose the related threshold."""
    manifest = read_manifest(models_dir / "matcher")
    matcher = Matcher.load(models_dir, vector_cache=vector_cache, profile=profile)  # type: ignore[arg-type]
    seed = int(manifest.get("random_state", 0)) if seed is None else seed
    # the dev splits the matcher was calibrated on (the same seed draws the same sentences without a debunk)
    splits = list(load_checkthat_splits(data_dir, seed=seed).dev)
    top, correct, labelled = _top_candidates(matcher, splits)
    match, suggest = matcher.match_threshold, matcher.suggest_threshold
    threshold = choose_related_threshold(top, correct, match=match, floor=suggest, target=target, basis=basis)
    band = (top >= threshold) & (top < match)
    shown = int(band.sum())
    return RelatedThreshold(
        profile=profile,
        threshold=threshold,
        precision_target=target,
        basis=basis,
        dev_precision=round(float(correct[band].mean()), 4) if shown else None,
        dev_precision_at_or_above=round(float(correct[top >= threshold].mean()), 4),
        dev_shown=shown,
        dev_claims_with_debunk=int(labelled.sum()),
        dev_recall_gain=round(float((band & correct)[labelled].mean()), 4) if labelled.any() else 0.0,
        dev_claims_without_debunk=int((~labelled).sum()),
        dev_negatives_shown=round(float(band[~labelled].mean()), 4) if (~labelled).any() else 0.0,
        match_threshold=match,
        suggest_threshold=suggest,
        splits=tuple(split.name for split in splits),
        matcher_trained=str(manifest.get("trained", "")),
        computed=date.today().isoformat(),
    )


def record_related_threshold(models_dir: Path, result: RelatedThreshold) -> Path:
    """Write `result` into its profile's section of the matcher manifest, leaving every other key."""
    path = models_dir / "matcher" / MANIFEST
    manifest = read_manifest(models_dir / "matcher")
    section = manifest.get("profiles", {}).get(result.profile)
    if not isinstance(section, dict):
        raise ModelArtifactError(f"{path} has no matcher profile {result.profile!r}")
    record = asdict(result)
    record.pop("profile")
    record["splits"] = list(result.splits)
    section[RELATED_THRESHOLD_KEY] = record
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path
