"""The verdict API in-process (FastAPI's TestClient) over the real pipeline, corpus and models."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from factcheck._text import canonical_key
from factcheck.pipeline import Checker
from factcheck.settings import Settings

# A chain letter repeating a wording the corpus records for the microchip hoax (a known phrasing
# matches with certainty; paraphrases are the matcher's tests' business).
HOAX = "FORWARD THIS TO EVERYONE! My cousin who is a nurse said the covid jab has a tracking chip in it."


def test_a_known_hoax_comes_back_debunked_with_its_fact_check(client: TestClient) -> None:
    response = client.post("/v1/check", json={"text": HOAX})
    assert response.status_code == 200, response.text
    report = response.json()
    assert response.headers["x-request-id"] == report["request_id"]
    debunked = [claim for claim in report["claims"] if claim["status"] == "debunked"]
    assert debunked, report
    best = debunked[0]["matches"][0]
    assert "microchip" in best["debunk"]["claim_reviewed"].lower()
    assert best["debunk"]["label"] in ("false", "mostly_false", "misleading")
    assert 0 <= best["confidence"] <= 1
    claim = debunked[0]
    assert HOAX[claim["start"] : claim["end"]] == claim["text"]
    assert set(report["timings_ms"]) >= {"ingest", "claims", "match", "total"}
    assert report["summary"]["debunked"] == len(debunked)


def test_one_sentence_of_a_known_chain_letter_comes_back_debunked_with_certainty(client: TestClient) -> None:
    # The corpus knows "Scientists say we only use 10% of our brain. Imagine what we could do with the
    # other 90!" as one phrasing; a page holding it is cut into sentences.
    [claim] = client.post("/v1/check", json={"text": "Scientists say we only use 10% of our brain."}).json()[
        "claims"
    ]
    assert claim["status"] == "debunked"
    assert claim["matches"][0]["confidence"] == 1.0
    assert claim["matches"][0]["debunk"]["review_url"].endswith("/the-ten-percent-myth/")


def test_a_checks_own_suggest_threshold_decides_whether_a_known_sentence_is_promoted(
    client: TestClient,
) -> None:
    # The same sentence as above, but this check asks for certainty before suggesting anything: the
    # matcher's own confidence (below 1) no longer promotes it to the known phrasing's debunk.
    body = {
        "text": "Scientists say we only use 10% of our brain.",
        "options": {"match_threshold": 1.0, "suggest_threshold": 1.0, "include_all": True},
    }
    [claim] = client.post("/v1/check", json=body).json()["claims"]
    assert claim["status"] != "debunked"
    assert claim["matches"] and claim["matches"][0]["confidence"] < 1.0


def test_a_sentence_of_a_known_phrasing_the_matcher_does_not_back_is_not_debunked(
    client: TestClient, checker: Checker
) -> None:
    # The second sentence of a known phrasing ("Now it's official: the FDA admits vaccines are causing
    # autism! It's right there on the insert"): on its own it says nothing the debunk addresses.
    sentence = "It's right there on the insert."
    assert canonical_key(sentence) in checker._known.sentences  # the promotion path is the one under test
    response = client.post("/v1/check", json={"text": sentence, "options": {"include_all": True}})
    [claim] = response.json()["claims"]
    assert claim["status"] != "debunked"


def test_the_server_can_match_with_the_fast_cascade_while_batch_work_keeps_minilm(
    checker_settings: Settings, tmp_path: Path
) -> None:
    settings = checker_settings.model_copy(
        update={"database_url": f"sqlite:///{tmp_path / 'api.db'}", "api_matcher_profile": "fast"}
    )
    assert settings.matcher_profile == "full"
    with TestClient(create_app(settings=settings)) as started:
        assert started.get("/readyz").status_code == 200
        assert started.app.state.checker.matcher.transformer is None  # type: ignore[attr-defined]


def test_a_paraphrased_hoax_puts_its_debunk_first(client: TestClient) -> None:
    paraphrase = (
        "FORWARD THIS TO EVERYONE! Bill Gates is putting microchips in the COVID vaccines so the government "
        "can track every person who gets the shot."
    )
    [claim] = client.post("/v1/check", json={"text": paraphrase}).json()["claims"]
    # debunked, or shown as possibly related and sent to editors, depending on where the calibrated
    # confidence falls against the thresholds
    assert claim["status"] in ("debunked", "possibly_related", "needs_review")
    assert "ID2020" in claim["matches"][0]["debunk"]["claim_reviewed"]


def test_html_and_email_sources_are_accepted(client: TestClient) -> None:
    html = f"<html><body><article><h1>News</h1><p>{HOAX}</p></article></body></html>"
    assert client.post("/v1/check", json={"html": html}).status_code == 200
    email = f"From: a@example.org\nTo: b@example.org\nSubject: FW: read this\n\n{HOAX}\n"
    response = client.post("/v1/check", json={"email": email})
    assert response.status_code == 200, response.text
    assert response.json()["document"]["kind"] == "email"


def test_a_true_sentence_is_not_debunked(client: TestClient) -> None:
    response = client.post("/v1/check", json={"text": "Water boils at 100 degrees Celsius at sea level."})
    assert all(claim["status"] != "debunked" for claim in response.json()["claims"])


def test_options_include_all_and_text(client: TestClient) -> None:
    text = "We are so excited to see you all next week at the picnic! " + HOAX
    report = client.post(
        "/v1/check", json={"text": text, "options": {"include_all": True, "include_text": True}}
    ).json()
    assert report["document"]["text"] == text
    assert all(text[claim["start"] : claim["end"]] == claim["text"] for claim in report["claims"])
    assert {claim["status"] for claim in report["claims"]} == {"debunked", "not_checkworthy"}
    default = client.post("/v1/check", json={"text": text}).json()
    assert default["document"]["text"] is None
    assert {claim["status"] for claim in default["claims"]} == {"debunked"}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({}, 422, "invalid_input"),
        ({"text": ""}, 422, "invalid_input"),
        ({"text": "a", "html": "<p>b</p>"}, 422, "invalid_input"),
        ({"text": HOAX, "options": {"match_threshold": 0.2, "suggest_threshold": 0.9}}, 422, "invalid_input"),
        ({"text": HOAX, "options": {"match_threshold": 7}}, 422, "invalid_request"),
        ({"url": "http://127.0.0.1:8000/"}, 422, "blocked_address"),
        ({"url": "http://169.254.169.254/latest/meta-data/"}, 422, "blocked_address"),
        ({"url": "file:///etc/passwd"}, 422, None),
    ],
)
def test_bad_input_gets_one_json_error_shape(
    client: TestClient, body: dict, status: int, code: str | None
) -> None:
    response = client.post("/v1/check", json=body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["message"] and error["request_id"] == response.headers["x-request-id"]
    if code:
        assert error["code"] == code


def test_ten_megabytes_of_text_is_refused_with_413(client: TestClient) -> None:
    response = client.post("/v1/check", json={"text": "word " * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_invalid_utf8_and_broken_json_are_client_errors_not_500(client: TestClient) -> None:
    for body in (b'{"text": "\xff\xfe broken"}', b'{"text": '):
        response = client.post("/v1/check", content=body, headers={"content-type": "application/json"})
        assert response.status_code in (400, 422), response.text
        assert response.json()["error"]["message"]
    assert client.get("/healthz").status_code == 200


def test_deeply_nested_html_does_not_crash_the_service(client: TestClient) -> None:
    html = "<div>" * 100_000 + HOAX + "</div>" * 100_000
    response = client.post("/v1/check", json={"html": html})
    assert response.status_code in (200, 422), response.text
    assert client.get("/healthz").status_code == 200


def test_too_many_sentences_get_422(checker: Checker, checker_settings: Settings) -> None:
    settings = checker_settings.model_copy(update={"api_max_sentences": 3, "rate_limit": ""})
    with TestClient(create_app(settings=settings, checker=checker)) as client:
        response = client.post("/v1/check", json={"text": " ".join(["The sky is green today."] * 10)})
    assert response.status_code == 422
    assert "limit is 3" in response.json()["error"]["message"]


def test_rate_limit_answers_429_with_retry_after(checker: Checker, checker_settings: Settings) -> None:
    settings = checker_settings.model_copy(update={"rate_limit": "2/minute"})
    with TestClient(create_app(settings=settings, checker=checker)) as client:
        statuses = [
            client.post("/v1/check", json={"text": "Cats are mammals."}).status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        limited = client.post("/v1/check", json={"text": "Cats are mammals."})
        assert int(limited.headers["retry-after"]) >= 1
        assert client.get("/v1/debunks").status_code == 200  # reads are not limited


def test_workers_counting_in_redis_share_each_clients_allowance(
    checker: Checker, checker_settings: Settings
) -> None:
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=12).flushdb()
    settings = checker_settings.model_copy(
        update={"rate_limit": "3/minute", "rate_limit_storage": "redis://127.0.0.1:6379/12"}
    )
    # two apps stand for two workers of `factcheck serve --workers 2`
    with (
        TestClient(create_app(settings=settings, checker=checker)) as first,
        TestClient(create_app(settings=settings, checker=checker)) as second,
    ):
        statuses = [
            worker.post("/v1/check", json={"text": "Cats are mammals."}).status_code
            for worker in (first, second, first, second)
        ]
        assert statuses == [200, 200, 200, 429]


def test_an_unreachable_rate_limit_store_lets_requests_through(
    checker: Checker, checker_settings: Settings
) -> None:
    settings = checker_settings.model_copy(
        update={"rate_limit": "1/minute", "rate_limit_storage": "redis://127.0.0.1:1/0"}
    )
    with TestClient(create_app(settings=settings, checker=checker)) as client:
        statuses = [
            client.post("/v1/check", json={"text": "Cats are mammals."}).status_code for _ in range(2)
        ]
        assert statuses == [200, 200]


def test_debunks_can_be_listed_filtered_and_fetched(client: TestClient) -> None:
    page = client.get("/v1/debunks", params={"q": "vaccine", "limit": 5}).json()
    assert page["total"] >= 1 and len(page["items"]) <= 5
    first = page["items"][0]
    one = client.get(f"/v1/debunks/{first['id']}").json()
    assert one["claim_reviewed"] == first["claim_reviewed"] and "variants" in one
    assert client.get("/v1/debunks", params={"rating": "false"}).json()["items"][0]["label"] == "false"
    missing = client.get("/v1/debunks/99999999")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert client.get("/v1/debunks", params={"limit": 1000}).status_code == 422


def test_health_readiness_and_metrics(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "process": os.getpid()}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["debunks"] >= 300
    client.post("/v1/check", json={"text": HOAX})
    metrics = client.get("/metrics").text
    assert 'factcheck_http_requests_total{method="POST",route="/v1/check",status="200"}' in metrics
    assert "factcheck_claims_checked_total" in metrics
    assert 'factcheck_claims_by_status_total{status="debunked"}' in metrics


def test_cors_allows_extensions_and_localhost_only(client: TestClient) -> None:
    def preflight(origin: str) -> str | None:
        response = client.options(
            "/v1/check", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
        return response.headers.get("access-control-allow-origin")

    assert preflight("chrome-extension://abcdefghijklmnopabcdefghijklmnop") is not None
    assert preflight("http://localhost:3000") is not None
    assert preflight("https://evil.example.com") is None


def test_openapi_schema_documents_the_check_endpoint(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    check = schema["paths"]["/v1/check"]["post"]
    assert {"200", "413", "422", "429"} <= set(check["responses"])
    assert schema["components"]["schemas"]["CheckRequest"].get("examples")


def test_a_check_reports_the_language_of_the_document_and_of_each_claim(client: TestClient) -> None:
    french = "Les antennes 5G propagent le coronavirus, c'est prouvé par des médecins courageux."
    report = client.post("/v1/check", json={"text": french, "options": {"include_all": True}}).json()
    assert report["document"]["language"] == "fr"
    [claim] = report["claims"]
    # scored by the English-trained model carried over through the multilingual encoder, and said so
    assert (claim["language"], claim["checkworthiness_transferred"]) == ("fr", True)
    hinted = client.post("/v1/check", json={"text": french, "language": "es-ES"}).json()
    assert hinted["document"]["language"] == "es"
    english = client.post("/v1/check", json={"text": "5G towers spread the coronavirus."}).json()
    assert english["document"]["language"] == "en" and english["claims"][0]["language"] == "en"
    assert english["claims"][0]["checkworthiness_transferred"] is False


@pytest.mark.parametrize("language", ["", "french language", "f", "<script>", "fr_FR", "x" * 40])
def test_a_check_with_a_junk_language_hint_gets_422(client: TestClient, language: str) -> None:
    response = client.post(
        "/v1/check", json={"text": "5G towers spread the coronavirus.", "language": language}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
