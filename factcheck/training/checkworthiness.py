"""Train the check-worthiness model on the train splits of three public datasets, tune it on their dev splits.

    dataset (folder in shared/data)          domain      train                          dev
    clef2020_task1_checkworthy_tweets        social      training_v2.tsv                dev_v2.tsv
    clef2020_task5_checkworthy_debates       transcript  the 40 earliest transcripts    the 10 latest (as the
                                                                                        task's baseline did)
    claimbuster                              general     the rest                       20% of sentence ids, by
                                                                                        seeded shuffle

ClaimBuster's three files share their check-worthy sentences and differ in how many others they hold; the
union of all three (by sentence id) is split, and dev is scored on 2.5xNCS.json (the file its README
suggests). Any training text of 5 or more words equal (case, accents, punctuation aside) to a dev text of
any dataset is dropped from training, so dev figures are not inflated by duplicates across the datasets
(ClaimBuster and task 5 share the 2016 debates); shorter formulas ("Thank you very much.") stay.

Each dataset gets the same total sample weight, so 39k debate sentences do not drown 700 tweets. The
regularisation C, and whether ClaimBuster gets n-gram weights of its own on top of the shared ones, are
chosen on dev by the mean of each dataset's official measure (task 1 MAP, task 5 MAP over transcripts,
ClaimBuster F1), so no one dev split decides. The chosen model's log-odds are then calibrated per domain (Platt
scaling on 3-fold out-of-fold predictions over the training set, so dev stays unseen), and the check-worthy
threshold of each domain is the F1-best one on its dev.
The shipped model is the one trained on train only, so `factcheck eval checkworthiness --split dev`
reproduces the dev figures recorded in metadata.json.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from factcheck._text import canonical_key
from factcheck.checkworthiness import CheckworthinessClassifier, CheckworthinessModel
from factcheck.errors import InputError
from factcheck.evaluation.checkworthiness import (
    DATASET_DOMAINS,
    DEV_SPLIT_FILE,
    DatasetName,
    EvaluationReport,
    LabelledData,
    best_f1_threshold,
    evaluate,
    read_labelled,
)

__all__ = [
    "Splits",
    "TrainingResult",
    "load_splits",
    "save_training_result",
    "train_checkworthiness",
]

# (C, domains with their own n-gram weights): the shared model, and one where ClaimBuster's labels get
# their own weights on top of the shared ones.
DEFAULT_GRID: tuple[tuple[float, tuple[str, ...]], ...] = (
    (0.1, ()),
    (0.25, ()),
    (0.1, ("general",)),
    (0.2, ("general",)),
)
DEFAULT_SEED = 2026
CALIBRATION_FOLDS = 3
TASK5_DEV_TRANSCRIPTS = 10
CLAIMBUSTER_DEV_FRACTION = 0.2
CLAIMBUSTER_FILES = ("2xNCS.json", "2.5xNCS.json", "3xNCS.json")
CLAIMBUSTER_DEV_FILE = "2.5xNCS.json"
MIN_DEDUP_WORDS = 5
TASK1_DIR = "clef2020_task1_checkworthy_tweets"
TASK5_DIR = "clef2020_task5_checkworthy_debates"
CLAIMBUSTER_DIR = "claimbuster"


@dataclass(frozen=True)
class Splits:
    """Train and dev data per dataset, and how dev was carved (recorded with the model)."""

    train: dict[DatasetName, LabelledData]
    dev: dict[DatasetName, LabelledData]
    dev_split: dict[str, dict[str, list[str]]]
    sources: dict[str, list[str]]
    dropped_duplicates: int = 0


def _require(path: Path) -> Path:
    if not path.exists():
        raise InputError(f"{path} is missing; --data must be the shared data folder (with {TASK1_DIR}/, ...)")
    return path


def _is_specific(text: str) -> bool:
    """Long enough that a repeat is the same statement, not a formula ("Thank you very much.")."""
    return len(text.split()) >= MIN_DEDUP_WORDS


def load_splits(data_dir: str | Path, *, seed: int = DEFAULT_SEED) -> Splits:
    """Read the three datasets from `data_dir` and split them as the module docstring says."""
    data_dir = Path(data_dir)
    task1_train = read_labelled(_require(data_dir / TASK1_DIR / "training_v2.tsv"))
    task1_dev = read_labelled(_require(data_dir / TASK1_DIR / "dev_v2.tsv"))

    transcripts = read_labelled(_require(data_dir / TASK5_DIR / "training"))
    names = sorted({item.group for item in transcripts.items})  # file names start with the date
    dev_transcripts = set(names[-TASK5_DEV_TRANSCRIPTS:])
    task5_train = transcripts.select(item.group not in dev_transcripts for item in transcripts.items)
    task5_dev = transcripts.select(item.group in dev_transcripts for item in transcripts.items)

    claimbuster_dir = _require(data_dir / CLAIMBUSTER_DIR)
    by_id = {}
    for name in CLAIMBUSTER_FILES:
        for item in read_labelled(_require(claimbuster_dir / name)).items:
            by_id[item.item_id] = item
    ids = sorted(by_id, key=int)
    random.Random(seed).shuffle(ids)
    dev_ids = set(ids[: round(CLAIMBUSTER_DEV_FRACTION * len(ids))])
    union = LabelledData("claimbuster", tuple(by_id[i] for i in sorted(by_id, key=int)))
    claimbuster_train = union.select(item.item_id not in dev_ids for item in union.items)
    scored_file = read_labelled(claimbuster_dir / CLAIMBUSTER_DEV_FILE)
    claimbuster_dev = scored_file.select(item.item_id in dev_ids for item in scored_file.items)

    dev: dict[DatasetName, LabelledData] = {
        "clef2020-task1": task1_dev,
        "clef2020-task5": task5_dev,
        "claimbuster": claimbuster_dev,
    }
    dev_keys = {
        canonical_key(item.text) for data in dev.values() for item in data.items if _is_specific(item.text)
    }
    train: dict[DatasetName, LabelledData] = {}
    dropped = 0
    for data in (task1_train, task5_train, claimbuster_train):
        keep = [
            not _is_specific(item.text) or canonical_key(item.text) not in dev_keys for item in data.items
        ]
        dropped += keep.count(False)
        train[data.dataset] = data.select(keep)
    return Splits(
        train=train,
        dev=dev,
        dev_split={
            "clef2020-task1": {"item_ids": [item.item_id for item in task1_dev.items]},
            "clef2020-task5": {"groups": sorted(dev_transcripts)},
            "claimbuster": {"item_ids": sorted(dev_ids, key=int)},
        },
        sources={
            "clef2020-task1": [f"{TASK1_DIR}/training_v2.tsv", f"{TASK1_DIR}/dev_v2.tsv (dev)"],
            "clef2020-task5": [f"{TASK5_DIR}/training/*.tsv ({len(names)} transcripts)"],
            "claimbuster": [f"{CLAIMBUSTER_DIR}/{name}" for name in CLAIMBUSTER_FILES],
        },
        dropped_duplicates=dropped,
    )


@dataclass(frozen=True)
class TrainingResult:
    model: CheckworthinessModel
    dev_reports: dict[str, EvaluationReport]
    search: list[dict[str, object]]
    splits: Splits
    seconds: float = 0.0


def _selection_score(reports: dict[str, EvaluationReport]) -> float:
    """Mean of each dataset's official measure: MAP for the CheckThat! tasks, F1 for ClaimBuster."""
    return float(
        np.mean(
            [
                reports["clef2020-task1"].map,
                reports["clef2020-task5"].map,
                reports["claimbuster"].f1_positive,
            ]
        )
    )


@dataclass(frozen=True)
class _TrainingSet:
    """The train splits of all datasets as one weighted set."""

    texts: list[str]
    labels: np.ndarray
    domains: list[str]
    weights: np.ndarray

    @classmethod
    def from_splits(cls, splits: Splits) -> _TrainingSet:
        texts: list[str] = []
        labels: list[np.ndarray] = []
        domains: list[str] = []
        weights: list[np.ndarray] = []
        total = sum(len(data.items) for data in splits.train.values())
        for name, data in splits.train.items():
            texts.extend(data.texts)
            labels.append(data.labels)
            domains.extend([DATASET_DOMAINS[name]] * len(data.items))
            # Every dataset carries the same total weight; the mean weight stays 1.
            weights.append(np.full(len(data.items), total / (len(splits.train) * len(data.items))))
        return cls(texts, np.concatenate(labels), domains, np.concatenate(weights))

    def fit(
        self,
        c: float,
        domain_specific: tuple[str, ...],
        random_state: int,
        rows: np.ndarray | None = None,
    ) -> CheckworthinessClassifier:
        rows = np.arange(len(self.texts)) if rows is None else rows
        classifier = CheckworthinessClassifier(
            C=c, domain_specific=domain_specific, random_state=random_state
        )
        return classifier.fit(
            [self.texts[i] for i in rows],
            self.labels[rows],
            domains=[self.domains[i] for i in rows],
            sample_weight=self.weights[rows],
        )


def _calibrate(
    training: _TrainingSet, c: float, domain_specific: tuple[str, ...], random_state: int
) -> dict[str, tuple[float, float]]:
    """Platt scaling per domain, fitted on out-of-fold log-odds of the training set."""
    log_odds = np.zeros(len(training.texts))
    splitter = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=random_state)
    for fit_rows, held_out in splitter.split(np.zeros(len(training.labels)), training.labels):
        classifier = training.fit(c, domain_specific, random_state, fit_rows)
        log_odds[held_out] = classifier.decision_function(
            [training.texts[i] for i in held_out], domains=[training.domains[i] for i in held_out]
        )
    domains = np.asarray(training.domains)
    calibration = {}
    for domain in sorted(set(training.domains)):
        rows = domains == domain
        platt = LogisticRegression(C=1e4).fit(log_odds[rows].reshape(-1, 1), training.labels[rows])
        calibration[domain] = (float(platt.coef_[0, 0]), float(platt.intercept_[0]))
    return calibration


def _dev_scores(model: CheckworthinessModel, splits: Splits) -> dict[str, np.ndarray]:
    return {name: model.score(data.texts, domain=DATASET_DOMAINS[name]) for name, data in splits.dev.items()}


def _reports(
    splits: Splits, scores: dict[str, np.ndarray]
) -> tuple[dict[str, EvaluationReport], dict[str, float]]:
    thresholds: dict[str, float] = {}
    reports: dict[str, EvaluationReport] = {}
    for name, data in splits.dev.items():
        threshold, _ = best_f1_threshold(scores[name], data.labels)
        thresholds[DATASET_DOMAINS[name]] = threshold
        reports[name] = evaluate(scores[name], data, threshold=threshold)
    return reports, thresholds


def train_checkworthiness(
    data_dir: str | Path,
    *,
    grid: Sequence[tuple[float, tuple[str, ...]]] = DEFAULT_GRID,
    random_state: int = DEFAULT_SEED,
    log: Callable[[str], None] | None = None,
) -> TrainingResult:
    """Fit one classifier per grid point on the train splits, keep the best on dev, calibrate, pick thresholds.

    Calibration is monotone within a domain, so it changes no ranking and no best-threshold F1: the grid
    point is chosen on the raw model, then the chosen one is calibrated and its per-domain thresholds picked.
    Deterministic for a given `random_state` (which also seeds the ClaimBuster dev split).
    """
    say = log or (lambda message: None)
    started = time.perf_counter()
    splits = load_splits(data_dir, seed=random_state)
    for name, data in splits.train.items():
        say(f"train {name}: {len(data.items):,} texts, {int(data.labels.sum()):,} check-worthy")
    say(f"dropped {splits.dropped_duplicates} training texts that duplicate a dev text")
    training = _TrainingSet.from_splits(splits)
    best: tuple[float, float, tuple[str, ...], CheckworthinessClassifier] | None = None
    search: list[dict[str, object]] = []
    for c, domain_specific in grid:
        fit_started = time.perf_counter()
        classifier = training.fit(c, domain_specific, random_state)
        uncalibrated = CheckworthinessModel(classifier, thresholds={"general": 0.5})
        reports, _ = _reports(splits, _dev_scores(uncalibrated, splits))
        score = _selection_score(reports)
        search.append(
            {
                "C": c,
                "domain_specific": list(domain_specific),
                "selection_score": score,
                **{f"{name} map": report.map for name, report in reports.items()},
                **{f"{name} f1": report.f1_positive for name, report in reports.items()},
            }
        )
        say(
            f"C={c} domain-specific {domain_specific}: selection {score:.4f} ("
            + ", ".join(f"{n} MAP {r.map:.3f} F1 {r.f1_positive:.3f}" for n, r in reports.items())
            + f") in {time.perf_counter() - fit_started:.0f} s"
        )
        if best is None or score > best[0]:
            best = (score, c, domain_specific, classifier)
    if best is None:
        raise ValueError("grid is empty")
    _, best_c, best_domain_specific, classifier = best
    say(f"calibrating C={best_c} on {CALIBRATION_FOLDS}-fold out-of-fold predictions")
    calibration = _calibrate(training, best_c, best_domain_specific, random_state)
    reports, thresholds = _reports(
        splits,
        _dev_scores(
            CheckworthinessModel(classifier, thresholds={"general": 0.5}, calibration=calibration), splits
        ),
    )
    metadata = {
        "name": "checkworthiness",
        "created": date.today().isoformat(),
        "random_state": random_state,
        "training_data": {
            name: {
                "domain": DATASET_DOMAINS[name],
                "sources": splits.sources[name],
                "train_texts": len(splits.train[name].items),
                "train_positive": int(splits.train[name].labels.sum()),
                "dev_texts": len(splits.dev[name].items),
                "dev_positive": int(splits.dev[name].labels.sum()),
            }
            for name in splits.train
        },
        "dev_split": f"{DEV_SPLIT_FILE} (task 5: latest {TASK5_DEV_TRANSCRIPTS} transcripts; ClaimBuster: "
        f"{CLAIMBUSTER_DEV_FRACTION:.0%} of ids, seed {random_state}, scored on {CLAIMBUSTER_DEV_FILE})",
        "dropped_duplicates_of_dev": splits.dropped_duplicates,
        "selection": "mean of task 1 MAP, task 5 MAP, ClaimBuster F1 on dev",
        "search": search,
        "calibration_method": f"Platt scaling per domain on {CALIBRATION_FOLDS}-fold out-of-fold training log-odds",
        "dev_metrics": {name: report.to_dict() for name, report in reports.items()},
    }
    model = CheckworthinessModel(
        classifier, thresholds=thresholds, calibration=calibration, metadata=metadata
    )
    return TrainingResult(model, reports, search, splits, seconds=time.perf_counter() - started)


def save_training_result(result: TrainingResult, out: str | Path, *, overwrite: bool = False) -> Path:
    """Write the model artifact and the dev split it was tuned on into `out`."""
    folder = result.model.save(out, overwrite=overwrite)
    (folder / DEV_SPLIT_FILE).write_text(json.dumps(result.splits.dev_split) + "\n")
    return folder
