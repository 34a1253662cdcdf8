"""MedicationStatement, MedicationAdministration, MedicationRequest by ATC or RxNorm -> chemotherapy and
bisphosphonate dates, osteoclast inhibitor, current analgesics."""

from datetime import UTC, datetime
from typing import Any, Final

from services.intake.fhir import terminology as term
from services.intake.fhir.bundle import BundleEntries, Entry, parse
from services.intake.fhir.readers import (
    Reading,
    as_instant,
    latest_reading,
    raw_codings,
)
from services.intake.fhir.run import MappingRun
from shared.contracts.codes import Analgesic

_IGNORED_MEDICATION: Final = frozenset({"entered-in-error", "not-taken", "not-done", "cancelled", "draft"})
_CURRENT_MEDICATION: Final = frozenset({"active", "in-progress", "intended"})
_ONGOING_MEDICATION: Final = frozenset({"active", "in-progress"})
_MEDICATION_TYPES: Final = ("MedicationStatement", "MedicationAdministration", "MedicationRequest")


class MedicationRules(MappingRun):
    """Medications by ATC or RxNorm."""

    def medications(self, entries: BundleEntries, case: dict[str, Any]) -> None:
        chemo: list[Reading] = []
        bisphosphonate: list[Reading] = []
        osteoclast: list[Entry] = []
        analgesics: dict[Analgesic, Entry] = {}
        for resource_type in _MEDICATION_TYPES:
            for entry in entries.of_type(resource_type):
                medication = self._medication_class(entries, entry.raw)
                if medication is None:
                    continue
                model = parse(entry, self.issues)
                if model is None or model.status in _IGNORED_MEDICATION:
                    continue
                current = model.status in _CURRENT_MEDICATION
                if medication in term.OSTEOCLAST_INHIBITORS and current:
                    osteoclast.append(entry)
                if medication in term.ANALGESIC_OF and current:
                    analgesics.setdefault(term.ANALGESIC_OF[medication], entry)
                if medication not in (term.MedicationClass.chemotherapy, term.MedicationClass.bisphosphonate):
                    continue
                given = self._medication_date(entry, model)
                if given is None:
                    continue
                when, element = given
                target = chemo if medication == term.MedicationClass.chemotherapy else bisphosphonate
                target.append(Reading(when, entry.index, entry.at(element), entry))
        history: dict[str, Any] = case.setdefault("history", {})
        for name, readings in (
            ("last_chemotherapy_date", chemo),
            ("last_bisphosphonate_date", bisphosphonate),
        ):
            latest = latest_reading(readings)
            if latest is not None and latest.when is not None:
                history[name] = latest.when.date().isoformat()
                self.note(f"history.{name}", latest.where, latest.value)
        if osteoclast:
            history["on_osteoclast_inhibitor"] = True
            self.note("history.on_osteoclast_inhibitor", osteoclast[0].location, osteoclast[0])
        if analgesics:
            found = [analgesic.value for analgesic in Analgesic if analgesic in analgesics]
            case.setdefault("pain", {})["current_analgesics"] = found
            self.note("pain.current_analgesics", [entry.location for entry in analgesics.values()])
            for i, analgesic in enumerate(found):
                source = analgesics[Analgesic(analgesic)]
                self.note(f"pain.current_analgesics[{i}]", source.location, source)

    def _medication_class(self, entries: BundleEntries, raw: dict[str, Any]) -> term.MedicationClass | None:
        concept = raw.get("medicationCodeableConcept")
        reference = raw.get("medicationReference")
        if concept is None and isinstance(reference, dict) and isinstance(reference.get("reference"), str):
            target = entries.resolve(reference["reference"])
            if target is not None and target.resource_type == "Medication":
                concept = target.raw.get("code")
        for system, code in raw_codings(concept):
            if system in term.RXNORM_SYSTEMS and code in term.RXNORM_CLASSES:
                return term.RXNORM_CLASSES[code]
            if system in term.ATC_SYSTEMS:
                found = term.atc_class(code)
                if found is not None:
                    return found
        return None

    def _medication_date(self, entry: Entry, model: Any) -> tuple[datetime, str] | None:
        """When the medication was last given: an ongoing course counts as given today; intended is not yet."""
        if model.status == "intended":
            return None
        if entry.resource_type == "MedicationRequest":
            found: tuple[datetime | None, str] = (as_instant(model.authoredOn), "authoredOn")
            period_end = None
        else:
            period = model.effectivePeriod
            period_end = as_instant(period.end) if period is not None else None
            if model.effectiveDateTime is not None:
                found = (as_instant(model.effectiveDateTime), "effectiveDateTime")
            elif period is not None:
                found = (period_end or as_instant(period.start), "effectivePeriod")
            else:
                found = (None, "effective[x]")
        when, element = found
        if model.status in _ONGOING_MEDICATION and period_end is None:
            return datetime(self.today.year, self.today.month, self.today.day, tzinfo=UTC), "status"
        if when is None:
            return None
        if when.date() > self.today:
            self.issue("invalid", f"{entry.label}: {element} {when.date()} is after today", entry.at(element))
            return None
        return when, element
