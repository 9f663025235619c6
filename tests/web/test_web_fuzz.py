"""Schemathesis fuzzes the API against its own OpenAPI schema, in process (ASGI transport):
no 5xx, status codes, content types and bodies as the schema declares. Driven through
hypothesis directly (schemathesis' pytest plugin does not support this pytest).

Excluded check: "schema-valid request accepted". The schema states shapes (formula patterns,
number ranges); chemistry (an element that exists, tmin <= tmax, a precursor the data knows)
is checked by the endpoints and refused with 422, which that check counts as a failure."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

MAX_EXAMPLES = 30


def test_every_operation_conforms_to_the_schema(web_app):
    schema = schemathesis.openapi.from_asgi("/openapi.json", web_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    labels = sorted(op.label for op in operations)
    assert "POST /api/predict" in labels and "GET /api/kd" in labels, labels
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case):
            case.call_and_validate(excluded_checks=[positive_data_acceptance])

        check()
