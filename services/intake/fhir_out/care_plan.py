"""The latest MDT outcome (meetings.md §6) as a CarePlan: intent `plan`, one activity per decision with its
status and statusReason (meetings.md §7). Decision notes are free text and stay in the scheduler."""

from typing import Any, Final

from fhir.resources.R4B.careplan import CarePlan

from services.intake.fhir_out.codes import (
    DECISION_REASON_SYSTEM,
    DECISION_SYSTEM,
    INTENT_SYSTEM,
    OUTCOME_IDENTIFIER_SYSTEM,
    THERAPY_SYSTEM,
    concept,
    display,
)
from services.intake.fhir_out.references import narrative, resource_id

# decision -> CarePlan.activity.detail.status (R4 care-plan-activity-status, required binding)
ACTIVITY_STATUS: Final = {
    "accepted": "not-started",
    "modified": "not-started",
    "declined": "cancelled",
    "deferred": "on-hold",
}


def _activity(decision: dict[str, Any]) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "code": concept(THERAPY_SYSTEM, decision["therapy"]),
        "status": ACTIVITY_STATUS[decision["decision"]],
        "doNotPerform": decision["decision"] == "declined",
    }
    reason = decision.get("reason_code")
    status_reason = concept(DECISION_SYSTEM, decision["decision"])
    if reason:
        status_reason["coding"].append(concept(DECISION_REASON_SYSTEM, reason)["coding"][0])
    detail["statusReason"] = status_reason
    return {"detail": detail}


def care_plan(outcome: dict[str, Any], patient: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "CarePlan",
        "id": resource_id("outcome", outcome["outcome_id"], outcome["version"]),
        "identifier": [
            {"system": OUTCOME_IDENTIFIER_SYSTEM, "value": f"{outcome['outcome_id']}/{outcome['version']}"}
        ],
        "text": narrative(
            f"Bone-metastasis MDT outcome, version {outcome['version']}: intent {display(outcome['intent'])}.",
            *(
                f"{display(d['therapy'])}: {d['decision']}"
                + (f" ({display(d['reason_code'])})" if d.get("reason_code") else "")
                for d in outcome["decisions"]
            ),
        ),
        "status": "active",
        "intent": "plan",
        "category": [concept(INTENT_SYSTEM, outcome["intent"])],
        "title": "Bone-metastasis MDT outcome",
        "subject": patient,
        "created": outcome["recorded_at"],
        "activity": [_activity(decision) for decision in outcome["decisions"]],
    }
    if outcome.get("decision_to_treat_date"):
        resource["period"] = {"start": outcome["decision_to_treat_date"]}
    return CarePlan.model_validate(resource).model_dump(mode="json")
