"""schemathesis against eligibility's own OpenAPI document, served by the running eligibility service: no
5xx, and no response outside what the document says. Bounded like intake's (tests/e2e/test_intake_openapi.py,
which explains why Hypothesis drives each operation's strategy here).
The driver and the checks are in tests/support/openapi.py."""

from typing import Any

import pytest
from schemathesis import GenerationMode

from tests.support.openapi import check_operation, documented_operations, load_schema, runs
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

OPERATIONS = [
    ("POST", "/v1/evaluate"),
    ("GET", "/v1/recommendations/{case_id}"),
    ("GET", "/v1/rules"),
    ("GET", "/v1/concordance"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]


@pytest.fixture(scope="module")
def schema(pipeline: Pipeline) -> Any:
    return load_schema(pipeline.url("eligibility"))


def test_every_operation_is_covered(schema: Any) -> None:
    assert documented_operations(schema) == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path", "mode"), runs(OPERATIONS, without_negative=("/v1/rules",)))
def test_eligibility_answers_within_its_openapi_document(
    schema: Any, pipeline: Pipeline, method: str, path: str, mode: GenerationMode
) -> None:
    check_operation(schema, pipeline.url("eligibility"), auth("clinician"), method, path, mode)
