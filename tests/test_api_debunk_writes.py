"""Editors' writes to the debunk database through the API: API keys, roles, versions, the index."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from factcheck.accounts import Accounts
from factcheck.pipeline import Checker

NEW_HOAX = "Holding your breath for ten seconds every morning proves you do not have the coronavirus."


@pytest.fixture
def app(editor_app: FastAPI) -> FastAPI:
    """These tests write debunks: each gets its own database."""
    return editor_app


@pytest.fixture
def keys(editor_checker: Checker, people: dict[str, str]) -> dict[str, str]:
    """An API key for the editor and for the viewer of `people`."""
    accounts = Accounts(editor_checker.store)
    return {role: accounts.create_api_key(people[role], actor="test")[1] for role in ("editor", "viewer")}


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_an_editor_creates_a_debunk_and_it_matches_at_once(
    client: TestClient, keys: dict[str, str], people: dict[str, str]
) -> None:
    body = {
        "claim_reviewed": "Holding your breath for 10 seconds is a test for COVID-19.",
        "label": "false",
        "rating_text": "False",
        "reviewer_name": "Example Fact Check",
        "review_url": "https://factcheck.example.org/breath-test",
        "explanation": "Being able to hold your breath says nothing about an infection.",
        "variants": [NEW_HOAX],
    }
    created = client.post("/v1/debunks", json=body, headers=_auth(keys["editor"]))
    assert created.status_code == 201, created.text
    debunk = created.json()
    assert debunk["version"] == 1 and debunk["provenance"] == f"editor:{people['editor']}"
    report = client.post("/v1/check", json={"text": NEW_HOAX}).json()
    assert report["claims"][0]["status"] == "debunked"
    assert report["claims"][0]["matches"][0]["debunk"]["id"] == debunk["id"]

    again = client.post("/v1/debunks", json=body, headers=_auth(keys["editor"]))
    assert again.status_code == 409

    stale = {"version": 1, "title": "first edit"}
    assert (
        client.put(f"/v1/debunks/{debunk['id']}", json=stale, headers=_auth(keys["editor"])).status_code
        == 200
    )
    conflict = client.put(f"/v1/debunks/{debunk['id']}", json=stale, headers=_auth(keys["editor"]))
    assert conflict.status_code == 409
    assert "changed by someone else" in conflict.json()["error"]["message"]

    retired = client.delete(
        f"/v1/debunks/{debunk['id']}", params={"version": 2}, headers=_auth(keys["editor"])
    )
    assert retired.status_code == 200 and retired.json()["version"] == 3
    report = client.post("/v1/check", json={"text": NEW_HOAX}).json()
    assert all(
        match["debunk"]["id"] != debunk["id"] for claim in report["claims"] for match in claim["matches"]
    )


def test_writes_need_an_editor(client: TestClient, keys: dict[str, str]) -> None:
    body = {"claim_reviewed": "The moon is made of cheese.", "label": "false"}
    anonymous = client.post("/v1/debunks", json=body)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "unauthorized"
    viewer = client.post("/v1/debunks", json=body, headers=_auth(keys["viewer"]))
    assert viewer.status_code == 403
    wrong = client.post("/v1/debunks", json=body, headers=_auth("fc_not-a-real-key"))
    assert wrong.status_code == 401
    assert (
        client.delete("/v1/debunks/1", params={"version": 1}, headers=_auth(keys["viewer"])).status_code
        == 403
    )


def test_write_bodies_are_validated(client: TestClient, keys: dict[str, str]) -> None:
    bad = [
        {"claim_reviewed": "x", "label": "false"},
        {"claim_reviewed": "A fine claim here.", "label": "bogus"},
        {"claim_reviewed": "A fine claim here.", "label": "false", "review_url": "javascript:alert(1)"},
        {"claim_reviewed": "A fine claim here.", "label": "false", "unexpected": 1},
        {"claim_reviewed": "A fine claim here.", "label": "false", "language": "<b>French</b>"},
    ]
    for body in bad:
        response = client.post("/v1/debunks", json=body, headers=_auth(keys["editor"]))
        assert response.status_code == 422, body
    missing = client.put(
        "/v1/debunks/99999999", json={"version": 1, "title": "x"}, headers=_auth(keys["editor"])
    )
    assert missing.status_code == 404


def test_a_debunks_language_is_stored_as_its_code_and_the_list_filters_by_it(
    client: TestClient, keys: dict[str, str]
) -> None:
    body = {
        "claim_reviewed": "Les antennes 5G propagent le coronavirus dans les villes.",
        "label": "false",
        "reviewer_name": "Exemple Vérif",
        "language": "fr-FR",
    }
    created = client.post("/v1/debunks", json=body, headers=_auth(keys["editor"]))
    assert created.status_code == 201, created.text
    assert created.json()["language"] == "fr"
    for asked in ("fr", "fr-FR", "FR"):
        page = client.get("/v1/debunks", params={"language": asked}).json()
        assert [item["id"] for item in page["items"]] == [created.json()["id"]], asked
    english = client.get("/v1/debunks", params={"language": "en", "limit": 100}).json()
    assert english["total"] >= 10 and {item["language"] for item in english["items"]} == {"en"}
    assert client.get("/v1/debunks", params={"language": "fr;drop"}).status_code == 422
