"""FHIR R4 Bundle -> case submission, for intake's ``POST /v1/fhir/Bundle`` (mapping: docs/fhir-mapping.md).

Pure: the HTTP layer calls ``map_bundle`` and answers 422 with ``operation_outcome(error.issues)`` when it
raises ``FhirMappingError``.
"""

from services.intake.fhir.findings import FINDING_SYSTEM, codesystem
from services.intake.fhir.issues import (
    FhirIssue,
    FhirJsonError,
    FhirMappingError,
    decode_bundle_json,
    operation_outcome,
)
from services.intake.fhir.mapping import (
    derived_external_id,
    map_bundle,
    map_bundle_with_sources,
    map_posted_bundle,
    pseudonym,
)
from services.intake.fhir.provenance import FieldSource, sources_json

__all__ = [
    "FINDING_SYSTEM",
    "FhirIssue",
    "FhirJsonError",
    "FhirMappingError",
    "FieldSource",
    "codesystem",
    "decode_bundle_json",
    "derived_external_id",
    "map_bundle",
    "map_bundle_with_sources",
    "map_posted_bundle",
    "operation_outcome",
    "pseudonym",
    "sources_json",
]
