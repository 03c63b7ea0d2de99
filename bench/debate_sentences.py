"""A second clean set for the match threshold: sentences US presidential candidates spoke in debates.

The e2e benchmark (`bench/e2e.py`) judges false flags on 22 clean article pages, where one flag is
0.045 a page, so "at most 0.02 a page" can only be read as none. These are thousands of real
sentences that are not chain e-mails or viral posts, on the topics Snopes checks most (candidates,
taxes, guns, immigration, wars), so a same-topic claim is never far. Each is checked on its own,
as text, against e2e's database (the shipped corpus plus the 10,375 Snopes claims of CheckThat! 2020
task 2), with the default settings. Reported: statuses, the sentences matched (`debunked` or
`fact_checked`) with their fact-check, to read (a debater may repeat a claim Snopes checked, so a match is
not wrong until read), and how many reach the match threshold and lower cuts by confidence alone (some
of those are held under it by the verdict rules). Per-page figures take e2e's clean pages' claim count.

Data: ../shared/data/claimbuster/2.5xNCS.json (ClaimBuster, Arslan et al. 2020), a seeded sample. The
matcher never trains on ClaimBuster; it does train on sentences of CheckThat! 2020 task 5, which
transcribes some of the same 2016 debates.

    .venv/bin/python bench/debate_sentences.py                  # all 7,752 sentences (about 8 minutes)
    .venv/bin/python bench/debate_sentences.py --sentences 500 --json   # a seeded sample
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter

from _server import database_copy
from e2e import MATCHED, SHARED, build_checker, prepared_database

SOURCE = SHARED / "claimbuster" / "2.5xNCS.json"
SEED = 0
CLAIMS_PER_CLEAN_PAGE = 38  # e2e's 22 clean pages held 833 claims on 2026-12-07
CUTS = (0.80, 0.85, 0.90)  # besides the match threshold


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sentences", type=int, help="A seeded sample of this many (default: all).")
    parser.add_argument("--json", action="store_true", help="Print one JSON object instead of text.")
    args = parser.parse_args()

    rows = json.loads(SOURCE.read_text(encoding="utf-8"))
    random.Random(SEED).shuffle(rows)
    sentences = [row["text"] for row in rows[: args.sentences]]
    statuses: Counter[str] = Counter()
    best: list[tuple[float, str, str, str]] = []  # (confidence, status, sentence, fact-check claim)
    with database_copy(prepared_database()) as database:
        checker = build_checker(database)
        match = checker.thresholds.match
        for number, sentence in enumerate(sentences, start=1):
            for verdict in checker.check(sentence, kind="text", include_all=True).claims:
                statuses[verdict.status] += 1
                if verdict.matches:
                    first = verdict.matches[0]
                    best.append((first.probability, verdict.status, sentence, first.debunk.claim_reviewed))
            if number % 500 == 0:
                print(f"  {number}/{len(sentences)} sentences", file=sys.stderr, flush=True)
    claims = sum(statuses.values())
    matched = sorted((b for b in best if b[1] in MATCHED), reverse=True)
    per_page = CLAIMS_PER_CLEAN_PAGE / claims if claims else 0.0
    out = {
        "sentences": len(sentences),
        "claims": claims,
        "statuses": dict(statuses),
        "match_threshold": match,
        "at_or_above": {f"{cut:.2f}": sum(b[0] >= cut for b in best) for cut in (*CUTS, match)},
        "matched_per_clean_page": round(len(matched) * per_page, 4),
        "queue_per_clean_page": round(
            (statuses["needs_review"] + statuses["possibly_related"]) * per_page, 4
        ),
        "matched": [
            {"confidence": round(p, 3), "status": s, "sentence": t, "fact_check": c} for p, s, t, c in matched
        ],
    }
    if args.json:
        print(json.dumps(out, indent=1, ensure_ascii=False))
        return
    print(f"{out['sentences']} debate sentences, {claims} claims: {dict(statuses.most_common())}")
    print(f"confidence at or above: {out['at_or_above']} (match threshold {match})")
    print(
        f"matched per clean-page equivalent ({CLAIMS_PER_CLEAN_PAGE} claims): {out['matched_per_clean_page']}"
    )
    print(f"queue per clean-page equivalent: {out['queue_per_clean_page']}")
    for item in out["matched"]:
        print(f"  {item['confidence']:.3f} {item['status']}: {item['sentence']!r} -> {item['fact_check']!r}")


if __name__ == "__main__":
    main()
