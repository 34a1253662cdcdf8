"""Error answers name the field and the reason, never the value that was sent: a rejected case's pseudonym,
birth year or a FHIR patient's name must not come back in a 422 (it would end up in engine logs)."""

import copy
import json
import uuid
from pathlib import Path

import httpx
import pytest

from tests.support.cases import a_case
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

EXAMPLE_BUNDLE = Path(__file__).resolve().parents[2] / "docs" / "fhir" / "example-bundle.json"


def test_a_rejected_case_does_not_echo_its_values(pipeline: Pipeline) -> None:
    marker = uuid.uuid4().hex
    case = a_case()
    case["patient"]["pseudonym"] = f"PSN-{marker}-" + "x" * 64  # too long: rejected
    case["patient"]["birth_year"] = 3999  # in the future: rejected
    case["lesions"][0]["id"] = f"lesion-{marker}"[:40]  # too long
    response = httpx.post(f"{pipeline.url('intake')}/v1/cases", json=case, headers=auth("integration"))
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["errors"]}
    assert {"patient.pseudonym", "patient.birth_year", "lesions[0].id"} <= fields
    assert marker not in response.text
    assert "3999" not in response.text


def test_a_rejected_fhir_bundle_does_not_echo_the_patient(pipeline: Pipeline) -> None:
    bundle = json.loads(EXAMPLE_BUNDLE.read_text())
    marker = uuid.uuid4().hex[:12]
    broken = copy.deepcopy(bundle)
    for entry in broken["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Patient":
            resource["name"] = [{"family": f"Family{marker}", "given": [f"Given{marker}"]}]
            resource["birthDate"] = "3999-01-01"
        if resource["resourceType"] == "Observation" and "valueInteger" in resource:
            resource["valueInteger"] = 99
    response = httpx.post(
        f"{pipeline.url('intake')}/v1/fhir/Bundle",
        content=json.dumps(broken),
        headers={**auth("integration"), "Content-Type": "application/fhir+json"},
    )
    assert response.status_code == 422, response.text
    assert response.json()["resourceType"] == "OperationOutcome"
    assert marker not in response.text
