"""The FHIR-out builders (meetings.md §7), pure; tests/e2e/test_intake_fhir_out.py runs what they build
through the HL7 validator."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.codesystem import CodeSystem

from services.eligibility.domain import evaluate
from services.intake.fhir import map_bundle_with_sources
from services.intake.fhir_out import case_bundle, codesystems
from services.intake.fhir_out.codes import THERAPY_SYSTEM, VERDICT_SYSTEM
from shared.contracts.case import CaseSubmission
from tests.support import fhir_out_samples as samples
from tests.support.cases import a_case

from .conftest import KEY, TODAY

TODAY_MOMENT = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=UTC)


def build(**kwargs: Any) -> dict[str, list[dict[str, Any]]]:
    bundle = case_bundle(case_id=samples.CASE_ID, case_version=2, pseudonym=samples.PSEUDONYM, **kwargs)
    assert bundle["type"] == "collection"
    found: dict[str, list[dict[str, Any]]] = {}
    for entry in bundle.get("entry", []):
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def test_success_guidance_with_one_action_per_therapy() -> None:
    found = build(recommendation=samples.recommendation(), booking=None)
    guidance, group = found["GuidanceResponse"][0], found["RequestGroup"][0]
    assert guidance["status"] == "success" and "dataRequirement" not in guidance
    assert guidance["moduleUri"].endswith("/ruleset/2026.11")
    assert guidance["result"]["reference"] == f"urn:uuid:{group['id']}"
    actions = group["action"]
    assert [a["code"][0]["coding"][0]["code"] for a in actions] == [
        "external_beam_radiotherapy",
        "surgery",
        "radiopharmaceutical",
    ]
    assert actions[0]["code"][0]["coding"][0]["system"] == THERAPY_SYSTEM
    assert actions[0]["code"][1]["coding"][0] | {"display": ""} == {
        "system": VERDICT_SYSTEM,
        "code": "recommended",
        "display": "",
    }
    assert actions[0]["documentation"][0]["citation"] == "ASTRO"
    assert "documentation" not in actions[2]  # no reason given
    assert {c["id"] for c in group["contained"]} == {a["resource"]["reference"][1:] for a in actions}
    assert set(found) == {"GuidanceResponse", "RequestGroup", "Device", "Provenance"}


@pytest.mark.parametrize("ruleset", ["2026.12", "2027.01"])
def test_the_request_group_has_one_action_per_therapy_of_the_recommendations_ruleset(ruleset: str) -> None:
    """2027.01 recommends fourteen therapies (the two new ones coded in the product's CodeSystem); a
    recommendation issued under 2026.12 keeps its twelve."""
    issued = evaluate(
        CaseSubmission.model_validate(a_case()), case_id=None, case_version=2, evaluated_at=TODAY_MOMENT
    ).model_dump(mode="json")
    if ruleset == "2026.12":
        issued = {**issued, "ruleset_version": ruleset, "therapies": issued["therapies"][:12]}
    found = build(recommendation=issued, booking=None)
    guidance, group = found["GuidanceResponse"][0], found["RequestGroup"][0]
    codes = [a["code"][0]["coding"][0]["code"] for a in group["action"]]
    assert codes == [t["code"] for t in issued["therapies"]] and len(codes) == (
        12 if ruleset == "2026.12" else 14
    )
    therapy_codes = next(
        {c["code"] for c in system["concept"]} for system in codesystems() if system["url"] == THERAPY_SYSTEM
    )
    assert set(codes) <= therapy_codes
    assert guidance["moduleUri"].endswith(f"/ruleset/{ruleset}")
    if ruleset == "2027.01":  # the test case's metastasis count is not recorded
        assert ("Observation", ["status.metastasis_count"]) in [
            (d["type"], d["mustSupport"]) for d in guidance["dataRequirement"]
        ]


def test_insufficient_data_is_data_required_naming_the_missing_paths() -> None:
    guidance = build(recommendation=samples.recommendation(insufficient=True), booking=None)[
        "GuidanceResponse"
    ][0]
    assert guidance["status"] == "data-required"
    assert [(d["type"], d["mustSupport"]) for d in guidance["dataRequirement"]] == [
        ("Observation", ["lesions[0].spinal_alignment"]),
        ("Observation", ["labs.platelets_10e9_l"]),
    ]


@pytest.mark.parametrize(
    ("status", "expected"), [("confirmed", "booked"), ("waitlisted", "proposed"), ("cancelled", "cancelled")]
)
def test_appointment_status_and_participants(status: str, expected: str) -> None:
    found = build(recommendation=None, booking=samples.booking(status))
    appointment = found["Appointment"][0]
    assert appointment["status"] == expected
    practitioners = found.get("Practitioner", [])
    actors = [p["actor"] for p in appointment["participant"]]
    assert [a["reference"] for a in actors if a.get("type") == "Practitioner"] == [
        f"urn:uuid:{p['id']}" for p in practitioners
    ]
    assert actors[-1]["identifier"]["value"] == samples.PSEUDONYM
    if status == "confirmed":
        assert appointment["start"].startswith("2026-11-30T09:00")
        assert [p["qualification"][0]["code"]["coding"][0]["code"] for p in practitioners] == [
            "radiology",
            "surgery",
        ]
    else:
        assert "start" not in appointment and practitioners == []


def test_care_plan_one_activity_per_decision() -> None:
    plan = build(recommendation=samples.recommendation(), booking=None, outcome=samples.outcome())[
        "CarePlan"
    ][0]
    assert plan["intent"] == "plan"
    details = [a["detail"] for a in plan["activity"]]
    assert [d["status"] for d in details] == ["not-started", "cancelled", "on-hold"]
    assert details[1]["doNotPerform"] is True
    assert [c["code"] for c in details[1]["statusReason"]["coding"]] == ["declined", "comorbidity"]
    assert "free text" not in str(plan)  # decision notes are not sent


def test_provenance_targets_everything_produced() -> None:
    found = build(
        recommendation=samples.recommendation(),
        booking=samples.booking("confirmed"),
        outcome=samples.outcome(),
    )
    targets = {t["reference"] for t in found["Provenance"][0]["target"]}
    produced = {
        f"urn:uuid:{r['id']}"
        for kind in ("GuidanceResponse", "RequestGroup", "Appointment", "CarePlan")
        for r in found[kind]
    }
    assert targets == produced


def test_nothing_produced_is_an_empty_collection() -> None:
    assert build(recommendation=None, booking=None) == {}


def test_codesystems_hold_every_code_used() -> None:
    systems = {s["url"]: {c["code"] for c in s["concept"]} for s in codesystems()}
    found = build(
        recommendation=samples.recommendation(),
        booking=samples.booking("confirmed"),
        outcome=samples.outcome(),
    )

    def codings(value: Any) -> list[dict[str, Any]]:
        if isinstance(value, dict):
            own = [value] if "system" in value and "code" in value else []
            return own + [c for v in value.values() for c in codings(v)]
        if isinstance(value, list):
            return [c for v in value for c in codings(v)]
        return []

    for resources in found.values():
        for coding in codings(resources):
            if coding["system"] in systems:
                assert coding["code"] in systems[coding["system"]], coding


def test_sources_name_the_resource_of_each_field(example: dict[str, Any]) -> None:
    case, sources = map_bundle_with_sources(example, pseudonym_key=KEY, today=TODAY)
    assert sources["lesions[0].site"].resource_type == "Condition"
    assert sources["lesions[0].sins_score"].resource_type == "Observation"
    assert sources["patient.birth_year"].resource_type == "Patient"
    assert sources["pain.current_analgesics[0]"].resource_type == "MedicationStatement"
    assert all(not path.endswith("spine_level") for path in sources if path.startswith("lesions[1]"))
    assert case.lesions[1].spine_level is None


def test_the_published_codesystems_are_the_code() -> None:
    docs = Path(__file__).resolve().parents[3] / "docs" / "fhir"
    for system in codesystems():
        published = json.loads((docs / f"codesystem-{system['id']}.json").read_text())
        assert published == system, f"docs/fhir/codesystem-{system['id']}.json is stale"
        CodeSystem.model_validate(published)


def test_a_meeting_placement_has_its_minutes() -> None:
    placement = samples.booking("confirmed") | {
        "schema_version": 2,
        "kind": "meeting",
        "minutes": 6,
        "position": 3,
    }
    appointment = build(recommendation=None, booking=placement)["Appointment"][0]
    assert appointment["minutesDuration"] == 6
    assert appointment["status"] == "booked"
