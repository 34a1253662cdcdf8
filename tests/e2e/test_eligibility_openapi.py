"""schemathesis against eligibility's own OpenAPI document, served by the running eligibility service: no
5xx, and no response outside what the document says. Bounded like intake's (tests/e2e/test_intake_openapi.py,
which explains why Hypothesis drives each operation's strategy here)."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 30
OPERATIONS = [
    ("POST", "/v1/evaluate"),
    ("GET", "/v1/recommendations/{case_id}"),
    ("GET", "/v1/rules"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture(scope="module")
def eligibility_schema(pipeline: Pipeline) -> Any:
    schema = schemathesis.openapi.from_url(f"{pipeline.url('eligibility')}/openapi.json", timeout=30)
    schema.config.update(base_url=pipeline.url("eligibility"))
    return schema


def test_every_operation_is_covered(eligibility_schema: Any) -> None:
    documented = {
        (result.ok().method.upper(), result.ok().path) for result in eligibility_schema.get_all_operations()
    }
    assert documented == set(OPERATIONS)


RUNS = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if (path.startswith("/v1/") and path != "/v1/rules") or mode == GenerationMode.POSITIVE
]


@pytest.mark.parametrize(("method", "path", "mode"), RUNS)
def test_eligibility_answers_within_its_openapi_document(
    eligibility_schema: Any, pipeline: Pipeline, method: str, path: str, mode: GenerationMode
) -> None:
    operation = eligibility_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def check(case: Any) -> None:
        headers = {**auth("clinician"), **(case.headers or {})}
        case.call_and_validate(
            base_url=pipeline.url("eligibility"), headers=headers, checks=CHECKS, timeout=30
        )

    check()
