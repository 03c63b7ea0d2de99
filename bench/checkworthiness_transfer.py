"""What transfer loses on the multilingual dev posts: the same claims in their English wording, as a ceiling.

Each post of `bench/multilingual_dev/posts.jsonl` restates one verified claim of CheckThat! 2020 task 2
(`vclaim_id`). This scores that claim's English text with the English n-gram model and with the
transferred e5 model, each at its own general threshold, and prints the share that passes, per split.
`factcheck eval checkworthiness-multilingual --data bench/multilingual_dev/posts.jsonl` gives the
figures for the fr/es/de posts themselves; the gap between the two is what language and register cost.

    .venv/bin/python bench/checkworthiness_transfer.py
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np

from factcheck.checkworthiness import CheckworthinessModel
from factcheck.checkworthiness_multilingual import TransferredCheckworthinessModel

ROOT = Path(__file__).resolve().parent.parent
POSTS = ROOT / "bench" / "multilingual_dev" / "posts.jsonl"
CLAIMS = ROOT.parent / "shared" / "data" / "clef2020_task2_claim_retrieval" / "verified_claims.docs.tsv"


def main() -> None:
    with CLAIMS.open(encoding="utf-8", newline="") as handle:
        claims = {row[0]: row[1] for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)}
    posts = [json.loads(line) for line in POSTS.read_text(encoding="utf-8").splitlines() if line.strip()]
    texts = [claims[post["vclaim_id"]] for post in posts]
    english = CheckworthinessModel.load(ROOT / "models" / "checkworthiness")
    transferred = TransferredCheckworthinessModel.load(ROOT / "models" / "checkworthiness-multilingual")
    passes_english = english.score(texts) >= english.threshold
    passes_transferred = transferred.score(texts) >= transferred.threshold
    splits = np.asarray([post["split"] for post in posts])
    for split in ("tune", "check", "all"):
        rows = splits == split if split != "all" else np.ones(len(posts), dtype=bool)
        print(
            f"{split:>5}: {int(rows.sum())} English originals passing: English model "
            f"{passes_english[rows].mean():.3f}  transferred {passes_transferred[rows].mean():.3f}"
        )


if __name__ == "__main__":
    main()
