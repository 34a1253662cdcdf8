"""Lesion findings no standard code carries (the product CodeSystem, findings.py) -> lesion fields."""

from typing import Any

from services.intake.fhir import terminology as term
from services.intake.fhir.bundle import BundleEntries, Entry, parse
from services.intake.fhir.conditions import Lesion
from services.intake.fhir.findings import FINDING_BY_CODE, FINDING_SYSTEM, PANEL_CODE, Finding, ValueKind
from services.intake.fhir.issues import FhirIssue
from services.intake.fhir.readers import (
    IGNORED_OBSERVATION,
    Reading,
    as_number,
    codes_in,
    codings_of,
    latest_reading,
    observation_time,
    raw_codings,
)
from services.intake.fhir.run import MappingRun
from shared.contracts.codes import LesionSite, SpineLevel


class FindingRules(MappingRun):
    """Lesion findings of the product CodeSystem, by Observation.focus or panel."""

    def findings(self, entries: BundleEntries, lesions: list[Lesion]) -> None:
        observations: list[tuple[Entry, Any]] = []
        for entry in entries.of_type("Observation"):
            if any(system == FINDING_SYSTEM for system, _ in raw_codings(entry.raw.get("code"))):
                model = parse(entry, self.issues)
                if model is not None and model.status not in IGNORED_OBSERVATION:
                    observations.append((entry, model))
        by_condition = {id(lesion.entry): n for n, lesion in enumerate(lesions)}
        member_of: dict[int, int | None] = {}  # id(member entry) -> lesion number of its panel
        readings: dict[tuple[int, str], list[Reading]] = {}
        for entry, model in observations:
            if PANEL_CODE in codes_in(model.code, FINDING_SYSTEM):
                lesion = self._finding_target(entry, model, lesions, by_condition, None)
                for member in model.hasMember or []:
                    target = entries.resolve(member.reference)
                    if target is not None:
                        member_of[id(target)] = lesion
                if lesion is None:
                    continue
                for j, component in enumerate(model.component or []):
                    for code in codes_in(component.code, FINDING_SYSTEM):
                        self._finding_reading(
                            entry, model, component, f"component[{j}].", code, lesion, readings
                        )
        for entry, model in observations:
            codes = [code for code in codes_in(model.code, FINDING_SYSTEM) if code != PANEL_CODE]
            if not codes:
                continue
            lesion = self._finding_target(entry, model, lesions, by_condition, member_of.get(id(entry)))
            if lesion is not None:
                self._finding_reading(entry, model, model, "", codes[0], lesion, readings)
        for (number, field), candidates in readings.items():
            latest = latest_reading(candidates)
            if latest is None:
                continue
            if latest.problem is not None:
                self.issues.append(latest.problem)
                continue
            lesions[number].case[field] = latest.value
            self.note(f"lesions[{number}].{field}", latest.where, latest.entry)
            if field == "spine_level" and lesions[number].case["site"] == LesionSite.other.value:
                lesions[number].case["site"] = LesionSite.spine.value  # the finding names the vertebra

    def _finding_target(
        self,
        entry: Entry,
        model: Any,
        lesions: list[Lesion],
        by_condition: dict[int, int],
        panel_lesion: int | None,
    ) -> int | None:
        focus = model.focus or []
        for i, reference in enumerate(focus):
            target = self.entries.resolve(reference.reference)
            if target is not None and id(target) in by_condition:
                return by_condition[id(target)]
            if i == len(focus) - 1:
                self.issue(
                    "invalid",
                    f"{entry.label}: focus does not reference a bone-metastasis Condition of this bundle",
                    entry.at("focus"),
                )
                return None
        if panel_lesion is not None:
            return panel_lesion
        if len(lesions) == 1:
            return 0
        if lesions:
            self.issue(
                "required",
                f"{entry.label}: a lesion finding needs Observation.focus referencing its bone-metastasis "
                "Condition when the bundle has more than one",
                entry.at("focus"),
            )
        return None

    def _finding_reading(
        self,
        entry: Entry,
        observation: Any,
        holder: Any,
        prefix: str,
        code: str,
        lesion: int,
        readings: dict[tuple[int, str], list[Reading]],
    ) -> None:
        finding = FINDING_BY_CODE.get(code)
        when = observation_time(observation)
        if finding is None:
            unknown = FhirIssue(
                "code-invalid",
                f"{entry.label}: {code!r} is not a finding of {FINDING_SYSTEM}",
                [entry.at(f"{prefix}code")],
            )
            readings.setdefault((lesion, f"?{code}"), []).append(
                Reading(when, entry.index, "", problem=unknown)
            )
            return
        value, element, problem_text = _finding_value(finding, holder)
        where = entry.at(prefix + element)
        problem = FhirIssue("invalid", f"{entry.label}: {problem_text}", [where]) if problem_text else None
        readings.setdefault((lesion, finding.field), []).append(
            Reading(when, entry.index, where, value, problem, entry)
        )


def _finding_value(finding: Finding, holder: Any) -> tuple[Any, str, str | None]:
    """(value, element, problem) of a finding held by an Observation or one of its components."""
    field = finding.field
    if finding.kind == ValueKind.boolean:
        if holder.valueBoolean is None:
            return None, "valueBoolean", f"{field} expects valueBoolean"
        return bool(holder.valueBoolean), "valueBoolean", None
    if finding.kind == ValueKind.integer:
        if holder.valueInteger is None:
            return None, "valueInteger", f"{field} expects valueInteger"
        return int(holder.valueInteger), "valueInteger", None
    if finding.kind == ValueKind.quantity_mm:
        quantity = holder.valueQuantity
        number = as_number(quantity.value) if quantity is not None else None
        if quantity is None or number is None:
            return None, "valueQuantity", f"{field} expects valueQuantity in mm"
        unit = (quantity.code or quantity.unit or "").strip().lower()
        if unit not in {"mm", "cm"}:
            return (
                None,
                "valueQuantity",
                f"{field} expects a valueQuantity in mm or cm, got unit {unit or 'none'!r}",
            )
        return (number * 10 if unit == "cm" else number), "valueQuantity", None
    concept = holder.valueCodeableConcept
    for system, code in codings_of(concept):
        if system in (None, FINDING_SYSTEM) and code in finding.answers:
            return code, "valueCodeableConcept", None
        if field == "spine_level" and system == term.SNOMED and code in term.SNOMED_VERTEBRAE:
            return SpineLevel(term.SNOMED_VERTEBRAE[code]).value, "valueCodeableConcept", None
    allowed = ", ".join(finding.answers)
    return (
        None,
        "valueCodeableConcept",
        f"{field} expects a valueCodeableConcept of {FINDING_SYSTEM}: {allowed}",
    )
