"""Rules of the mapping, one at a time, on variations of the example Bundle."""

import copy
import hashlib
import hmac
import json
import random
from typing import Any

import pytest
from fhir.resources.R4B.operationoutcome import OperationOutcome

from services.intake.fhir import FhirMappingError, map_bundle, operation_outcome, pseudonym
from shared.contracts.case import CaseSubmission

from .conftest import KEY, TODAY


def resource(bundle: dict[str, Any], resource_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(
        e["resource"] for e in bundle["entry"] if e["resource"].get("id") == resource_id
    )
    return found


def index_of(bundle: dict[str, Any], resource_id: str) -> int:
    return next(i for i, e in enumerate(bundle["entry"]) if e["resource"].get("id") == resource_id)


def drop(bundle: dict[str, Any], predicate: Any) -> None:
    bundle["entry"] = [e for e in bundle["entry"] if not predicate(e["resource"])]


def add(bundle: dict[str, Any], res: dict[str, Any]) -> None:
    bundle["entry"].append({"fullUrl": f"urn:uuid:{res['id']}", "resource": res})


def issues_of(bundle: dict[str, Any]) -> list[Any]:
    with pytest.raises(FhirMappingError) as raised:
        map_bundle(bundle, pseudonym_key=KEY, today=TODAY)
    OperationOutcome.model_validate(operation_outcome(raised.value.issues))
    return raised.value.issues


def mapped(bundle: dict[str, Any]) -> CaseSubmission:
    return map_bundle(bundle, pseudonym_key=KEY, today=TODAY)


def lab(resource_id: str, code: str, value: float, unit: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }


# --- pseudonymisation ----------------------------------------------------------------------------------------


def test_pseudonym_is_the_hmac_of_the_first_identifier(example: dict[str, Any]):
    case = mapped(example)
    expected = hmac.new(KEY, b"https://hospital.example.org/mrn|MRN-000123", hashlib.sha256).hexdigest()[:32]
    assert case.patient.pseudonym == expected == pseudonym(KEY, "https://hospital.example.org/mrn|MRN-000123")
    assert mapped(example).patient.pseudonym == expected  # stable
    assert map_bundle(example, pseudonym_key=b"other", today=TODAY).patient.pseudonym != expected


def test_no_identifying_data_reaches_the_case(example: dict[str, Any]):
    patient = resource(example, "example-patient")
    patient["telecom"] = [{"system": "phone", "value": "+44 20 7946 0000"}]
    patient["address"] = [{"line": ["1 Example Street"], "city": "Exampleton"}]
    del example["identifier"]  # external_id then derives from the patient identifier too
    text = mapped(example).model_dump_json()
    for secret in (
        "MRN-000123",
        "hospital.example.org",
        "Example",
        "Pat",
        "Exampleton",
        "7946",
        "1956-03-14",
    ):
        assert secret not in text


def test_external_id_without_bundle_identifier_is_stable_and_keyed(example: dict[str, Any]):
    del example["identifier"]
    first = mapped(example).external_id
    assert first.startswith("fhir-") and len(first) <= 128
    assert mapped(copy.deepcopy(example)).external_id == first
    assert first[5:] != mapped(example).patient.pseudonym


def test_pseudonym_falls_back_to_patient_id(example: dict[str, Any]):
    del resource(example, "example-patient")["identifier"]
    assert mapped(example).patient.pseudonym == pseudonym(KEY, "example-patient")


# --- patient -------------------------------------------------------------------------------------------------


def test_no_patient_is_required(example: dict[str, Any]):
    drop(example, lambda r: r["resourceType"] == "Patient")
    issues = issues_of(example)
    assert any(i.code == "required" and "no Patient" in i.diagnostics for i in issues)


def test_two_patients_are_rejected(example: dict[str, Any]):
    add(example, {"resourceType": "Patient", "id": "someone-else", "gender": "female"})
    issues = issues_of(example)
    assert any("2 Patient resources" in i.diagnostics for i in issues)


def test_missing_birth_date_is_unknown(example: dict[str, Any]):
    del resource(example, "example-patient")["birthDate"]
    assert mapped(example).patient.birth_year is None


# --- bundle --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bundle_type", ["history", "transaction-response", None])
def test_bundle_types_not_accepted(example: dict[str, Any], bundle_type: str | None):
    example["type"] = bundle_type
    issues = issues_of(example)
    assert any(i.code == "not-supported" and i.expression == ["Bundle.type"] for i in issues)


@pytest.mark.parametrize("body", [[], "Bundle", {"resourceType": "Patient"}])
def test_not_a_bundle(body: Any):
    with pytest.raises(FhirMappingError) as raised:
        map_bundle(body, pseudonym_key=KEY, today=TODAY)
    assert raised.value.issues[0].code == "structure"


def test_irrelevant_broken_resources_are_ignored(example: dict[str, Any]):
    add(example, {"resourceType": "Encounter", "id": "enc", "status": 42})
    add(example, lab("her2", "48676-1", 3, "", "2025-01-01") | {"valueBoolean": True})  # two value[x]
    mapped(example)


def test_relevant_broken_resource_is_named(example: dict[str, Any]):
    resource(example, "platelets")["valueQuantity"]["value"] = "many"
    issues = issues_of(example)
    where = f"Bundle.entry[{index_of(example, 'platelets')}].resource.valueQuantity.value"
    assert any(where in i.expression and i.code == "structure" for i in issues)


# --- primary tumour ------------------------------------------------------------------------------------------


def primary_coded(example: dict[str, Any], system: str, code: str) -> dict[str, Any]:
    primary = resource(example, "primary-prostate")
    primary["code"] = {"coding": [{"system": system, "code": code}]}
    del primary["meta"]
    return example


@pytest.mark.parametrize(
    ("code", "site"),
    [
        ("C50.911", "breast"),
        ("C61", "prostate"),
        ("C34.90", "lung"),
        ("C33", "lung"),
        ("C64.1", "kidney"),
        ("C65", "kidney"),
        ("C73", "thyroid"),
        ("C18.7", "colorectal"),
        ("C20", "colorectal"),
        ("C43.9", "melanoma"),
        ("C67.9", "bladder"),
        ("C16.9", "gastrointestinal"),
        ("C25.0", "gastrointestinal"),
        ("C53.9", "gynaecological"),
        ("C02.1", "head_and_neck"),
        ("C32.0", "head_and_neck"),
        ("C41.2", "sarcoma"),
        ("C49.9", "sarcoma"),
        ("C80.1", "unknown_primary"),
        ("C71.9", "other"),
        ("C62.9", "other"),
    ],
)
def test_icd10_ranges(example: dict[str, Any], code: str, site: str):
    case = mapped(primary_coded(example, "http://hl7.org/fhir/sid/icd-10-cm", code))
    assert case.primary_tumour.site == site


@pytest.mark.parametrize(
    ("code", "site"),
    [("254837009", "breast"), ("372137005", "breast"), ("399068003", "prostate"), ("254637007", "lung")],
)
def test_snomed_primary_codes(example: dict[str, Any], code: str, site: str):
    assert mapped(primary_coded(example, "http://snomed.info/sct", code)).primary_tumour.site == site


def test_generic_snomed_code_takes_the_body_site(example: dict[str, Any]):
    primary_coded(example, "http://snomed.info/sct", "363346000")
    resource(example, "primary-prostate")["bodySite"] = [
        {"coding": [{"system": "http://snomed.info/sct", "code": "64033007"}]}
    ]
    assert mapped(example).primary_tumour.site == "kidney"


@pytest.mark.parametrize(
    ("system", "code"),
    [
        ("http://hl7.org/fhir/sid/icd-10", "C90.0"),
        ("http://hl7.org/fhir/sid/icd-10-cm", "C83.30"),
        ("http://hl7.org/fhir/sid/icd-10", "C81.9"),
        ("http://hl7.org/fhir/sid/icd-10", "C96"),
        ("http://snomed.info/sct", "109989006"),
        ("http://snomed.info/sct", "118601006"),
    ],
)
def test_haematological_cancers_are_rejected(example: dict[str, Any], system: str, code: str):
    issues = issues_of(primary_coded(example, system, code))
    rejected = [i for i in issues if i.code == "not-supported"]
    assert rejected and "haematological cancers are out of scope" in rejected[0].diagnostics
    assert rejected[0].expression == [f"Bundle.entry[{index_of(example, 'primary-prostate')}].resource.code"]


def test_secondaries_are_not_primaries(example: dict[str, Any]):
    primary_coded(example, "http://hl7.org/fhir/sid/icd-10", "C78.7")  # liver secondary
    issues = issues_of(example)
    assert any("no primary cancer Condition" in i.diagnostics for i in issues)


def test_castration_resistance_only_for_prostate(example: dict[str, Any]):
    primary_coded(example, "http://hl7.org/fhir/sid/icd-10-cm", "C50.9")
    assert mapped(example).primary_tumour.castration_resistant is None


def test_no_hormone_status_is_unknown(example: dict[str, Any]):
    drop(example, lambda r: r.get("id") == "hormone-status")
    assert mapped(example).primary_tumour.castration_resistant is None


# --- lesions -------------------------------------------------------------------------------------------------


def test_icd10_bone_metastasis_without_body_site_is_site_other(example: dict[str, Any]):
    drop(example, lambda r: r.get("id") == "bone-met-femur" or r.get("id") == "femur-findings")
    spine = resource(example, "bone-met-spine")
    spine["code"] = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C79.51"}]}
    del spine["meta"], spine["bodySite"]
    drop(example, lambda r: r.get("id", "").startswith("spine-") and r["id"] != "spine-painful")
    case = mapped(example)
    assert [(lesion.site, lesion.painful) for lesion in case.lesions] == [("other", True)]


def test_vertebra_code_gives_the_spine_level(example: dict[str, Any]):
    drop(example, lambda r: r.get("id") == "spine-spine-level")
    resource(example, "bone-met-spine")["bodySite"] = [
        {"coding": [{"system": "http://snomed.info/sct", "code": "66794005"}]}  # L1 vertebra
    ]
    assert mapped(example).lesions[0].spine_level == "L1"


def test_spine_without_level_names_the_body_site(example: dict[str, Any]):
    drop(example, lambda r: r.get("id") == "spine-spine-level")
    issues = issues_of(example)
    where = f"Bundle.entry[{index_of(example, 'bone-met-spine')}].resource.bodySite[0]"
    assert any(i.expression == [where] and "spine_level is required" in i.diagnostics for i in issues)


def test_secondary_profile_with_a_non_bone_site_is_not_a_lesion(example: dict[str, Any]):
    femur = resource(example, "bone-met-femur")
    femur["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "128462008"}]}
    femur["bodySite"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "8935007"}]}]
    issues = issues_of(example)  # the femur findings now point at a Condition that is no lesion
    assert any("focus does not reference a bone-metastasis Condition" in i.diagnostics for i in issues)


def test_lesion_ids_are_truncated_and_unique(example: dict[str, Any]):
    long_id = "a-very-long-condition-identifier-that-exceeds-32"
    for old in ("bone-met-spine", "bone-met-femur"):
        for entry in example["entry"]:
            if entry["resource"].get("id") == old:
                entry["resource"]["id"] = long_id + old[-5:-4]
                entry["fullUrl"] = f"urn:uuid:{long_id}{old[-5:-4]}"
    text = json.dumps(example)
    example = json.loads(text.replace("urn:uuid:bone-met-spine", f"urn:uuid:{long_id}s"))
    example = json.loads(json.dumps(example).replace("urn:uuid:bone-met-femur", f"urn:uuid:{long_id}f"))
    ids = [lesion.id for lesion in mapped(example).lesions]
    assert ids == [long_id[:32], long_id[:30] + "-2"]


def test_resolved_bone_metastasis_is_no_lesion(example: dict[str, Any]):
    resource(example, "bone-met-femur")["clinicalStatus"]["coding"][0]["code"] = "resolved"
    drop(example, lambda r: r.get("id") == "femur-findings")
    assert [lesion.site for lesion in mapped(example).lesions] == ["spine"]


def test_finding_with_a_wrong_value_type_is_named(example: dict[str, Any]):
    painful = resource(example, "spine-painful")
    del painful["valueBoolean"]
    painful["valueInteger"] = 1
    issues = issues_of(example)
    where = f"Bundle.entry[{index_of(example, 'spine-painful')}].resource.valueBoolean"
    assert any(i.expression == [where] for i in issues)


def test_latest_finding_wins(example: dict[str, Any]):
    newer = copy.deepcopy(resource(example, "spine-lesion-type"))
    newer["id"] = "spine-lesion-type-newer"
    newer["effectiveDateTime"] = "2025-05-20"
    newer["valueCodeableConcept"]["coding"][0]["code"] = "blastic"
    add(example, newer)
    older = copy.deepcopy(newer)
    older["id"] = "spine-lesion-type-older"
    older["effectiveDateTime"] = "2024-01-01"
    older["valueCodeableConcept"]["coding"][0]["code"] = "mixed"
    add(example, older)
    assert mapped(example).lesions[0].lesion_type == "blastic"


def test_finding_without_focus_needs_a_single_lesion(example: dict[str, Any]):
    del resource(example, "spine-painful")["focus"]
    issues = issues_of(example)
    assert any(i.code == "required" and "focus" in i.expression[0] for i in issues)


# --- observations by LOINC ------------------------------------------------------------------------------------


def test_latest_lab_wins(example: dict[str, Any]):
    add(example, lab("platelets-new", "26515-7", 95, "10*9/L", "2025-05-11T08:00:00+02:00"))
    add(example, lab("platelets-old", "777-3", 400, "10*3/uL", "2024-01-01"))
    assert mapped(example).labs.platelets_10e9_l == 95


def test_bad_value_that_is_not_the_latest_is_ignored(example: dict[str, Any]):
    add(example, lab("platelets-old", "777-3", 400, "furlongs", "2020-01-01"))
    assert mapped(example).labs.platelets_10e9_l == 210


@pytest.mark.parametrize(
    ("code", "value", "unit", "field", "expected"),
    [
        ("777-3", 150000, "/uL", "platelets_10e9_l", 150),
        ("751-8", 2.5, "10*9/L", "neutrophils_10e9_l", 2.5),
        ("718-7", 11.2, "g/dL", "haemoglobin_g_dl", 11.2),
        ("718-7", 112, "g/L", "haemoglobin_g_dl", 11.2),
        ("718-7", 7.0, "mmol/L", "haemoglobin_g_dl", 11.2798),
        ("29265-6", 2.6, "mmol/L", "corrected_calcium_mmol_l", 2.6),
        ("46099-8", 10.02, "mg/dL", "corrected_calcium_mmol_l", 2.5),
        ("2164-2", 42, "mL/min", "creatinine_clearance_ml_min", 42),
        ("33914-3", 55, "mL/min/{1.73_m2}", "creatinine_clearance_ml_min", 55),
    ],
)
def test_units(example: dict[str, Any], code: str, value: float, unit: str, field: str, expected: float):
    add(example, lab("newest", code, value, unit, "2025-05-30"))
    assert getattr(mapped(example).labs, field) == pytest.approx(expected)


def test_unknown_unit_is_named(example: dict[str, Any]):
    add(example, lab("newest", "718-7", 12, "mg", "2025-05-30"))
    issues = issues_of(example)
    assert any("unit 'mg'" in i.diagnostics for i in issues)


def test_total_calcium_is_not_corrected_calcium(example: dict[str, Any]):
    add(example, lab("newest", "17861-6", 12.0, "mg/dL", "2025-05-30"))
    assert mapped(example).labs.corrected_calcium_mmol_l == 2.41


def test_value_with_comparator_is_unknown(example: dict[str, Any]):
    drop(example, lambda r: r.get("id") == "egfr")
    egfr = lab("egfr2", "62238-1", 90, "mL/min/{1.73_m2}", "2025-05-30")
    egfr["valueQuantity"]["comparator"] = ">"
    add(example, egfr)
    assert mapped(example).labs.creatinine_clearance_ml_min is None


@pytest.mark.parametrize("value", [-1, 5])
def test_ecog_out_of_range_is_rejected(example: dict[str, Any], value: int):
    ecog = resource(example, "ecog")
    del ecog["valueCodeableConcept"]
    ecog["valueInteger"] = value
    issues = issues_of(example)
    where = f"Bundle.entry[{index_of(example, 'ecog')}].resource.valueInteger"
    assert any(i.expression == [where] and "ECOG" in i.diagnostics for i in issues)


def test_pain_score_out_of_range_is_named(example: dict[str, Any]):
    resource(example, "pain")["valueInteger"] = 11
    issues = issues_of(example)
    where = f"Bundle.entry[{index_of(example, 'pain')}].resource.valueInteger"
    assert any(i.expression == [where] and i.diagnostics.startswith("pain.score") for i in issues)


@pytest.mark.parametrize(
    ("answer", "expected"), [("LA15173-0", True), ("LA26683-5", False), ("LA4489-6", None)]
)
def test_pregnancy_status(example: dict[str, Any], answer: str, expected: bool | None):
    resource(example, "example-patient")["gender"] = "female"
    obs = lab("pregnancy", "82810-3", 0, "", "2025-05-01")
    del obs["valueQuantity"]
    obs["valueCodeableConcept"] = {"coding": [{"system": "http://loinc.org", "code": answer}]}
    add(example, obs)
    primary_coded(example, "http://hl7.org/fhir/sid/icd-10", "C50.9")
    assert mapped(example).patient.pregnant is expected


def test_pregnant_male_names_the_observation(example: dict[str, Any]):
    obs = lab("pregnancy", "82810-3", 0, "", "2025-05-01")
    del obs["valueQuantity"]
    obs["valueCodeableConcept"] = {"coding": [{"system": "http://loinc.org", "code": "LA15173-0"}]}
    add(example, obs)
    issues = issues_of(example)
    where = f"Bundle.entry[{index_of(example, 'pregnancy')}].resource.valueCodeableConcept"
    assert any(i.expression == [where] and "patient.pregnant" in i.diagnostics for i in issues)


# --- medications ---------------------------------------------------------------------------------------------


def test_nothing_known_stays_null(example: dict[str, Any]):
    drop(example, lambda r: r["resourceType"] in {"MedicationStatement", "Observation"})
    resource(example, "bone-met-spine")["bodySite"] = [
        {"coding": [{"system": "http://snomed.info/sct", "code": "62487009"}]}  # T7 vertebra
    ]
    case = mapped(example)
    assert case.pain.current_analgesics is None
    assert case.history.on_osteoclast_inhibitor is None
    assert case.history.last_chemotherapy_date is None
    assert case.labs.platelets_10e9_l is None
    assert case.status.ecog is None
    assert case.lesions[0].painful is None


def test_atc_codes_and_medication_request(example: dict[str, Any]):
    drop(example, lambda r: r["resourceType"] == "MedicationStatement")
    add(
        example,
        {
            "resourceType": "MedicationRequest",
            "id": "pregabalin",
            "status": "active",
            "intent": "order",
            "subject": {"reference": "urn:uuid:example-patient"},
            "medicationCodeableConcept": {
                "coding": [{"system": "http://www.whocc.no/atc", "code": "N03AX16"}]
            },
        },
    )
    add(
        example,
        {
            "resourceType": "MedicationAdministration",
            "id": "denosumab",
            "status": "completed",
            "subject": {"reference": "urn:uuid:example-patient"},
            "effectiveDateTime": "2025-05-01T09:00:00Z",
            "medicationCodeableConcept": {
                "coding": [{"system": "http://www.whocc.no/atc", "code": "M05BX04"}]
            },
        },
    )
    case = mapped(example)
    assert case.pain.current_analgesics == ["neuropathic_adjuvant"]
    assert case.history.on_osteoclast_inhibitor is None  # denosumab given, but not stated as ongoing
    assert case.history.last_bisphosphonate_date is None  # denosumab is not a bisphosphonate


def test_future_medication_date_is_named(example: dict[str, Any]):
    resource(example, "docetaxel")["effectivePeriod"]["end"] = "2025-07-01"
    issues = issues_of(example)
    assert any("after today" in i.diagnostics for i in issues)


# --- operation outcome ---------------------------------------------------------------------------------------


def test_operation_outcome_is_valid_even_without_issues():
    outcome = OperationOutcome.model_validate(operation_outcome([]))
    assert outcome.issue[0].severity == "error"


# --- robustness ----------------------------------------------------------------------------------------------


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else []
    for key, child in children:
        found.append((*path, key))
        found.extend(_paths(child, (*path, key)))
    return found


def test_junk_anywhere_gives_issues_never_another_exception(example: dict[str, Any]):
    junk: list[Any] = [
        None,
        1,
        "x",
        [],
        {},
        [1],
        {"coding": "x"},
        {"coding": [{"code": []}]},
        True,
        -1.5,
        {"reference": 5},
    ]
    rng = random.Random(20250601)
    paths = _paths(example)
    for _ in range(400):
        bundle = copy.deepcopy(example)
        path = rng.choice(paths)
        node = bundle
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = rng.choice(junk)
        try:
            map_bundle(bundle, pseudonym_key=KEY, today=TODAY)
        except FhirMappingError as error:
            OperationOutcome.model_validate(operation_outcome(error.issues))
