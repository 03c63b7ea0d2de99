"""Does fine-tuning MiniLM as a sentence classifier reach the check-worthiness targets? (issue 13; card)

The embedding benches only put an LR on frozen vectors; the published task 1 figures come from fine-tuned
transformers. This fine-tunes the packaged all-MiniLM-L6-v2 (pairmodel.py's `CrossEncoder`: a linear head
on the mean-pooled output) on "domain [SEP] sentence" — the domain word (`social`, `transcript`,
`general`) is the label scheme, as the n-gram model's one-hot is — with binary cross-entropy on the
train splits of all three datasets (`load_splits`, the shipped model's splits). Each dataset carries the
same total weight, as in the shipped model. A shared 2-core CPU allows a few thousand sentences, so every
check-worthy sentence is kept and the negatives of task 5 and ClaimBuster are subsampled (seeded); the
lower layers and the word embeddings stay frozen (less backward pass and optimiser work).

It prints, on the three dev splits and with the shipped evaluation: the shipped n-gram model (C = 0.1,
ClaimBuster's own copy, uncalibrated log-odds: calibration is monotone within a domain), the fine-tuned
model, and a blend per domain, n-gram log-odds + w x fine-tuned logit. w is chosen per domain on TRAIN
(n-gram out-of-fold log-odds; fine-tuned logits in-sample, which favours the fine-tuned model, or, with
--held-out, on a share of the sampled sentences kept out of fine-tuning); dev never chooses anything,
the dev figures of the other w are printed for information only. ClaimBuster F1 is given at its best
dev threshold (the card's F1*) and at the F1-best threshold on its train split.

    PYTHONPATH=. nice -n 10 .venv/bin/python bench/checkworthiness_finetune.py --data ../shared/data --max-negatives 1800
    (add --held-out 0.33 to choose the blend out of sample)
"""

from __future__ import annotations

import argparse
import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from factcheck._normalize import normalize_claim_text
from factcheck.evaluation.checkworthiness import (
    DATASET_DOMAINS,
    LabelledData,
    best_f1_threshold,
    evaluate,
)
from factcheck.training.checkworthiness import CALIBRATION_FOLDS, DEFAULT_SEED, _TrainingSet, load_splits
from factcheck.training.pairmodel import CrossEncoder, _similar_length_batches, fit

REPO = Path(__file__).resolve().parent.parent
C, DOMAIN_SPECIFIC = 0.1, ("general",)  # the shipped model's choice
BLEND_WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 4.0)
SCORE_BATCH = 64

Row = tuple[str, str, float, float]  # domain word, normalised text, label, sample weight


class SentenceClassifier(CrossEncoder):
    """The cross-encoder read as a sentence classifier: "domain [SEP] sentence", weighted BCE."""

    def freeze_below(self, layers: int) -> None:
        """Word embeddings and the first `layers` transformer layers keep the packaged weights."""
        frozen = [self.encoder.embeddings, *self.encoder.encoder.layer[:layers]]
        for module in frozen:
            for parameter in module.parameters():
                parameter.requires_grad = False

    def parameter_groups(self, lr: float, head_lr: float = 1e-3) -> list[dict[str, Any]]:
        return [
            {"params": [p for p in self.encoder.parameters() if p.requires_grad], "lr": lr},
            {"params": list(self.head.parameters()), "lr": head_lr},
        ]

    def loss(self, batch: list[Row]) -> Any:  # type: ignore[override]
        import torch

        logits = self.logits([row[0] for row in batch], [row[1] for row in batch])
        labels = torch.tensor([row[2] for row in batch], dtype=logits.dtype)
        weights = torch.tensor([row[3] for row in batch], dtype=logits.dtype)
        losses = torch.nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="none")
        return (weights * losses).mean()

    def score(self, domains: Sequence[str], texts: Sequence[str]) -> np.ndarray:
        """Logits in batches of similar length (little padding), in input order."""
        import torch

        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros(len(texts))
        with torch.no_grad():
            for start in range(0, len(order), SCORE_BATCH):
                rows = order[start : start + SCORE_BATCH]
                out[rows] = self.logits([domains[i] for i in rows], [texts[i] for i in rows]).numpy()
        return out


def training_rows(
    training: _TrainingSet, *, max_negatives: int, held_out: float, seed: int
) -> tuple[list[Row], np.ndarray, np.ndarray]:
    """Every positive, at most `max_negatives` negatives per domain, less a `held_out` share of each
    (domain, label) kept out of fine-tuning for choosing the blend; each domain the same total weight
    (mean weight 1). Returns the rows and the indices into `training` fine-tuned on and held out."""
    rng = random.Random(seed)
    domains = np.asarray(training.domains)
    kept: list[int] = []
    out: list[int] = []
    for domain in sorted(set(training.domains)):
        rows = np.flatnonzero(domains == domain)
        negatives = [int(i) for i in rows if training.labels[i] == 0]
        for group in ([int(i) for i in rows if training.labels[i] == 1], negatives):
            drawn = rng.sample(group, min(max_negatives, len(group))) if group is negatives else group
            aside = set(rng.sample(drawn, round(held_out * len(drawn))))
            kept += [i for i in drawn if i not in aside]
            out += sorted(aside)
    indices = np.asarray(sorted(kept))
    counts = {domain: int((domains[indices] == domain).sum()) for domain in set(training.domains)}
    per_domain = len(indices) / len(counts)
    rows = [
        (
            training.domains[i],
            normalize_claim_text(training.texts[i]),
            float(training.labels[i]),
            per_domain / counts[training.domains[i]],
        )
        for i in indices
    ]
    return rows, indices, np.asarray(sorted(out), dtype=int)


def ngram_log_odds(
    training: _TrainingSet, dev_texts: list[str], dev_domains: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """The shipped n-gram model's dev log-odds, and its out-of-fold log-odds over the training set."""
    classifier = training.fit(C, DOMAIN_SPECIFIC, DEFAULT_SEED)
    dev = classifier.decision_function(dev_texts, domains=dev_domains)
    out_of_fold = np.zeros(len(training.texts))
    folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=DEFAULT_SEED)
    for fit_rows, held_out in folds.split(np.zeros(len(training.labels)), training.labels):
        out_of_fold[held_out] = training.fit(C, DOMAIN_SPECIFIC, DEFAULT_SEED, fit_rows).decision_function(
            [training.texts[i] for i in held_out], domains=[training.domains[i] for i in held_out]
        )
    return dev, out_of_fold


def official_measure(name: str, scores: np.ndarray, data: LabelledData) -> float:
    """Task 1/5 MAP (over tweets / transcripts), ClaimBuster best-threshold F1."""
    threshold, f1 = best_f1_threshold(scores, data.labels)
    return f1 if name == "claimbuster" else evaluate(scores, data, threshold=threshold).map


def figures(scores: dict[str, np.ndarray], dev: dict[str, LabelledData]) -> tuple[float, float, float]:
    """Task 1 MAP, task 5 MAP, ClaimBuster F1*: the card's three dev figures."""
    return (
        official_measure("clef2020-task1", scores["clef2020-task1"], dev["clef2020-task1"]),
        official_measure("clef2020-task5", scores["clef2020-task5"], dev["clef2020-task5"]),
        official_measure("claimbuster", scores["claimbuster"], dev["claimbuster"]),
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--max-negatives", type=int, default=2400, help="negatives kept per domain")
    parser.add_argument("--frozen-layers", type=int, default=2, help="of MiniLM's 6")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--max-length", type=int, default=64, help="word pieces, domain word included")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--held-out",
        type=float,
        default=0.0,
        help="share of the sampled sentences kept out of fine-tuning to choose the blend on (0: in-sample)",
    )
    args = parser.parse_args()
    import torch

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    torch.set_num_threads(args.threads)
    splits = load_splits(args.data, seed=DEFAULT_SEED)
    training = _TrainingSet.from_splits(splits)
    dev = splits.dev
    dev_domains = {name: DATASET_DOMAINS[name] for name in dev}

    rows, indices, held_out = training_rows(
        training, max_negatives=args.max_negatives, held_out=args.held_out, seed=DEFAULT_SEED
    )
    print(f"fine-tuning on {len(rows):,} of {len(training.texts):,} training sentences", flush=True)
    model = SentenceClassifier(max_length=args.max_length)
    model.freeze_below(args.frozen_layers)
    started = time.perf_counter()
    losses = fit(
        model,
        model.parameter_groups(args.lr, args.head_lr),
        lambda rng: _similar_length_batches(list(rows), args.batch, rng),
        epochs=args.epochs,
        seed=DEFAULT_SEED,
    )
    train_seconds = time.perf_counter() - started
    print(
        f"trained in {train_seconds / 60:.1f} min, epoch losses {[round(x, 4) for x in losses]}", flush=True
    )

    cpu, wall = time.process_time(), time.perf_counter()
    tuned_dev = {
        name: model.score(
            [dev_domains[name]] * len(data.items), [normalize_claim_text(t) for t in data.texts]
        )
        for name, data in dev.items()
    }
    sentences = sum(len(data.items) for data in dev.values())
    cpu_ms = 1000 * (time.process_time() - cpu) / sentences
    wall_ms = 1000 * (time.perf_counter() - wall) / sentences
    print(
        f"scoring (torch float32, batches of {SCORE_BATCH}): {cpu_ms:.1f} CPU ms, {wall_ms:.1f} wall ms a sentence"
    )

    # Train-side scores for the blend and ClaimBuster's train threshold: every task 1 and ClaimBuster
    # training sentence and task 5's sampled ones; with --held-out, only those not fine-tuned on.
    domains = np.asarray(training.domains)
    transcript = np.union1d(indices, held_out)
    scored = np.union1d(
        np.flatnonzero(domains != "transcript"), transcript[domains[transcript] == "transcript"]
    )
    if held_out.size:
        scored = np.setdiff1d(scored, indices)
    tuned_train = np.full(len(training.texts), np.nan)
    tuned_train[scored] = model.score(
        [training.domains[i] for i in scored], [normalize_claim_text(training.texts[i]) for i in scored]
    )

    dev_texts = [text for data in dev.values() for text in data.texts]
    flat_domains = [dev_domains[name] for name, data in dev.items() for _ in data.items]
    ngram_dev_flat, ngram_train = ngram_log_odds(training, dev_texts, flat_domains)
    ngram_dev, start = {}, 0
    for name, data in dev.items():
        ngram_dev[name] = ngram_dev_flat[start : start + len(data.items)]
        start += len(data.items)

    train_data = {name: splits.train[name] for name in dev}
    offsets, start = {}, 0
    for name, data in splits.train.items():
        offsets[name] = np.arange(start, start + len(data.items))
        start += len(data.items)
    chosen: dict[str, float] = {}
    train_thresholds: dict[str, float] = {}
    for name in dev:
        rows_here = offsets[name][~np.isnan(tuned_train[offsets[name]])]
        data = train_data[name].select(np.isin(offsets[name], rows_here))
        measures = {
            w: official_measure(name, ngram_train[rows_here] + w * tuned_train[rows_here], data)
            for w in BLEND_WEIGHTS
        }
        chosen[name] = max(measures, key=lambda w: (measures[w], -w))
        print(f"train {name}: " + ", ".join(f"w={w} {m:.3f}" for w, m in measures.items()))
        for label, train_scores in (
            ("ngram", ngram_train[rows_here]),
            ("tuned", tuned_train[rows_here]),
            ("blend", ngram_train[rows_here] + chosen[name] * tuned_train[rows_here]),
        ):
            train_thresholds[f"{label} {name}"] = best_f1_threshold(train_scores, data.labels)[0]
    print(f"blend weights chosen on train: {chosen}")

    def line(label: str, scores: dict[str, np.ndarray]) -> None:
        task1, task5, f1_best = figures(scores, dev)
        threshold = train_thresholds[f"{label.split()[0]} claimbuster"]
        f1_train = evaluate(scores["claimbuster"], dev["claimbuster"], threshold=threshold).f1_positive
        print(
            f"{label:28s} task 1 MAP {task1:.3f}  task 5 MAP {task5:.3f}  ClaimBuster F1* {f1_best:.3f} "
            f"(at its train threshold {f1_train:.3f})  mean {np.mean([task1, task5, f1_best]):.4f}"
        )

    line("ngram (shipped)", ngram_dev)
    line("tuned MiniLM", tuned_dev)
    line("blend (w chosen on train)", {n: ngram_dev[n] + chosen[n] * tuned_dev[n] for n in dev})
    for w in BLEND_WEIGHTS[1:]:
        task1, task5, f1_best = figures({n: ngram_dev[n] + w * tuned_dev[n] for n in dev}, dev)
        print(f"  (dev, information only) w={w}: {task1:.3f} / {task5:.3f} / {f1_best:.3f}")
    print(f"training time {train_seconds / 60:.1f} min ({len(rows):,} sentences, {args.epochs} epoch(s))")


if __name__ == "__main__":
    main()
