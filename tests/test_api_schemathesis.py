"""Property-based testing of the JSON API from its own OpenAPI document (schemathesis):
every operation, with an account manager's write token, answers no 5xx and only what
the document says (status codes, content types, headers, bodies). Bounded in time."""

from __future__ import annotations

import time
from datetime import date
from typing import Any

import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from valuetracker import api_tokens

from .factories import make_commitment, make_entry, make_pulse

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
EXAMPLES = 25  # per operation while within the budget
FEW = 5  # per operation once the budget is spent (a slow machine): every one still runs
BUDGET = 120.0  # seconds


def test_api_holds_up_to_its_own_openapi_document(app: Flask, cast: Any,
                                                  session: Any) -> None:
    make_entry(session, cast.account1, beneficiaries=(cast.stakeholder1,))
    make_commitment(session, cast.account1, due_on=date(2026, 12, 31))
    make_pulse(session, cast.stakeholder1)
    _row, token = api_tokens.create_token(session, cast.am1, name="fuzz", scope="write")
    session.commit()
    app.config["API_RATE_LIMIT"] = "100000 per minute"
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    started = time.monotonic()
    operations = examples = 0
    statuses: dict[int, int] = {}
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        within = time.monotonic() - started < BUDGET

        @settings(max_examples=EXAMPLES if within else FEW, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck),
                  phases=[Phase.explicit, Phase.generate])
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            nonlocal examples
            examples += 1
            response = case.call_and_validate(headers=headers, checks=CHECKS)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

        run()
    print(f"schemathesis: {operations} operations, {examples} examples, statuses {statuses}")
    assert operations == len(list(schema.get_all_operations()))
    assert examples >= operations * FEW
    assert any(200 <= code < 300 for code in statuses)
