"""Property-based fuzzing of the server's own OpenAPI document (schemathesis): no request,
valid or not, gets a 5xx, and every answer matches what the document says.

Schemathesis's pytest plugin reaches into pytest internals that pytest 9 changed, so each
operation's hypothesis strategy is driven here directly (schemathesis's documented
``as_strategy`` route)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from sparkgrove.settings import Settings
from tests.serving.conftest import start_server, stop_server

EXAMPLES = 40
"""Generated requests per operation and model: enough to reach every error branch of the
validation, quick enough for CI (about 15 s in all)."""


def _fuzz(operation: Any, headers: dict[str, str], model: str | None) -> None:
    """Send generated requests to ``operation``; with ``model``, to that served model (past the
    404 a random name gets, into its own input checks, which no schema can describe: a request
    valid by the document may still lack the model's columns, so that check is left out)."""

    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: schemathesis.Case) -> None:
        if model is None:
            case.call_and_validate(headers=headers)
            return
        case.path_parameters = {"name": model}
        case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

    check()


def test_no_generated_request_gets_a_server_error_or_breaks_the_document(
        serve_settings: Settings) -> None:
    server = start_server(serve_settings, "penguins", "mass", "adelie", "--max-rows", "200")
    try:
        schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        headers = {"Authorization": f"Bearer {server.token}"}
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) == 11
        for operation in operations:
            _fuzz(operation, headers, None)
            if "{name}" in operation.path:
                for model in ("penguins", "mass"):
                    _fuzz(operation, headers, model)
    finally:
        stop_server(server)
