"""A case's results as a FHIR R4 Bundle of type collection (meetings.md §7): GuidanceResponse and its
RequestGroup for the latest recommendation, Appointment (with its Practitioners) for the placement, CarePlan
for the latest outcome, and the Provenance of them all with the system as a Device."""

from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from services.intake.fhir_out.appointment import appointment, practitioner
from services.intake.fhir_out.care_plan import care_plan
from services.intake.fhir_out.codes import CASE_IDENTIFIER_SYSTEM
from services.intake.fhir_out.guidance_response import guidance_response, request_group
from services.intake.fhir_out.provenance import provenance, system_device
from services.intake.fhir_out.references import full_url, patient_reference, resource_id


def case_bundle(
    *,
    case_id: str,
    case_version: int,
    pseudonym: str | None,
    recommendation: dict[str, Any] | None,
    booking: dict[str, Any] | None,
    outcome: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Pure: what intake holds of a case -> the Bundle (JSON). Only what exists is included; a Provenance
    comes with anything the system produced."""
    patient = patient_reference(pseudonym)
    results: list[dict[str, Any]] = []
    others: list[dict[str, Any]] = []
    ruleset = recommendation["ruleset_version"] if recommendation else None
    if recommendation is not None:
        group = request_group(case_id, recommendation, pseudonym)
        results += [guidance_response(case_id, recommendation, group, pseudonym), group]
    if booking is not None:
        practitioners = [practitioner(person) for person in booking.get("participants", [])]
        results.append(appointment(booking, practitioners, patient))
        others += {p["id"]: p for p in practitioners}.values()
    if outcome is not None and patient is not None:
        results.append(care_plan(outcome, patient))
        ruleset = ruleset or outcome.get("ruleset_version")
    stamp = (now or datetime.now(UTC)).isoformat()
    if results:
        device = system_device(ruleset or "unknown")
        recorded = recommendation["evaluated_at"] if recommendation else stamp
        others += [device, provenance(case_id, case_version, results, device, ruleset or "unknown", recorded)]
    bundle = {
        "resourceType": "Bundle",
        "id": resource_id(case_id, "bundle", stamp),
        "identifier": {"system": CASE_IDENTIFIER_SYSTEM, "value": f"{case_id}/{case_version}"},
        "type": "collection",
        "timestamp": stamp,
        "entry": [{"fullUrl": full_url(r["id"]), "resource": r} for r in results + others],
    }
    return Bundle.model_validate(bundle).model_dump(mode="json")
