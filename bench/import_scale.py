"""Benchmark `factcheck db import` at scale (issue 14): a ClaimReview JSONL file of N records.

    nice -n 10 .venv/bin/python bench/import_scale.py --records 1000000 [--database sqlite|postgresql] [--json]

The file holds the 14,231 verified Snopes claims of CLEF-2022 2A as ClaimReview JSON-LD lines (the
records `db import` makes of vclaims.jsonl, written back with `debunk_to_claimreview`), padded to N with
synthetic ones. Synthetic record i draws two different real claims A and B at random (seeded): its claim
is the first half of A's words followed by the second half of B's (drawn again if that wording, by
`canonical_key`, is already in the file), its title and explanation the same splice of their titles and
subtitles, its rating one of five Snopes ratings, its review URL its own, and one record in four carries
a variant (the splice the other way round). With N at most 14,231 the file is the first N real records.
It is written once into bench/.cache/ and reused.

Each run imports the file into a fresh database (a SQLite file in a temporary folder, or a throwaway
database on the PostgreSQL server of the tests), then imports the same file again, which must add and
change nothing. Both are the real command, `python -m factcheck db import FILE`, in a process of its
own: the seconds are its wall time (Python start and imports included, about 2 s here), the peak RSS
its VmHWM as wait4 reports it. The schema is created before, untimed, by `db init --no-corpus`.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from _synthetic import new_splices, splice  # noqa: E402

from factcheck._text import canonical_key  # noqa: E402
from factcheck.claimreview import debunk_to_claimreview  # noqa: E402
from factcheck.importers import read_records  # noqa: E402
from factcheck.types import Debunk  # noqa: E402

SHARED_DATA = Path(os.environ.get("FACTCHECK_SHARED_DATA_DIR", REPO.parent / "shared" / "data"))
VCLAIMS = SHARED_DATA / "clef2022_task2a_claim_retrieval_tweets" / "vclaims.jsonl"
CACHE = REPO / "bench" / ".cache"
RATINGS = ("False", "Mostly False", "Mixture", "Mostly True", "True")
SUMMARY = re.compile(r"(\d+) added, (\d+) updated, (\d+) unchanged, (\d+) skipped")


def real_debunks(path: Path = VCLAIMS) -> list[Debunk]:
    _, records = read_records(path)
    return [record for record in records if isinstance(record, Debunk)]


def claimreview_lines(debunks: Sequence[Debunk], size: int, *, seed: int = 0) -> Iterator[str]:
    """The file's lines (module docstring); the same arguments give the same lines."""
    rng = random.Random(seed)
    seen: set[str] = set()
    for debunk in debunks[:size]:
        seen.add(canonical_key(debunk.claim_reviewed))
        yield json.dumps(debunk_to_claimreview(debunk), ensure_ascii=False)
    number = min(size, len(debunks))
    for a, b, claim in itertools.islice(new_splices(debunks, rng, seen), size - number):
        first, second = debunks[a], debunks[b]
        number += 1
        rating = rng.choice(RATINGS)
        synthetic = replace(
            first,
            claim_reviewed=claim,
            title=splice(first.title, second.title),
            explanation=splice(first.explanation, second.explanation),
            rating_text=rating,
            label="",
            review_url=f"https://www.snopes.com/fact-check/synthetic-{number}/",
            external_id=f"synthetic-{number}",
            variants=(splice(second.claim_reviewed, first.claim_reviewed),) if number % 4 == 0 else (),
        )
        node = debunk_to_claimreview(synthetic)
        node.pop("factcheck:label")  # the label comes from the rating text, as for a real feed
        yield json.dumps(node, ensure_ascii=False)


def ensure_file(size: int) -> Path:
    """bench/.cache/claimreview-<size>.jsonl, written on first use."""
    path = CACHE / f"claimreview-{size}.jsonl"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        for line in claimreview_lines(real_debunks(), size):
            handle.write(line + "\n")
    partial.replace(path)
    return path


@contextmanager
def fresh_database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="import-scale-") as folder:
            yield f"sqlite:///{folder}/factcheck.db"
        return
    from tests.postgres import throwaway_database

    with throwaway_database(prefix="factcheck_import_bench") as url:
        yield url


def _environment(database_url: str) -> dict[str, str]:
    """The child's environment: PYTHONPATH as given (to time another checkout), else this one."""
    env = {**os.environ, "FACTCHECK_DATABASE_URL": database_url}
    env.setdefault("PYTHONPATH", str(REPO))
    return env


def _factcheck(*args: str) -> list[str]:
    """`python -m factcheck ARGS`, run from the checkout PYTHONPATH names (`-m` looks in the cwd first)."""
    return [sys.executable, "-m", "factcheck", *args]


def _checkout() -> str:
    return os.environ.get("PYTHONPATH", str(REPO)).split(os.pathsep)[0]


def timed_import(path: Path, database_url: str) -> dict[str, Any]:
    """One `db import` with its summary, wall seconds and peak RSS."""
    with tempfile.TemporaryFile("w+") as output:
        started = time.perf_counter()
        child = subprocess.Popen(
            _factcheck("db", "import", str(path)),
            env=_environment(database_url),
            cwd=_checkout(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        # wait4, not wait: it hands back the child's rusage, whose ru_maxrss is its peak RSS in KB.
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read()
    if child.returncode:
        raise RuntimeError(f"db import {path} exited with {child.returncode}: {text[-2000:]}")
    found = SUMMARY.search(text)
    if found is None:
        raise RuntimeError(f"no summary in the output of db import: {text[-2000:]}")
    added, updated, unchanged, skipped = (int(n) for n in found.groups())
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
        "added": added,
        "updated": updated,
        "unchanged": unchanged,
        "skipped": skipped,
    }


def run(records: int, database: str, log: Any = print) -> dict[str, Any]:
    path = ensure_file(records)
    log(f"{path} ({path.stat().st_size / 1e6:,.0f} MB); importing into a fresh {database} database ...")
    with fresh_database(database) as url:
        subprocess.run(
            _factcheck("db", "init", "--no-corpus"),
            env=_environment(url),
            cwd=_checkout(),
            check=True,
            capture_output=True,
        )
        fresh = timed_import(path, url)
        log(f"fresh import: {fresh}; importing the same file again ...")
        again = timed_import(path, url)
        log(f"re-import: {again}")
    idempotent = again["added"] == again["updated"] == 0 and again["unchanged"] == fresh["added"]
    return {
        "records": records,
        "database": database,
        "file_mb": round(path.stat().st_size / 1e6, 1),
        "import_s": fresh["seconds"],
        "records_per_s": round(records / fresh["seconds"]),
        "peak_rss_mb": fresh["peak_rss_mb"],
        "fresh": fresh,
        "reimport_s": again["seconds"],
        "reimport_peak_rss_mb": again["peak_rss_mb"],
        "reimport": again,
        "idempotent": idempotent,
        "load_average": os.getloadavg(),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=14_231, help="records in the file")
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    log = (lambda message: print(message, file=sys.stderr, flush=True)) if args.json else print
    result = run(args.records, args.database, log)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"{result['records']:,} records into {result['database']}: import {result['import_s']:.1f} s "
        f"({result['records_per_s']:,} records/s, peak RSS {result['peak_rss_mb']:.0f} MB), "
        f"re-import {result['reimport_s']:.1f} s (idempotent: {result['idempotent']})"
    )


if __name__ == "__main__":
    main()
