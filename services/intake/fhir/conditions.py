"""Conditions -> the primary cancer, one lesion per bone-metastasis Condition, visceral metastases."""

from dataclasses import dataclass
from typing import Any, Final

from services.intake.fhir import terminology as term
from services.intake.fhir.bundle import BundleEntries, Entry, parse
from services.intake.fhir.readers import (
    codes_in,
    raw_codings,
    raw_profiles,
    status_codes,
)
from services.intake.fhir.run import MappingRun
from shared.contracts.codes import LesionSite, TumourSite

MAX_LESION_ID: Final = 32

_IGNORED_VERIFICATION: Final = frozenset({"refuted", "entered-in-error"})
_INACTIVE_CLINICAL: Final = frozenset({"inactive", "resolved", "remission"})


@dataclass
class Lesion:
    entry: Entry
    case: dict[str, Any]


@dataclass(frozen=True)
class _Primary:
    entry: Entry
    site: TumourSite
    where: str
    profiled: bool


class ConditionRules(MappingRun):
    """Conditions: primary cancer, bone metastases (lesions), visceral metastases."""

    @staticmethod
    def _relevant_condition(raw: dict[str, Any]) -> bool:
        profiles = raw_profiles(raw)
        if term.MCODE_PRIMARY_PROFILE in profiles or term.MCODE_SECONDARY_PROFILE in profiles:
            return True
        for system, code in raw_codings(raw.get("code")):
            if system in term.ICD10_SYSTEMS and term.normalise_icd10(code).startswith(("C", "Z19")):
                return True
            if system == term.SNOMED and (
                code in term.SNOMED_TUMOUR_SITES
                or code in term.SNOMED_GENERIC_MALIGNANCY
                or code in term.SNOMED_HAEMATOLOGICAL
                or code in term.SNOMED_VISCERAL_SECONDARY
                or code in term.SNOMED_SECONDARY_GENERIC
                or code == term.SNOMED_BONE_METASTASIS
            ):
                return True
        return False

    def conditions(self, entries: BundleEntries, case: dict[str, Any]) -> list[Lesion]:
        primaries: list[_Primary] = []
        bone: list[tuple[Entry, Any]] = []
        castration: list[tuple[Entry, bool]] = []
        for entry in entries.of_type("Condition"):
            if not self._relevant_condition(entry.raw):
                continue
            model = parse(entry, self.issues)
            if model is None or status_codes(model.verificationStatus) & _IGNORED_VERIFICATION:
                continue
            inactive = bool(status_codes(model.clinicalStatus) & _INACTIVE_CLINICAL)
            profiles = list(model.meta.profile or []) if model.meta else []
            icd = [term.normalise_icd10(c) for c in codes_in(model.code, term.ICD10_SYSTEMS)]
            sct = codes_in(model.code, term.SNOMED)
            body_sites = [
                (i, code)
                for i, site in enumerate(model.bodySite or [])
                for code in codes_in(site, term.SNOMED)
            ]
            secondary = (
                term.MCODE_SECONDARY_PROFILE in profiles
                or any(term.icd10_is_secondary(c) for c in icd)
                or any(c in term.SNOMED_SECONDARY_GENERIC or c in term.SNOMED_VISCERAL_SECONDARY for c in sct)
                or term.SNOMED_BONE_METASTASIS in sct
            )
            haematological = [c for c in icd if term.icd10_is_haematological(c)] + [
                c for c in sct if c in term.SNOMED_HAEMATOLOGICAL
            ]
            if haematological and not inactive:
                name = term.SNOMED_HAEMATOLOGICAL.get(haematological[0], f"ICD-10 {haematological[0]}")
                self.issue(
                    "not-supported",
                    f"haematological cancers are out of scope: {entry.label} is {name}; this service covers "
                    "bone metastases from solid tumours",
                    entry.at("code"),
                )
                continue
            is_bone = (
                any(term.icd10_is_bone_metastasis(c) for c in icd)
                or term.SNOMED_BONE_METASTASIS in sct
                or (secondary and any(term.snomed_bone_site(code) for _, code in body_sites))
            )
            if is_bone:
                if not inactive:
                    bone.append((entry, model))
                continue
            if secondary:
                visceral = (
                    any(term.icd10_is_visceral_metastasis(c) for c in icd)
                    or any(c in term.SNOMED_VISCERAL_SECONDARY for c in sct)
                    or any(code in term.SNOMED_VISCERAL_BODY_SITES for _, code in body_sites)
                )
                if visceral and not inactive:
                    case["visceral_metastases"] = True
                    self.note("visceral_metastases", entry.at("code"), entry)
                continue
            for code in icd:
                if code[:4] in term.ICD10_CASTRATION_STATUS:
                    castration.append((entry, term.ICD10_CASTRATION_STATUS[code[:4]]))
            primary = self._primary(entry, icd, sct, body_sites, term.MCODE_PRIMARY_PROFILE in profiles)
            if primary is not None:
                primaries.append(primary)
        self._choose_primary(primaries, bone, castration, case)
        if not bone:
            self.issue(
                "required",
                "no bone-metastasis Condition (SNOMED CT 94222008, ICD-10 C79.5, or mCODE "
                "SecondaryCancerCondition with a bone bodySite) in the bundle",
                "Bundle.entry",
            )
        return self._lesions(bone)

    @staticmethod
    def _primary(
        entry: Entry, icd: list[str], sct: list[str], body_sites: list[tuple[int, str]], profiled: bool
    ) -> _Primary | None:
        for code in icd:
            site = term.icd10_primary_site(code)
            if site is not None:
                return _Primary(entry, site, entry.at("code"), profiled)
        for code in sct:
            if code in term.SNOMED_TUMOUR_SITES:
                return _Primary(entry, term.SNOMED_TUMOUR_SITES[code], entry.at("code"), profiled)
        generic = any(code in term.SNOMED_GENERIC_MALIGNANCY for code in sct)
        if not (generic or profiled):
            return None
        for i, code in body_sites:
            if code in term.SNOMED_PRIMARY_BODY_SITES:
                return _Primary(
                    entry, term.SNOMED_PRIMARY_BODY_SITES[code], entry.at(f"bodySite[{i}]"), profiled
                )
        return _Primary(entry, TumourSite.other, entry.at("code"), profiled)

    def _choose_primary(
        self,
        primaries: list[_Primary],
        bone: list[tuple[Entry, Any]],
        castration: list[tuple[Entry, bool]],
        case: dict[str, Any],
    ) -> None:
        if not primaries:
            self.issue(
                "required",
                "no primary cancer Condition (mCODE PrimaryCancerCondition, ICD-10 C00-C76 or C80, or a SNOMED CT "
                "malignant neoplasm listed in docs/fhir-mapping.md) in the bundle",
                "Bundle.entry",
            )
            return
        candidates = [p for p in primaries if p.profiled] or primaries
        if len({p.site for p in candidates}) > 1:
            related = set()
            for _, model in bone:
                for extension in model.extension or []:
                    if extension.url == term.MCODE_RELATED_PRIMARY_EXTENSION and extension.valueReference:
                        related.add(extension.valueReference.reference)
            linked = [p for p in candidates if p.entry.reference_keys() & related]
            if len({p.site for p in linked}) == 1:
                candidates = linked
        sites = sorted({p.site.value for p in candidates})
        if len(sites) > 1:
            self.issue(
                "business-rule",
                f"the bundle holds primary cancers of different sites ({', '.join(sites)}); a case has one "
                "primary: send the one the bone metastases come from, or link it from the bone-metastasis "
                "Condition with the mCODE related-primary-cancer-condition extension",
                *(p.where for p in candidates),
            )
            return
        chosen = candidates[0]
        primary: dict[str, Any] = {"site": chosen.site.value, "castration_resistant": None}
        self.note("primary_tumour", chosen.entry.location, chosen.entry)
        self.note("primary_tumour.site", chosen.where, chosen.entry)
        if chosen.site == TumourSite.prostate and castration:
            entry, resistant = castration[-1]
            primary["castration_resistant"] = resistant
            self.note("primary_tumour.castration_resistant", entry.at("code"), entry)
        case["primary_tumour"] = primary

    def _lesions(self, bone: list[tuple[Entry, Any]]) -> list[Lesion]:
        lesions: list[Lesion] = []
        used: set[str] = set()
        for entry, model in bone:
            number = len(lesions)
            lesion_id = _unique_id(model.id or f"lesion-{number + 1}", used)
            site, level, where = (
                LesionSite.other,
                None,
                entry.at("bodySite") if model.bodySite else entry.at("code"),
            )
            for i, body_site in enumerate(model.bodySite or []):
                found = next(
                    (
                        term.snomed_bone_site(code)
                        for code in codes_in(body_site, term.SNOMED)
                        if term.snomed_bone_site(code)
                    ),
                    None,
                )
                if found is not None:
                    (site, level), where = found, entry.at(f"bodySite[{i}]")
                    break
            path = f"lesions[{number}]"
            self.note(path, entry.location, entry)
            self.note(f"{path}.id", entry.at("id"), entry)
            self.note(f"{path}.site", where, entry)
            self.note(f"{path}.spine_level", where, entry)
            lesion_case: dict[str, Any] = {"id": lesion_id, "site": site.value}
            if level is not None:
                lesion_case["spine_level"] = level.value
            lesions.append(Lesion(entry, lesion_case))
        return lesions


def _unique_id(raw_id: str, used: set[str]) -> str:
    candidate = raw_id[:MAX_LESION_ID]
    n = 2
    while candidate in used:
        suffix = f"-{n}"
        candidate = raw_id[: MAX_LESION_ID - len(suffix)] + suffix
        n += 1
    used.add(candidate)
    return candidate
