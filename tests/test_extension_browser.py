"""The browser extension in real Chromium, against the real API server.

Debian's Chromium is driven by Playwright with the unpacked extension loaded
(`--load-extension`, new headless mode). Test pages are served from
tests/fixtures/extension by a local HTTP server with a strict Content-Security-Policy,
and the API is the real one: uvicorn running `api.app:create_app` over a temporary
SQLite database filled from corpus/debunks.jsonl on first start.

Screenshots go to test-output/extension/.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (the test extra)")
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
EXTENSION = REPO_ROOT / "extension"
FIXTURES = Path(__file__).parent / "fixtures" / "extension"
OUTPUT = REPO_ROOT / "test-output" / "extension"
CHROMIUM = os.environ.get("FACTCHECK_TEST_CHROMIUM", "/usr/bin/chromium")
CONTENT_FILES = ["content/anchor.js", "content/extract.js", "content/card.js", "content/content.js"]
# What a strict news site sends: page CSP must not stop the extension.
PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'"
SERVER_START_TIMEOUT_S = 150

ARTICLE_CLAIM = "They're putting microchips in the vaccine so they can track you, and Bill Gates admitted it."
ARTICLE_TRUE = "The city council voted seven to two on Tuesday to add protected bike lanes along Main Street."
WEBMAIL_CLAIM = "Scientists say we only use 10% of our brain."

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"),
    pytest.mark.timeout(240),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _flat(text: str) -> str:
    return " ".join(text.split())


# --- local servers -------------------------------------------------------------------------------


class _FixtureHandler(SimpleHTTPRequestHandler):
    def end_headers(self) -> None:
        self.send_header("Content-Security-Policy", PAGE_CSP)
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _SlowApiHandler(SimpleHTTPRequestHandler):
    """A server that takes longer to answer than the extension waits."""

    delay_s = 4.0

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(self.delay_s)
        body = b'{"error": {"code": "late", "message": "too late", "request_id": ""}}'
        try:
            self.send_response(500)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # The extension gave up and closed the connection, as it should.

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(handler: Any) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The test pages, on 127.0.0.1 with a strict CSP."""
    yield from _serve(partial(_FixtureHandler, directory=str(FIXTURES)))


@pytest.fixture(scope="module")
def slow_api() -> Iterator[str]:
    yield from _serve(_SlowApiHandler)


@dataclass
class ApiServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The real API (uvicorn, create_app) over a fresh SQLite database filled from corpus/."""
    tmp = tmp_path_factory.mktemp("api")
    port = _free_port()
    env = {
        **os.environ,
        "FACTCHECK_DATABASE_URL": f"sqlite:///{tmp / 'x.db'}",
        # Enough for every check below; the rate-limit test uses up the rest on purpose.
        "FACTCHECK_RATE_LIMIT": "40/minute",
    }
    log = tmp / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", "api.app:create_app"]
            + ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=REPO_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = ApiServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            pytest.fail(f"the API server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/readyz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"the API server was not ready in {SERVER_START_TIMEOUT_S} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)
    try:
        yield server
    finally:
        server.stop()
        shutil.copy(log, OUTPUT / "api-server.log") if OUTPUT.exists() else None


# --- the browser ---------------------------------------------------------------------------------


@dataclass
class Browser:
    context: BrowserContext
    extension_id: str
    control: Page

    def url(self, path: str) -> str:
        return f"chrome-extension://{self.extension_id}/{path}"

    def call(self, script: str, arg: Any = None) -> Any:
        """Run `script` (an async function of one argument) in an extension page, with chrome.* APIs."""
        return self.control.evaluate(script, arg)

    def settings(self, **values: Any) -> None:
        self.call("(values) => chrome.storage.local.set(values)", values)

    def tab_id(self, page: Page) -> int:
        tabs = self.call("(url) => chrome.tabs.query({url})", page.url.split("#")[0])
        assert len(tabs) == 1, tabs
        return tabs[0]["id"]

    def inject(self, page: Page) -> int:
        tab = self.tab_id(page)
        self.call(
            "([tabId, files]) => chrome.scripting.executeScript({target: {tabId}, files})", [tab, CONTENT_FILES]
        )
        return tab

    def in_page(self, page: Page, func: str, *args: Any) -> Any:
        """Call `func` in the content script's world of `page` (after injecting the content scripts)."""
        tab = self.inject(page)
        return self.call(
            """async ([tabId, source, args]) => {
                const [result] = await chrome.scripting.executeScript({
                    target: {tabId}, args: [source, ...args],
                    func: (source, ...rest) => globalThis.__factcheck[source](...rest),
                });
                return result.result;
            }""",
            [tab, func, list(args)],
        )

    def popup(self, page: Page) -> Page:
        """The popup, opened in a tab and aimed at `page` (the tests cannot click the toolbar)."""
        popup = self.context.new_page()
        popup.set_viewport_size({"width": 380, "height": 560})
        popup.goto(self.url(f"popup.html?tab={self.tab_id(page)}"))
        return popup


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=False,
            viewport={"width": 1100, "height": 760},
            args=[
                "--headless=new",
                f"--disable-extensions-except={EXTENSION}",
                f"--load-extension={EXTENSION}",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        try:
            worker = (
                context.service_workers[0]
                if context.service_workers
                else context.wait_for_event("serviceworker", timeout=15_000)
            )
            extension_id = worker.url.split("/")[2]
            control = context.pages[0] if context.pages else context.new_page()
            control.goto(f"chrome-extension://{extension_id}/options.html")
            yield Browser(context, extension_id, control)
        finally:
            context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = browser.context.new_page()
    yield page
    page.close()


def _static_claims() -> list[dict[str, Any]]:
    return json.loads((FIXTURES / "report-article.json").read_text())["claims"]


def _marks(page: Page):
    return page.locator("factcheck-mark.factcheck-highlight")


def _marked_text(page: Page) -> str:
    return _flat("".join(_marks(page).all_text_contents()))


# --- the content scripts, against a report fixture -------------------------------------------------


def test_extract_sends_article_text_without_navigation_or_asides(browser: Browser, site: str, page: Page) -> None:
    page.goto(f"{site}/article.html")
    extracted = browser.in_page(page, "extract")
    assert extracted["kind"] == "article"
    text = extracted["text"]
    assert ARTICLE_TRUE in _flat(text)
    assert ARTICLE_CLAIM in _flat(text)
    for outside in ("Trending", "Opinion: why everyone", "All rights reserved", "The Riverton Daily"):
        assert outside not in text
    assert text.startswith("Council approves protected bike lanes on Main Street\n")


def test_extract_takes_the_open_message_in_webmail_with_quote_markers_removed(
    browser: Browser, site: str, page: Page
) -> None:
    page.goto(f"{site}/webmail.html")
    extracted = browser.in_page(page, "extract")
    assert extracted["kind"] == "webmail"
    text = extracted["text"]
    assert "---------- Forwarded message ---------" in text
    assert "Scientists say we only use 10% of our\nbrain. Imagine" in text
    assert not [line for line in text.splitlines() if line.lstrip().startswith(">")]
    for outside in ("Inbox (3)", "Archive", "Starred", "FW: FW: FW: amazing"):
        assert outside not in text


def test_extract_uses_the_selection_when_there_is_one(browser: Browser, site: str, page: Page) -> None:
    page.goto(f"{site}/article.html")
    page.evaluate(
        """() => {
            const range = document.createRange();
            range.selectNodeContents(document.getElementById("p-true"));
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }"""
    )
    extracted = browser.in_page(page, "extract")
    assert extracted["kind"] == "selection"
    assert _flat(extracted["text"]).startswith(ARTICLE_TRUE)
    assert "microchips" not in extracted["text"]


def test_highlight_marks_only_the_debunked_claim_without_moving_the_page(
    browser: Browser, site: str, page: Page
) -> None:
    page.goto(f"{site}/article.html")
    before = {pid: page.locator(pid).bounding_box() for pid in ("#p-claim", "#p-after")}
    result = browser.in_page(page, "highlight", _static_claims())
    assert result == {"claims": 1, "highlighted": 1, "missing": []}
    # The claim crosses <q> and <em>: one mark per text node, together exactly the claim.
    assert _marks(page).count() == 3
    assert _marked_text(page) == ARTICLE_CLAIM
    assert page.locator("#p-true factcheck-mark").count() == 0, "a claim with no match was highlighted"
    assert page.locator("#p-after factcheck-mark").count() == 0, "a needs_review claim was highlighted as false"
    # The page's `factcheck-mark {display: block; padding: 20px}` does not win, and nothing moved.
    assert _marks(page).first.evaluate("(m) => getComputedStyle(m).display") == "inline"
    assert _marks(page).first.evaluate("(m) => getComputedStyle(m).paddingTop") == "0px"
    for pid, box in before.items():
        assert page.locator(pid).bounding_box() == box, f"{pid} moved"
    page.screenshot(path=OUTPUT / "static-highlight.png")


def test_card_opens_on_hover_and_from_the_keyboard(browser: Browser, site: str, page: Page) -> None:
    page.goto(f"{site}/article.html")
    browser.in_page(page, "highlight", _static_claims())
    layout = page.locator("#p-after").bounding_box()
    card = page.locator("factcheck-card .card")

    _marks(page).nth(1).hover()
    expect(card).to_be_visible()
    assert card.locator(".rating").text_content() == "False"
    assert card.locator(".reviewer").text_content() == "Snopes (2020-04-22)"
    assert card.locator(".link").get_attribute("href") == "https://www.snopes.com/fact-check/bill-gates-id2020/"
    assert card.locator(".explanation").text_content().startswith("The theory twists Gates-funded research")
    assert page.locator("#p-after").bounding_box() == layout, "the card pushed the page"
    page.screenshot(path=OUTPUT / "static-card-hover.png")

    page.mouse.move(5, 700)
    expect(card).to_be_hidden()
    first = _marks(page).first
    assert first.get_attribute("tabindex") == "0"
    assert first.get_attribute("role") == "button"
    assert "rated False by Snopes" in first.get_attribute("aria-label")
    page.keyboard.press("Tab")  # into the page
    first.focus()
    expect(card).to_be_visible()
    page.keyboard.press("Enter")
    focused = page.evaluate("() => document.activeElement.shadowRoot?.activeElement?.className ?? ''")
    assert focused == "link"
    page.keyboard.press("Escape")
    expect(card).to_be_hidden()
    assert page.evaluate("() => document.activeElement.tagName") == "FACTCHECK-MARK"


def test_highlight_comes_back_when_the_page_rewrites_its_content(browser: Browser, site: str, page: Page) -> None:
    page.goto(f"{site}/article.html")
    browser.in_page(page, "highlight", _static_claims())
    page.evaluate("() => window.rerenderClaimParagraph()")
    assert page.locator("#p-claim factcheck-mark").count() == 0
    expect(_marks(page)).to_have_count(3, timeout=3_000)
    assert _marked_text(page) == ARTICLE_CLAIM
    # No loop: the observer stays quiet once the highlight is back.
    page.wait_for_timeout(800)
    assert _marks(page).count() == 3
    assert browser.in_page(page, "status")["highlighted"] == 1
