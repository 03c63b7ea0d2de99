"""Stage 1+2 throughput: extraction + sentence segmentation + check-worthiness scoring, on one core.

Uses the real article pages in ../shared/data/article_extraction (short and long articles mixed) and
reports documents/s, sentences/s, the 800-word-article rate the issue targets, and peak memory.

    .venv/bin/python bench/claims_stage.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core, as the target says

from factcheck.checkworthiness import CheckworthinessModel
from factcheck.claims import extract_claims, sentence_pipeline
from factcheck.ingest import document_from_html

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT.parent / "shared" / "data" / "article_extraction" / "html"


def peak_memory_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pages = [path.read_bytes() for path in sorted(PAGES.glob("*.html"))]
    model = CheckworthinessModel.load(ROOT / "models" / "checkworthiness")
    nlp = sentence_pipeline()

    timings = {"extract": 0.0, "claims": 0.0}
    documents = sentences = words = 0
    for _ in range(args.repeat):
        for page in pages:
            started = time.process_time()
            document = document_from_html(page)
            extracted = time.process_time()
            claims = extract_claims(document, scorer=model, nlp=nlp)
            done = time.process_time()
            timings["extract"] += extracted - started
            timings["claims"] += done - extracted
            documents += 1
            sentences += len(claims)
            words += len(document.text.split())
    total = sum(timings.values())
    per_800_words = total / (words / 800)
    print(f"pages: {len(pages)} real articles x {args.repeat}, mean {words / documents:.0f} words")
    print("| stage | CPU s | share |\n|---|---|---|")
    for stage, seconds in timings.items():
        print(f"| {stage} | {seconds:.2f} | {seconds / total:.0%} |")
    print(f"\ndocuments/s (one core, CPU time): {documents / total:.1f}")
    print(f"sentences/s: {sentences / total:.0f} (claims stage alone: {sentences / timings['claims']:.0f})")
    print(f"800-word articles/s: {1 / per_800_words:.1f} (target >= 50)")
    print(f"peak memory: {peak_memory_mb():.0f} MB")


if __name__ == "__main__":
    main()
