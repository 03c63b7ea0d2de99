"""Property-based API tests (Schemathesis): every response matches the OpenAPI schema, none is a 500."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from api.app import create_app
from factcheck.ingest import SafeFetcher
from factcheck.pipeline import Checker
from factcheck.settings import Settings

EXAMPLES_PER_OPERATION = 25


def test_every_response_matches_the_schema_and_none_is_a_server_error(
    checker: Checker, checker_settings: Settings
) -> None:
    app = create_app(settings=checker_settings.model_copy(update={"rate_limit": ""}), checker=checker)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    # Generated URLs must never reach the network: every host "resolves" to a documentation address,
    # which the safe fetcher refuses like any other reserved one.
    online, checker.fetcher = checker.fetcher, SafeFetcher(resolver=lambda _host, _port: ["192.0.2.1"])
    try:
        _check_every_operation(operations)
    finally:
        checker.fetcher = online


def schema_valid_data_is_accepted(ctx: Any, response: Any, case: schemathesis.Case) -> bool | None:
    """Schemathesis' positive_data_acceptance, except that a check may refuse what its schema cannot say.

    "Exactly one of text/html/url/email" is in the schema (oneOf), so no schema-valid check is refused
    for it, nor by the request's validation at all. What it cannot say is whether the content can be
    read: a URL the safe fetcher will not fetch (here every host resolves to a reserved address), an
    email that does not parse, thresholds in the wrong order. Those stay 422s with their own message.
    """
    if case.operation.label == "POST /v1/check" and response.status_code == 422 and _positive(case):
        error = response.json()["error"]
        assert error["code"] != "invalid_request", error
        assert "exactly one" not in error["message"], error
        return None
    return positive_data_acceptance(ctx, response, case)


def _positive(case: schemathesis.Case) -> bool:
    return case.meta is not None and case.meta.generation.mode.is_positive


def _check_every_operation(operations: list) -> None:
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(
                excluded_checks=[positive_data_acceptance], additional_checks=[schema_valid_data_is_accepted]
            )

        try:
            check()
        except Exception as failure:  # name the operation; hypothesis shows the failing case
            pytest.fail(f"{operation.label}: {failure}")
