"""Real servers and a real browser for end-to-end tests.

    with serve_app(lambda: create_app(settings=settings, checker=checker)) as base_url:
        ...  # http://127.0.0.1:<free port>, served by uvicorn in a thread of this process

    with chromium() as browser:  # Debian's /usr/bin/chromium driven by Playwright, headless
        page = browser.new_page()

The server runs in this process so a test can reach the app's state (its Checker, its database)
directly; uvicorn still does real HTTP over a real socket. `chromium()` skips the test, saying why,
when the browser or the playwright package is not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = os.environ.get("FACTCHECK_TEST_CHROMIUM", "/usr/bin/chromium")
# Playwright's own browser download does not work here, and the tests must not call the internet.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TEST_OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def serve_app(
    app_factory: Callable[[], Any], port: int | None = None, *, timeout_s: float = 120.0
) -> Iterator[str]:
    """Serve `app_factory()` with uvicorn on 127.0.0.1 until the block ends; yields the base URL.

    Startup (the app's lifespan) must finish within `timeout_s`; a failed startup raises here.
    """
    import uvicorn

    port = port or free_port()
    config = uvicorn.Config(app_factory(), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the test server on port {port} did not start (see the log above)")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError(f"the test server on port {port} did not start within {timeout_s:.0f} s")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Debian Chromium under Playwright; the test is skipped when either is missing."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot_path(name: str) -> Path:
    """Where a test saves a screenshot: test-output/<name>.png (the folder is gitignored)."""
    TEST_OUTPUT.mkdir(parents=True, exist_ok=True)
    return TEST_OUTPUT / f"{name}.png"
