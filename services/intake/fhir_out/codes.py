"""The product's own CodeSystems for what intake sends back as FHIR, where no published code is certain:
therapies, verdicts, specialties, MDT decisions and their reasons, treatment intents, and the ruleset as a
version of the system. Codes are the contract's own (contracts.md §1, meetings.md §6), so a receiver can
map them back without a table. Published as docs/fhir/codesystem-*.json (a unit test keeps them identical).
"""

from enum import StrEnum
from typing import Any, Final

from shared.contracts.codes import Specialty, TherapyCode, Verdict
from shared.contracts.outcome import Decision, DecisionReason, Intent

BASE: Final = "https://bonemets-mdt.example/fhir"
THERAPY_SYSTEM: Final = f"{BASE}/CodeSystem/bone-metastasis-therapy"
VERDICT_SYSTEM: Final = f"{BASE}/CodeSystem/therapy-verdict"
SPECIALTY_SYSTEM: Final = f"{BASE}/CodeSystem/mdt-specialty"
DECISION_SYSTEM: Final = f"{BASE}/CodeSystem/mdt-decision"
DECISION_REASON_SYSTEM: Final = f"{BASE}/CodeSystem/mdt-decision-reason"
INTENT_SYSTEM: Final = f"{BASE}/CodeSystem/treatment-intent"
CASE_IDENTIFIER_SYSTEM: Final = f"{BASE}/NamingSystem/case-id"
BOOKING_IDENTIFIER_SYSTEM: Final = f"{BASE}/NamingSystem/booking-id"
OUTCOME_IDENTIFIER_SYSTEM: Final = f"{BASE}/NamingSystem/outcome-id"
CLINICIAN_IDENTIFIER_SYSTEM: Final = f"{BASE}/NamingSystem/clinician-id"
PSEUDONYM_SYSTEM: Final = f"{BASE}/NamingSystem/patient-pseudonym"
RULESET_MODULE: Final = f"{BASE}/ruleset"  # + '/' + ruleset version: GuidanceResponse.moduleUri

# Published HL7 terminology, used only where the code is certain.
PROVENANCE_PARTICIPANT_SYSTEM: Final = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"


def display(code: str) -> str:
    """'external_beam_radiotherapy' -> 'External beam radiotherapy'."""
    return code.replace("_", " ").capitalize()


def coding(system: str, code: str) -> dict[str, Any]:
    return {"system": system, "code": code, "display": display(code)}


def concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [coding(system, code)], "text": display(code)}


_CODESYSTEMS: Final[tuple[tuple[str, str, str, str, type[StrEnum]], ...]] = (
    (
        THERAPY_SYSTEM,
        "bone-metastasis-therapy",
        "BoneMetastasisTherapy",
        "Therapy options for bone metastases evaluated by the eligibility rules (contracts.md section 1).",
        TherapyCode,
    ),
    (
        VERDICT_SYSTEM,
        "therapy-verdict",
        "TherapyVerdict",
        "The rules engine's verdict on one therapy option: a suggestion for the MDT, not a decision.",
        Verdict,
    ),
    (
        SPECIALTY_SYSTEM,
        "mdt-specialty",
        "MdtSpecialty",
        "Specialties of the bone-metastasis MDT (contracts.md section 1).",
        Specialty,
    ),
    (
        DECISION_SYSTEM,
        "mdt-decision",
        "MdtDecision",
        "What the MDT decided about one therapy option (meetings.md section 6).",
        Decision,
    ),
    (
        DECISION_REASON_SYSTEM,
        "mdt-decision-reason",
        "MdtDecisionReason",
        "Why the MDT declined or modified a therapy option (meetings.md section 6).",
        DecisionReason,
    ),
    (
        INTENT_SYSTEM,
        "treatment-intent",
        "TreatmentIntent",
        "The intent of the treatment plan the MDT agreed (meetings.md section 6).",
        Intent,
    ),
)


def codesystems() -> list[dict[str, Any]]:
    """The CodeSystem resources (FHIR R4) published in docs/fhir/codesystem-<id>.json."""
    resources = []
    for url, resource_id, name, description, codes in _CODESYSTEMS:
        resources.append(
            {
                "resourceType": "CodeSystem",
                "id": resource_id,
                "url": url,
                "version": "1",
                "name": name,
                "title": display(resource_id.replace("-", "_")),
                "text": {
                    "status": "generated",
                    "div": f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{name}: {description}</p></div>',
                },
                "status": "active",
                "experimental": False,
                "publisher": "bonemets-mdt",
                "description": description,
                "caseSensitive": True,
                "content": "complete",
                "count": len(codes),
                "concept": [{"code": member.value, "display": display(member.value)} for member in codes],
            }
        )
    return resources
