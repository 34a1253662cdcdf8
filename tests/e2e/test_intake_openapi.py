"""schemathesis against intake's own OpenAPI document, served by the running intake: no 5xx, and no
response (status, content type, body) outside what the document says. Bounded: a few examples per
operation and generation mode, so the whole run stays well under a minute.
The driver and the checks are in tests/support/openapi.py."""

import json
from typing import Any

import pytest
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.support.cases import a_case
from tests.support.infrastructure import ROOT
from tests.support.openapi import check_operation, documented_operations, load_schema, runs
from tests.support.openapi_stateful import run_stateful
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e
STATEFUL_SCENARIOS = 40
STATEFUL_SECONDS = 30  # the budget of the stateful phase; it runs sequences until it is spent
EXAMPLE_BUNDLE = json.loads((ROOT / "docs" / "fhir" / "example-bundle.json").read_text())

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


def _bundle(external_id: str) -> dict[str, Any]:
    return {**EXAMPLE_BUNDLE, "identifier": {**EXAMPLE_BUNDLE["identifier"], "value": external_id}}


REALISTIC = {
    "POST /v1/cases": st.uuids().map(lambda u: a_case(external_id=f"st-{u.hex[:16]}")),
    "POST /v1/fhir/Bundle": st.uuids().map(lambda u: _bundle(f"ST-{u.hex[:16]}")),
    "POST /v1/webhooks": st.sampled_from(["case.withdrawn", "booking.*", "recommendation.issued"]).map(
        lambda event: {"url": "http://127.0.0.1:9/hook", "event_types": [event]}
    ),
}


def test_intake_linked_sequences_hold_to_the_document(pipeline: Pipeline) -> None:
    """schemathesis' stateful phase over intake's links, with the integration engine's token: a case
    submitted (JSON or FHIR) is read, read as FHIR and withdrawn by the case_id of its receipt, and read
    again; a webhook is listed and deleted by its id."""
    run = run_stateful(
        pipeline.url("intake"),
        # One referring system throughout, so that the webhook a link names is one of this client's.
        {**auth("integration"), "X-Client-Id": "schemathesis"},
        scenarios=STATEFUL_SCENARIOS,
        steps_per_scenario=6,
        max_seconds=STATEFUL_SECONDS,
        realistic=REALISTIC,
    )
    print(run.summary())
    assert not run.failures and not run.errors, run.summary()
    for source, target in [
        ("POST /v1/cases", "GET /v1/cases/{case_id}"),
        ("POST /v1/cases", "DELETE /v1/cases/{case_id}"),
        ("POST /v1/fhir/Bundle", "GET /v1/cases/{case_id}/fhir"),
        ("DELETE /v1/cases/{case_id}", "GET /v1/cases/{case_id}"),
        ("POST /v1/webhooks", "DELETE /v1/webhooks/{webhook_id}"),
    ]:
        assert run.linked(source, target), f"no {source} -> {target} answered 2xx\n{run.summary()}"
