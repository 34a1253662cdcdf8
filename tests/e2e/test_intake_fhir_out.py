"""GET /v1/cases/{id}/fhir end to end, and every FHIR resource the tests produce checked by the official
HL7 FHIR validator against base R4, offline (deploy/local/fhir-validator.sh): zero errors, warnings printed.
Also the case view of a FHIR submission: the normalised case and the resource each field came from."""

import json
import subprocess
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.intake.fhir_out import case_bundle, codesystems
from tests.support import fhir_out_samples as samples
from tests.support.cases import a_case
from tests.support.clinic import staff_every_specialty
from tests.support.infrastructure import ROOT
from tests.support.polling import eventually
from tests.support.services import Pipeline, auth

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "docs" / "fhir" / "example-bundle.json"
FHIR_JSON = "application/fhir+json"
VALIDATOR = ROOT / "deploy" / "local" / "fhir-validator.sh"
PLACED = ("booked", "listed")  # a huddle, or an MDT meeting's agenda (meetings.md §2)


def without_network() -> list[str]:
    """`unshare -n` (a network namespace with no interface but loopback, down) where this user may make one,
    so that the run shows the validator needs no network; nothing where it may not."""
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, check=False)
    return ["unshare", "-n"] if probe.returncode == 0 else []


def validate(resources: dict[str, dict[str, Any]], folder: Path) -> tuple[list[str], list[str]]:
    """(errors, warnings) of the HL7 validator (base R4, the project's CodeSystems known) over the resources."""
    subprocess.run([VALIDATOR, "install"], check=True)  # idempotent; make test has installed it already
    classpath = subprocess.run(
        [VALIDATOR, "classpath"], check=True, capture_output=True, text=True
    ).stdout.strip()
    files = []
    for name, resource in resources.items():
        path = folder / f"{name}.json"
        path.write_text(json.dumps(resource))
        files.append(str(path))
    known = []
    for system in codesystems():
        path = folder / f"codesystem-{system['id']}.json"
        path.write_text(json.dumps(system))
        known += ["--codesystem", str(path)]
    result = subprocess.run(
        [*without_network(), "java", "-Xmx1g", "-cp", classpath, "ValidateR4", *known, *files],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    checked = {Path(line[0]).stem for line in lines if len(line) > 1 and line[1] == "done"}
    assert checked == set(resources), "the validator did not check every resource"

    def issues(*severities: str) -> list[str]:
        return [
            f"{Path(line[0]).stem}: {line[1]} at {line[2]}: {line[3]}"
            for line in lines
            if len(line) == 4 and line[1] in severities
        ]

    return issues("error", "fatal"), issues("warning")


def with_entries(name: str, bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The Bundle and each of its resources on its own."""
    found = {name: bundle}
    for n, entry in enumerate(bundle["entry"]):
        found[f"{name}-{n}-{entry['resource']['resourceType']}"] = entry["resource"]
    return found


def test_a_booked_fhir_case_comes_back_as_valid_fhir_r4(pipeline: Pipeline, tmp_path: Path) -> None:
    staff_every_specialty(pipeline.url("scheduler"))
    bundle = json.loads(EXAMPLE.read_text())
    bundle["identifier"]["value"] = f"fhir-out-{uuid.uuid4()}"
    with httpx.Client(base_url=pipeline.url("intake"), headers=auth("integration"), timeout=60) as intake:
        posted = intake.post(
            "/v1/fhir/Bundle", content=json.dumps(bundle), headers={"Content-Type": FHIR_JSON}
        )
        assert posted.status_code == 202, posted.text
        case_id = posted.json()["case_id"]
        view = eventually(
            lambda: v if (v := intake.get(f"/v1/cases/{case_id}").json())["status"] in PLACED else None,
            timeout=90,
        )
        # The case view: the normalised submission and, for each mapped field, its resource.
        assert view["submission"]["lesions"][0]["spine_level"] == "T7"
        assert view["sources"]["lesions[0].site"]["resource_type"] == "Condition"
        assert view["sources"]["lesions[0].site"]["id"] == "bone-met-spine"
        assert view["sources"]["status.ecog"]["resource_type"] == "Observation"
        assert view["sources"]["patient.sex"]["resource_type"] == "Patient"

        answer = intake.get(f"/v1/cases/{case_id}/fhir")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(FHIR_JSON)
    out = answer.json()
    assert out["type"] == "collection"
    by_type: dict[str, list[dict[str, Any]]] = {}
    for entry in out["entry"]:
        by_type.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    guidance = by_type["GuidanceResponse"][0]
    assert guidance["moduleUri"].endswith("/" + view["recommendation"]["ruleset_version"])
    group = by_type["RequestGroup"][0]
    assert len(group["action"]) == len(view["recommendation"]["therapies"])
    appointment = by_type["Appointment"][0]
    assert appointment["status"] == "booked"
    assert appointment["start"] and appointment["end"]
    assert len(by_type["Practitioner"]) == len(view["booking"]["participants"])
    assert by_type["Provenance"][0]["target"]

    ops = httpx.get(f"{pipeline.url('intake')}/v1/cases/{case_id}/fhir", headers=auth("ops"), timeout=30)
    assert ops.status_code == 200
    unknown = httpx.get(
        f"{pipeline.url('intake')}/v1/cases/{uuid.uuid4()}/fhir", headers=auth("integration"), timeout=30
    )
    assert unknown.status_code == 404
    assert unknown.json()["resourceType"] == "OperationOutcome"

    resources = with_entries("pipeline", out)
    for name, recommendation, booking, outcome in (
        (
            "waitlisted-data-required",
            samples.recommendation(insufficient=True),
            samples.booking("waitlisted"),
            None,
        ),
        ("cancelled", samples.recommendation(), samples.booking("cancelled"), None),
        ("outcome", samples.recommendation(), samples.booking("confirmed"), samples.outcome()),
    ):
        resources |= with_entries(
            name,
            case_bundle(
                case_id=samples.CASE_ID,
                case_version=2,
                pseudonym=samples.PSEUDONYM,
                recommendation=recommendation,
                booking=booking,
                outcome=outcome,
            ),
        )
    for system in codesystems():
        resources[f"codesystem-{system['id']}"] = system
    errors, warnings = validate(resources, tmp_path)
    offline = "without network" if without_network() else "network namespace not available"
    print(
        f"HL7 FHIR validator (base R4, {offline}): {len(resources)} resources, {len(errors)} errors, "
        f"{len(warnings)} warnings"
    )
    for warning in warnings:
        print("  warning:", warning)
    assert errors == [], "\n".join(errors)


def test_the_validator_finds_errors(tmp_path: Path) -> None:
    broken = {"resourceType": "Appointment", "status": "booked", "participant": []}
    errors, _ = validate({"broken-appointment": broken}, tmp_path)
    assert any("participant" in error for error in errors)


def test_the_case_view_of_a_native_submission_shows_it_without_sources(pipeline: Pipeline) -> None:
    case = a_case()
    with httpx.Client(base_url=pipeline.url("intake"), headers=auth("integration"), timeout=30) as intake:
        posted = intake.post("/v1/cases", json=case)
        assert posted.status_code == 202, posted.text
        view = intake.get(f"/v1/cases/{posted.json()['case_id']}").json()
    assert view["sources"] is None
    assert view["submission"]["external_id"] == case["external_id"]
    assert view["submission"]["lesions"][0]["spine_level"] == case["lesions"][0]["spine_level"]
    assert view["submission"]["history"] is not None  # normalised: every section present
