"""The documented example Bundle and the product CodeSystem."""

import json
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.codesystem import CodeSystem

from services.intake.fhir import codesystem, map_bundle
from services.intake.fhir.findings import FINDINGS
from shared.contracts.case import Lesion

from .conftest import KEY, REPO, TODAY

CODESYSTEM_FILE = REPO / "docs" / "fhir" / "codesystem-bone-lesion-findings.json"
MAPPING_DOC = REPO / "docs" / "fhir-mapping.md"


def test_example_is_a_valid_r4_bundle(example: dict[str, Any]):
    Bundle.model_validate(example)


def test_example_maps_with_every_lesion_finding(example: dict[str, Any]):
    case = map_bundle(example, pseudonym_key=KEY, today=TODAY)
    assert [lesion.site for lesion in case.lesions] == ["spine", "femur"]
    for field in set(Lesion.model_fields) - {"id", "site"}:
        assert any(getattr(lesion, field) is not None for lesion in case.lesions), field
    spine, femur = case.lesions
    assert spine.spine_level == "T7"  # from the spine_level finding: the bodySite is the thoracic spine
    assert femur.distance_to_neural_mm == 15.0  # 1.5 cm
    assert case.primary_tumour.site == "prostate"
    assert case.primary_tumour.castration_resistant is True
    assert case.external_id == "https://referrer.example.org/referrals|REF-2025-0001"
    assert case.labs.haemoglobin_g_dl == 12.4  # 124 g/L
    assert case.pain.score == 7
    assert case.pain.current_analgesics == ["non_opioid", "opioid"]
    assert case.status.ecog == 1  # LA9623-5
    assert case.history.on_osteoclast_inhibitor is True
    assert str(case.history.last_chemotherapy_date) == "2025-03-17"


def test_every_finding_code_is_in_the_example(example: dict[str, Any]):
    text = json.dumps(example)
    for finding in FINDINGS:
        assert f'"code": "{finding.field}"' in text


def test_the_example_is_in_the_mapping_document(example: dict[str, Any]):
    doc = MAPPING_DOC.read_text()
    assert "--data @docs/fhir/example-bundle.json" in doc
    inline = doc.split("```json\n")[-1].split("\n```")[0]
    assert json.loads(inline) == example


def test_published_codesystem_is_the_generated_one():
    published = json.loads(CODESYSTEM_FILE.read_text())
    assert published == codesystem()
    CodeSystem.model_validate(published)


def test_codesystem_codes_are_unique_and_cover_every_lesion_field():
    concepts = codesystem()["concept"]
    codes = [concept["code"] for concept in concepts]
    assert len(codes) == len(set(codes))
    assert set(Lesion.model_fields) - {"id", "site"} <= set(codes)
