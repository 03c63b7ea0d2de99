"""Property-based tests: hostile request bodies never make the API answer 500, on both databases.

Hypothesis draws bodies from the request models' fields, each field either a plausible value or a
hostile one: lone surrogates, NUL, huge integers, NaN and Infinity, deeply nested JSON, non-web
URLs. Every answer must be below 500, and every error must have the documented shape. The app runs
in-process (the ASGI app through TestClient) over a fresh SQLite file and a fresh PostgreSQL
database, each filled from corpus/ with the fast matcher (no transformer: it builds in seconds).
The example counts keep the whole module near a minute.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from api.app import create_app
from api.routes.reports import ReaderReport
from api.schemas import CheckOptions, CheckRequest, DebunkIn, DebunkUpdate
from factcheck.accounts import Accounts
from factcheck.pipeline import Checker
from factcheck.settings import Settings
from tests.postgres import throwaway_database

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,  # the same bodies every run: a failure here is reproducible, not flaky
)

surrogates = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(st.one_of(st.characters(), surrogates, st.just("\x00")), min_size=1, max_size=40),
    st.sampled_from(["\x00", "a\x00b", "\ud800", "\udfff tail", "%", "_", "\\", "' OR 1=1 --", "\u202e"]),
    st.sampled_from(["javascript:alert(1)", "data:text/html,x", "https://example.org/a", "ftp://x/y"]),
)
hostile_number = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64]),
    st.floats(allow_nan=True, allow_infinity=True),
)
plausible = st.sampled_from(["false", "en", "https://factcheck.example.org/x", "2024-01-02", True, None])
leaf = st.one_of(hostile_text, hostile_number, plausible)
value = st.recursive(
    leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(hostile_text, inner, max_size=3),
    max_leaves=6,
)


def for_field(annotation: Any) -> st.SearchStrategy[Any]:
    """Mostly hostile values of the field's own type (so they pass the type check), sometimes anything."""
    kind = str(annotation)
    if "list" in kind:
        own = st.lists(hostile_text, max_size=3)
    elif "int" in kind or "float" in kind:
        own = hostile_number
    elif "str" in kind:
        own = hostile_text
    else:
        return value
    return st.one_of(own, own, own, value)


def bodies(model: type[BaseModel], **fixed: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Dicts over `model`'s fields (any subset), each a hostile or plausible value, plus `fixed`."""
    optional = {
        name: for_field(field.annotation) for name, field in model.model_fields.items() if name not in fixed
    }
    return st.fixed_dictionaries(fixed, optional=optional)


def encoded(body: Any) -> bytes:
    """JSON as Python writes it: lone surrogates as \\ud800 escapes, NaN and Infinity bare."""
    return json.dumps(body).encode()


def deep(depth: int, opening: str = "[", closing: str = "]") -> bytes:
    return (opening * depth + closing * depth).encode()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A client over the real app and its own database; `X-API-Key` is an editor's."""
    with ExitStack() as stack:
        if request.param == "sqlite":
            url = f"sqlite:///{tmp_path_factory.mktemp('properties') / 'p.db'}"
        else:
            url = stack.enter_context(throwaway_database())
        serving = Settings(database_url=url, rate_limit="", log_format="text", matcher_profile="fast")
        checker = Checker.from_settings(serving, rejections=None)
        stack.callback(checker.store.close)
        accounts = Accounts(
            checker.store, hasher=PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        )
        accounts.add_user("prop-editor", "correct horse battery", role="editor", actor="test")
        _, secret = accounts.create_api_key("prop-editor", actor="test")
        client = stack.enter_context(
            TestClient(create_app(settings=serving, checker=checker), raise_server_exceptions=False)
        )
        client.headers["X-API-Key"] = secret
        yield client


def assert_handled(response: Any) -> None:
    assert response.status_code < 500, (response.request.method, response.request.url, response.text[:300])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        error = response.json().get("error")
        assert isinstance(error, dict) and set(error) == {"code", "message", "request_id"}, response.text


def post(client: TestClient, path: str, content: bytes) -> Any:
    return client.post(path, content=content, headers={"Content-Type": "application/json"})


source = st.sampled_from(["text", "html", "email", "url"])


@EXAMPLES
@given(kind=source, content=hostile_text, options=bodies(CheckOptions), extra=bodies(CheckRequest))
def test_check_never_fails_on_a_hostile_body(
    api: TestClient, kind: str, content: str, options: dict[str, Any], extra: dict[str, Any]
) -> None:
    if kind == "url":  # a fetch would leave the machine: only the refusals are exercised
        content = "http://127.0.0.1:9/" + content
    body = {**{k: v for k, v in extra.items() if k not in ("text", "html", "email", "url")}, kind: content}
    body["options"] = options
    assert_handled(post(api, "/v1/check", encoded(body)))


@EXAMPLES
@given(body=bodies(ReaderReport, text=hostile_text))
def test_reader_reports_never_fail(api: TestClient, body: dict[str, Any]) -> None:
    assert_handled(post(api, "/v1/reports", encoded(body)))


@EXAMPLES
@given(
    body=bodies(
        DebunkIn, claim_reviewed=hostile_text | st.just("A claim."), label=st.sampled_from(["false", "true"])
    )
)
def test_debunk_writes_never_fail(api: TestClient, body: dict[str, Any]) -> None:
    assert_handled(post(api, "/v1/debunks", encoded(body)))


@EXAMPLES
@given(debunk_id=hostile_number, body=bodies(DebunkUpdate, version=hostile_number))
def test_debunk_edits_never_fail(api: TestClient, debunk_id: Any, body: dict[str, Any]) -> None:
    response = api.put(
        f"/v1/debunks/{debunk_id}", content=encoded(body), headers={"Content-Type": "application/json"}
    )
    assert_handled(response)


@EXAMPLES
@given(
    q=hostile_text,
    reviewer=hostile_text,
    offset=hostile_number,
    limit=hostile_number,
    debunk_id=hostile_number,
)
def test_debunk_reads_never_fail(
    api: TestClient, q: str, reviewer: str, offset: Any, limit: Any, debunk_id: Any
) -> None:
    assert_handled(
        api.get("/v1/debunks", params={"q": q, "reviewer": reviewer, "offset": offset, "limit": limit})
    )
    assert_handled(api.get(f"/v1/debunks/{debunk_id}"))


@pytest.mark.parametrize("path", ["/v1/check", "/v1/reports", "/v1/debunks"])
@pytest.mark.parametrize(
    "nesting", [deep(100_000), deep(100_000, '{"a":', "}"), b'{"text": ' + deep(5_000) + b"}"]
)
def test_deeply_nested_bodies_never_fail(api: TestClient, path: str, nesting: bytes) -> None:
    assert_handled(post(api, path, nesting))


def test_plausible_bodies_get_through(api: TestClient) -> None:
    """A guard on the suite itself: the app under test answers ordinary requests."""
    assert post(api, "/v1/check", encoded({"text": "The moon landing was staged."})).status_code == 200
    assert (
        post(
            api, "/v1/reports", encoded({"text": "A claim.", "source_url": "https://example.org/a"})
        ).status_code
        == 202
    )
