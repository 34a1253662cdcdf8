"""The latest recommendation (contracts.md §3) as a GuidanceResponse whose result is a RequestGroup with one
action per therapy (meetings.md §7)."""

from typing import Any, Final

from fhir.resources.R4B.guidanceresponse import GuidanceResponse
from fhir.resources.R4B.requestgroup import RequestGroup

from services.intake.fhir_out.codes import (
    CASE_IDENTIFIER_SYSTEM,
    RULESET_MODULE,
    THERAPY_SYSTEM,
    VERDICT_SYSTEM,
    concept,
    display,
)
from services.intake.fhir_out.references import narrative, patient_reference, reference, resource_id

# Which FHIR resource type carries a missing case field (docs/fhir-mapping.md), for dataRequirement.type;
# the first prefix that matches wins. 'Any' (FHIRAllTypes) when none does.
_RESOURCE_OF_FIELD: Final[tuple[tuple[str, str], ...]] = (
    ("patient.pregnant", "Observation"),
    ("patient.", "Patient"),
    ("primary_tumour.", "Condition"),
    ("visceral_metastases", "Condition"),
    ("lesions[", "Observation"),
    ("status.", "Observation"),
    ("pain.current_analgesics", "MedicationStatement"),
    ("pain.", "Observation"),
    ("labs.", "Observation"),
    ("history.", "MedicationStatement"),
)
_CONDITION_LESION_FIELDS: Final = (".site", ".id")


def _resource_type_of(path: str) -> str:
    if path.startswith("lesions[") and path.endswith(_CONDITION_LESION_FIELDS):
        return "Condition"
    for prefix, resource_type in _RESOURCE_OF_FIELD:
        if path.startswith(prefix):
            return resource_type
    return "Any"


def missing_paths(recommendation: dict[str, Any]) -> list[str]:
    """Every missing case path of the therapies that are insufficient_data, once each, in order."""
    paths: dict[str, None] = {}
    for therapy in recommendation["therapies"]:
        if therapy["status"] == "insufficient_data":
            paths.update(dict.fromkeys(therapy.get("missing", [])))
    return list(paths)


def _proposal(therapy: dict[str, Any], subject: dict[str, Any] | None) -> dict[str, Any]:
    """The therapy as a contained ServiceRequest proposal: an R4 RequestGroup action needs a resource (rqg-1)."""
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": therapy["code"].replace("_", "-"),
        "status": "draft",
        "intent": "proposal",
        "code": concept(THERAPY_SYSTEM, therapy["code"]),
        "subject": subject or {"display": "the case's patient"},
    }
    return request


def _summary(therapy: dict[str, Any]) -> str:
    reasons = therapy.get("reasons") or []
    why = f": {reasons[0]['text']} ({reasons[0]['source']})" if reasons else ""
    return f"{display(therapy['code'])}: {display(therapy['status'])}{why}"


def _action(therapy: dict[str, Any]) -> dict[str, Any]:
    action: dict[str, Any] = {
        "title": concept(THERAPY_SYSTEM, therapy["code"])["text"],
        "code": [concept(THERAPY_SYSTEM, therapy["code"]), concept(VERDICT_SYSTEM, therapy["status"])],
        "resource": {"reference": "#" + therapy["code"].replace("_", "-")},
    }
    reasons = therapy.get("reasons") or []
    if reasons:
        first = reasons[0]
        action["description"] = first["text"]
        action["documentation"] = [
            {
                "type": "justification",
                "label": first["code"],
                "display": first["text"],
                "citation": first["source"],
            }
        ]
    return action


def request_group(case_id: str, recommendation: dict[str, Any], pseudonym: str | None) -> dict[str, Any]:
    version = recommendation["case_version"]
    resource: dict[str, Any] = {
        "resourceType": "RequestGroup",
        "id": resource_id(case_id, version, "RequestGroup"),
        "identifier": [{"system": CASE_IDENTIFIER_SYSTEM, "value": f"{case_id}/{version}/therapy-options"}],
        "contained": [
            _proposal(therapy, patient_reference(pseudonym)) for therapy in recommendation["therapies"]
        ],
        "text": narrative(
            "Therapy options for the MDT: suggestions with their reasons and sources, not orders.",
            *(_summary(therapy) for therapy in recommendation["therapies"]),
        ),
        "status": "draft",  # suggestions for the MDT, not orders
        "intent": "proposal",
        "authoredOn": recommendation["evaluated_at"],
        "action": [_action(therapy) for therapy in recommendation["therapies"]],
    }
    subject = patient_reference(pseudonym)
    if subject:
        resource["subject"] = subject
    return RequestGroup.model_validate(resource).model_dump(mode="json")


def guidance_response(
    case_id: str, recommendation: dict[str, Any], result: dict[str, Any], pseudonym: str | None
) -> dict[str, Any]:
    version = recommendation["case_version"]
    missing = missing_paths(recommendation)
    resource: dict[str, Any] = {
        "resourceType": "GuidanceResponse",
        "id": resource_id(case_id, version, "GuidanceResponse"),
        "identifier": [{"system": CASE_IDENTIFIER_SYSTEM, "value": f"{case_id}/{version}/recommendation"}],
        "requestIdentifier": {"system": CASE_IDENTIFIER_SYSTEM, "value": f"{case_id}/{version}"},
        "moduleUri": f"{RULESET_MODULE}/{recommendation['ruleset_version']}",
        "text": narrative(
            f"Decision support for the MDT, ruleset {recommendation['ruleset_version']}, evaluated "
            f"{recommendation['evaluated_at']}: urgency {recommendation['urgency']}.",
            f"Data required: {', '.join(missing)}." if missing else "Every therapy option was evaluated.",
        ),
        "status": "data-required" if missing else "success",
        "occurrenceDateTime": recommendation["evaluated_at"],
        "result": reference(result, "Therapy options for the MDT"),
    }
    subject = patient_reference(pseudonym)
    if subject:
        resource["subject"] = subject
    if missing:
        resource["dataRequirement"] = [
            {"type": _resource_type_of(path), "mustSupport": [path]} for path in missing
        ]
    return GuidanceResponse.model_validate(resource).model_dump(mode="json")
