"""Load benchmark of `POST /v1/check`: latency percentiles, requests/s, errors and server memory.

Starts `factcheck serve` on a free 127.0.0.1 port over a copy of a SQLite database holding the shipped
corpus plus the 14k Snopes claims of CheckThat! 2022 (kept in bench/.cache/ so their vectors are
computed once; the copy keeps the review queue's writes out of it), then
drives it with async httpx at several concurrencies, with 300-word and 1,500-word articles made from
the real article bodies in ../shared/data/article_extraction.

    .venv/bin/python bench/api.py                      # concurrency 1, 8, 32; 200 requests each
    .venv/bin/python bench/api.py --soak 10000         # plus server memory over 10,000 requests
    .venv/bin/python bench/api.py --profile fast       # the cascade without MiniLM
    .venv/bin/python bench/api.py --baseline-worktree ../main --concurrency 1 --words 300
                                                       # this checkout and another, in the same run
    .venv/bin/python bench/api.py --language en ...    # only the articles in English
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
from _server import READY_TIMEOUT_S, database_copy, factcheck_env, running_server

from factcheck.language import default_detector

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
CACHE = Path(__file__).resolve().parent / ".cache"


def articles(words: int, *, language: str | None = None) -> list[str]:
    """Real article bodies cut (or repeated) to exactly `words` words; only those in `language` if given
    (one of the bodies is a German page, whose claims take the slower cross-lingual path)."""
    bodies = json.loads((SHARED / "article_extraction" / "ground_truth.json").read_text(encoding="utf-8"))
    texts = []
    for entry in bodies.values():
        tokens = entry["articleBody"].split()
        if len(tokens) < 150:
            continue
        if language and default_detector().for_document(entry["articleBody"]) != language:
            continue
        while len(tokens) < words:
            tokens = tokens + tokens
        texts.append(" ".join(tokens[:words]))
    return texts


def server_pids(pid: int) -> list[int]:
    """The server and its children (the workers), from /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid, *(int(p) for p in children.read_text().split())] if children.exists() else [pid]


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its workers."""
    total = 0
    for each in server_pids(pid):
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the server and its workers have used."""
    total = 0
    for each in server_pids(pid):
        fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def prepared_database(checkout: Path) -> Path:
    """bench/.cache/api-<checkout>.db: the corpus + the 14k Snopes claims, imported by that checkout's
    own CLI (its schema), once; runs use a copy (see `database_copy`)."""
    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"api-{hashlib.sha1(str(checkout.resolve()).encode()).hexdigest()[:10]}.db"
    if path.exists():
        return path
    building = path.with_suffix(".building")
    building.unlink(missing_ok=True)
    env = factcheck_env(checkout, building)
    factcheck = [sys.executable, "-m", "factcheck"]
    subprocess.run([*factcheck, "db", "init"], env=env, cwd=checkout, check=True)
    vclaims = SHARED / "clef2022_task2a_claim_retrieval_tweets" / "vclaims.jsonl"
    subprocess.run([*factcheck, "db", "import", str(vclaims)], env=env, cwd=checkout, check=True)
    building.rename(path)
    return path


@dataclass(frozen=True)
class Build:
    """One server under test: its label in the table, its base URL and its process."""

    label: str
    base_url: str
    process: subprocess.Popen[bytes]


async def load(
    base_url: str, texts: list[str], *, concurrency: int, requests: int, timeout_s: float = 120
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    queue = list(range(requests))

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while queue:
            index = queue.pop()
            started = time.perf_counter()
            response = await client.post("/v1/check", json={"text": texts[index % len(texts)]})
            latencies.append((time.perf_counter() - started) * 1000)
            errors += response.status_code != 200

    async with httpx.AsyncClient(base_url=base_url, timeout=timeout_s) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "p50_ms": quantiles[49],
        "p95_ms": quantiles[94],
        "p99_ms": quantiles[98],
        "requests_per_s": requests / elapsed,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--words", type=int, nargs="+", default=[300, 1500])
    parser.add_argument(
        "--workers", type=int, help="Server worker processes (default: serve's, one per core)."
    )
    parser.add_argument("--soak", type=int, default=0, help="Also send this many requests and report memory.")
    parser.add_argument(
        "--profile",
        choices=["full", "fast"],
        help="FACTCHECK_API_MATCHER_PROFILE (default: the server's, full).",
    )
    parser.add_argument(
        "--language",
        help="Only the articles in this language (e.g. en: issue 15's measure of English latency).",
    )
    parser.add_argument(
        "--baseline-worktree",
        type=Path,
        help="Another checkout (e.g. a worktree of main) to measure in the same run: a second server "
        "from its code, every row measured on both, in alternating order.",
    )
    args = parser.parse_args()

    checkouts = [("this checkout", ROOT)]
    if args.baseline_worktree:
        checkouts.append((f"baseline {args.baseline_worktree}", args.baseline_worktree.resolve()))
    profile = {"FACTCHECK_API_MATCHER_PROFILE": args.profile} if args.profile else {}
    with ExitStack() as stack:
        builds = []
        for label, checkout in checkouts:
            database = stack.enter_context(database_copy(prepared_database(checkout)))
            base_url, process = stack.enter_context(
                running_server(checkout, database, workers=args.workers, extra_env=profile)
            )
            builds.append(Build(label, base_url, process))
        build_column = len(builds) > 1
        print(
            ("| build " if build_column else "")
            + "| words | concurrency | p50 ms | p95 ms | p99 ms | req/s | errors | server CPU ms/req |\n"
            + ("|---" if build_column else "")
            + "|---|---|---|---|---|---|---|---|"
        )
        row = 0
        for words in args.words:
            texts = articles(words, language=args.language)
            for build in builds:  # warm-up: over a new database the first checks wait for MiniLM to
                # encode every debunk (minutes on a busy machine), which the rows must not include
                asyncio.run(
                    load(build.base_url, texts, concurrency=2, requests=10, timeout_s=READY_TIMEOUT_S)
                )
            for concurrency in args.concurrency:
                # alternate which build goes first, so a drift in the machine's load hits both alike
                for build in builds if row % 2 == 0 else builds[::-1]:
                    cpu_before = cpu_seconds(build.process.pid)
                    figures = asyncio.run(
                        load(build.base_url, texts, concurrency=concurrency, requests=args.requests)
                    )
                    cpu_ms = (cpu_seconds(build.process.pid) - cpu_before) * 1000 / args.requests
                    print(
                        (f"| {build.label} " if build_column else "")
                        + f"| {words} | {concurrency} | {figures['p50_ms']:.0f} | {figures['p95_ms']:.0f} | "
                        f"{figures['p99_ms']:.0f} | {figures['requests_per_s']:.1f} | {figures['errors']:.0f} | "
                        f"{cpu_ms:.0f} |",
                        flush=True,
                    )
                row += 1
        if args.soak:
            soak(builds[0], args.soak)


def soak(build: Build, requests: int) -> None:
    """Server memory over `requests` requests of 300 words at concurrency 8 (this checkout only)."""
    texts = articles(300)
    chunk = max(1, requests // 5)
    readings = [rss_mb(build.process.pid)]
    sent = errors = 0
    started = time.perf_counter()
    while sent < requests:
        size = min(chunk, requests - sent)
        errors += int(asyncio.run(load(build.base_url, texts, concurrency=8, requests=size))["errors"])
        sent += size
        readings.append(rss_mb(build.process.pid))
    rate = sent / (time.perf_counter() - started)
    print(
        f"\nsoak: {sent} requests of 300 words at concurrency 8, {rate:.1f} req/s, {errors} errors; "
        f"server RSS (MB) every {chunk}: {' -> '.join(f'{mb:.0f}' for mb in readings)}"
    )


if __name__ == "__main__":
    main()
