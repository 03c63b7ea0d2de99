"""Fit the message-level evidence model (factcheck/evidence.py) and choose its threshold.

Examples are (unit, debunk) pairs, with features computed by the pipeline's own stages:
  - the train half of the hand-written chain e-mails (bench/email_dev/emails.jsonl): the pair of a
    hoax e-mail with its own debunk is positive, every other pair negative;
  - the same hoax e-mails with their own debunk left out of the candidates: every pair negative (the
    closest negatives: what an unknown hoax would be tied to);
  - the ordinary e-mails of that half, the paragraphs of the news pages the matcher also trains on
    (article_extraction, train part by page) and speakers' turns in its training debates (CLEF-2020
    task 5): every pair negative, as no debunk applies.
The threshold is the lowest out-of-fold probability (5 folds, grouped by document) at which the pairs
at or above it are right at least `precision` of the time; the model is then refitted on everything.
"""

from __future__ import annotations

import csv
import itertools
import json
import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from factcheck.checkworthiness import CheckworthinessModel
from factcheck.claims import extract_claims
from factcheck.errors import InputError
from factcheck.evaluation.email_set import load_chain_emails, render_email
from factcheck.evidence import FEATURE_NAMES, EvidenceModel, MatchClaims, weigh_units
from factcheck.ingest import ingest
from factcheck.ingest.text import normalize_text
from factcheck.training.matcher import ARTICLES_FILE, NEGATIVES_DIR
from factcheck.training.matcher import _part_of as part_of  # the matcher's page split, reused as is
from factcheck.types import Document, Match

if TYPE_CHECKING:
    from factcheck.pipeline import Checker

log = logging.getLogger(__name__)

TARGET_PRECISION = 0.95
FOLDS = 5
DEBATE_TURNS = 4000
MAX_TURN_SENTENCES = 8


@dataclass
class EvidenceTrainingReport:
    out_dir: Path
    examples: dict[str, int] = field(default_factory=dict)
    threshold: float = 0.0
    out_of_fold: dict[str, float] = field(default_factory=dict)


def training_documents(
    emails_path: Path, data_dir: Path, *, seed: int = 0
) -> Iterator[tuple[str, Document, str]]:
    """(source, document, the review URL of its debunk or "") for every training document."""
    for email in load_chain_emails(emails_path, split="train"):
        yield f"email:{email.kind}", ingest(render_email(email), kind="email"), email.review_url
    articles = data_dir / ARTICLES_FILE
    if not articles.is_file():
        raise InputError(f"training data missing: {articles}")
    for page, entry in sorted(json.loads(articles.read_text(encoding="utf-8")).items()):
        body = normalize_text(entry.get("articleBody") or "")
        if body and part_of(page) == "train":
            yield "news", Document(text=body, kind="text"), ""
    for turn in debate_turns(data_dir, seed=seed):
        yield "debate", Document(text=turn, kind="text"), ""


def debate_turns(data_dir: Path, *, seed: int = 0) -> list[str]:
    """Turns of 2-8 sentences by one speaker in the matcher's training debates: talk about the same
    names and topics as the hoaxes (Obama, taxes, Congress, vaccines), with no debunk behind it."""
    folder = data_dir / NEGATIVES_DIR
    if not folder.is_dir():
        raise InputError(f"training data missing: {folder}")
    turns: list[str] = []
    for path in sorted(folder.glob("*.tsv")):
        if part_of(path.name) != "train":
            continue
        with path.open(encoding="utf-8", newline="") as handle:
            rows = [row for row in csv.reader(handle, delimiter="\t") if len(row) >= 3]
        for _, group in itertools.groupby(rows, key=lambda row: row[1]):
            sentences = [" ".join(row[2].split()) for row in group]
            if 2 <= len(sentences) <= MAX_TURN_SENTENCES:
                turns.append(" ".join(sentences))
    return random.Random(seed).sample(turns, min(DEBATE_TURNS, len(turns)))


def evidence_examples(
    documents: Iterator[tuple[str, Document, str]],
    *,
    scorer: CheckworthinessModel,
    match: MatchClaims,
    suggest: float,
    debunk_ids: dict[str, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """Features, labels, document groups and sources of every weighed (unit, debunk) pair."""
    rows, labels, groups, sources = [], [], [], []
    for number, (source, document, review_url) in enumerate(documents):
        claims = extract_claims(document, scorer=scorer)
        matches = match(claims)
        gold = debunk_ids.get(review_url) if review_url else None
        for candidate in weigh_units(document, claims, matches, match, suggest).candidates:
            rows.append(candidate.features)
            labels.append(int(candidate.debunk_id == gold))
            groups.append(number)
            sources.append(source)
        if gold is None:
            continue

        # The same hoax with its debunk missing from the database: whatever it points at then is wrong.
        # These are the closest negatives there are (the Gates giveaway letter against the other Gates debunks).
        def without_gold(found: list[list[Match]], gold: int = gold) -> list[list[Match]]:
            return [[m for m in candidates if m.debunk.id != gold] for candidates in found]

        weighed = weigh_units(
            document, claims, without_gold(matches), lambda c: without_gold(match(c)), suggest
        )
        for candidate in weighed.candidates:
            rows.append(candidate.features)
            labels.append(0)
            groups.append(number)
            sources.append(f"{source}-without-its-debunk")
    return np.array(rows, dtype=float), np.array(labels), np.array(groups), sources


def lowest_threshold_for_precision(probabilities: np.ndarray, labels: np.ndarray, precision: float) -> float:
    """The lowest probability at which the pairs at or above it reach `precision` (1.0 if none do)."""
    order = np.argsort(-probabilities, kind="stable")
    right = np.cumsum(labels[order])
    shown = np.arange(1, len(order) + 1)
    reaching = np.nonzero(right / shown >= precision)[0]
    if not len(reaching):
        return 1.0
    last = reaching[-1]
    while last + 1 < len(order) and probabilities[order[last + 1]] == probabilities[order[last]]:
        last += 1  # ties go together: a threshold cannot split them
    return float(probabilities[order[last]])


def train_evidence(
    checker: Checker,
    emails_path: Path,
    data_dir: Path,
    out_dir: Path,
    *,
    precision: float = TARGET_PRECISION,
    random_state: int = 0,
) -> EvidenceTrainingReport:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    features, labels, groups, sources = evidence_examples(
        training_documents(emails_path, data_dir, seed=random_state),
        scorer=checker.checkworthiness,
        match=checker.match_claims,
        suggest=checker.thresholds.suggest,
        debunk_ids={d.review_url: d.id for d in checker.store.iter_debunks() if d.id is not None},
    )
    if labels.sum() < FOLDS:
        raise InputError(f"only {int(labels.sum())} positive examples; need at least {FOLDS}")

    def fitted(rows: np.ndarray, targets: np.ndarray) -> LogisticRegression:
        return LogisticRegression(C=1.0, max_iter=1000, random_state=random_state).fit(rows, targets)

    out_of_fold = np.zeros(len(labels))
    for train, held in GroupKFold(n_splits=FOLDS).split(features, labels, groups):
        out_of_fold[held] = fitted(features[train], labels[train]).predict_proba(features[held])[:, 1]
    threshold = lowest_threshold_for_precision(out_of_fold, labels, precision)
    final = fitted(features, labels)
    model = EvidenceModel(
        coefficients=tuple(float(c) for c in final.coef_[0]),
        intercept=float(final.intercept_[0]),
        threshold=threshold,
        version=date.today().isoformat(),
    )
    above = out_of_fold >= threshold
    report = EvidenceTrainingReport(
        out_dir=out_dir,
        examples={
            "pairs": len(labels),
            "positive": int(labels.sum()),
            **{f"pairs_{source}": sources.count(source) for source in sorted(set(sources))},
        },
        threshold=threshold,
        out_of_fold={
            "precision_at_threshold": round(float(labels[above].mean()), 4) if above.any() else 0.0,
            "recall_at_threshold": round(float(above[labels == 1].mean()), 4),
            "negative_pairs_above": int((above & (labels == 0)).sum()),
            "brier": round(float(np.mean((out_of_fold - labels) ** 2)), 4),
        },
    )
    model.save(
        out_dir,
        target_precision=precision,
        examples=report.examples,
        out_of_fold=report.out_of_fold,
        feature_names_meaning=list(FEATURE_NAMES),
    )
    log.info("evidence model: %s", report)
    return report
