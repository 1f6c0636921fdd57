"""Schemathesis over /api/v1/openapi.json, in-process (WSGI), as a worker, host staff and a host admin.

Each operation gets schema-valid and schema-violating requests; every answer must be no 5xx, a
status the document lists for that operation, the documented content type, and (for documented
bodies) match the documented schema.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from booking.accounts import services as accounts
from tests.fuzz.conftest import API_EXAMPLES
from tests.helpers import isolated

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]


@pytest.fixture
def app_config():
    # The sign-in limiter runs (its key function reads the body), at limits the fuzzer never reaches.
    return {
        "RATELIMIT_ENABLED": True,
        "LOGIN_LIMIT_PER_USERNAME": "100000/minute",
        "LOGIN_LIMIT_PER_ADDRESS": "100000/minute",
    }


def _fuzz(operation, mode, headers, fresh_headers, tally) -> list[str]:
    failures = []

    @settings(
        max_examples=API_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        sent = fresh_headers() if operation.label == "DELETE /auth/token" else headers
        response = isolated(case.call, headers=sent)
        tally(operation.label, response.status_code)
        try:
            case.validate_response(response, checks=CHECKS, headers=sent)
        except BaseExceptionGroup as group:  # schemathesis' FailureGroup: reported with the others
            if not failures:  # Hypothesis replays the failing example: report it once
                failures.append(f"{operation.label} [{mode.value}] {str(group)[:700]}")
            raise Found() from None

    try:
        run()
    except Found:
        pass
    return failures


class Found(Exception):
    """One failing example ends that operation's run (no shrinking: the message says enough)."""


@pytest.mark.parametrize("username", ["worker", "staff", "hostadmin"])
def test_every_operation_answers_as_documented(app, fuzz_world, tally, username):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)

    def fresh_headers():
        with app.app_context():
            # identity: schemathesis's in-process client would ask for a compressed body and not
            # decode it (a real client decodes; compression is tested in the browser tests)
            return {
                "Authorization": "Bearer " + accounts.issue_token(username, "secret123"),
                "Accept-Encoding": "identity",
            }

    headers = fresh_headers()
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in MODES:
            failures += _fuzz(operation, mode, headers, fresh_headers, tally)
    assert not failures, "\n\n".join(failures)
