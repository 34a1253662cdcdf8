"""schemathesis against intake's own OpenAPI document, served by the running intake: no 5xx, and no
response (status, content type, body) outside what the document says. Bounded: a few examples per
operation and generation mode, so the whole run stays well under a minute.

schemathesis's pytest loader (`schemathesis.pytest.from_fixture`) does not work with pytest 9 (it reads
`request.node._nodeid`, which pytest 9 dropped), so each operation's strategy is driven by Hypothesis here.
"""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

MAX_EXAMPLES = 30
OPERATIONS = [
    ("POST", "/v1/cases"),
    ("GET", "/v1/cases/{case_id}"),
    ("DELETE", "/v1/cases/{case_id}"),
    ("POST", "/v1/fhir/Bundle"),
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
def intake_schema(pipeline: Pipeline) -> Any:
    schema = schemathesis.openapi.from_url(f"{pipeline.url('intake')}/openapi.json", timeout=30)
    schema.config.update(base_url=pipeline.url("intake"))
    return schema


def test_every_operation_is_covered(intake_schema: Any) -> None:
    documented = {
        (result.ok().method.upper(), result.ok().path) for result in intake_schema.get_all_operations()
    }
    assert documented == set(OPERATIONS)


# Negative data needs something to break: the ops routes take no parameters and no body.
RUNS = [
    pytest.param(method, path, mode, id=f"{method} {path} {mode.value}")
    for method, path in OPERATIONS
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if path.startswith("/v1/") or mode == GenerationMode.POSITIVE
]


@pytest.mark.parametrize(("method", "path", "mode"), RUNS)
def test_intake_answers_within_its_openapi_document(
    intake_schema: Any, pipeline: Pipeline, method: str, path: str, mode: GenerationMode
) -> None:
    operation = intake_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def check(case: Any) -> None:
        headers = {**auth("integration"), **(case.headers or {})}
        case.call_and_validate(base_url=pipeline.url("intake"), headers=headers, checks=CHECKS, timeout=30)

    check()
