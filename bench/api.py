"""Load benchmark of `POST /v1/check`: latency percentiles, requests/s, errors and server memory.

Starts `factcheck serve` on 127.0.0.1 over a SQLite database holding the shipped corpus plus the
14k Snopes claims of CheckThat! 2022 (kept in bench/.cache/ so their vectors are computed once), then
drives it with async httpx at several concurrencies, with 300-word and 1,500-word articles made from
the real article bodies in ../shared/data/article_extraction.

    .venv/bin/python bench/api.py                      # concurrency 1, 8, 32; 200 requests each
    .venv/bin/python bench/api.py --soak 10000         # plus server memory over 10,000 requests
    .venv/bin/python bench/api.py --profile fast       # the cascade without MiniLM
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
CACHE = Path(__file__).resolve().parent / ".cache"
PORT = 8765


def articles(words: int) -> list[str]:
    """Real article bodies cut (or repeated) to exactly `words` words."""
    bodies = json.loads((SHARED / "article_extraction" / "ground_truth.json").read_text(encoding="utf-8"))
    texts = []
    for entry in bodies.values():
        tokens = entry["articleBody"].split()
        if len(tokens) < 150:
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


def start_server(workers: int | None, profile: str | None) -> subprocess.Popen[bytes]:
    CACHE.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "FACTCHECK_DATABASE_URL": f"sqlite:///{CACHE / 'bench.db'}",
        "FACTCHECK_RATE_LIMIT": "",
        **({"FACTCHECK_API_MATCHER_PROFILE": profile} if profile else {}),
    }
    factcheck = [sys.executable, "-m", "factcheck"]
    subprocess.run([*factcheck, "db", "init"], env=env, check=True)
    subprocess.run(
        [
            *factcheck,
            "db",
            "import",
            str(SHARED / "clef2022_task2a_claim_retrieval_tweets" / "vclaims.jsonl"),
        ],
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [*factcheck, "serve", "--port", str(PORT), *(["--workers", str(workers)] if workers else [])],
        env={**env, "FACTCHECK_LOG_FORMAT": "text"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 900  # the first start encodes 14k claims once
    while time.time() < deadline:
        try:
            # new connections land on any worker: ready when 16 of them in a row say so
            if all(
                httpx.get(f"http://127.0.0.1:{PORT}/readyz", timeout=2).status_code == 200 for _ in range(16)
            ):
                return server
        except httpx.HTTPError:
            pass
        time.sleep(1)
    server.kill()
    raise SystemExit("the server did not become ready")


async def load(texts: list[str], *, concurrency: int, requests: int) -> dict[str, float]:
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

    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=120) as client:
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
    parser.add_argument(
        "--workers", type=int, help="Server worker processes (default: serve's, one per core)."
    )
    parser.add_argument("--soak", type=int, default=0, help="Also send this many requests and report memory.")
    parser.add_argument(
        "--profile",
        choices=["full", "fast"],
        help="FACTCHECK_API_MATCHER_PROFILE (default: the server's, full).",
    )
    args = parser.parse_args()

    server = start_server(args.workers, args.profile)
    try:
        print(
            "| words | concurrency | p50 ms | p95 ms | p99 ms | req/s | errors | server CPU ms/req |\n"
            "|---|---|---|---|---|---|---|---|"
        )
        for words in (300, 1500):
            texts = articles(words)
            asyncio.run(load(texts, concurrency=2, requests=10))  # warm-up
            for concurrency in args.concurrency:
                cpu_before = cpu_seconds(server.pid)
                figures = asyncio.run(load(texts, concurrency=concurrency, requests=args.requests))
                cpu_ms = (cpu_seconds(server.pid) - cpu_before) * 1000 / args.requests
                print(
                    f"| {words} | {concurrency} | {figures['p50_ms']:.0f} | {figures['p95_ms']:.0f} | "
                    f"{figures['p99_ms']:.0f} | {figures['requests_per_s']:.1f} | {figures['errors']:.0f} | "
                    f"{cpu_ms:.0f} |",
                    flush=True,
                )
        if args.soak:
            texts = articles(300)
            chunk = max(1, args.soak // 5)
            readings = [rss_mb(server.pid)]
            sent = errors = 0
            started = time.perf_counter()
            while sent < args.soak:
                size = min(chunk, args.soak - sent)
                errors += int(asyncio.run(load(texts, concurrency=8, requests=size))["errors"])
                sent += size
                readings.append(rss_mb(server.pid))
            rate = sent / (time.perf_counter() - started)
            print(
                f"\nsoak: {sent} requests of 300 words at concurrency 8, {rate:.1f} req/s, {errors} errors; "
                f"server RSS (MB) every {chunk}: {' -> '.join(f'{mb:.0f}' for mb in readings)}"
            )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
