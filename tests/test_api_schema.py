"""Property-based API tests (Schemathesis): every response matches the OpenAPI schema, none is a 500."""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from api.app import create_app
from factcheck.pipeline import Checker
from factcheck.settings import Settings


@pytest.fixture(scope="module")
def api_schema(checker: Checker, checker_settings: Settings) -> schemathesis.BaseSchema:
    app: FastAPI = create_app(settings=checker_settings.model_copy(update={"rate_limit": ""}), checker=checker)
    return schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_response_matches_the_schema_and_none_is_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate()
