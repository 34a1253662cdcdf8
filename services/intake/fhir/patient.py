"""Patient -> patient.sex, birth_year and the pseudonym (a keyed HMAC of its identifier, never stored);
the Bundle's identifier (or another HMAC) -> external_id."""

import hashlib
import hmac
from typing import Any, Final

from services.intake.fhir.bundle import BundleEntries, parse
from services.intake.fhir.readers import (
    as_instant,
)
from services.intake.fhir.run import MappingRun
from shared.contracts.codes import Sex

PSEUDONYM_HEX_CHARS: Final = 32
EXTERNAL_ID_PREFIX: Final = "fhir-"


def pseudonym(pseudonym_key: bytes, patient_identifier: str) -> str:
    """The first 32 hex characters of HMAC-SHA256(key, identifier): stable per patient, not reversible."""
    return hmac.new(pseudonym_key, patient_identifier.encode(), hashlib.sha256).hexdigest()[
        :PSEUDONYM_HEX_CHARS
    ]


def derived_external_id(pseudonym_key: bytes, patient_identifier: str) -> str:
    """'fhir-' + HMAC-SHA256(key, 'external-id|' + identifier): distinct from the pseudonym by construction."""
    message = f"external-id|{patient_identifier}".encode()
    return EXTERNAL_ID_PREFIX + hmac.new(pseudonym_key, message, hashlib.sha256).hexdigest()


class PatientRules(MappingRun):
    """Patient and external id."""

    def patient(self, entries: BundleEntries, case: dict[str, Any]) -> str | None:
        patients = list(entries.of_type("Patient"))
        if not patients:
            self.issue("required", "no Patient resource in the bundle", "Bundle.entry")
            return None
        if len(patients) > 1:
            self.issue(
                "invalid",
                f"the bundle holds {len(patients)} Patient resources; a case is about one patient",
                *(entry.location for entry in patients),
            )
            return None
        entry = patients[0]
        model = parse(entry, self.issues)
        if model is None:
            return None
        source: str | None = None
        source_at = ""
        for i, identifier in enumerate(model.identifier or []):
            if identifier.value:
                system = identifier.system
                source = f"{system}|{identifier.value}" if system else identifier.value
                source_at = entry.at(f"identifier[{i}]")
                break
        if source is None and model.id:
            source, source_at = model.id, entry.at("id")
        if source is None:
            self.issue(
                "required",
                "the Patient has neither an identifier with a value nor an id: no pseudonym can be derived",
                entry.at("identifier"),
            )
            return None
        sex = model.gender or Sex.unknown.value
        if sex not in {member.value for member in Sex}:
            self.issue(
                "invalid", f"Patient.gender {sex!r} is not a FHIR administrative gender", entry.at("gender")
            )
        patient: dict[str, Any] = {"pseudonym": pseudonym(self.key, source), "sex": sex, "birth_year": None}
        self.note("patient", entry.location, entry)
        self.note("patient.pseudonym", source_at, entry)
        self.note("patient.sex", entry.at("gender"), entry)
        born = as_instant(model.birthDate)
        if born is not None:
            if born.year > self.today.year:
                self.issue(
                    "invalid", f"Patient.birthDate year {born.year} is in the future", entry.at("birthDate")
                )
            patient["birth_year"] = born.year
            self.note("patient.birth_year", entry.at("birthDate"), entry)
        case["patient"] = patient
        return source

    def external_id(self, shell: Any, patient_identifier: str) -> str:
        identifier = getattr(shell, "identifier", None)
        if identifier is not None and identifier.value:
            value = f"{identifier.system}|{identifier.value}" if identifier.system else identifier.value
            self.note("external_id", "Bundle.identifier")
            if len(value) > 128:
                self.issue(
                    "invalid",
                    "Bundle.identifier (system|value) is longer than 128 characters",
                    "Bundle.identifier",
                )
            return str(value)
        self.note(
            "external_id",
            self.provenance.get("patient.pseudonym", ["Bundle.entry"]),
            self.origin.get("patient.pseudonym"),
        )
        return derived_external_id(self.key, patient_identifier)
