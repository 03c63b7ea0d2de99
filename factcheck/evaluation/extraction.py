"""Score main-text extraction on the Zyte (Scrapinghub) article-extraction benchmark.

Data layout (`shared/data/article_extraction/`): `html/<id>.html` pages and
`ground_truth.json` mapping each id to `{"articleBody": ..., "url": ...}`.

Two families of measures, both on the benchmark's tokens (regex `\\w+`, case kept):

- shingle P/R/F1, exactly as the benchmark's `evaluate.py` computes the published table:
  per page, multisets of 4-token shingles give TP/FP/FN; precision is averaged over
  pages with a prediction, recall over pages with a ground truth, and F1 is the
  harmonic mean of those two averages. `accuracy` is the share of pages whose token
  sequence matches exactly.
- token P/R/F1: the same per page on single tokens (bag of words), each averaged over
  pages; F1 here is the mean of per-page F1s, the stricter reading.

Published figure for comparison (all 181 pages, README of the benchmark at commit
4a3bc97): trafilatura 2.0.0, shingle F1 0.958 (P 0.938, R 0.978).
"""

from __future__ import annotations

import json
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from factcheck.errors import FactcheckError, InputError
from factcheck.ingest.html import document_from_html

__all__ = [
    "BenchmarkPage",
    "ExtractionReport",
    "PageScore",
    "evaluate_extraction",
    "load_benchmark",
    "score_page",
    "score_pages",
    "shingles",
    "tokens",
]

PUBLISHED_TRAFILATURA = {"version": "2.0.0", "f1": 0.958, "precision": 0.938, "recall": 0.978}
SHINGLE_SIZE = 4
_TOKEN = re.compile(r"\w+")

Extractor = Callable[[str, str], str]
"""(html, url) -> article text."""


@dataclass(frozen=True)
class BenchmarkPage:
    page_id: str
    html: str
    article_body: str
    url: str


@dataclass(frozen=True)
class PageScore:
    """One page: shingle TP/FP/FN normalized to sum to 1 (as the benchmark does), token P/R/F1."""

    page_id: str
    shingle_tp: float
    shingle_fp: float
    shingle_fn: float
    token_precision: float | None  # None when the prediction is empty
    token_recall: float
    token_f1: float
    exact: bool
    seconds: float


@dataclass(frozen=True)
class ExtractionReport:
    pages: int
    shingle_precision: float
    shingle_recall: float
    shingle_f1: float
    accuracy: float
    token_precision: float
    token_recall: float
    token_f1: float
    empty_predictions: int
    mean_ms_per_page: float  # CPU time of the extractor (process time), so a busy machine does not skew it
    median_ms_per_page: float

    def as_dict(self) -> dict[str, float | int | dict[str, float | str]]:
        return {**asdict(self), "published_trafilatura": PUBLISHED_TRAFILATURA}


def load_benchmark(data_dir: Path) -> list[BenchmarkPage]:
    """The pages of a benchmark folder, in id order; InputError if the layout is not there."""
    truth_path = data_dir / "ground_truth.json"
    if not truth_path.is_file():
        raise InputError(f"{data_dir} has no ground_truth.json; expected the article_extraction layout")
    truth = json.loads(truth_path.read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        html_path = data_dir / "html" / f"{page_id}.html"
        if not html_path.is_file():
            raise InputError(f"{html_path} is missing")
        entry = truth[page_id]
        pages.append(
            BenchmarkPage(
                page_id=page_id,
                html=html_path.read_text(encoding="utf-8"),
                article_body=entry.get("articleBody", ""),
                url=entry.get("url", ""),
            )
        )
    return pages


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text or "")


def shingles(words: Sequence[str], size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """4-token shingles; 1 to 3 tokens make one shorter shingle, none make none (as the benchmark)."""
    return Counter(
        tuple(words[i : i + size]) for i in range(max(1, len(words) - size + 1)) if words[i : i + size]
    )


def score_page(page_id: str, truth: str, prediction: str, seconds: float = 0.0) -> PageScore:
    true_words, predicted_words = tokens(truth), tokens(prediction)
    true_shingles, predicted_shingles = shingles(true_words), shingles(predicted_words)
    tp = sum((true_shingles & predicted_shingles).values())
    fp = sum((predicted_shingles - true_shingles).values())
    fn = sum((true_shingles - predicted_shingles).values())
    total = tp + fp + fn or 1
    true_bag, predicted_bag = Counter(true_words), Counter(predicted_words)
    overlap = sum((true_bag & predicted_bag).values())
    precision = overlap / len(predicted_words) if predicted_words else None
    recall = overlap / len(true_words) if true_words else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
    return PageScore(
        page_id=page_id,
        shingle_tp=tp / total,
        shingle_fp=fp / total,
        shingle_fn=fn / total,
        token_precision=precision,
        token_recall=recall,
        token_f1=f1,
        exact=true_words == predicted_words,
        seconds=seconds,
    )


def score_pages(scores: Sequence[PageScore]) -> ExtractionReport:
    """Aggregate page scores the benchmark's way (see the module docstring)."""
    if not scores:
        raise InputError("no pages to score")
    shingle_precision = _mean(
        _benchmark_ratio(s.shingle_tp, s.shingle_fp, s.shingle_fn)
        for s in scores
        if s.shingle_tp + s.shingle_fp > 0
    )
    shingle_recall = _mean(
        _benchmark_ratio(s.shingle_tp, s.shingle_fn, s.shingle_fp)
        for s in scores
        if s.shingle_tp + s.shingle_fn > 0
    )
    milliseconds = [s.seconds * 1000 for s in scores]
    return ExtractionReport(
        pages=len(scores),
        shingle_precision=shingle_precision,
        shingle_recall=shingle_recall,
        shingle_f1=_harmonic(shingle_precision, shingle_recall),
        accuracy=_mean(float(s.exact) for s in scores),
        token_precision=_mean(s.token_precision for s in scores if s.token_precision is not None),
        token_recall=_mean(s.token_recall for s in scores),
        token_f1=_mean(s.token_f1 for s in scores),
        empty_predictions=sum(1 for s in scores if s.token_precision is None),
        mean_ms_per_page=statistics.fmean(milliseconds),
        median_ms_per_page=statistics.median(milliseconds),
    )


def evaluate_extraction(data_dir: Path, *, extract: Extractor | None = None) -> ExtractionReport:
    """Run an extractor (default: `document_from_html`, with metadata) over every page and score it.

    A page the extractor refuses (InputError or any FactcheckError) counts as an empty
    prediction, as a crash would in production.
    """
    run = extract or _extract_with_factcheck
    scores = []
    for page in load_benchmark(data_dir):
        started = time.process_time()
        try:
            prediction = run(page.html, page.url)
        except FactcheckError:
            prediction = ""
        scores.append(score_page(page.page_id, page.article_body, prediction, time.process_time() - started))
    return score_pages(scores)


def _extract_with_factcheck(html: str, url: str) -> str:
    return document_from_html(html, url=url or None).text


def _benchmark_ratio(hit: float, miss: float, other_miss: float) -> float:
    """The benchmark's precision_score/recall_score: 1 when nothing is missed either way."""
    if miss == other_miss == 0:
        return 1.0
    return hit / (hit + miss) if hit + miss else 0.0


def _mean(values: Iterable[float]) -> float:
    collected = list(values)
    return statistics.fmean(collected) if collected else 0.0


def _harmonic(a: float, b: float) -> float:
    return 2 * a * b / (a + b) if a + b else 0.0
