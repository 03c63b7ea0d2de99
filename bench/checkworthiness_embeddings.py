"""Do sentence-embedding features help the check-worthiness model? (issue 13; figures in its card)

Trains on the train splits and scores the three dev splits exactly as `factcheck train checkworthiness`
does (same splits, weights, C = 0.1 and ClaimBuster's own n-gram copy), then adds the packaged static
model2vec embedding (or, with --encoder, another packaged encoder) of each normalised text in three ways:

- concat: the scaled embedding, once shared and once per domain, as extra columns of the same LR;
- stack: an LR on the embedding (shared + per-domain copies + domain one-hot); the two log-odds combined
  per domain by a 2-input Platt scaling fitted on 3-fold out-of-fold training predictions (dev unseen);
- stack, general only: the same, the embedding counting for ClaimBuster's domain alone.

Each line prints task 1 MAP, task 5 MAP, ClaimBuster F1 (best threshold) and their mean, the selection
measure. About 5 minutes on the 2-core machine with the static encoder.

    .venv/bin/python bench/checkworthiness_embeddings.py --data ../shared/data
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from factcheck._normalize import normalize_claim_text  # noqa: E402
from factcheck.checkworthiness import DOMAINS, CheckworthinessClassifier, domain_copy  # noqa: E402
from factcheck.evaluation.checkworthiness import DATASET_DOMAINS, best_f1_threshold, evaluate  # noqa: E402
from factcheck.matching.embeddings import StaticEncoder, TransformerEncoder  # noqa: E402
from factcheck.training.checkworthiness import (  # noqa: E402
    CALIBRATION_FOLDS,
    DEFAULT_SEED,
    Splits,
    _TrainingSet,
    load_splits,
)

C, DOMAIN_SPECIFIC = 0.1, ("general",)  # the shipped model's choice
CONCAT_SCALE = 1.0  # an L2-normalised embedding row weighs as much as each TF-IDF block
EMBEDDING_C = 0.3


def dev_figures(splits: Splits, scores: np.ndarray) -> str:
    """Task 1 MAP, task 5 MAP, ClaimBuster best-threshold F1 and their mean, for dev scores in split order."""
    figures, start = {}, 0
    for name, data in splits.dev.items():
        part = scores[start : start + len(data.items)]
        start += len(data.items)
        threshold, _ = best_f1_threshold(part, data.labels)
        figures[name] = evaluate(part, data, threshold=threshold)
    chosen = (
        figures["clef2020-task1"].map,
        figures["clef2020-task5"].map,
        figures["claimbuster"].f1_positive,
    )
    return "task 1 {:.3f}  task 5 {:.3f}  ClaimBuster F1 {:.3f}  mean {:.4f}".format(
        *chosen, float(np.mean(chosen))
    )


def embedding_features(vectors: np.ndarray, domains: np.ndarray) -> np.ndarray:
    onehot = (domains[:, None] == np.asarray(DOMAINS)[None, :]).astype(np.float32)
    return np.hstack([vectors, *(vectors * onehot[:, [j]] for j in range(len(DOMAINS))), onehot])


def stacked(
    train_log_odds: np.ndarray,
    dev_log_odds: np.ndarray,
    labels: np.ndarray,
    domains: tuple[np.ndarray, np.ndarray],
    stacked_domains: tuple[str, ...],
) -> np.ndarray:
    """Per domain, the n-gram and embedding log-odds combined by a Platt scaling fitted on training OOF."""
    train_domains, dev_domains = domains
    out = dev_log_odds[:, 0].copy()
    for domain in stacked_domains:
        rows, dev_rows = train_domains == domain, dev_domains == domain
        platt = LogisticRegression(C=1e4).fit(train_log_odds[rows], labels[rows])
        out[dev_rows] = platt.decision_function(dev_log_odds[dev_rows])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--encoder", default="static", help="a folder of models/embeddings/ (minilm-int8: ~5 ms a sentence)"
    )
    args = parser.parse_args()
    splits = load_splits(args.data, seed=DEFAULT_SEED)
    training = _TrainingSet.from_splits(splits)
    dev_texts = [text for data in splits.dev.values() for text in data.texts]
    train_domains = np.asarray(training.domains)
    dev_domains = np.asarray([DATASET_DOMAINS[name] for name, data in splits.dev.items() for _ in data.items])
    folder = REPO / "models" / "embeddings" / args.encoder
    encoder = StaticEncoder(folder) if args.encoder == "static" else TransformerEncoder(folder)
    train_vectors = encoder.encode([normalize_claim_text(text) for text in training.texts])
    dev_vectors = encoder.encode([normalize_claim_text(text) for text in dev_texts])

    classifier = training.fit(C, DOMAIN_SPECIFIC, DEFAULT_SEED)
    ngram_dev = classifier.decision_function(dev_texts, domains=list(dev_domains))
    print(f"{'n-grams (shipped)':32s}", dev_figures(splits, ngram_dev), flush=True)

    def design(texts: list[str], domains: np.ndarray, vectors: np.ndarray) -> sp.csr_matrix:
        ngrams = classifier._ngram_features(texts, normalized=False)
        embedded = sp.csr_matrix(CONCAT_SCALE * vectors)
        return sp.hstack(
            [
                ngrams,
                *(domain_copy(ngrams, list(domains), domain) for domain in DOMAIN_SPECIFIC),
                embedded,
                *(domain_copy(embedded, list(domains), domain) for domain in DOMAINS),
                CheckworthinessClassifier._domain_features(list(domains)),
            ],
            format="csr",
        )

    concat = classifier._logistic_regression().fit(
        design(training.texts, train_domains, train_vectors), training.labels, sample_weight=training.weights
    )
    concat_dev = concat.decision_function(design(dev_texts, dev_domains, dev_vectors))
    print(f"{'concat, one LR':32s}", dev_figures(splits, concat_dev), flush=True)

    train_features = embedding_features(train_vectors, train_domains)

    def embedding_model(rows: np.ndarray) -> LogisticRegression:
        return LogisticRegression(C=EMBEDDING_C, max_iter=2000).fit(
            train_features[rows], training.labels[rows], sample_weight=training.weights[rows]
        )

    all_rows = np.arange(len(training.texts))
    embedding_dev = embedding_model(all_rows).decision_function(embedding_features(dev_vectors, dev_domains))
    print(f"{'embedding LR alone':32s}", dev_figures(splits, embedding_dev), flush=True)
    out_of_fold = np.zeros((len(training.texts), 2))
    folds = StratifiedKFold(n_splits=CALIBRATION_FOLDS, shuffle=True, random_state=DEFAULT_SEED)
    for fit_rows, held_out in folds.split(np.zeros(len(training.labels)), training.labels):
        out_of_fold[held_out, 0] = training.fit(C, DOMAIN_SPECIFIC, DEFAULT_SEED, fit_rows).decision_function(
            [training.texts[i] for i in held_out], domains=list(train_domains[held_out])
        )
        out_of_fold[held_out, 1] = embedding_model(fit_rows).decision_function(train_features[held_out])
    dev_log_odds = np.column_stack([ngram_dev, embedding_dev])
    for label, domains in (("stack, every domain", DOMAINS), ("stack, general only", ("general",))):
        scores = stacked(out_of_fold, dev_log_odds, training.labels, (train_domains, dev_domains), domains)
        print(f"{label:32s}", dev_figures(splits, scores), flush=True)


if __name__ == "__main__":
    main()
