"""Provenance of the resources intake sends back: made by this system (a Device), by the named ruleset,
from the case version the hospital sent (meetings.md §7)."""

from typing import Any

from fhir.resources.R4B.device import Device
from fhir.resources.R4B.provenance import Provenance

from services.intake.fhir_out.codes import CASE_IDENTIFIER_SYSTEM, PROVENANCE_PARTICIPANT_SYSTEM
from services.intake.fhir_out.references import narrative, reference, resource_id

SYSTEM_NAME = "bonemets-mdt decision support (intake, eligibility, scheduler)"


def system_device(ruleset_version: str) -> dict[str, Any]:
    resource = {
        "resourceType": "Device",
        "id": resource_id("system", ruleset_version),
        "text": narrative(f"{SYSTEM_NAME}, ruleset {ruleset_version}."),
        "status": "active",
        "deviceName": [{"name": SYSTEM_NAME, "type": "user-friendly-name"}],
        "version": [{"type": {"text": "ruleset"}, "value": ruleset_version}],
        "note": [
            {
                "text": "Decision support, not a decision: every verdict is a suggestion for the MDT, with the "
                "reasons and published sources behind it."
            }
        ],
    }
    return Device.model_validate(resource).model_dump(mode="json")


def provenance(
    case_id: str,
    case_version: int,
    targets: list[dict[str, Any]],
    device: dict[str, Any],
    ruleset_version: str,
    recorded: str,
) -> dict[str, Any]:
    resource = {
        "resourceType": "Provenance",
        "id": resource_id(case_id, case_version, "Provenance", *(target["id"] for target in targets)),
        "text": narrative(
            f"Produced by {SYSTEM_NAME} with ruleset {ruleset_version} from case {case_id} version "
            f"{case_version}."
        ),
        "target": [reference(target) for target in targets],
        "recorded": recorded,
        "agent": [
            {
                "type": {
                    "coding": [
                        {
                            "system": PROVENANCE_PARTICIPANT_SYSTEM,
                            "code": "assembler",
                            "display": "Assembler",
                        }
                    ]
                },
                "who": reference(device, f"{SYSTEM_NAME}, ruleset {ruleset_version}"),
            }
        ],
        "entity": [
            {
                "role": "source",
                "what": {
                    "identifier": {"system": CASE_IDENTIFIER_SYSTEM, "value": f"{case_id}/{case_version}"},
                    "display": f"case {case_id} version {case_version} as received by intake",
                },
            }
        ],
    }
    return Provenance.model_validate(resource).model_dump(mode="json")
