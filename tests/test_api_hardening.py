"""Regression tests for what an adversarial pass over a running server found (issue 17).

Each test goes through the real app: in-process (TestClient, the ASGI app) or, where the transport
matters (forwarded headers, chunked bodies), a real uvicorn server on 127.0.0.1. Tests that only
read use conftest's `client` (the session database); tests that write use their own database
(`editor_checker`).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from factcheck.accounts import Accounts
from factcheck.claimreview import debunk_to_claimreview
from factcheck.review import ReviewQueue
from factcheck.settings import Settings
from factcheck.types import Debunk
from tests.conftest import FAST_HASHER, PASSWORD

if TYPE_CHECKING:
    from factcheck.pipeline import Checker

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
HUGE = 2**63


def error_of(response: httpx.Response) -> dict[str, str]:
    """The documented error body; fails the test when the response has another shape."""
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "request_id"}, body
    return body["error"]


@pytest.fixture
def accounts(editor_checker: Checker) -> Accounts:
    """The accounts of the test's own database, with conftest's cheap hasher."""
    return Accounts(editor_checker.store, hasher=FAST_HASHER)


def make_app(settings: Settings, checker: Checker, accounts: Accounts, **changes: object) -> FastAPI:
    app = create_app(settings=settings.model_copy(update=changes), checker=checker)
    app.state.accounts = accounts  # the fast hasher: these tests sign in often
    return app


def login(client: TestClient, username: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/editor/login")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    return client.post(
        "/editor/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def signed_in(app: FastAPI, username: str) -> tuple[TestClient, str]:
    """A client signed in as `username` and its session's CSRF token."""
    test_client = TestClient(app)
    assert login(test_client, username).status_code == 303
    token = CSRF.search(test_client.get("/editor/queue").text).group(1)  # type: ignore[union-attr]
    return test_client, token


# --- a real server in a thread -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def serve() -> Iterator[object]:
    """Start `app` under uvicorn with the settings' proxy rules, as `factcheck serve` does."""
    from api.workers import uvicorn_config

    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: FastAPI, settings: Settings) -> str:
        port = free_port()
        config = uvicorn_config(app, settings, host="127.0.0.1", port=port)
        config.log_level = "warning"
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


# --- limits that could be escaped ---------------------------------------------------------------------


def test_random_api_keys_do_not_lift_the_login_limit(
    editor_settings: Settings, editor_checker: Checker, accounts: Accounts, people: dict[str, str]
) -> None:
    app = make_app(editor_settings, editor_checker, accounts, rate_limit="120/minute")
    with TestClient(app) as test_client:
        form = test_client.get("/editor/login")
        token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        statuses = [
            test_client.post(
                "/editor/login",
                data={"username": f"nobody-{n}", "password": "wrong", "csrf_token": token},
                headers={"X-API-Key": uuid.uuid4().hex},
            ).status_code
            for n in range(12)
        ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]


def test_random_api_keys_do_not_lift_the_check_and_report_limits(
    editor_settings: Settings, editor_checker: Checker, accounts: Accounts
) -> None:
    app = make_app(editor_settings, editor_checker, accounts, rate_limit="3/minute")
    with TestClient(app) as test_client:
        for path, body in (("/v1/check", {"text": "Short."}), ("/v1/reports", {"text": "A claim."})):
            answers = [
                test_client.post(path, json=body, headers={"X-API-Key": uuid.uuid4().hex}) for _ in range(4)
            ]
            assert [a.status_code for a in answers[:3]] == [200 if path == "/v1/check" else 202] * 3
            refused = answers[3]
            assert refused.status_code == 429
            error = error_of(refused)
            assert error["code"] == "rate_limited"
            assert "3 per 1 minute" in error["message"]
            assert error["request_id"] == refused.headers["x-request-id"]
            assert int(refused.headers["retry-after"]) >= 1


def test_a_real_api_key_gets_its_own_allowance(
    editor_settings: Settings, editor_checker: Checker, accounts: Accounts, people: dict[str, str]
) -> None:
    _, secret = accounts.create_api_key(people["viewer"], name="limits", actor="test")
    app = make_app(editor_settings, editor_checker, accounts, rate_limit="2/minute")
    with TestClient(app) as test_client:
        anonymous = [test_client.post("/v1/check", json={"text": "Short."}).status_code for _ in range(3)]
        keyed = [
            test_client.post("/v1/check", json={"text": "Short."}, headers={"X-API-Key": secret}).status_code
            for _ in range(3)
        ]
    assert anonymous == [200, 200, 429]
    assert keyed == [200, 200, 429]


def test_forwarded_addresses_count_only_from_a_trusted_proxy(
    serve: object, editor_settings: Settings, editor_checker: Checker, accounts: Accounts
) -> None:
    def statuses(trusted: str) -> list[int]:
        settings = editor_settings.model_copy(update={"rate_limit": "2/minute", "trusted_proxies": trusted})
        base = serve(make_app(settings, editor_checker, accounts), settings)  # type: ignore[operator]
        return [
            httpx.post(
                f"{base}/v1/check", json={"text": "Short."}, headers={"X-Forwarded-For": f"203.0.113.{n}"}
            ).status_code
            for n in range(4)
        ]

    assert statuses("") == [200, 200, 429, 429]  # the default: no proxy is trusted
    assert statuses("127.0.0.1") == [200] * 4  # behind a configured proxy each reader counts apart


def test_an_account_is_locked_after_repeated_wrong_passwords_whatever_the_address(
    accounts: Accounts, editor_settings: Settings, editor_checker: Checker
) -> None:
    name = f"lock-{uuid.uuid4().hex[:6]}"
    accounts.add_user(name, PASSWORD, role="editor", actor="test")
    app = make_app(editor_settings, editor_checker, accounts)
    statuses = []
    for _ in range(6):
        with TestClient(app) as fresh_client:  # each attempt as if from a new client
            statuses.append(login(fresh_client, name, "wrong password").status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    with TestClient(app) as fresh_client:
        locked = login(fresh_client, name)
    assert locked.status_code == 429  # even the right password waits out the lockout
    assert "Too many failed sign-ins" in locked.text


def test_the_lockout_backs_off_and_a_good_sign_in_clears_it(accounts: Accounts) -> None:
    from sqlalchemy import select, update

    from factcheck.accounts import AccountLockedError, AuthenticationError
    from factcheck.store.review_models import UserRow

    name = f"backoff-{uuid.uuid4().hex[:6]}"
    accounts.add_user(name, PASSWORD, role="editor", actor="test")
    waits = []
    for _ in range(10):
        try:
            accounts.authenticate(name, "wrong")
        except AccountLockedError as locked:
            waits.append(locked.retry_after)
            with accounts.store.transaction() as session:  # as if the lockout had passed
                session.execute(update(UserRow).where(UserRow.username == name).values(locked_until=None))
        except AuthenticationError:
            pass
    assert len(waits) >= 3 and waits[0] < waits[1] < waits[2]
    accounts.authenticate(name, PASSWORD)
    with accounts.store.transaction() as session:
        row = session.scalar(select(UserRow).where(UserRow.username == name))
        assert row is not None and row.failed_logins == 0 and row.locked_until is None


def test_a_sentence_budget_limits_the_work_one_client_asks_for(
    editor_settings: Settings, editor_checker: Checker, accounts: Accounts
) -> None:
    app = make_app(
        editor_settings, editor_checker, accounts, rate_limit="120/minute", sentence_budget="30/minute"
    )
    text = " ".join(f"Sentence number {n} says the sky is green today." for n in range(20))
    with TestClient(app) as test_client:
        first = test_client.post("/v1/check", json={"text": text})
        second = test_client.post("/v1/check", json={"text": text})
        third = test_client.post("/v1/check", json={"text": text})
    assert (first.status_code, second.status_code) == (200, 200)
    assert third.status_code == 429
    error = error_of(third)
    assert error["code"] == "rate_limited"
    assert "sentences" in error["message"] and "30 per 1 minute" in error["message"]
    assert int(third.headers["retry-after"]) >= 1


# --- anonymous requests that gave 500 ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["text", "html", "email"])
def test_a_lone_surrogate_is_a_422_not_a_500(client: TestClient, kind: str) -> None:
    body = json.dumps({kind: "Bill Gates \ud800 put chips in vaccines."})  # ensure_ascii keeps \ud800
    response = client.post("/v1/check", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert error_of(response)["code"] == "invalid_input"


@pytest.mark.parametrize(
    "ld", ["[" * 50_000 + "]" * 50_000, "[[]]", '{"@graph": [[]]}', '{"a":' * 5000 + "1" + "}" * 5000]
)
def test_hostile_json_ld_in_a_page_is_not_a_500(client: TestClient, ld: str) -> None:
    html = f'<html><head><script type="application/ld+json">{ld}</script></head><body><p>The moon landing was staged in a studio by the government.</p></body></html>'
    response = client.post("/v1/check", json={"html": html})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        error_of(response)


def test_a_report_about_debunk_2_63_is_a_422(client: TestClient) -> None:
    response = client.post("/v1/reports", json={"text": "A claim.", "debunk_id": HUGE})
    assert response.status_code == 422
    error_of(response)


def test_signed_in_routes_refuse_ids_and_versions_of_2_63(
    editor_settings: Settings, editor_checker: Checker, accounts: Accounts, people: dict[str, str]
) -> None:
    app = make_app(editor_settings, editor_checker, accounts)
    admin, token = signed_in(app, people["admin"])
    item = ReviewQueue(editor_checker.store).add_reader_report(f"Huge ids {uuid.uuid4().hex} are fine.")
    assert item is not None
    with admin:
        answers = [
            admin.get(f"/editor/items/{HUGE}.json"),
            admin.get(f"/editor/items/{HUGE}"),
            admin.get(f"/editor/debunks/{HUGE}/edit"),
            admin.post(f"/editor/apikeys/{HUGE}/revoke", data={"csrf_token": token}),
            admin.post(
                f"/editor/items/{item.id}/confirm",
                data={"csrf_token": token, "debunk_id": HUGE, "version": item.version},
            ),
            admin.post(
                f"/editor/items/{item.id}/reject",
                data={"csrf_token": token, "debunk_id": 1, "version": HUGE},
            ),
            admin.put("/v1/debunks/1", json={"version": HUGE, "title": "x"}, headers={"X-CSRF-Token": token}),
        ]
    for response in answers:
        assert 400 <= response.status_code < 500, (response.request.url, response.status_code, response.text)


# --- values PostgreSQL refuses and SQLite mangles: refused in the request models on both ----------------


@pytest.fixture
def writer(
    editor_settings: Settings, editor_checker: Checker, accounts: Accounts, people: dict[str, str]
) -> Iterator[TestClient]:
    _, secret = accounts.create_api_key(people["editor"], name="writes", actor="test")
    with TestClient(make_app(editor_settings, editor_checker, accounts)) as test_client:
        test_client.headers["X-API-Key"] = secret
        yield test_client


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/reports", {"text": "A claim\x00 with a NUL."}),
        ("/v1/reports", {"text": "A claim.", "comment": "nul \x00 here"}),
        ("/v1/check", {"text": "NUL\x00 in the text of a check."}),
        ("/v1/debunks", {"claim_reviewed": "NUL\x00 claim", "label": "false"}),
        ("/v1/debunks", {"claim_reviewed": "Infinite rating", "label": "false", "rating_value": "Infinity"}),
        ("/v1/debunks", {"claim_reviewed": "NaN rating", "label": "false", "best_rating": float("nan")}),
    ],
)
def test_nul_and_non_finite_numbers_are_refused_before_the_database(
    writer: TestClient, path: str, body: dict[str, object]
) -> None:
    response = writer.post(path, content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    error_of(response)


def test_nul_in_a_search_is_a_422(client: TestClient) -> None:
    response = client.get("/v1/debunks", params={"q": "vaccine\x00"})
    assert response.status_code == 422
    error_of(response)


# --- hostile links and data that reached editors ---------------------------------------------------


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://x/y"]
)
def test_only_web_links_are_accepted_as_source_urls(client: TestClient, url: str) -> None:
    report = client.post("/v1/reports", json={"text": "A claim.", "source_url": url})
    check = client.post("/v1/check", json={"text": "A claim.", "source_url": url})
    assert (report.status_code, check.status_code) == (422, 422)


def test_a_stored_non_web_source_url_is_shown_but_never_linked(
    editor_settings: Settings, editor_checker: Checker, accounts: Accounts, people: dict[str, str]
) -> None:
    item = ReviewQueue(editor_checker.store).add_reader_report(
        f"Stored before the rule {uuid.uuid4().hex}.", source_url="javascript:alert(document.cookie)"
    )
    assert item is not None
    editor, _ = signed_in(make_app(editor_settings, editor_checker, accounts), people["editor"])
    with editor:
        page = editor.get(f"/editor/items/{item.id}").text
    assert 'href="javascript:' not in page
    assert "javascript:alert(document.cookie)" in page


def test_appearance_urls_are_web_links_on_write_import_and_export(
    writer: TestClient, editor_checker: Checker
) -> None:
    refused = writer.post(
        "/v1/debunks",
        json={
            "claim_reviewed": "A hostile appearance",
            "label": "false",
            "appearance_urls": ["javascript:x()"],
        },
    )
    assert refused.status_code == 422
    stored = editor_checker.store.create_debunk(
        Debunk(
            claim_reviewed=f"Imported with a hostile link {uuid.uuid4().hex}",
            label="false",
            appearance_urls=("https://example.org/seen", "javascript:alert(1)", "data:,x"),
        ),
        actor="test",
    )
    assert stored.appearance_urls == ("https://example.org/seen",)
    exported = json.dumps(debunk_to_claimreview(stored))
    assert "javascript:" not in exported and "data:," not in exported


def test_a_readers_contact_is_for_editors_not_viewers(
    editor_settings: Settings, editor_checker: Checker, accounts: Accounts, people: dict[str, str]
) -> None:
    contact = f"reader-{uuid.uuid4().hex[:6]}@example.org"
    item = ReviewQueue(editor_checker.store).add_reader_report(
        f"Contact test {uuid.uuid4().hex}.", reporter=contact, comment="please look"
    )
    assert item is not None
    app = make_app(editor_settings, editor_checker, accounts)
    viewer, _ = signed_in(app, people["viewer"])
    editor, _ = signed_in(app, people["editor"])
    with viewer, editor:
        assert contact not in viewer.get(f"/editor/items/{item.id}").text
        assert contact not in viewer.get(f"/editor/items/{item.id}.json").text
        assert contact in editor.get(f"/editor/items/{item.id}").text


@pytest.mark.parametrize("q", ["_", "%", "%%", "_%_"])
def test_search_wildcards_match_themselves(client: TestClient, q: str) -> None:
    total = client.get("/v1/debunks").json()["total"]
    found = client.get("/v1/debunks", params={"q": q}).json()
    assert found["total"] < total
    assert all(q in (d["claim_reviewed"] + d["title"]) for d in found["items"])


# --- status codes, error shape and headers -----------------------------------------------------------


def test_a_chunked_body_over_the_limit_is_a_413_with_its_request_id(
    serve: object, editor_settings: Settings, editor_checker: Checker, accounts: Accounts
) -> None:
    base = serve(make_app(editor_settings, editor_checker, accounts), editor_settings)  # type: ignore[operator]
    payload = json.dumps({"text": "word " * 500_000}).encode()  # 2.5 MB

    def chunks() -> Iterator[bytes]:
        for start in range(0, len(payload), 64 * 1024):
            yield payload[start : start + 64 * 1024]

    response = httpx.post(f"{base}/v1/check", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "payload_too_large"
    assert error["request_id"] and error["request_id"] == response.headers["x-request-id"]
    declared = httpx.post(f"{base}/v1/check", content=payload, headers={"Content-Type": "application/json"})
    assert declared.status_code == 413 and error_of(declared)["request_id"]


def test_every_kind_of_response_says_nosniff(client: TestClient) -> None:
    answers = [
        client.get("/v1/debunks"),
        client.get("/v1/debunks/999999"),
        client.get("/editor", follow_redirects=False),
        client.get("/healthz"),
        client.post("/v1/check", json={}),
    ]
    for response in answers:
        assert response.headers.get("x-content-type-options") == "nosniff", response.request.url


def test_metrics_can_require_an_api_key(
    editor_settings: Settings, editor_checker: Checker, accounts: Accounts, people: dict[str, str]
) -> None:
    _, secret = accounts.create_api_key(people["viewer"], name="metrics", actor="test")
    with TestClient(make_app(editor_settings, editor_checker, accounts)) as open_client:
        assert open_client.get("/metrics").status_code == 200  # the default: public, as documented
    app = make_app(editor_settings, editor_checker, accounts, metrics_require_key=True)
    with TestClient(app) as test_client:
        assert test_client.get("/metrics").status_code == 401
        assert test_client.get("/metrics", headers={"X-API-Key": "fc_wrong"}).status_code == 401
        assert test_client.get("/metrics", headers={"X-API-Key": secret}).status_code == 200


def test_an_unreachable_database_is_a_503_to_retry_not_a_500(
    checker: Checker, checker_settings: Settings
) -> None:
    """As during a PostgreSQL restart (bench/soak.py): nothing listens where the database should be."""
    from factcheck.pipeline import Checker as Pipeline
    from factcheck.store import Store

    gone = Store(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/gone")
    offline = Pipeline(
        store=gone,
        matcher=checker.matcher,
        checkworthiness=checker.checkworthiness,
        classifier=checker.classifier,
        thresholds=checker.thresholds,
    )
    try:
        with TestClient(create_app(settings=checker_settings, checker=offline)) as test_client:
            response = test_client.get("/v1/debunks")
    finally:
        gone.close()
    assert response.status_code == 503
    assert error_of(response)["code"] == "database_unavailable"
    assert response.headers["retry-after"] == "1"
