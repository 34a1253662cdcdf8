"""FHIR R4 Bundle -> CaseSubmission (contracts.md section 2). Pure: no I/O, no clock (``today`` is given).

The rules are written down in docs/fhir-mapping.md. In short: every fact that the Bundle does not state stays
null; a stated fact that cannot be taken as it is (an ECOG of -1, an unknown unit, a myeloma) is an issue that
names the element, and all issues are reported together as one FhirMappingError.

One module per kind of resource: patient.py, conditions.py, lesion_findings.py, observations.py,
medications.py; run.py holds the state they share.
"""

from datetime import date
from typing import Any

from pydantic import ValidationError

from services.intake.fhir.bundle import read_bundle
from services.intake.fhir.conditions import ConditionRules
from services.intake.fhir.issues import FhirIssue, FhirMappingError, decode_bundle_json
from services.intake.fhir.lesion_findings import FindingRules
from services.intake.fhir.medications import MedicationRules
from services.intake.fhir.observations import ObservationRules
from services.intake.fhir.patient import PatientRules, derived_external_id, pseudonym
from services.intake.fhir.provenance import FieldSource
from services.intake.fhir.xml import decode_bundle_xml
from shared.contracts.case import CaseSubmission

__all__ = ["derived_external_id", "map_bundle", "map_bundle_with_sources", "map_posted_bundle", "pseudonym"]


def map_bundle(bundle: dict[str, Any], *, pseudonym_key: bytes, today: date) -> CaseSubmission:
    """Map a FHIR R4 Bundle (JSON) to a case submission, or raise FhirMappingError listing every issue."""
    return _CaseMapping(pseudonym_key, today).run(bundle)


def map_bundle_with_sources(
    bundle: dict[str, Any], *, pseudonym_key: bytes, today: date
) -> tuple[CaseSubmission, dict[str, FieldSource]]:
    """As map_bundle, with the resource each mapped case field came from (its path -> FieldSource)."""
    mapping = _CaseMapping(pseudonym_key, today)
    return mapping.run(bundle), mapping.sources()


def map_posted_bundle(
    body: bytes, *, xml: bool, pseudonym_key: bytes, today: date
) -> tuple[CaseSubmission, dict[str, FieldSource]]:
    """A posted Bundle (JSON or XML) -> the case and its field sources; FhirMappingError lists every issue,
    those of XML parts fhir.resources refused first."""
    xml_issues: list[FhirIssue] = []
    if xml:
        document, xml_issues = decode_bundle_xml(body)
    else:
        document = decode_bundle_json(body)
    try:
        mapped = map_bundle_with_sources(document, pseudonym_key=pseudonym_key, today=today)
    except FhirMappingError as error:
        raise FhirMappingError(xml_issues + error.issues) from None
    if xml_issues:
        raise FhirMappingError(xml_issues)
    return mapped


class _CaseMapping(PatientRules, ConditionRules, FindingRules, ObservationRules, MedicationRules):
    """One mapping run: the rules of every resource kind over one Bundle."""

    def run(self, bundle: dict[str, Any]) -> CaseSubmission:
        entries, shell = read_bundle(bundle, self.issues)
        self.entries = entries
        bundle_id = bundle.get("id") if isinstance(bundle, dict) else None
        self.bundle_id = bundle_id if isinstance(bundle_id, str) else None
        case: dict[str, Any] = {"schema_version": 1}
        self.case = case
        patient_identifier = self.patient(entries, case)
        if patient_identifier is not None:
            case["external_id"] = self.external_id(shell, patient_identifier)
        lesions = self.conditions(entries, case)
        self.findings(entries, lesions)
        case["lesions"] = [lesion.case for lesion in lesions]
        self.observations(entries, case)
        self.medications(entries, case)
        if self.issues:
            raise FhirMappingError(self.issues)
        try:
            return CaseSubmission.model_validate(case)
        except ValidationError as error:
            raise FhirMappingError(self.case_issues(error)) from None
