"""What intake sends back to the hospital as FHIR R4 (meetings.md §7), one module per resource, built and
checked with fhir.resources' R4B models (the resources used here are the same in R4; the tests run every one
through the HL7 validator against base R4). Pure: no I/O."""

from services.intake.fhir_out.bundle import case_bundle
from services.intake.fhir_out.codes import codesystems

__all__ = ["case_bundle", "codesystems"]
