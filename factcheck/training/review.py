"""Editors' decisions as training data: retrain the matcher's re-ranker with the reviewed pairs added.

The CLEF-2022 2A *train* split (`REVIEW_SPLIT`) also gets the editors' reviewed claims, in memory:

    collection  + every debunk an editor confirmed or rejected, as one more verified claim
    queries     + every reviewed claim wording that has a confirmed debunk
    relevant    + (wording, confirmed debunk)

and `train_matcher` runs on those splits, so training, calibration and thresholds stay one piece of
code. As in CheckThat!, every other candidate the cascade finds for such a wording is a negative
example, rejected debunks included. A wording that only has rejections has no relevant debunk, and
`train_matcher` learns nothing from a labelled query without one: those pairs are counted in the
report as `unused_rejections`. Dev splits are not touched, so the before/after figures compare.

The new re-ranker is trained into a staging folder and replaces `models/matcher/` only when its
pooled dev MAP@5 is not lower than the current one's (or when `replace="always"`).
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from factcheck._text import canonical_key
from factcheck.errors import InputError, ModelArtifactError
from factcheck.evaluation.retrieval import Collection
from factcheck.review import ReviewedPair, ReviewQueue
from factcheck.store import Store
from factcheck.training.matcher import (
    Split,
    assemble_splits,
    negative_sentences,
    read_labelled_splits,
    train_matcher,
)
from factcheck.types import Debunk

__all__ = [
    "AugmentedData",
    "ReviewTrainingReport",
    "add_reviewed_pairs",
    "install_if_chosen",
    "train_reranker_with_reviews",
]

REVIEW_SPLIT = "2a-train"  # the Snopes-style train split our claims and debunks are added to
QUERY_PREFIX = "review-"
VCLAIM_PREFIX = "vclaim-review-"


@dataclass(frozen=True)
class AugmentedData:
    """What was added to the training split."""

    queries: int
    positives: int
    debunks: int
    unused_rejections: int


@dataclass
class ReviewTrainingReport:
    """Dev figures (pooled over the dev splits) per profile, before and after; and what was used."""

    before: dict[str, dict[str, float]] = field(default_factory=dict)
    after: dict[str, dict[str, float]] = field(default_factory=dict)
    added: AugmentedData | None = None
    replaced: bool = False
    staged_profiles: tuple[str, ...] = ()  # every profile the staged model holds (retrained or carried over)
    model_dir: Path | None = None
    staged_dir: Path | None = None
    seconds: float = 0.0


def add_reviewed_pairs(
    split: Split, pairs: Sequence[ReviewedPair], debunks: dict[int, Debunk], *, repeat: int = 1
) -> tuple[Split, AugmentedData]:
    """`split` with every reviewed wording that has a confirmed debunk as one more query.

    Each debunk an editor confirmed or rejected joins the split's collection as one more verified
    claim (merged into an existing one with the same URL and claim, as the store's import would), so
    rejected debunks are among the candidates the re-ranker learns to push down. `repeat` > 1 adds
    each wording that many times (as distinct queries), to give editors' judgements more weight than
    one tweet each among thousands.
    """
    if repeat < 1:
        raise InputError(f"repeat must be at least 1, got {repeat}")
    positives: dict[str, set[int]] = defaultdict(set)
    rejected: dict[str, set[int]] = defaultdict(set)
    for pair in pairs:
        if pair.debunk_id in debunks and pair.claim_text.strip():
            (positives if pair.matches else rejected)[pair.claim_text.strip()].add(pair.debunk_id)
    used_debunks = sorted({d for ids in (*positives.values(), *rejected.values()) for d in ids})
    unused = sum(len(ids) for text, ids in rejected.items() if text not in positives)
    collection = _with_debunks(split.collection, {d: debunks[d] for d in used_debunks})
    queries, texts, relevant = list(split.queries), list(split.texts), dict(split.relevant)
    for number, (text, ids) in enumerate(sorted(positives.items())):
        for copy in range(repeat):
            query_id = f"{QUERY_PREFIX}{number}-{copy}"
            queries.append(query_id)
            texts.append(" ".join(text.split()))
            relevant[query_id] = {collection.vclaim_to_debunk[f"{VCLAIM_PREFIX}{d}"] for d in ids}
    added = AugmentedData(
        queries=len(positives),
        positives=sum(len(ids) for ids in positives.values()),
        debunks=len(used_debunks),
        unused_rejections=unused,
    )
    return Split(split.name, collection, queries, texts, relevant), added


def _with_debunks(collection: Collection, debunks: dict[int, Debunk]) -> Collection:
    """A copy of `collection` that also holds `debunks` (store id -> debunk) as verified claims with ids
    `vclaim-review-<store id>`, shaped like a CheckThat! Snopes record: claim, title, explanation, URL, date."""
    ids = {(d.review_url, canonical_key(d.claim_reviewed)): d.id for d in collection.debunks}
    next_id = max((d.id or 0 for d in collection.debunks), default=0) + 1
    added: list[Debunk] = []
    mapping = dict(collection.vclaim_to_debunk)
    for store_id, debunk in debunks.items():
        vclaim_id = f"{VCLAIM_PREFIX}{store_id}"
        key = (debunk.review_url, canonical_key(debunk.claim_reviewed))
        existing = ids.get(key)
        if existing is None:
            existing = ids[key] = next_id
            next_id += 1
            added.append(
                Debunk(
                    claim_reviewed=debunk.claim_reviewed,
                    label="other",
                    title=debunk.title,
                    explanation=debunk.explanation,
                    review_url=debunk.review_url,
                    review_date=debunk.review_date,
                    external_id=vclaim_id,
                    id=existing,
                )
            )
        mapping[vclaim_id] = existing
    return dataclasses.replace(
        collection,
        debunks=[*collection.debunks, *added],
        vclaim_to_debunk=mapping,
        records=collection.records + len(debunks),
    )


def _pooled(manifest: dict[str, Any]) -> dict[str, dict[str, float]]:
    return {
        profile: {k: float(v) for k, v in section.get("dev", {}).get("dev-pooled", {}).items()}
        for profile, section in manifest.get("profiles", {}).items()
    }


def _read_current(matcher_dir: Path) -> dict[str, dict[str, float]]:
    from factcheck.matching.reranker import read_manifest

    try:
        return _pooled(read_manifest(matcher_dir))
    except ModelArtifactError:
        return {}


def train_reranker_with_reviews(
    store: Store,
    data_dir: Path,
    models_dir: Path,
    *,
    random_state: int = 0,
    vector_cache: Any = None,
    profiles: Sequence[str] = ("full", "fast"),
    repeat: int = 1,
    replace: Literal["if_not_worse", "always", "never"] = "if_not_worse",
) -> ReviewTrainingReport:
    """Retrain the re-ranker on CheckThat! train plus the editors' reviewed pairs; compare on dev.

    The model is trained into `models_dir/matcher.with-reviews/` and then, following `replace`,
    moved to `models_dir/matcher/` (the previous one is kept as `matcher.previous/`).
    """
    started = time.perf_counter()
    pairs = ReviewQueue(store).reviewed_pairs()
    if not any(pair.matches for pair in pairs):
        raise InputError(
            "no confirmed matches to learn from yet: confirm some suggested matches in the review queue first"
        )
    debunks = store.get_many({pair.debunk_id for pair in pairs})
    live = models_dir / "matcher"
    staged = models_dir / "matcher.with-reviews"
    report = ReviewTrainingReport(before=_read_current(live), model_dir=live, staged_dir=staged)
    labelled = read_labelled_splits(data_dir)
    labelled[REVIEW_SPLIT], report.added = add_reviewed_pairs(
        labelled[REVIEW_SPLIT], pairs, debunks, repeat=repeat
    )
    splits = assemble_splits(labelled, negative_sentences(data_dir, seed=random_state))
    stage_root = Path(tempfile.mkdtemp(prefix="factcheck-reviews-model-"))
    try:
        # train_matcher writes <out>/matcher/ and needs <out>/embeddings/static/: share the live one.
        embeddings = models_dir / "embeddings"
        if embeddings.exists():
            (stage_root / "embeddings").symlink_to(embeddings.resolve())
        if live.is_dir():  # train_matcher carries over the profiles this run does not retrain
            shutil.copytree(live, stage_root / "matcher")
        trained = train_matcher(
            splits, stage_root, random_state=random_state, vector_cache=vector_cache, profiles=tuple(profiles)
        )
        report.after = {profile: dict(m["dev-pooled"]) for profile, m in trained.dev.items()}
        report.staged_profiles = tuple(sorted(_read_current(stage_root / "matcher"))) or tuple(report.after)
        if staged.exists():
            shutil.rmtree(staged)
        shutil.move(str(stage_root / "matcher"), staged)
    finally:
        shutil.rmtree(stage_root, ignore_errors=True)
    install_if_chosen(report, replace)
    report.seconds = time.perf_counter() - started
    return report


def install_if_chosen(
    report: ReviewTrainingReport, replace: Literal["if_not_worse", "always", "never"]
) -> bool:
    """Move the staged model over the live one when `replace` says so; the live one becomes matcher.previous/.

    Never when the live model has a profile the staged one lacks: replacing would drop it.
    """
    if report.model_dir is None or report.staged_dir is None:
        raise ValueError("the report names no live and staged model folders")
    complete = set(report.before) <= set(report.staged_profiles or report.after)
    report.replaced = complete and (replace == "always" or (replace == "if_not_worse" and _not_worse(report)))
    if report.replaced:
        live, staged = report.model_dir, report.staged_dir
        previous = live.with_name("matcher.previous")
        if previous.exists():
            shutil.rmtree(previous)
        if live.exists():
            live.rename(previous)
        staged.rename(live)
    return report.replaced


def _not_worse(report: ReviewTrainingReport) -> bool:
    """Every retrained profile's pooled dev MAP@5 is at least the current model's (no current: True)."""
    for profile, after in report.after.items():
        before = report.before.get(profile)
        if before and after.get("map@5", 0.0) < before.get("map@5", 0.0):
            return False
    return True
