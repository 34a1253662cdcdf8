"""The product's own CodeSystem for the lesion findings that no standard code carries.

One code per lesion field of contracts.md section 2 (the code is the field name), plus the answer codes of the
coded fields (the contract's own codes, which are unique across fields) and a panel code. The JSON published
as docs/fhir/codesystem-bone-lesion-findings.json is `codesystem()`; a unit test keeps the two identical.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from shared.contracts.codes import (
    CorticalInvolvement,
    EsccGrade,
    LesionType,
    PainPattern,
    PosteriorWall,
    PosterolateralInvolvement,
    SpinalAlignment,
    SpineLevel,
    VertebralBodyCollapse,
)

FINDING_SYSTEM: Final = "https://bonemets-mdt.example/fhir/CodeSystem/bone-lesion-finding"
PANEL_CODE: Final = "lesion-findings"


class ValueKind(StrEnum):
    boolean = "boolean"  # valueBoolean
    code = "code"  # valueCodeableConcept, a code of this CodeSystem
    integer = "integer"  # valueInteger
    quantity_mm = "quantity-mm"  # valueQuantity, UCUM mm (cm accepted)


@dataclass(frozen=True)
class Finding:
    field: str
    kind: ValueKind
    display: str
    answers: tuple[str, ...] = ()


def _codes(enum: type[StrEnum]) -> tuple[str, ...]:
    return tuple(member.value for member in enum)


FINDINGS: Final[tuple[Finding, ...]] = (
    Finding("spine_level", ValueKind.code, "Vertebral level of a spine lesion", _codes(SpineLevel)),
    Finding("painful", ValueKind.boolean, "Lesion is painful"),
    Finding("pain_pattern", ValueKind.code, "Pain pattern of the lesion", _codes(PainPattern)),
    Finding("pathological_fracture", ValueKind.boolean, "Completed pathological fracture through the lesion"),
    Finding("lesion_type", ValueKind.code, "Radiological lesion type", _codes(LesionType)),
    Finding(
        "cortical_involvement",
        ValueKind.code,
        "Cortical involvement of a long-bone lesion (Mirels)",
        _codes(CorticalInvolvement),
    ),
    Finding("peritrochanteric", ValueKind.boolean, "Femoral lesion is peritrochanteric (Mirels)"),
    Finding("spinal_alignment", ValueKind.code, "Spinal alignment (SINS)", _codes(SpinalAlignment)),
    Finding(
        "vertebral_body_collapse",
        ValueKind.code,
        "Vertebral body collapse (SINS)",
        _codes(VertebralBodyCollapse),
    ),
    Finding(
        "posterolateral_involvement",
        ValueKind.code,
        "Posterolateral involvement of spinal elements (SINS)",
        _codes(PosterolateralInvolvement),
    ),
    Finding(
        "sins_score", ValueKind.integer, "Spinal Instability Neoplastic Score, as scored by a radiologist"
    ),
    Finding("mirels_score", ValueKind.integer, "Mirels score, as scored by a clinician"),
    Finding(
        "escc_grade", ValueKind.code, "Epidural spinal cord compression grade (Bilsky)", _codes(EsccGrade)
    ),
    Finding("distance_to_neural_mm", ValueKind.quantity_mm, "Distance from the lesion to neural structures"),
    Finding("percutaneously_accessible", ValueKind.boolean, "Lesion is accessible percutaneously"),
    Finding(
        "adjacent_critical_structure",
        ValueKind.boolean,
        "A critical structure that cannot be displaced or monitored is adjacent (ablation)",
    ),
    Finding("prior_radiotherapy", ValueKind.boolean, "Lesion was irradiated before"),
    Finding(
        "pain_persists_after_radiotherapy",
        ValueKind.boolean,
        "Pain at the lesion persists after radiotherapy",
    ),
    Finding(
        "posterior_wall",
        ValueKind.code,
        "Posterior wall of the vertebral body on CT or MRI (ruleset 2027.01)",
        _codes(PosteriorWall),
    ),
)
FINDING_BY_CODE: Final[dict[str, Finding]] = {finding.field: finding for finding in FINDINGS}

_ANSWER_DISPLAY: Final[dict[str, str]] = {
    "none": "None",
    "mild": "Mild pain",
    "moderate": "Moderate pain",
    "functional": "Functional pain (pain on use of the limb)",
    "mechanical": "Mechanical pain (pain on movement or loading of the spine)",
    "lytic": "Lytic",
    "blastic": "Blastic",
    "mixed": "Mixed lytic and blastic",
    "lt_one_third": "Less than one third of the cortex",
    "one_third_to_two_thirds": "One third to two thirds of the cortex",
    "gt_two_thirds": "More than two thirds of the cortex",
    "normal": "Normal alignment",
    "de_novo_deformity": "De novo deformity (kyphosis or scoliosis)",
    "subluxation_translation": "Subluxation or translation",
    "none_gt_50pct_involved": "No collapse with more than 50% of the vertebral body involved",
    "lt_50pct": "Less than 50% collapse",
    "gt_50pct": "More than 50% collapse",
    "unilateral": "Unilateral",
    "bilateral": "Bilateral",
    "intact": "Posterior wall intact",
    "involved": "Posterior wall involved",
    "retropulsed": "Posterior wall retropulsed",
}


def answer_display(code: str) -> str:
    if code in _ANSWER_DISPLAY:
        return _ANSWER_DISPLAY[code]
    if code in _codes(SpineLevel):
        return f"{code} vertebra"
    return f"Bilsky grade {code}"


def codesystem() -> dict[str, Any]:
    """The CodeSystem resource (FHIR R4) published in docs/fhir/codesystem-bone-lesion-findings.json."""
    concepts: list[dict[str, Any]] = [
        {
            "code": PANEL_CODE,
            "display": "Bone lesion findings panel",
            "definition": (
                "A panel Observation about one bone-metastasis Condition (Observation.focus): its components, "
                "or the Observations it lists in hasMember, carry the findings coded below."
            ),
            "property": [{"code": "kind", "valueCode": "panel"}],
        }
    ]
    answers: dict[str, list[str]] = {}
    for finding in FINDINGS:
        concepts.append(
            {
                "code": finding.field,
                "display": finding.display,
                "definition": f"{finding.display}: case field lesions[].{finding.field}.",
                "property": [
                    {"code": "kind", "valueCode": "finding"},
                    {"code": "value-type", "valueCode": finding.kind.value},
                ],
            }
        )
        for answer in finding.answers:
            answers.setdefault(answer, []).append(finding.field)
    for answer, fields in answers.items():
        concepts.append(
            {
                "code": answer,
                "display": answer_display(answer),
                "property": [{"code": "kind", "valueCode": "answer"}]
                + [{"code": "answer-for", "valueCode": field} for field in fields],
            }
        )
    return {
        "resourceType": "CodeSystem",
        "id": "bone-lesion-finding",
        "url": FINDING_SYSTEM,
        "version": "1",
        "name": "BoneLesionFinding",
        "title": "Bone lesion findings",
        "status": "active",
        "experimental": False,
        "publisher": "bonemets-mdt",
        "description": (
            "Findings about one bone metastasis that no standard code carries, as used by the case submission "
            "(schema_version 1) of the bone-metastases MDT service. A finding is an Observation whose code is "
            "a 'finding' concept and whose focus references the bone-metastasis Condition; its value[x] is of "
            "the concept's value-type; coded values use the 'answer' concepts of this CodeSystem."
        ),
        "caseSensitive": True,
        "content": "complete",
        "count": len(concepts),
        "property": [
            {
                "code": "kind",
                "description": "panel, finding (an Observation code) or answer (a value)",
                "type": "code",
            },
            {
                "code": "value-type",
                "description": "value[x] of a finding: boolean, code, integer or quantity-mm",
                "type": "code",
            },
            {"code": "answer-for", "description": "the finding this answer is a value of", "type": "code"},
        ],
        "concept": concepts,
    }
