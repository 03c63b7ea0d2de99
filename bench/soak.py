"""Soak and faults: the API keeps serving through hostile traffic, a dead worker, PostgreSQL and Redis.

Starts its own throwaway PostgreSQL cluster (Debian's initdb/pg_ctl, in a temp dir, on a free port)
and its own redis-server (free port), then `factcheck serve --workers 2` over them with the rate
limits counted in that Redis. A steady client checks an article every 0.25 s throughout, with its
own API key; the phases are

    soak      10,000 requests from 12 threads: valid checks, reports and searches, hostile bodies
              (lone surrogates, NUL, NaN, ids of 2^63, deep JSON-LD, javascript: links), oversized
              bodies (declared and chunked) and random API keys, from 8 keyed clients and anonymous
    worker    one worker is killed (SIGKILL); the supervisor starts another
    postgres  the cluster is restarted (pg_ctl restart -m fast)
    redis     redis-server is stopped for 10 s, then started again

For each phase: the status codes, 5xx count, the steady client's failures and slowest answer, and
the server's resident memory. Everything listens on 127.0.0.1; nothing of the machine's own
PostgreSQL or Redis is touched. Run it niced: `nice -n 5 .venv/bin/python bench/soak.py`.

    .venv/bin/python bench/soak.py                  # 10,000 soak requests
    .venv/bin/python bench/soak.py --requests 2000  # a shorter run
"""

from __future__ import annotations

import argparse
import collections
import glob
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api import articles, rss_mb, server_pids  # noqa: E402

ARTICLE_WORDS = 300
KEYED_CLIENTS = 8


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(ready: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"{what} did not become ready in {seconds:.0f} s")


# --- the parts this script runs itself -----------------------------------------------------------------


class Postgres:
    """A throwaway cluster under `folder`, from Debian's PostgreSQL binaries.

    PostgreSQL refuses to run as root; as root, the cluster belongs to the `postgres` system user.
    """

    def __init__(self, folder: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            raise SystemExit("no PostgreSQL binaries under /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        home = folder / "pg"
        home.mkdir()
        self.as_owner: list[str] = []
        if os.geteuid() == 0:
            folder.chmod(0o711)
            shutil.chown(home, "postgres", "postgres")
            self.as_owner = ["runuser", "-u", "postgres", "--"]
        self.data = home / "data"
        self.log = home / "server.log"
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/soak"
        self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self.options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -k {home} -c fsync=off"

    def run(self, program: str, *args: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bin / program), *args], check=True, stdout=subprocess.DEVNULL
        )

    def ctl(self, *args: str) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-o", self.options, "-w", "-l", str(self.log), *args)

    def create_database(self) -> None:
        self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "soak")


@contextmanager
def postgres(folder: Path) -> Iterator[Postgres]:
    cluster = Postgres(folder)
    cluster.ctl("start")
    try:
        cluster.create_database()
        yield cluster
    finally:
        cluster.ctl("stop", "-m", "immediate")


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        wait_for(lambda: socket.create_connection(("127.0.0.1", self.port), 1).close() is None, 20, "redis")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


@contextmanager
def redis() -> Iterator[Redis]:
    server = Redis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def api_server(env: dict[str, str], port: int, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "factcheck", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(
                lambda: all(httpx.get(f"{base}/readyz", timeout=2).status_code == 200 for _ in range(8)),
                600,
                "the API",
            )
            yield server
        finally:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                server.kill()


def api_keys(database_url: str, count: int) -> list[str]:
    """One API key for each of `count` viewer accounts: a limit counts per account, so each is a client."""
    from factcheck.accounts import Accounts
    from factcheck.store import open_store

    store = open_store(database_url)
    try:
        accounts = Accounts(store)
        keys = []
        for n in range(count):
            accounts.add_user(f"soak-{n}", "soak soak soak soak", role="viewer", actor="soak")
            keys.append(accounts.create_api_key(f"soak-{n}", name="soak", actor="soak")[1])
        return keys
    finally:
        store.close()


# --- traffic ---------------------------------------------------------------------------------------------


class Steady:
    """One reader checking articles in a loop; each answer is recorded against the current phase."""

    def __init__(self, base: str, key: str, texts: list[str]) -> None:
        self.base, self.key, self.texts = base, key, texts
        self.phase = "start"
        self.results: dict[str, list[tuple[int, float]]] = collections.defaultdict(list)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        with httpx.Client(timeout=30, headers={"X-API-Key": self.key}) as client:
            n = 0
            while not self.stop.is_set():
                started = time.perf_counter()
                try:
                    status = client.post(
                        f"{self.base}/v1/check", json={"text": self.texts[n % len(self.texts)]}
                    ).status_code
                except httpx.HTTPError:
                    status = 0  # no answer at all
                self.results[self.phase].append((status, time.perf_counter() - started))
                n += 1
                self.stop.wait(0.25)

    def summary(self, phase: str) -> dict[str, object]:
        answers = self.results.get(phase, [])
        failed = collections.Counter(str(status or "no answer") for status, _ in answers if status != 200)
        return {
            "requests": len(answers),
            "failed": sum(failed.values()),
            "failures": dict(failed),
            "slowest_s": round(max((s for _, s in answers), default=0.0), 2),
        }


def hostile_bodies() -> list[tuple[str, str, bytes, dict[str, str]]]:
    """(method, path, body, headers) of the hostile kinds; a few are rendered once and reused."""
    json_header = {"Content-Type": "application/json"}
    deep_ld = "<script type='application/ld+json'>" + "[" * 50_000 + "]" * 50_000 + "</script><p>Text.</p>"
    return [
        ("POST", "/v1/check", b'{"text": "bad \\ud800 surrogate"}', json_header),
        ("POST", "/v1/check", b'{"html": "<p>bad \\udfff</p>"}', json_header),
        ("POST", "/v1/check", json.dumps({"html": deep_ld}).encode(), json_header),
        (
            "POST",
            "/v1/check",
            json.dumps({"text": "A claim.", "source_url": "javascript:alert(1)"}).encode(),
            json_header,
        ),
        ("POST", "/v1/reports", json.dumps({"text": "nul \x00 here"}).encode(), json_header),
        ("POST", "/v1/reports", json.dumps({"text": "A claim.", "debunk_id": 2**63}).encode(), json_header),
        (
            "POST",
            "/v1/debunks",
            b'{"claim_reviewed": "x y z", "label": "false", "rating_value": NaN}',
            json_header,
        ),
        ("GET", f"/v1/debunks/{2**63}", b"", {}),
        ("GET", "/v1/debunks?q=%25", b"", {}),
        ("GET", "/v1/debunks?q=a%00b", b"", {}),
        ("POST", "/v1/check", b"[" * 100_000 + b"]" * 100_000, json_header),
        (
            "POST",
            "/editor/login",
            b"username=admin&password=guess&csrf_token=x",
            {"Content-Type": "application/x-www-form-urlencoded"},
        ),
    ]


def soak(base: str, keys: list[str], texts: list[str], requests: int) -> dict[str, object]:
    hostile = hostile_bodies()
    oversized = json.dumps({"text": "word " * 500_000}).encode()  # 2.5 MB
    statuses: collections.Counter[str] = collections.Counter()
    lock = threading.Lock()
    local = threading.local()

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(oversized), 65536):
            yield oversized[start : start + 65536]

    def one(n: int) -> None:
        rng = random.Random(n)
        client: httpx.Client = getattr(local, "client", None) or httpx.Client(timeout=60)
        local.client = client
        who = rng.random()
        headers = (
            {"X-API-Key": rng.choice(keys)}
            if who < 0.6
            else {"X-API-Key": f"fck_{rng.getrandbits(64):x}"}
            if who < 0.75
            else {}
        )
        kind = rng.random()
        try:
            if kind < 0.30:
                response = client.post(f"{base}/v1/check", json={"text": rng.choice(texts)}, headers=headers)
            elif kind < 0.40:
                response = client.post(
                    f"{base}/v1/reports", json={"text": f"Soak claim {n} about water."}, headers=headers
                )
            elif kind < 0.60:
                response = client.get(
                    f"{base}/v1/debunks",
                    params={"q": rng.choice(["vaccine", "5G", "moon", ""])},
                    headers=headers,
                )
            elif kind < 0.98:
                method, path, body, extra = rng.choice(hostile)
                response = client.request(
                    method, f"{base}{path}", content=body or None, headers={**headers, **extra}
                )
            elif kind < 0.99:
                response = client.post(
                    f"{base}/v1/check",
                    content=oversized,
                    headers={**headers, "Content-Type": "application/json"},
                )
            else:
                response = client.post(
                    f"{base}/v1/check",
                    content=chunks(),
                    headers={**headers, "Content-Type": "application/json"},
                )
            status = str(response.status_code)
        except httpx.HTTPError as error:
            status = type(error).__name__
        with lock:
            statuses[status] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(one, range(requests)))
    seconds = time.monotonic() - started
    server_errors = sum(
        count for status, count in statuses.items() if not status.isdigit() or status.startswith("5")
    )
    return {
        "requests": requests,
        "seconds": round(seconds, 1),
        "statuses": dict(sorted(statuses.items())),
        "5xx_or_no_answer": server_errors,
    }


def recovery(base: str, seconds: float = 180) -> float | None:
    """Seconds until 8 fresh connections in a row get answers again; None if not within `seconds`."""
    started = time.monotonic()
    try:
        wait_for(
            lambda: all(httpx.get(f"{base}/readyz", timeout=5).status_code == 200 for _ in range(8)),
            seconds,
            "recovery",
        )
    except SystemExit:
        return None
    return round(time.monotonic() - started, 1)


def keep_log(log: Path, kept: Path) -> None:
    if log.exists():
        shutil.copy(log, kept)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument(
        "--server-log", default="/tmp/factcheck-soak-server.log", help="where the server's log is kept"
    )
    args = parser.parse_args()
    texts = articles(ARTICLE_WORDS)[:20]
    report: dict[str, object] = {}
    folder = Path(tempfile.mkdtemp(prefix="factcheck-soak-"))
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, folder, ignore_errors=True)
        stack.callback(keep_log, folder / "server.log", Path(args.server_log))
        cluster = stack.enter_context(postgres(folder))
        cache = stack.enter_context(redis())
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "FACTCHECK_DATABASE_URL": cluster.url,
            "FACTCHECK_RATE_LIMIT": "600/minute",
            "FACTCHECK_RATE_LIMIT_STORAGE": cache.url,
            "FACTCHECK_API_MATCHER_PROFILE": "fast",
            "FACTCHECK_LOG_FORMAT": "text",
        }
        subprocess.run(
            [sys.executable, "-m", "factcheck", "db", "init"], env=env, check=True, stdout=subprocess.DEVNULL
        )
        keys = api_keys(cluster.url, KEYED_CLIENTS + 1)
        server = stack.enter_context(api_server(env, port, folder / "server.log"))
        steady = Steady(base, keys[-1], texts)
        steady.thread.start()
        stack.callback(steady.stop.set)
        time.sleep(5)
        memory = {"start_mb": round(rss_mb(server.pid), 1)}

        steady.phase = "soak"
        report["soak"] = soak(base, keys[:KEYED_CLIENTS], texts, args.requests)
        memory["after_soak_mb"] = round(rss_mb(server.pid), 1)
        print("soak", json.dumps(report["soak"]), flush=True)

        steady.phase = "worker"
        print("worker", time.strftime("%H:%M:%S"), flush=True)
        victim = server_pids(server.pid)[-1]
        os.kill(victim, signal.SIGKILL)
        time.sleep(1)
        report["worker"] = {"killed": victim, "recovered_s": recovery(base)}
        time.sleep(5)

        steady.phase = "postgres"
        print("postgres", time.strftime("%H:%M:%S"), flush=True)
        started = time.monotonic()
        cluster.ctl("restart", "-m", "fast")
        report["postgres"] = {
            "restart_s": round(time.monotonic() - started, 1),
            "recovered_s": recovery(base),
        }
        time.sleep(5)

        steady.phase = "redis"
        print("redis", time.strftime("%H:%M:%S"), flush=True)
        cache.stop()
        time.sleep(10)
        limited = httpx.get(f"{base}/v1/debunks").status_code
        cache.start()
        report["redis"] = {"answer_while_away": limited}
        time.sleep(5)

        steady.phase = "end"
        time.sleep(3)
        memory["end_mb"] = round(rss_mb(server.pid), 1)
        steady.stop.set()
        steady.thread.join(40)
        for phase in ("soak", "worker", "postgres", "redis"):
            report[phase] = {**report[phase], "steady_client": steady.summary(phase)}  # type: ignore[dict-item]
        report["memory"] = memory
        log = (folder / "server.log").read_text(errors="replace")
        report["server_log"] = {
            "tracebacks": log.count("Traceback"),
            "rate_limit_storage_unavailable": log.count("rate-limit storage unavailable"),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
