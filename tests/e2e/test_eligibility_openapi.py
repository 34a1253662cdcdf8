"""schemathesis against eligibility's own OpenAPI document, served by the running eligibility service: no
5xx, and no response outside what the document says. Bounded like intake's (tests/e2e/test_intake_openapi.py,
which explains why Hypothesis drives each operation's strategy here).
The driver and the checks are in tests/support/openapi.py."""

from typing import Any

import pytest
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.support.cases import a_case
from tests.support.openapi import check_operation, documented_operations, load_schema, runs
from tests.support.openapi_stateful import run_stateful
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e
STATEFUL_SECONDS = 20  # two links only: a short run covers them

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


def test_eligibility_linked_sequences_hold_to_the_document(pipeline: Pipeline) -> None:
    """schemathesis' stateful phase over eligibility's links, with a clinician's token: a what-if
    recommendation leads to the concordance report of the ruleset that made it."""
    run = run_stateful(
        pipeline.url("eligibility"),
        auth("clinician"),
        scenarios=20,
        steps_per_scenario=4,
        max_seconds=STATEFUL_SECONDS,
        realistic={"POST /v1/evaluate": st.uuids().map(lambda u: a_case(external_id=f"st-{u.hex[:16]}"))},
    )
    print(run.summary())
    assert not run.failures and not run.errors, run.summary()
    assert run.linked("POST /v1/evaluate", "GET /v1/concordance"), run.summary()
