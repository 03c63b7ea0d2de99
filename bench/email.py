"""Chain e-mails, message by message: does the reader of a forwarded hoax see its fact-check?

Runs every e-mail of bench/email_dev/emails.jsonl (written by hand: forwarded hoaxes restating one
debunk of corpus/debunks.jsonl each, in plain, HTML-only, multipart, quoted-printable and base64
forms with `>` quoting, forward blocks, "On ... wrote:" and the sender's own note; and ordinary
e-mails about the same names and topics) through `Checker.check(kind="email")` over a fresh
SQLite database filled from the corpus, and reports per message:

    recall_at_match          hoax e-mails whose own fact-check is shown at match (`debunked`; or
                             `fact_checked`, were its rating not a refutation)
    right_fact_check_shown   ... shown at match or as `possibly_related`
    precision_<tier>         right (message, fact-check) pairs among those shown at that tier
    ordinary_flagged         ordinary e-mails with a claim at match (false flags)
    ordinary_possibly_related  ordinary e-mails shown a possibly related fact-check

The `test` half gives the figures; the `train` half is what `factcheck train evidence` learns from.
`news` counts the claims at match (and possibly related) on the clean news pages of the matcher's dev
part of ../shared/data/article_extraction, with and without message-level evidence: none repeats a hoax.

    .venv/bin/python bench/email.py                 # test half
    .venv/bin/python bench/email.py --split all --json
    .venv/bin/python bench/email.py --write-eml /tmp/eml   # the rendered .eml files, to look at
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
# This script's folder would shadow the standard library's `email` package: put the project there instead.
sys.path[0] = str(ROOT)

from factcheck.errors import FactcheckError  # noqa: E402
from factcheck.evaluation.email_set import (  # noqa: E402
    TIERS,
    load_chain_emails,
    message_outcome,
    render_email,
    summarize,
)
from factcheck.ingest.text import normalize_text  # noqa: E402
from factcheck.settings import Settings  # noqa: E402
from factcheck.training.matcher import ARTICLES_FILE  # noqa: E402
from factcheck.training.matcher import _part_of as part_of  # noqa: E402
from factcheck.types import Document  # noqa: E402

if TYPE_CHECKING:
    from factcheck.pipeline import Checker

DATA = ROOT / "bench" / "email_dev" / "emails.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=("train", "test", "all"), default="test")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    parser.add_argument(
        "--no-news",
        dest="news",
        action="store_false",
        help="Skip the clean news pages (article_extraction dev part).",
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--write-eml", type=Path, help="Also save each rendered message as <id>.eml here.")
    args = parser.parse_args()
    emails = load_chain_emails(args.data, split=None if args.split == "all" else args.split)
    if args.write_eml:
        args.write_eml.mkdir(parents=True, exist_ok=True)
        for email in emails:
            (args.write_eml / f"{email.id}.eml").write_bytes(render_email(email))

    from factcheck.pipeline import Checker

    with tempfile.TemporaryDirectory() as scratch:
        checker = Checker.from_settings(
            Settings(database_url=f"sqlite:///{scratch}/bench.db"), rejections=None
        )
        outcomes = []
        started = time.perf_counter()
        for email in emails:
            try:
                report = checker.check(render_email(email), kind="email")
                outcomes.append(message_outcome(email, report))
            except FactcheckError as error:
                outcomes.append(message_outcome(email, None, error=str(error)))
        seconds = time.perf_counter() - started
        if args.news:
            news = _news_flags(checker, args.data_dir)
    figures = {"split": args.split, **summarize(outcomes), "seconds": round(seconds, 1)}
    if args.news:
        figures["news"] = news
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for name, value in figures.items():
        if isinstance(value, list):
            print(f"{name}:")
            for item in value:
                print(f"    {item}")
        else:
            print(f"{name:32} {value}")


def _news_flags(checker: Checker, data_dir: Path) -> dict[str, object]:
    """Debunked claims on clean news pages (the matcher's dev part of article_extraction), with and
    without message-level evidence: every one is a false flag, as none of these pages repeats a hoax."""
    pages = json.loads((data_dir / ARTICLES_FILE).read_text(encoding="utf-8"))
    bodies = [
        normalize_text(entry.get("articleBody") or "")
        for page, entry in sorted(pages.items())
        if part_of(page) == "dev"
    ]
    evidence, flagged = checker.evidence, {}
    for name, model in (("sentences_only", None), ("with_evidence", evidence)):
        checker.evidence = model
        reports = [checker.check(Document(text=body, kind="text")) for body in bodies if body]
        flagged[name] = {
            "pages_flagged": sum(any(v.status in TIERS["match"] for v in r.claims) for r in reports),
            "claims_at_match": sum(v.status in TIERS["match"] for r in reports for v in r.claims),
            "claims_possibly_related": sum(v.status == "possibly_related" for r in reports for v in r.claims),
        }
    checker.evidence = evidence
    return {"pages": len(bodies), **flagged}


if __name__ == "__main__":
    main()
