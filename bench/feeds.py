"""Throughput of `factcheck feeds run`: articles per minute, local engine and Celery workers.

Serves 1,000 articles (10 RSS feeds of 100 items) from a server on 127.0.0.1. Each article is a real
news article body from ../shared/data/article_extraction (cut to 400 words) with one false claim
from corpus/debunks.jsonl as its own paragraph, so every page is extracted, split, scored, matched
and stored as in production. For each engine, a fresh PostgreSQL database is filled from the corpus,
the feeds are polled (not timed), and then the articles are checked:

    local-1, local-2     FeedRunner.run(processes=N), the default engine, no broker
    celery-1, celery-2   N `celery -A factcheck.tasks worker --concurrency=1` processes, Redis broker

"wall" counts from the start of checking to the last article, model loading included; "steady"
counts from the first finished article to the last, i.e. once the models are loaded. The politeness
delay is 0: every article comes from one host, so any delay would cap the rate at 1/delay.

    .venv/bin/python bench/feeds.py                         # 1,000 articles, all four engines
    .venv/bin/python bench/feeds.py --articles 200 --engines local-1,celery-2
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from factcheck.corpus import ensure_initialised  # noqa: E402
from factcheck.cpu import threads_per_process  # noqa: E402
from factcheck.feeds import ArticleOutcome, FeedRunner, RunSummary, add_feed  # noqa: E402
from factcheck.settings import Settings  # noqa: E402
from factcheck.store import open_store  # noqa: E402
from tests.postgres import POSTGRES_ADMIN_URL, throwaway_database  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "article_extraction" / "ground_truth.json"
FEEDS = 10
FILLER = (
    "Residents gathered at the community hall on Tuesday evening to talk about the new opening hours of "
    "the library. The council said it would publish the minutes of the meeting next week. "
)


def article_bodies(words: int = 400) -> list[str]:
    if SHARED.exists():
        bodies = json.loads(SHARED.read_text(encoding="utf-8"))
        texts = [" ".join(entry["articleBody"].split()[:words]) for entry in bodies.values()]
        return [t for t in texts if len(t.split()) >= 150]
    return [(FILLER * 40)[: words * 6]]


def false_claims() -> list[str]:
    lines = (ROOT / "corpus" / "debunks.jsonl").read_text(encoding="utf-8").splitlines()
    return [r["claim_reviewed"] for r in map(json.loads, lines) if r["label"] in ("false", "mostly_false")]


class Site:
    """RSS feeds and article pages, made on request, on 127.0.0.1."""

    def __init__(self, articles: int) -> None:
        self.articles = articles
        self.bodies = article_bodies()
        self.claims = false_claims()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/feed-"):
                    body, kind = site.feed(int(self.path[6:].split(".")[0])), "application/rss+xml"
                elif self.path.startswith("/article/"):
                    body, kind = site.page(int(self.path[9:])), "text/html; charset=utf-8"
                else:
                    self.send_error(404)
                    return
                data = body.encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def feed(self, number: int) -> str:
        items = "".join(
            f"<item><title>Story {n}</title><link>{self.base}/article/{n}</link><guid>{n}</guid></item>"
            for n in range(number, self.articles, FEEDS)
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {number}</title>{items}</channel></rss>'

    def page(self, number: int) -> str:
        body = self.bodies[number % len(self.bodies)]
        paragraphs = [p for p in body.split("\n") if p.strip()] or [body]
        middle = len(paragraphs) // 2
        claim = self.claims[number % len(self.claims)]
        paragraphs.insert(middle, f"A message shared widely this week said so again. {claim}")
        paragraphs.append(f"This is article number {number} of the benchmark.")  # every page differs
        html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        return (
            f"<!doctype html><html><head><title>Story {number}</title></head><body><article>"
            f"<h1>Story {number}</h1>{html}</article></body></html>"
        )


class Stamps:
    """A RunProgress that notes when each article ended."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def started(self, total: int) -> None:
        self.start = time.perf_counter()

    def finished(self, outcome: ArticleOutcome) -> None:
        self.times.append(time.perf_counter())


def settings_for(database_url: str, queue: str) -> Settings:
    return Settings(
        database_url=database_url,
        fetch_allowlist="127.0.0.1",
        feed_politeness_delay_s=0.0,
        worker_queue=queue,
        broker_url="redis://127.0.0.1:6379/0",
    )


def start_workers(settings: Settings, count: int) -> list[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "FACTCHECK_DATABASE_URL": settings.database_url,
        "FACTCHECK_BROKER_URL": settings.broker_url,
        "FACTCHECK_WORKER_QUEUE": settings.worker_queue,
        "FACTCHECK_FETCH_ALLOWLIST": settings.fetch_allowlist,
        "FACTCHECK_FEED_POLITENESS_DELAY_S": "0",
        # The workers stand for machines but share this one: each gets its share of the cores.
        "FACTCHECK_CPU_THREADS": str(threads_per_process(count)),
    }
    workers = []
    for number in range(count):
        command = [
            sys.executable, "-m", "celery", "-A", "factcheck.tasks", "worker",
            f"--queues={settings.worker_queue}", "--concurrency=1", "--pool=prefork", "--loglevel=WARNING",
            f"--hostname=bench{number}-{uuid.uuid4().hex[:6]}@%h", "--without-gossip", "--without-mingle",
        ]  # fmt: skip
        workers.append(subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, start_new_session=True))
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)


def run_engine(engine: str, base: str, articles: int, admin_url: str) -> dict[str, Any]:
    kind, count = engine.split("-")
    processes = int(count)
    with throwaway_database(admin_url, prefix="factcheck_bench") as database_url:
        settings = settings_for(database_url, f"factcheck-bench-{uuid.uuid4().hex[:8]}")
        store = open_store(database_url)
        ensure_initialised(store, settings.corpus_dir)
        for number in range(FEEDS):
            add_feed(store, f"{base}/feed-{number}.xml", name=f"Feed {number}")
        runner = FeedRunner.from_settings(settings, store=store)
        polled = runner.poll()
        queued = sum(result.new for result in polled)
        stamps = Stamps()
        summary = RunSummary()
        if kind == "local":
            runner.run(processes=processes, progress=stamps, summary=summary)
        else:
            from factcheck import tasks

            tasks.configure(settings)
            workers = start_workers(settings, processes)
            try:
                started = time.perf_counter()
                runner.dispatch(tasks.send_check)
                runner.wait(progress=stamps, summary=summary, poll_interval_s=0.2)
                summary.elapsed_s = time.perf_counter() - started
                stamps.start = started
            finally:
                stop_workers(workers)
        store.close()
    wall = stamps.times[-1] - stamps.start
    steady = stamps.times[-1] - stamps.times[0]
    return {
        "engine": kind,
        "processes": processes,
        "articles": summary.articles,
        "queued": queued,
        "done": summary.done,
        "failed": summary.failed,
        "claims": summary.claims,
        "debunked": summary.debunked,
        "needs_review": summary.needs_review,
        "wall_s": round(wall, 1),
        "per_min_wall": round(60 * summary.articles / wall, 1),
        "per_min_steady": round(60 * (summary.articles - 1) / steady, 1) if steady > 0 else 0.0,
    }


def _serve(articles: int, ready: Any) -> None:
    site = Site(articles)
    ready.put(site.base)
    threading.Event().wait()


def start_site(articles: int) -> tuple[str, multiprocessing.process.BaseProcess]:
    """The site in its own process, so serving pages never competes with the local engine for the GIL."""
    context = multiprocessing.get_context("spawn")
    ready = context.Queue()
    process = context.Process(target=_serve, args=(articles, ready), daemon=True)
    process.start()
    return ready.get(timeout=60), process


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--engines", default="local-1,local-2,celery-1,celery-2")
    parser.add_argument(
        "--postgres",
        default=POSTGRES_ADMIN_URL,
        help="A PostgreSQL URL whose user may create databases; each engine gets a fresh one.",
    )
    parser.add_argument("--json", action="store_true", help="Print the rows as JSON too.")
    args = parser.parse_args()
    base, server = start_site(args.articles)
    rows = []
    for engine in args.engines.split(","):
        print(f"running {engine} on {args.articles} articles ...", file=sys.stderr, flush=True)
        rows.append(run_engine(engine.strip(), base, args.articles, args.postgres))
        print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(
        f"\nfeeds run: {args.articles} local articles (400-word news bodies + 1 false claim), {os.cpu_count()} CPUs"
    )
    header = f"{'engine':<8} {'procs':>5} {'done':>5} {'failed':>6} {'debunked':>8} {'wall s':>7} {'art/min wall':>12} {'art/min steady':>14}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['engine']:<8} {row['processes']:>5} {row['done']:>5} {row['failed']:>6} {row['debunked']:>8} "
            f"{row['wall_s']:>7} {row['per_min_wall']:>12} {row['per_min_steady']:>14}"
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    server.terminate()


if __name__ == "__main__":
    main()
