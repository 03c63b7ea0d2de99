"""The editors' journey in a real headless Chromium against the real app served by uvicorn.

Log in, open the queue, confirm a suggested match, and the API now answers `debunked` for that
claim; a viewer cannot change anything; a form posted without its CSRF token is refused.
Screenshots land in test-output/ (look at them: they are how the pages really render).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from factcheck.review import ReviewQueue
from tests.conftest import PASSWORD
from tests.e2e_helpers import chromium, screenshot_path, serve_app

if TYPE_CHECKING:
    from fastapi import FastAPI
    from playwright.sync_api import Browser, Page

    from factcheck.pipeline import Checker

pytestmark = pytest.mark.slow

# A chain-letter claim; forced to needs_review below by asking only exact wordings to count as debunked.
CLAIM = "Bill Gates is putting microchips in the coronavirus vaccine so that everyone can be tracked."
# Only known wordings match; everything else with a candidate goes to the editors (no reader tier).
ONLY_EXACT = {"match_threshold": 1.0, "suggest_threshold": 0.0, "possibly_related": False}


@pytest.fixture
def base_url(editor_app: FastAPI) -> Iterator[str]:
    """The editor app over the test's own database, served by uvicorn on 127.0.0.1."""
    with serve_app(lambda: editor_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 860})
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/editor/queue")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.keyboard.press("Enter")  # from the keyboard, like an editor would
    page.wait_for_url(f"{base_url}/editor/queue")


def check(base_url: str, text: str, **options: Any) -> dict[str, Any]:
    response = httpx.post(f"{base_url}/v1/check", json={"text": text, "options": options}, timeout=120)
    response.raise_for_status()
    return response.json()


def claim_of(report: dict[str, Any], text: str) -> dict[str, Any]:
    return next(c for c in report["claims"] if c["text"].strip() == text)


def test_editor_confirms_a_suggested_match_and_the_api_then_says_debunked(
    page: Page, base_url: str, people: dict[str, str], editor_checker: Checker
) -> None:
    before = claim_of(check(base_url, CLAIM, **ONLY_EXACT), CLAIM)
    assert before["status"] == "needs_review", before
    suggested = before["matches"][0]["debunk"]

    sign_in(page, base_url, people["editor"])
    row = page.locator("table.queue tbody tr", has_text=CLAIM)
    assert row.count() == 1
    page.screenshot(path=str(screenshot_path("editor-queue")), full_page=True)

    page.keyboard.press("/")  # the search box takes the focus...
    page.keyboard.type("microchips in the coronavirus")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # ...and filters the queue
    assert page.locator("table.queue tbody tr").count() == 1
    page.keyboard.press("j")  # the first row's link takes the focus
    page.keyboard.press("Enter")
    page.wait_for_url("**/editor/items/*")
    assert page.locator("h1.claim-text").inner_text().strip() == CLAIM
    card = page.locator("article.candidate", has_text=suggested["claim_reviewed"]).first
    assert "variants of debunk" in card.inner_text() or "a variant of debunk" in card.inner_text()
    page.screenshot(path=str(screenshot_path("editor-item")), full_page=True)
    item_url = page.url

    card.get_by_role("button", name="Confirm match").click()
    page.wait_for_url("**done=confirm**")  # on to the next open item, if there is one
    assert "Confirmed." in page.locator(".notice").inner_text()
    page.goto(item_url)
    assert "Confirmed match" in page.locator("p.status").inner_text()

    after = claim_of(check(base_url, CLAIM), CLAIM)
    assert after["status"] == "debunked", after
    assert after["matches"][0]["debunk"]["id"] == suggested["id"]
    assert CLAIM in editor_checker.store.get(suggested["id"]).variants


def test_a_viewer_can_read_the_queue_but_cannot_change_anything(
    page: Page, base_url: str, people: dict[str, str], editor_checker: Checker
) -> None:
    text = f"Tap water in the capital is laced with sedatives, batch {uuid.uuid4().hex[:6]}, officials admit."
    item = ReviewQueue(editor_checker.store).add_reader_report(text, comment="seen on a poster")
    assert item is not None
    sign_in(page, base_url, people["viewer"])
    assert "viewer" in page.locator(".readonly").inner_text()
    page.screenshot(path=str(screenshot_path("editor-queue-as-viewer")), full_page=True)
    page.goto(f"{base_url}/editor/items/{item.id}")
    assert page.get_by_role("button", name="Not check-worthy").count() == 0
    assert page.get_by_role("link", name="Write a new debunk…").count() == 0

    # Posting the decision anyway, with the viewer's own cookie and CSRF token, is refused.
    token = page.evaluate("() => document.querySelector('input[name=csrf_token]').value")
    response = page.request.post(
        f"{base_url}/editor/items/{item.id}/not-checkworthy",
        form={"csrf_token": token, "version": str(item.version)},
    )
    assert response.status == 403
    assert "needs the editor role" in response.text()
    assert ReviewQueue(editor_checker.store).get(item.id).status == "open"


def test_a_form_posted_without_its_csrf_token_is_refused(
    page: Page, base_url: str, people: dict[str, str], editor_checker: Checker
) -> None:
    text = f"Schools will replace printed textbooks with tablets from {uuid.uuid4().hex[:6]} next year, say leaks."
    item = ReviewQueue(editor_checker.store).add_reader_report(text)
    assert item is not None
    sign_in(page, base_url, people["editor"])
    page.goto(f"{base_url}/editor/items/{item.id}")
    page.evaluate("() => document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove())")
    page.get_by_role("button", name="Not check-worthy").click()
    page.wait_for_load_state()
    assert "security token is missing" in page.locator(".error").inner_text()
    page.screenshot(path=str(screenshot_path("editor-csrf-refused")))
    assert ReviewQueue(editor_checker.store).get(item.id).status == "open"


def test_the_dashboard_chart_is_drawn_in_the_page_without_other_hosts(
    page: Page, base_url: str, people: dict[str, str]
) -> None:
    hosts: set[str] = set()
    page.on("request", lambda request: hosts.add(httpx.URL(request.url).host))
    sign_in(page, base_url, people["viewer"])
    page.goto(f"{base_url}/editor/dashboard")
    chart = page.locator("figure.chart svg")
    assert chart.is_visible()
    assert chart.bounding_box()["width"] > 500  # type: ignore[index]
    assert page.locator("polyline.series").count() == 4
    page.screenshot(path=str(screenshot_path("editor-dashboard")), full_page=True)
    assert hosts <= {"127.0.0.1"}


# The same hoax as CLAIM, as it circulates in French: the corpus's fact-checks are in English.
FRENCH_CLAIM = (
    "Bill Gates met des micropuces dans le vaccin contre le coronavirus pour que tout le monde soit pisté."
)


def test_the_queue_and_the_item_say_when_a_suggested_fact_check_is_in_another_language(
    page: Page, base_url: str, people: dict[str, str]
) -> None:
    claim = claim_of(check(base_url, FRENCH_CLAIM, **ONLY_EXACT), FRENCH_CLAIM)
    assert (claim["language"], claim["status"]) == ("fr", "needs_review"), claim
    suggested = claim["matches"][0]["debunk"]
    assert suggested["language"] == "en"

    sign_in(page, base_url, people["editor"])
    row = page.locator("table.queue tbody tr", has_text=FRENCH_CLAIM)
    assert row.locator(".language-note").inner_text().strip() == "French"
    assert "fact-check in English" in row.locator(".sub").inner_text()
    row.get_by_role("link").first.click()
    page.wait_for_url("**/editor/items/*")
    assert (
        page.locator("dt", has_text="Language").locator("xpath=following-sibling::dd").inner_text()
        == "French"
    )
    card = page.locator("article.candidate", has_text=suggested["claim_reviewed"]).first
    assert card.locator(".language-note").inner_text().strip() == "fact-check in English"
    page.screenshot(path=str(screenshot_path("editor-item-french-claim")), full_page=True)

    english = claim_of(check(base_url, CLAIM, **ONLY_EXACT), CLAIM)
    assert english["language"] == "en"
    page.goto(f"{base_url}/editor/queue")
    assert page.locator("table.queue tbody tr", has_text=CLAIM).locator(".language-note").count() == 0
