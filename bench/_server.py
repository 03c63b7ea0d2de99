"""Start a real `factcheck serve` from a checkout, on a free 127.0.0.1 port, for the benchmarks.

The checkout's own code runs (PYTHONPATH points at it), so two builds can be measured side by side.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

READY_TIMEOUT_S = 900  # a first start over a new database encodes every debunk once


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def factcheck_env(checkout: Path, database: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for `python -m factcheck` from `checkout` over the SQLite file `database`."""
    return {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "FACTCHECK_DATABASE_URL": f"sqlite:///{database}",
        "FACTCHECK_RATE_LIMIT": "",
        "FACTCHECK_LOG_FORMAT": "text",
        **(extra or {}),
    }


@contextmanager
def running_server(
    checkout: Path,
    database: Path,
    *,
    workers: int | None = None,
    extra_env: Mapping[str, str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """(base URL, process) of a ready server; stopped on exit."""
    port = free_port()
    command = [sys.executable, "-m", "factcheck", "serve", "--port", str(port)]
    server = subprocess.Popen(
        [*command, *(["--workers", str(workers)] if workers else [])],
        cwd=checkout,
        env=factcheck_env(checkout, database, extra_env),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so its workers stop with it (below)
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base_url, server)
        yield base_url, server
    finally:
        # The whole group: a worker still loading its models can outlive a killed supervisor and go on
        # using a core for minutes (seen when a run failed during the first start over a new database).
        os.killpg(server.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _wait_ready(base_url: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + READY_TIMEOUT_S
    while time.time() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            # new connections land on any worker: ready when 16 of them in a row say so
            if all(httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200 for _ in range(16)):
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit("the server did not become ready")


@contextmanager
def database_copy(prepared: Path) -> Iterator[Path]:
    """A temporary copy of a prepared SQLite database, so a run's writes (the review queue) stay out of
    it; the embedding vectors the run computes are merged back, so the next run does not recompute them."""
    with tempfile.TemporaryDirectory(prefix="factcheck-bench-") as folder:
        copy = Path(folder) / prepared.name
        with sqlite3.connect(prepared) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        yield copy
        with sqlite3.connect(prepared) as connection:
            connection.execute("ATTACH DATABASE ? AS run", (str(copy),))
            connection.execute("INSERT OR IGNORE INTO main.text_vectors SELECT * FROM run.text_vectors")
