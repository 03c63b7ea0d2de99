"""Editors' decisions as training data: retrain the matcher's re-ranker with the reviewed pairs added.

`factcheck.training.matcher.train_matcher` reads its training queries from CheckThat!-format files
under a data folder. This module builds a copy of that folder (symlinks, except three files) in
which the CLEF-2022 2A *train* split also holds the editors' reviewed claims:

    vclaims.jsonl          + every debunk an editor confirmed or rejected, as one more verified claim
    ..._Train_Queries.tsv  + every reviewed claim wording that has a confirmed debunk
    ..._Train_QRELs.tsv    + (wording, confirmed debunk) as relevant

and calls `train_matcher` on it unchanged, so training, calibration and thresholds stay one piece
of code. As in CheckThat!, every other candidate the cascade finds for such a wording is a negative
example, rejected debunks included. A wording that only has rejections has no relevant debunk, and
the CheckThat! format (and so `train_matcher`) drops such queries: those pairs are counted in the
report as `unused_rejections`. Dev splits are not touched, so the before/after figures compare.

The new re-ranker is trained into a staging folder and replaces `models/matcher/` only when its
pooled dev MAP@5 is not lower than the current one's (or when `replace="always"`).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from factcheck.errors import InputError, ModelArtifactError
from factcheck.review import ReviewedPair, ReviewQueue
from factcheck.store import Store
from factcheck.types import Debunk

__all__ = [
    "ReviewTrainingReport",
    "augment_training_data",
    "install_if_chosen",
    "train_reranker_with_reviews",
]

REVIEW_SPLIT = "2a-train"  # the Snopes-style train split our claims and debunks are added to
QUERY_PREFIX = "review-"
VCLAIM_PREFIX = "vclaim-review-"
COMPARED = ("map@1", "map@5", "p@1", "recall@5", "precision@match", "coverage@match", "recall@suggest_top5")


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


def _debunk_line(vclaim_id: str, debunk: Debunk) -> str:
    return json.dumps(
        {
            "vclaim_id": vclaim_id,
            "vclaim": debunk.claim_reviewed,
            "title": debunk.title,
            "subtitle": debunk.explanation,
            "page_url": debunk.review_url,
            "date": debunk.review_date.isoformat() if debunk.review_date else "",
        },
        ensure_ascii=False,
    )


def augment_training_data(
    pairs: Sequence[ReviewedPair],
    debunks: dict[int, Debunk],
    data_dir: Path,
    workdir: Path,
    *,
    datasets: dict[str, tuple[str, str, str]],
    repeat: int = 1,
) -> AugmentedData:
    """Mirror `data_dir` into `workdir` for `datasets`, adding the reviewed pairs to the train split.

    `repeat` > 1 adds each reviewed wording that many times (as distinct queries), to give editors'
    judgements more weight than one tweet each among thousands.
    """
    if repeat < 1:
        raise InputError(f"repeat must be at least 1, got {repeat}")
    collection_rel, queries_rel, qrels_rel = datasets[REVIEW_SPLIT]
    replaced = {collection_rel, queries_rel, qrels_rel}
    for parts in datasets.values():
        for relative in parts:
            target = workdir / relative
            if relative in replaced or target.exists():
                continue
            source = data_dir / relative
            if not source.is_file():
                raise InputError(f"training data missing: {source}")
            _link(source, target)
    # The sentences without a debunk the matcher also trains on (never-fact-checked debates, news).
    from factcheck.training.matcher import NEGATIVE_SOURCES

    for relative in NEGATIVE_SOURCES:
        source, target = data_dir / relative, workdir / relative
        if source.exists() and not target.exists():
            _link(source, target)

    positives: dict[str, set[int]] = defaultdict(set)
    rejected: dict[str, set[int]] = defaultdict(set)
    for pair in pairs:
        if pair.debunk_id in debunks and pair.claim_text.strip():
            (positives if pair.matches else rejected)[pair.claim_text.strip()].add(pair.debunk_id)
    used_debunks = sorted({d for ids in (*positives.values(), *rejected.values()) for d in ids})
    unused = sum(len(ids) for text, ids in rejected.items() if text not in positives)

    def copy_with(relative: str, extra: list[str]) -> None:
        target = workdir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        original = (data_dir / relative).read_text(encoding="utf-8")
        if original and not original.endswith("\n"):
            original += "\n"
        target.write_text(original + "".join(line + "\n" for line in extra), encoding="utf-8")

    copy_with(collection_rel, [_debunk_line(f"{VCLAIM_PREFIX}{d}", debunks[d]) for d in used_debunks])
    queries: list[str] = []
    qrels: list[str] = []
    for number, (text, ids) in enumerate(sorted(positives.items())):
        for copy in range(repeat):
            query_id = f"{QUERY_PREFIX}{number}-{copy}"
            queries.append(f"{query_id}\t{' '.join(text.split())}")
            qrels.extend(f"{query_id}\t0\t{VCLAIM_PREFIX}{d}\t1" for d in sorted(ids))
    copy_with(queries_rel, queries)
    copy_with(qrels_rel, qrels)
    return AugmentedData(
        queries=len(positives),
        positives=sum(len(ids) for ids in positives.values()),
        debunks=len(used_debunks),
        unused_rejections=unused,
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
    import time

    from factcheck.training.matcher import DATASETS, train_matcher

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
    stage_root = Path(tempfile.mkdtemp(prefix="factcheck-reviews-model-"))
    try:
        # train_matcher writes <out>/matcher/ and needs <out>/embeddings/static/: share the live one.
        embeddings = models_dir / "embeddings"
        if embeddings.exists():
            (stage_root / "embeddings").symlink_to(embeddings.resolve())
        if live.is_dir():  # train_matcher carries over the profiles this run does not retrain
            shutil.copytree(live, stage_root / "matcher")
        with tempfile.TemporaryDirectory(prefix="factcheck-reviews-data-") as tmp:
            report.added = augment_training_data(
                pairs, debunks, data_dir, Path(tmp), datasets=DATASETS, repeat=repeat
            )
            trained = train_matcher(
                Path(tmp),
                stage_root,
                random_state=random_state,
                vector_cache=vector_cache,
                profiles=tuple(profiles),
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


def _link(source: Path, target: Path) -> None:
    """Mirror one file or folder of the data into the work folder, without copying it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(source.resolve())
