"""schemathesis against intake's own OpenAPI document, served by the running intake: no 5xx, and no
response (status, content type, body) outside what the document says. Bounded: a few examples per
operation and generation mode, so the whole run stays well under a minute.
The driver and the checks are in tests/support/openapi.py."""

from typing import Any

import pytest
from schemathesis import GenerationMode

from tests.support.openapi import check_operation, documented_operations, load_schema, runs
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

OPERATIONS = [
    ("POST", "/v1/cases"),
    ("GET", "/v1/cases/{case_id}"),
    ("GET", "/v1/cases/{case_id}/fhir"),
    ("DELETE", "/v1/cases/{case_id}"),
    ("POST", "/v1/fhir/Bundle"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks"),
    ("DELETE", "/v1/webhooks/{webhook_id}"),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"),
    ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
]


@pytest.fixture(scope="module")
def schema(pipeline: Pipeline) -> Any:
    return load_schema(pipeline.url("intake"))


def test_every_operation_is_covered(schema: Any) -> None:
    assert documented_operations(schema) == set(OPERATIONS)


@pytest.mark.parametrize(("method", "path", "mode"), runs(OPERATIONS))
def test_intake_answers_within_its_openapi_document(
    schema: Any, pipeline: Pipeline, method: str, path: str, mode: GenerationMode
) -> None:
    check_operation(schema, pipeline.url("intake"), auth("integration"), method, path, mode)
