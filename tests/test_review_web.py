"""The editor pages, reader reports and `require_role`, through the real app in-process (TestClient)."""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from api.auth import SESSION_COOKIE, require_role
from factcheck.accounts import Accounts
from factcheck.review import ReviewItem, ReviewQueue
from factcheck.types import Claim, ClaimVerdict, Debunk, Document, Match, Report
from tests.conftest import FAST_HASHER, PASSWORD

if TYPE_CHECKING:
    from factcheck.pipeline import Checker

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def app(editor_app: FastAPI) -> FastAPI:
    """The editor app over the test's own database, with one route that only `require_role` guards."""

    @editor_app.post("/test-only/needs-editor", dependencies=[Depends(require_role("editor"))])
    def needs_editor() -> dict[str, str]:
        return {"ok": "yes"}

    return editor_app


def login(client: TestClient, username: str, password: str = PASSWORD) -> str:
    """Sign in through the form; returns the session's CSRF token (from the next page)."""
    form = client.get("/editor/login")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/editor/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return CSRF.search(client.get("/editor/queue").text).group(1)  # type: ignore[union-attr]


def flag(checker: Checker, text: str) -> ReviewItem:
    """A needs_review claim with two real corpus debunks as candidates."""
    debunks, _ = checker.store.list_debunks(limit=2)
    document = f"Shared on a forum: {text} Nobody checked it."
    start = document.index(text)
    claim = Claim(text=text, normalized=text, start=start, end=start + len(text), checkworthiness=0.9)
    matches = (Match(debunks[0], 2.0, 0.55, debunks[0].claim_reviewed), Match(debunks[1], 1.0, 0.2, ""))
    report = Report(
        document=Document(text=document, source_url="https://forum.example.net/t/1"),
        claims=(ClaimVerdict(claim=claim, status="needs_review", matches=matches),),
    )
    [item] = ReviewQueue(checker.store).flag_report(report, origin="api")
    return item


def unique_claim() -> str:
    """Different enough from every other (near-identical claims would join one item)."""
    a, b, c, d = (uuid.uuid4().hex[:6] for _ in range(4))
    return f"Council {a} secretly sold water rights {b} to bottling firm {c} in district {d}."


# --- signing in ------------------------------------------------------------------------------------


def test_editor_pages_send_anonymous_visitors_to_sign_in(client: TestClient) -> None:
    response = client.get("/editor/queue?status=open", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/editor/login?next=/editor/queue%3Fstatus%3Dopen"


def test_editor_json_twins_answer_401_to_anonymous_callers(client: TestClient) -> None:
    response = client.get("/editor/queue.json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


def test_login_sets_an_httponly_samesite_session_cookie_that_is_not_secure_over_http(
    client: TestClient, people: dict[str, str]
) -> None:
    form = client.get("/editor/login")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/editor/login",
        data={"username": people["editor"], "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie


def test_login_over_https_marks_the_session_cookie_secure(app: FastAPI, people: dict[str, str]) -> None:
    with TestClient(app, base_url="https://testserver") as client:
        form = client.get("/editor/login")
        token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
        response = client.post(
            "/editor/login",
            data={"username": people["editor"], "password": PASSWORD, "csrf_token": token},
            follow_redirects=False,
        )
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and SESSION_COOKIE in v)
    assert "Secure" in cookie


def test_login_with_a_wrong_password_says_so_and_sets_no_session(
    client: TestClient, people: dict[str, str]
) -> None:
    form = client.get("/editor/login")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/editor/login",
        data={"username": people["editor"], "password": "wrong password!", "csrf_token": token},
    )
    assert response.status_code == 401
    assert "wrong username or password" in response.text
    assert SESSION_COOKIE not in response.cookies


def test_login_form_without_its_csrf_token_is_refused(client: TestClient, people: dict[str, str]) -> None:
    client.get("/editor/login")
    response = client.post("/editor/login", data={"username": people["editor"], "password": PASSWORD})
    assert response.status_code == 403
    assert SESSION_COOKIE not in response.cookies


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/v1/debunks", "/editor\\@evil"]
)
def test_login_never_redirects_outside_the_editor(
    client: TestClient, people: dict[str, str], target: str
) -> None:
    form = client.get("/editor/login")
    token = CSRF.search(form.text).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/editor/login",
        data={"username": people["viewer"], "password": PASSWORD, "csrf_token": token, "next": target},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/editor/queue"


def test_logout_ends_the_session(client: TestClient, people: dict[str, str]) -> None:
    token = login(client, people["viewer"])
    response = client.post("/editor/logout", data={"csrf_token": token}, follow_redirects=False)
    assert response.headers["location"] == "/editor/login?done=logout"
    assert client.get("/editor/queue", follow_redirects=False).status_code == 303


# --- the queue and an item -------------------------------------------------------------------------


def test_queue_page_lists_flagged_claims_with_security_headers(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    text = unique_claim()
    flag(editor_checker, text)
    login(client, people["viewer"])
    page = client.get("/editor/queue", params={"q": text[-30:]})
    assert page.status_code == 200
    assert text in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    data = client.get("/editor/queue.json", params={"q": text[-30:]}).json()
    assert data["total"] == 1 and data["rows"][0]["text"] == text


def test_editor_confirms_a_match_and_the_claim_becomes_a_variant(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    text = unique_claim()
    item = flag(editor_checker, text)
    debunk = item.candidates[0].debunk
    token = login(client, people["editor"])
    page = client.get(f"/editor/items/{item.id}")
    assert "Confirm match" in page.text and "Reject match" in page.text
    response = client.post(
        f"/editor/items/{item.id}/confirm",
        data={"csrf_token": token, "debunk_id": debunk.id, "version": item.version},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/editor/items/{item.id}?done=confirm"
    assert text in editor_checker.store.get(debunk.id).variants  # type: ignore[arg-type]
    after = client.get(f"/editor/items/{item.id}.json").json()
    assert after["status"] == "confirmed" and after["resolved_by"] == people["editor"]
    assert [h["action"] for h in after["history"]][-1] == "confirm"


def test_a_second_editor_with_a_stale_page_gets_a_conflict_not_an_overwrite(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    item = flag(editor_checker, unique_claim())
    first, second = item.candidates[0].debunk, item.candidates[1].debunk
    token = login(client, people["editor"])
    client.post(
        f"/editor/items/{item.id}/reject",
        data={"csrf_token": token, "debunk_id": second.id, "version": item.version},
    )
    stale = client.post(
        f"/editor/items/{item.id}/confirm",
        data={"csrf_token": token, "debunk_id": first.id, "version": item.version},
    )
    assert stale.status_code == 409
    assert "someone else got there first" in stale.text
    assert ReviewQueue(editor_checker.store).get(item.id).status == "open"


def test_a_viewer_sees_no_decision_buttons_and_cannot_post_one(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    item = flag(editor_checker, unique_claim())
    token = login(client, people["viewer"])
    page = client.get(f"/editor/items/{item.id}")
    assert "Confirm match" not in page.text and "Not check-worthy</button>" not in page.text
    response = client.post(
        f"/editor/items/{item.id}/confirm",
        data={"csrf_token": token, "debunk_id": item.candidates[0].debunk.id, "version": item.version},
    )
    assert response.status_code == 403
    assert "this needs the editor role" in response.text
    assert ReviewQueue(editor_checker.store).get(item.id).status == "open"


def test_a_decision_posted_without_its_csrf_token_is_refused(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    item = flag(editor_checker, unique_claim())
    login(client, people["editor"])
    response = client.post(f"/editor/items/{item.id}/not-checkworthy", data={"version": item.version})
    assert response.status_code == 403
    assert "security token is missing" in response.text
    forged = client.post(
        f"/editor/items/{item.id}/not-checkworthy", data={"version": item.version, "csrf_token": "forged"}
    )
    assert forged.status_code == 403
    assert ReviewQueue(editor_checker.store).get(item.id).status == "open"


def test_editor_writes_a_new_debunk_from_a_claim(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    text = unique_claim()
    item = flag(editor_checker, text)
    token = login(client, people["editor"])
    form = client.get(f"/editor/items/{item.id}/new-debunk")
    assert text in form.text
    response = client.post(
        f"/editor/items/{item.id}/new-debunk",
        data={
            "csrf_token": token,
            "item_version": item.version,
            "claim_reviewed": text,
            "label": "false",
            "rating_text": "False",
            "reviewer_name": "Our desk",
            "review_url": f"https://desk.example.org/{item.id}",
            "review_date": "2026-11-20",
            "tags": "water, council",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    resolved = ReviewQueue(editor_checker.store).get(item.id)
    assert resolved.status == "new_debunk"
    created = editor_checker.store.get(resolved.debunk_id)  # type: ignore[arg-type]
    assert created.tags == ("water", "council") and created.review_date.isoformat() == "2026-11-20"  # type: ignore[union-attr]


def test_new_debunk_form_with_a_bad_date_names_the_field(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    item = flag(editor_checker, unique_claim())
    token = login(client, people["editor"])
    response = client.post(
        f"/editor/items/{item.id}/new-debunk",
        data={"csrf_token": token, "item_version": item.version, "claim_reviewed": "x y z", "label": "false",
              "review_date": "yesterday"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "review date must be a date" in response.text


def test_editing_a_debunk_with_a_stale_version_is_a_conflict(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    store = editor_checker.store
    debunk = store.create_debunk(
        Debunk(claim_reviewed=unique_claim(), label="false", review_url="https://desk.example.org/e"),
        actor="t",
    )
    token = login(client, people["editor"])
    fields = {"csrf_token": token, "claim_reviewed": debunk.claim_reviewed, "label": "mostly_false"}
    ok = client.post(f"/editor/debunks/{debunk.id}/edit", data={**fields, "version": debunk.version})
    assert ok.status_code == 200 and "Debunk saved." in ok.text
    stale = client.post(
        f"/editor/debunks/{debunk.id}/edit", data={**fields, "label": "true", "version": debunk.version}
    )
    assert stale.status_code == 409
    assert store.get(debunk.id).label == "mostly_false"  # type: ignore[arg-type]


def test_dashboard_draws_its_chart_in_the_page(client: TestClient, people: dict[str, str]) -> None:
    login(client, people["viewer"])
    page = client.get("/editor/dashboard")
    assert page.status_code == 200
    assert "<svg" in page.text and "<polyline" in page.text
    assert "http://" not in page.text.split("<svg", 1)[1].split("</svg>", 1)[0].replace(
        "http://www.w3.org", ""
    )
    data = client.get("/editor/dashboard.json").json()
    assert len(data["days"]) == 30 and [s["name"] for s in data["series"]] == [
        "Flagged",
        "Confirmed",
        "New debunks",
    ]


# --- admins: users and API keys --------------------------------------------------------------------


def test_only_admins_see_the_users_page(client: TestClient, people: dict[str, str]) -> None:
    login(client, people["editor"])
    assert client.get("/editor/users").status_code == 403


def test_admin_creates_an_api_key_that_is_shown_once(client: TestClient, people: dict[str, str]) -> None:
    token = login(client, people["admin"])
    created = client.post(
        "/editor/apikeys", data={"csrf_token": token, "username": people["editor"], "name": "bot"}
    )
    assert created.status_code == 201
    secret = re.search(r'<code id="new-key">([^<]+)</code>', created.text).group(1)  # type: ignore[union-attr]
    assert created.headers["cache-control"] == "no-store"
    assert secret not in client.get("/editor/users").text
    with TestClient(client.app) as program:
        assert (
            program.post("/test-only/needs-editor", headers={"Authorization": f"Bearer {secret}"}).status_code
            == 200
        )


def test_an_admin_cannot_demote_or_disable_their_own_account(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    admin = people["admin"]
    token = login(client, admin)
    demoted = client.post(f"/editor/users/{admin}/role", data={"csrf_token": token, "role": "viewer"})
    assert demoted.status_code == 422 and "You cannot change your own role." in demoted.text
    disabled = client.post(f"/editor/users/{admin}/disable", data={"csrf_token": token})
    assert disabled.status_code == 422 and "You cannot disable yourself." in disabled.text
    [account] = [u for u in Accounts(editor_checker.store).list_users() if u.username == admin]
    assert account.role == "admin" and not account.disabled


# --- require_role, for the JSON API ----------------------------------------------------------------


def _key_for(checker: Checker, username: str) -> str:
    return Accounts(checker.store, hasher=FAST_HASHER).create_api_key(username, actor="test")[1]


def test_require_role_accepts_an_api_key_with_the_role_in_either_header(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    secret = _key_for(editor_checker, people["editor"])
    assert client.post("/test-only/needs-editor", headers={"X-API-Key": secret}).status_code == 200
    assert client.post("/test-only/needs-editor", headers={"Authorization": f"Bearer {secret}"}).json() == {
        "ok": "yes"
    }


def test_require_role_refuses_anonymous_callers_viewers_and_revoked_keys(
    client: TestClient, people: dict[str, str], editor_checker: Checker
) -> None:
    assert client.post("/test-only/needs-editor").status_code == 401
    viewer_key = _key_for(editor_checker, people["viewer"])
    refused = client.post("/test-only/needs-editor", headers={"X-API-Key": viewer_key})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    accounts = Accounts(editor_checker.store, hasher=FAST_HASHER)
    key, secret = accounts.create_api_key(people["editor"], actor="test")
    accounts.revoke_api_key(key.id, actor="test")
    assert client.post("/test-only/needs-editor", headers={"X-API-Key": secret}).status_code == 401


def test_require_role_with_a_session_cookie_needs_the_csrf_header(
    client: TestClient, people: dict[str, str]
) -> None:
    token = login(client, people["editor"])
    assert client.post("/test-only/needs-editor").status_code == 403
    assert client.post("/test-only/needs-editor", headers={"X-CSRF-Token": token}).status_code == 200


# --- reader reports --------------------------------------------------------------------------------


def test_a_reader_report_lands_in_the_queue(client: TestClient, editor_checker: Checker) -> None:
    text = unique_claim()
    response = client.post(
        "/v1/reports",
        json={
            "text": text,
            "source_url": "https://example.org/x",
            "comment": "The tool missed it",
            "contact": "",
        },
    )
    assert response.status_code == 202
    assert response.json()["status"] == "received"
    [item] = ReviewQueue(editor_checker.store).page(origin="reader", text=text).items
    assert item.sightings[0].comment == "The tool missed it"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"text": ""}, "body.text"),
        ({"text": "x", "extra": 1}, "body.extra"),
        ({"text": "x" * 5001}, "body.text"),
    ],
)
def test_a_reader_report_that_cannot_be_used_gets_the_one_error_shape(
    client: TestClient, body: dict[str, object], where: str
) -> None:
    response = client.post("/v1/reports", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["message"].startswith(where)


def test_a_reader_report_naming_a_missing_debunk_is_404(client: TestClient) -> None:
    response = client.post("/v1/reports", json={"text": unique_claim(), "debunk_id": 99_999_999})
    assert response.status_code == 404


def test_every_review_status_has_an_editor_label() -> None:
    from api.routes.editor.base import STATUS_LABELS
    from factcheck.review import REVIEW_STATUSES

    assert set(STATUS_LABELS) == set(REVIEW_STATUSES)
