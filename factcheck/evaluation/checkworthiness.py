"""Read the check-worthiness datasets in their native formats and score a model on them.

Three public datasets, each in the layout its authors published:

    dataset         native files                                  ranking unit    official metric
    clef2020-task1  TSV `topic_id tweet_id tweet_url tweet_text    topic           MAP
                    claim check_worthiness` (+ optional JSON Lines
                    of tweet objects beside it)
    clef2020-task5  TSV `line speaker sentence label`, one file     transcript      MAP over transcripts
                    per debate/speech (a file or a folder of them)
    claimbuster     JSON array of {sentence_id, label, text}        file            F1 of the CFS class

`read_labelled(path)` detects which one a path holds from its content, not its name. `evaluate(scores, data)`
computes the metrics every one of these tasks reported: MAP (averaged over ranking units, as the CheckThat!
scorers do), R-precision, reciprocal rank, P@k, and precision/recall/F1 of the check-worthy class at a threshold.
`run_checkworthiness_eval` does both with a shipped model; `factcheck eval checkworthiness` calls it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import numpy as np

from factcheck.checkworthiness import CheckworthinessModel, Domain
from factcheck.errors import InputError, UnsupportedFormatError

DatasetName = Literal["clef2020-task1", "clef2020-task5", "claimbuster"]
DATASET_NAMES: tuple[str, ...] = get_args(DatasetName)

PRECISION_AT = (1, 3, 5, 10, 20, 30)

_TASK1_HEADER = ("topic_id", "tweet_id", "tweet_url", "tweet_text")


@dataclass(frozen=True)
class LabelledSentence:
    """One sentence (or tweet) with its gold label; `group` is the unit a ranking is scored within."""

    text: str
    label: int
    group: str
    item_id: str


@dataclass(frozen=True)
class LabelledData:
    """Sentences of one dataset, in file order (the order breaks ties between equal scores)."""

    dataset: DatasetName
    items: tuple[LabelledSentence, ...]
    sources: tuple[str, ...] = ()

    @property
    def texts(self) -> list[str]:
        return [item.text for item in self.items]

    @property
    def labels(self) -> np.ndarray:
        return np.fromiter((item.label for item in self.items), dtype=np.int8, count=len(self.items))

    def select(self, keep: Iterable[bool]) -> LabelledData:
        kept = tuple(item for item, flag in zip(self.items, keep, strict=True) if flag)
        return LabelledData(self.dataset, kept, self.sources)


# --------------------------------------------------------------------------------------------- readers


def read_labelled(path: str | Path) -> LabelledData:
    """Read any split of the three datasets from `path` (a file, or a folder of task 5 transcripts).

    Raises InputError when the path is missing or holds no gold labels, UnsupportedFormatError when the
    content matches none of the three formats.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix in {".tsv", ".json"})
        tsv_files = [p for p in files if p.suffix == ".tsv"]
        if tsv_files and all(_sniff_tsv(p) == "clef2020-task5" for p in tsv_files):
            return _concat("clef2020-task5", [_read_task5(p) for p in tsv_files])
        if len(files) == 1:
            return read_labelled(files[0])
        raise UnsupportedFormatError(
            f"{path} is a folder, and only a folder of CheckThat! task 5 transcripts (.tsv) can be read "
            f"as one dataset; pass one file instead"
        )
    if not path.is_file():
        raise InputError(f"no such file or folder: {path}")
    if path.suffix == ".json":
        first = _first_char(path)
        if first == "[":
            return _read_claimbuster(path)
        if first == "{":
            return _read_task1_json(path)
        raise UnsupportedFormatError(f"{path}: neither a ClaimBuster JSON array nor JSON Lines of tweets")
    kind = _sniff_tsv(path)
    if kind == "clef2020-task1":
        return _read_task1_tsv(path)
    if kind == "clef2020-task5":
        return _read_task5(path)
    raise UnsupportedFormatError(
        f"{path}: not a CheckThat! 2020 task 1 TSV (header {' '.join(_TASK1_HEADER)} ...), a task 5 "
        f"transcript (line, speaker, sentence, label) or a ClaimBuster JSON array"
    )


def _first_char(path: Path) -> str:
    with path.open(encoding="utf-8") as handle:
        while chunk := handle.read(256):
            stripped = chunk.lstrip("\ufeff \t\r\n")
            if stripped:
                return stripped[0]
    return ""


def _sniff_tsv(path: Path) -> DatasetName | None:
    with path.open(encoding="utf-8", newline="") as handle:
        first = handle.readline().rstrip("\r\n").lstrip("\ufeff").split("\t")
    if tuple(first[:4]) == _TASK1_HEADER:
        return "clef2020-task1"
    if len(first) == 4 and first[0].strip().isdigit() and first[3].strip() in {"0", "1"}:
        return "clef2020-task5"
    return None


def _label(value: str, where: str) -> int:
    value = value.strip()
    if value not in {"0", "1"}:
        raise InputError(f"{where}: label must be 0 or 1, got {value!r}")
    return int(value)


def _read_task1_tsv(path: Path) -> LabelledData:
    items = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = [name.lstrip("\ufeff") for name in next(reader)]
        if "check_worthiness" not in header:
            raise InputError(
                f"{path}: this task 1 file has no check_worthiness column (test input without gold?)"
            )
        col = {name: index for index, name in enumerate(header)}
        for line_no, row in enumerate(reader, start=2):
            if not row:
                continue
            if len(row) != len(header):
                raise InputError(
                    f"{path}:{line_no}: expected {len(header)} tab-separated fields, got {len(row)}"
                )
            items.append(
                LabelledSentence(
                    text=row[col["tweet_text"]],
                    label=_label(row[col["check_worthiness"]], f"{path}:{line_no}"),
                    group=row[col["topic_id"]],
                    item_id=row[col["tweet_id"]],
                )
            )
    return LabelledData("clef2020-task1", tuple(items), (str(path),))


def _read_task1_json(path: Path) -> LabelledData:
    """Tweet objects (JSON Lines) carry no labels: take them from the TSV of the same name beside the file."""
    gold_path = path.with_suffix(".tsv")
    if not gold_path.is_file():
        raise InputError(f"{path}: tweet objects carry no gold labels, and {gold_path.name} is not beside it")
    gold = {item.item_id: item for item in _read_task1_tsv(gold_path).items}
    items = []
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                tweet = json.loads(line)
                tweet_id = str(tweet["id_str"] if "id_str" in tweet else tweet["id"])
                text = tweet.get("full_text") or tweet["text"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise InputError(f"{path}:{line_no}: not a tweet object ({exc})") from exc
            if tweet_id in gold:
                items.append(LabelledSentence(text, gold[tweet_id].label, gold[tweet_id].group, tweet_id))
    return LabelledData("clef2020-task1", tuple(items), (str(path),))


def _read_task5(path: Path) -> LabelledData:
    items = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        for line_no, row in enumerate(reader, start=1):
            if not row:
                continue
            if len(row) != 4:
                raise InputError(f"{path}:{line_no}: expected 4 tab-separated fields, got {len(row)}")
            items.append(
                LabelledSentence(
                    text=row[2],
                    label=_label(row[3], f"{path}:{line_no}"),
                    group=path.stem,
                    item_id=f"{path.stem}:{row[0].strip()}",
                )
            )
    return LabelledData("clef2020-task5", tuple(items), (str(path),))


def _read_claimbuster(path: Path) -> LabelledData:
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        items = tuple(
            LabelledSentence(
                text=str(record["text"]),
                label=_label(str(record["label"]), f"{path}: sentence {record['sentence_id']}"),
                group=path.stem,
                item_id=str(record["sentence_id"]),
            )
            for record in records
        )
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise InputError(
            f"{path}: not a ClaimBuster file, an array of {{sentence_id, label, text}} ({exc})"
        ) from exc
    return LabelledData("claimbuster", items, (str(path),))


def _concat(dataset: DatasetName, parts: Sequence[LabelledData]) -> LabelledData:
    items = tuple(item for part in parts for item in part.items)
    sources = tuple(source for part in parts for source in part.sources)
    return LabelledData(dataset, items, sources)


# --------------------------------------------------------------------------------------------- metrics


@dataclass(frozen=True)
class RankingMetrics:
    """The CheckThat! ranking measures of one ranking unit (a debate, a topic, a file)."""

    average_precision: float
    r_precision: float
    reciprocal_rank: float
    precision_at: dict[int, float] = field(default_factory=dict)


def ranking_metrics(scores: np.ndarray, labels: np.ndarray) -> RankingMetrics:
    """Score one ranking as the CheckThat! 2020 scorers do: sort by score, ties kept in input order.

    P@k is reported only for k no larger than the number of items.
    """
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    ranked = np.asarray(labels)[order] == 1
    num_positive = int(ranked.sum())
    hits = np.cumsum(ranked)
    ranks = np.arange(1, len(ranked) + 1)
    average_precision = float((hits / ranks)[ranked].sum() / num_positive) if num_positive else 0.0
    r_precision = float(hits[num_positive - 1] / num_positive) if num_positive else 0.0
    first = np.flatnonzero(ranked)
    reciprocal_rank = float(1.0 / (first[0] + 1)) if len(first) else 0.0
    precision_at = {k: float(hits[k - 1] / k) for k in PRECISION_AT if k <= len(ranked)}
    return RankingMetrics(average_precision, r_precision, reciprocal_rank, precision_at)


@dataclass(frozen=True)
class EvaluationReport:
    """Metrics of a scored dataset; `to_dict` gives the flat JSON the CLI prints."""

    dataset: DatasetName
    n_items: int
    n_positive: int
    n_groups: int
    threshold: float
    map: float
    r_precision: float
    mrr: float
    precision_at: dict[int, float]
    precision_positive: float
    recall_positive: float
    f1_positive: float
    f1_macro: float
    per_group: dict[str, RankingMetrics] = field(default_factory=dict)

    def to_dict(self, *, per_group: bool = False) -> dict[str, object]:
        out: dict[str, object] = {
            "dataset": self.dataset,
            "n_items": self.n_items,
            "n_positive": self.n_positive,
            "n_groups": self.n_groups,
            "threshold": round(self.threshold, 6),
            "map": self.map,
            "r_precision": self.r_precision,
            "mrr": self.mrr,
            **{f"p@{k}": value for k, value in self.precision_at.items()},
            "precision_positive": self.precision_positive,
            "recall_positive": self.recall_positive,
            "f1_positive": self.f1_positive,
            "f1_macro": self.f1_macro,
        }
        if per_group:
            out["per_group"] = {
                name: {
                    "average_precision": metrics.average_precision,
                    "r_precision": metrics.r_precision,
                    "reciprocal_rank": metrics.reciprocal_rank,
                    **{f"p@{k}": value for k, value in metrics.precision_at.items()},
                }
                for name, metrics in self.per_group.items()
            }
        return out


def _f1(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def evaluate(scores: np.ndarray, data: LabelledData, *, threshold: float) -> EvaluationReport:
    """Rank within each group (MAP etc. averaged over groups) and classify at `threshold` (F1 etc.)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = data.labels
    if len(scores) != len(labels):
        raise ValueError(f"scores has {len(scores)} entries but the data has {len(labels)} items")
    if not len(labels):
        raise InputError("no labelled items to evaluate")
    groups: dict[str, list[int]] = {}
    for index, item in enumerate(data.items):
        groups.setdefault(item.group, []).append(index)
    per_group = {name: ranking_metrics(scores[idx], labels[idx]) for name, idx in groups.items()}
    # CheckThat! averages over every debate; P@k only over those long enough to have k sentences.
    ks = sorted({k for metrics in per_group.values() for k in metrics.precision_at})
    precision_at = {
        k: float(np.mean([m.precision_at[k] for m in per_group.values() if k in m.precision_at])) for k in ks
    }
    predicted = scores >= threshold
    positive = labels == 1
    tp = int((predicted & positive).sum())
    fp = int((predicted & ~positive).sum())
    fn = int((~predicted & positive).sum())
    tn = len(labels) - tp - fp - fn
    precision, recall, f1_pos = _f1(tp, fp, fn)
    f1_neg = _f1(tn, fn, fp)[2]
    return EvaluationReport(
        dataset=data.dataset,
        n_items=len(labels),
        n_positive=int(positive.sum()),
        n_groups=len(groups),
        threshold=threshold,
        map=float(np.mean([m.average_precision for m in per_group.values()])),
        r_precision=float(np.mean([m.r_precision for m in per_group.values()])),
        mrr=float(np.mean([m.reciprocal_rank for m in per_group.values()])),
        precision_at=precision_at,
        precision_positive=precision,
        recall_positive=recall,
        f1_positive=f1_pos,
        f1_macro=(f1_pos + f1_neg) / 2,
        per_group=per_group,
    )


def best_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """The threshold that maximises F1 of the positive class, and that F1 (midpoint between scores)."""
    order = np.argsort(-scores, kind="stable")
    sorted_scores = scores[order]
    positive = labels[order] == 1
    tp = np.cumsum(positive)
    fp = np.cumsum(~positive)
    total = int(positive.sum())
    if total == 0:
        return 1.0, 0.0
    # Only cut where the score changes, so a threshold never splits tied items.
    last_of_tie = np.r_[sorted_scores[1:] != sorted_scores[:-1], True]
    f1 = np.where(last_of_tie, 2 * tp / (tp + fp + total), -1.0)
    best = int(np.argmax(f1))
    below = sorted_scores[best + 1] if best + 1 < len(sorted_scores) else 0.0
    threshold = float((sorted_scores[best] + below) / 2)
    return threshold, float(f1[best])


# --------------------------------------------------------------------------------------------- running

# The label scheme each dataset was annotated under, as the model's domain feature names it.
DATASET_DOMAINS: dict[str, Domain] = {
    "claimbuster": "general",
    "clef2020-task1": "social",
    "clef2020-task5": "transcript",
}
DEV_SPLIT_FILE = "dev_split.json"
Split = Literal["all", "dev"]


def select_dev(data: LabelledData, model_dir: Path) -> LabelledData:
    """Keep only the items the model in `model_dir` held out as dev (its dev_split.json says which)."""
    path = model_dir / DEV_SPLIT_FILE
    try:
        split = json.loads(path.read_text(encoding="utf-8"))[data.dataset]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(
            f"cannot tell which {data.dataset} items are dev: {path} is missing or lacks them"
        ) from exc
    if "groups" in split:
        groups = set(split["groups"])
        selected = data.select(item.group in groups for item in data.items)
    else:
        ids = set(split["item_ids"])
        selected = data.select(item.item_id in ids for item in data.items)
    if not selected.items:
        raise InputError(
            f"none of the {len(data.items):,} items read is in the model's {data.dataset} dev split"
        )
    return selected


def run_checkworthiness_eval(
    data_path: str | Path,
    *,
    model_dir: str | Path,
    split: Split = "all",
    domain: Domain | None = None,
) -> EvaluationReport:
    """Read `data_path` (any supported format), score it with the model in `model_dir`, and measure.

    `split="dev"` keeps only the items the model was tuned on, so the dev figures in its metadata can be
    reproduced from the original files. `domain` overrides the domain the dataset implies.
    """
    model_dir = Path(model_dir)
    model = CheckworthinessModel.load(model_dir)
    data = read_labelled(data_path)
    if split == "dev":
        data = select_dev(data, model_dir)
    domain = domain or DATASET_DOMAINS[data.dataset]
    scores = model.score(data.texts, domain=domain)
    return evaluate(scores, data, threshold=model.thresholds.get(domain, model.threshold))
