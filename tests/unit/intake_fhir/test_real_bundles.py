"""Every real Bundle of the shared corpus maps to a case or fails with a valid OperationOutcome."""

from pathlib import Path

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from services.intake.fhir import FhirMappingError, map_bundle, operation_outcome
from shared.contracts.case import CaseSubmission

from .conftest import CORPUS, KEY, TODAY, load

BUNDLES = sorted(CORPUS.glob("*.json"))
BONE_METS = [path for path in BUNDLES if path.name.endswith("-bone-mets.json")]
NO_BONE_METS = [path for path in BUNDLES if not path.name.endswith("-bone-mets.json")]
NO_BONE_METS_TEXT = "no bone-metastasis Condition"


def test_the_corpus_is_there():
    assert len(BUNDLES) == 9
    assert len(BONE_METS) == 3


@pytest.mark.parametrize("path", BUNDLES, ids=lambda path: path.name)
def test_maps_or_fails_with_a_valid_operation_outcome(path: Path):
    try:
        case = map_bundle(load(path), pseudonym_key=KEY, today=TODAY)
    except FhirMappingError as error:
        assert error.issues
        outcome = OperationOutcome.model_validate(operation_outcome(error.issues))
        assert all(issue.severity == "error" for issue in outcome.issue)
        assert all(issue.diagnostics for issue in outcome.issue)
    else:
        assert isinstance(case, CaseSubmission)


@pytest.mark.parametrize("path", BONE_METS, ids=lambda path: path.name)
def test_bone_metastasis_bundles_map(path: Path):
    case = map_bundle(load(path), pseudonym_key=KEY, today=TODAY)
    assert case.patient.sex == "female"
    assert case.primary_tumour.site == "breast"
    assert len(case.lesions) >= 1
    assert case.lesions[0].site == "other"  # 94222008 without a bodySite: bone, site unknown
    assert all(len(lesion.id) <= 32 for lesion in case.lesions)


@pytest.mark.parametrize("path", NO_BONE_METS, ids=lambda path: path.name)
def test_bundles_without_bone_metastases_are_rejected(path: Path):
    with pytest.raises(FhirMappingError) as raised:
        map_bundle(load(path), pseudonym_key=KEY, today=TODAY)
    required = [issue for issue in raised.value.issues if NO_BONE_METS_TEXT in issue.diagnostics]
    assert len(required) == 1
    assert required[0].code == "required"


def test_patient01_details():
    case = map_bundle(
        load(CORPUS / "mcode-ctma-TrialMatching_Patient01-bone-mets.json"), pseudonym_key=KEY, today=TODAY
    )
    assert case.patient.birth_year == 1959
    assert case.visceral_metastases is True  # the liver metastasis Condition
    assert case.status.ecog == 1
    assert case.history.last_chemotherapy_date == TODAY  # ribociclib 'active': an ongoing course
    assert case.history.on_osteoclast_inhibitor is None  # never guessed false
    assert case.pain.current_analgesics is None
    assert case.external_id.startswith("fhir-")


def test_patient02_bisphosphonate_history():
    case = map_bundle(
        load(CORPUS / "mcode-ctma-TrialMatching_Patient02-bone-mets.json"), pseudonym_key=KEY, today=TODAY
    )
    assert str(case.history.last_bisphosphonate_date) == "2019-06-01"  # zoledronic acid, completed
    assert case.history.on_osteoclast_inhibitor is None
    assert case.visceral_metastases is None


def test_invalid_ecog_is_named():
    with pytest.raises(FhirMappingError) as raised:
        map_bundle(
            load(CORPUS / "mcode-ctms-patient_data_missing_birthdate_invalid_ecog_karnofsky.json"),
            pseudonym_key=KEY,
            today=TODAY,
        )
    ecog = [issue for issue in raised.value.issues if "ECOG" in issue.diagnostics]
    assert ecog[0].code == "invalid"
    assert ecog[0].expression == ["Bundle.entry[3].resource.valueInteger"]
    assert "-1" in ecog[0].diagnostics
