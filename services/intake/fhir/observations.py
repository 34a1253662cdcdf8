"""Observations by LOINC -> pain score, ECOG, labs (units converted), pregnancy status; the latest wins."""

from datetime import datetime
from typing import Any, Final

from services.intake.fhir import terminology as term
from services.intake.fhir.bundle import BundleEntries, Entry, parse
from services.intake.fhir.issues import FhirIssue
from services.intake.fhir.readers import (
    IGNORED_OBSERVATION,
    Reading,
    as_number,
    codes_in,
    latest_reading,
    observation_time,
    raw_codings,
)
from services.intake.fhir.run import MappingRun
from services.intake.fhir.units import accepted_units, convert

# LOINC code -> the case field it fills (labs by contract field name).
_LAB_FIELDS: Final[dict[str, str]] = {
    **{code: "platelets_10e9_l" for code in term.LOINC_PLATELETS},
    **{code: "neutrophils_10e9_l" for code in term.LOINC_NEUTROPHILS},
    **{code: "haemoglobin_g_dl" for code in term.LOINC_HAEMOGLOBIN},
    **{code: "corrected_calcium_mmol_l" for code in term.LOINC_CORRECTED_CALCIUM},
    **{code: "creatinine_clearance_ml_min" for code in term.LOINC_CREATININE_CLEARANCE},
}
_RELEVANT_LOINC: Final = (
    term.LOINC_PAIN_SEVERITY | term.LOINC_ECOG | term.LOINC_PREGNANCY | frozenset(_LAB_FIELDS)
)


class ObservationRules(MappingRun):
    """Observations by LOINC."""

    def observations(self, entries: BundleEntries, case: dict[str, Any]) -> None:
        readings: dict[str, list[Reading]] = {}
        for entry in entries.of_type("Observation"):
            codes = {
                code
                for system, code in raw_codings(entry.raw.get("code"))
                if system == term.LOINC and code in _RELEVANT_LOINC
            }
            if not codes:
                continue
            model = parse(entry, self.issues)
            if model is None or model.status in IGNORED_OBSERVATION:
                continue
            when = observation_time(model)
            for code in sorted(codes):
                field, reading = self._loinc_reading(entry, model, code, when)
                if field is not None and reading is not None:
                    readings.setdefault(field, []).append(reading)
        for path, candidates in readings.items():
            latest = latest_reading(candidates)
            if latest is None:
                continue
            if latest.problem is not None:
                self.issues.append(latest.problem)
                continue
            section, name = path.split(".")
            holder = case.setdefault("patient", {}) if section == "patient" else case.setdefault(section, {})
            holder[name] = latest.value
            self.note(path, latest.where, latest.entry)

    def _loinc_reading(
        self, entry: Entry, model: Any, code: str, when: datetime | None
    ) -> tuple[str | None, Reading | None]:
        def reading(path: str, value: Any, element: str, problem: str | None = None) -> tuple[str, Reading]:
            where = entry.at(element)
            issue = FhirIssue("invalid", f"{entry.label}: {problem}", [where]) if problem else None
            return path, Reading(when, entry.index, where, value, issue, entry)

        if code in term.LOINC_ECOG:
            value, element = _integer_or_answer(model, term.ECOG_ANSWERS)
            if element is None:
                return None, None
            if value is None or not 0 <= value <= 4:
                shown = model.valueInteger if model.valueInteger is not None else "an unknown answer"
                return reading(
                    "status.ecog", None, element, f"ECOG performance status must be 0-4, got {shown}"
                )
            return reading("status.ecog", value, element)
        if code in term.LOINC_PAIN_SEVERITY:
            value, element = _integer_or_answer(model, {})
            if element is None:
                return None, None
            if value is None:
                return reading("pain.score", None, element, "pain severity must be a whole number 0-10")
            return reading("pain.score", value, element)
        if code in term.LOINC_PREGNANCY:
            if model.valueBoolean is not None:
                return reading("patient.pregnant", model.valueBoolean, "valueBoolean")
            answers = codes_in(model.valueCodeableConcept, term.LOINC)
            for answer in answers:
                if answer in term.PREGNANCY_ANSWERS:
                    return reading("patient.pregnant", term.PREGNANCY_ANSWERS[answer], "valueCodeableConcept")
            if model.valueCodeableConcept is not None:
                return reading(
                    "patient.pregnant",
                    None,
                    "valueCodeableConcept",
                    "pregnancy status answer is not LA15173-0, LA26683-5 or LA4489-6",
                )
            return None, None
        field = _LAB_FIELDS[code]
        quantity = model.valueQuantity
        if quantity is None or quantity.value is None or quantity.comparator:
            return None, None  # no value, or not an exact one (e.g. '>90'): unknown
        unit = quantity.code or quantity.unit
        converted = convert(field, float(quantity.value), unit)
        if converted is None:
            accepted = ", ".join(accepted_units(field))
            return reading(
                f"labs.{field}",
                None,
                "valueQuantity",
                f"unit {unit!r} is not understood for {field} (LOINC {code}); use one of: {accepted}",
            )
        return reading(f"labs.{field}", converted, "valueQuantity")


def _integer_or_answer(model: Any, answers: dict[str, int]) -> tuple[int | None, str | None]:
    """(value, element) of an integer-valued Observation: valueInteger, a whole valueQuantity or an answer code."""
    if model.valueInteger is not None:
        return int(model.valueInteger), "valueInteger"
    if model.valueQuantity is not None and model.valueQuantity.value is not None:
        number = as_number(model.valueQuantity.value)
        if number is not None and number.is_integer():
            return int(number), "valueQuantity"
        return None, "valueQuantity"
    if model.valueCodeableConcept is not None:
        for code in codes_in(model.valueCodeableConcept, term.LOINC):
            if code in answers:
                return answers[code], "valueCodeableConcept"
        return None, "valueCodeableConcept"
    return None, None
