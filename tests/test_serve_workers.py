"""`factcheck serve --workers 2` as a user starts it: connections spread over both workers, a debunk
written by another process is matched by every worker, a worker that dies is replaced."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from factcheck.store import Store
from factcheck.types import Debunk
from tests.e2e_helpers import free_port

ROOT = Path(__file__).resolve().parent.parent
NEW_HOAX = "Gargling warm salt water twice a day makes you immune to measles for a year."


def _env(database: Path) -> dict[str, str]:
    return {
        **os.environ,
        "FACTCHECK_DATABASE_URL": f"sqlite:///{database}",
        "FACTCHECK_API_MATCHER_PROFILE": "fast",  # loads in seconds; the workers are what is tested
        "FACTCHECK_RATE_LIMIT": "",
        "FACTCHECK_INDEX_SYNC_SECONDS": "0.5",
        "FACTCHECK_LOG_FORMAT": "text",
    }


async def _at_once(
    base_url: str, path: str, count: int, json: dict[str, str] | None = None
) -> list[httpx.Response]:
    """`count` requests, each on its own new connection, all opened together."""
    clients = [httpx.AsyncClient(base_url=base_url, timeout=60) for _ in range(count)]
    try:
        return await asyncio.gather(
            *(client.post(path, json=json) if json else client.get(path) for client in clients)
        )
    finally:
        for client in clients:
            await client.aclose()


def _worker_pids(base_url: str, count: int = 16) -> list[int]:
    responses = asyncio.run(_at_once(base_url, "/healthz", count))
    assert all(response.status_code == 200 for response in responses)
    return [response.json()["process"] for response in responses]


@pytest.fixture(scope="module")
def served_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    database = tmp_path_factory.mktemp("serve") / "serve.db"
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "factcheck", "serve", "--workers", "2", "--port", str(port)],
        cwd=ROOT,
        env=_env(database),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                ready = asyncio.run(_at_once(base_url, "/readyz", 8))
                if all(response.status_code == 200 for response in ready):
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            pytest.fail("factcheck serve --workers 2 did not become ready")
        yield base_url, database
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def test_connections_opened_at_once_are_spread_over_both_workers(served_api: tuple[str, Path]) -> None:
    base_url, _ = served_api
    pids = _worker_pids(base_url)
    assert len(set(pids)) == 2, pids  # uvicorn's shared socket gave all 16 to one worker


def test_a_debunk_another_process_writes_is_matched_by_every_worker(served_api: tuple[str, Path]) -> None:
    base_url, database = served_api
    before = asyncio.run(_at_once(base_url, "/v1/check", 8, {"text": NEW_HOAX}))
    assert all(response.json()["claims"][0]["status"] != "debunked" for response in before)
    store = Store(f"sqlite:///{database}")
    try:
        created = store.create_debunk(
            Debunk(
                claim_reviewed=NEW_HOAX,
                label="false",
                rating_text="False",
                reviewer_name="Example Fact Check",
                review_url="https://factcheck.example.org/salt-water-measles",
            ),
            actor="importer",
        )
    finally:
        store.close()
    deadline = time.monotonic() + 20
    while True:
        checks = asyncio.run(_at_once(base_url, "/v1/check", 8, {"text": NEW_HOAX}))
        matched = [response.json()["claims"][0]["matches"][:1] for response in checks]
        if all(found and found[0]["debunk"]["id"] == created.id for found in matched):
            break
        assert time.monotonic() < deadline, "some worker never indexed the new debunk"
        time.sleep(0.5)
    assert all(response.json()["claims"][0]["status"] == "debunked" for response in checks)
    assert len(set(_worker_pids(base_url))) == 2  # both workers answered the checks above


def test_a_worker_that_dies_is_replaced_and_no_request_fails(served_api: tuple[str, Path]) -> None:
    base_url, _ = served_api
    victim = _worker_pids(base_url)[0]
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 120
    while True:
        pids = set(
            _worker_pids(base_url)
        )  # requests that reach the dead worker's socket wait for the new one
        if len(pids) == 2 and victim not in pids:
            break
        assert time.monotonic() < deadline, f"the killed worker was not replaced: {pids}"
        time.sleep(0.5)


def test_a_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "factcheck", "serve", "--workers", "2", "--port", str(port)],
            cwd=ROOT,
            env=_env(tmp_path / "serve.db"),
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 1
    assert "Address already in use" in result.stderr
