"""FHIR R4 Bundle -> CaseSubmission (contracts.md section 2). Pure: no I/O, no clock (``today`` is given).

The rules are written down in docs/fhir-mapping.md. In short: every fact that the Bundle does not state stays
null; a stated fact that cannot be taken as it is (an ECOG of -1, an unknown unit, a myeloma) is an issue that
names the element, and all issues are reported together as one FhirMappingError.
"""

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Final

from pydantic import ValidationError

from services.intake.fhir import terminology as term
from services.intake.fhir.bundle import BundleEntries, Entry, parse, read_bundle
from services.intake.fhir.findings import FINDING_BY_CODE, FINDING_SYSTEM, PANEL_CODE, Finding, ValueKind
from services.intake.fhir.issues import FhirIssue, FhirMappingError, IssueCode
from services.intake.fhir.provenance import FieldSource
from services.intake.fhir.units import accepted_units, convert
from shared.contracts.case import CaseSubmission, field_path
from shared.contracts.codes import Analgesic, LesionSite, Sex, SpineLevel, TumourSite

PSEUDONYM_HEX_CHARS: Final = 32
EXTERNAL_ID_PREFIX: Final = "fhir-"
MAX_LESION_ID: Final = 32

_IGNORED_VERIFICATION: Final = frozenset({"refuted", "entered-in-error"})
_INACTIVE_CLINICAL: Final = frozenset({"inactive", "resolved", "remission"})
_IGNORED_OBSERVATION: Final = frozenset({"entered-in-error", "cancelled", "registered"})
_IGNORED_MEDICATION: Final = frozenset({"entered-in-error", "not-taken", "not-done", "cancelled", "draft"})
_CURRENT_MEDICATION: Final = frozenset({"active", "in-progress", "intended"})
_ONGOING_MEDICATION: Final = frozenset({"active", "in-progress"})
_MEDICATION_TYPES: Final = ("MedicationStatement", "MedicationAdministration", "MedicationRequest")

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


def pseudonym(pseudonym_key: bytes, patient_identifier: str) -> str:
    """The first 32 hex characters of HMAC-SHA256(key, identifier): stable per patient, not reversible."""
    return hmac.new(pseudonym_key, patient_identifier.encode(), hashlib.sha256).hexdigest()[
        :PSEUDONYM_HEX_CHARS
    ]


def derived_external_id(pseudonym_key: bytes, patient_identifier: str) -> str:
    """'fhir-' + HMAC-SHA256(key, 'external-id|' + identifier): distinct from the pseudonym by construction."""
    message = f"external-id|{patient_identifier}".encode()
    return EXTERNAL_ID_PREFIX + hmac.new(pseudonym_key, message, hashlib.sha256).hexdigest()


def map_bundle(bundle: dict[str, Any], *, pseudonym_key: bytes, today: date) -> CaseSubmission:
    """Map a FHIR R4 Bundle (JSON) to a case submission, or raise FhirMappingError listing every issue."""
    return _CaseMapping(pseudonym_key, today).run(bundle)


def map_bundle_with_sources(
    bundle: dict[str, Any], *, pseudonym_key: bytes, today: date
) -> tuple[CaseSubmission, dict[str, FieldSource]]:
    """As map_bundle, with the resource each mapped case field came from (its path -> FieldSource)."""
    mapping = _CaseMapping(pseudonym_key, today)
    return mapping.run(bundle), mapping.sources()


# --- small readers over R4B models -------------------------------------------------------------------------


def _codings(concept: Any) -> list[tuple[str | None, str]]:
    """(system, code) of a CodeableConcept model; codings without a code are left out."""
    if concept is None:
        return []
    return [(coding.system, coding.code) for coding in (concept.coding or []) if coding.code]


def _codes_in(concept: Any, systems: Iterable[str] | str) -> list[str]:
    wanted = {systems} if isinstance(systems, str) else set(systems)
    return [code for system, code in _codings(concept) if system in wanted]


def _raw_codings(concept: Any) -> list[tuple[str | None, str]]:
    """(system, code) of a raw CodeableConcept, tolerant of junk: used to decide whether to parse at all."""
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    found = []
    for coding in concept["coding"]:
        if isinstance(coding, dict) and isinstance(coding.get("code"), str):
            system = coding.get("system")
            found.append((system if isinstance(system, str) else None, coding["code"]))
    return found


def _raw_profiles(raw: dict[str, Any]) -> list[Any]:
    meta = raw.get("meta")
    profiles = meta.get("profile") if isinstance(meta, dict) else None
    return profiles if isinstance(profiles, list) else []


def _status_codes(concept: Any) -> set[str]:
    return {code for _, code in _codings(concept)}


def _instant(value: Any) -> datetime | None:
    """A FHIR date, dateTime or instant (parsed or partial 'YYYY' / 'YYYY-MM') -> an aware UTC datetime."""
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        parts = value.split("-")
        try:
            year = int(parts[0])
            month = int(parts[1]) if len(parts) > 1 else 1
            return datetime(year, month, 1, tzinfo=UTC)
        except (ValueError, IndexError):
            return None
    return None


def _period_instant(period: Any) -> datetime | None:
    if period is None:
        return None
    return _instant(period.end) or _instant(period.start)


def _observation_time(observation: Any) -> datetime | None:
    return (
        _instant(observation.effectiveDateTime)
        or _instant(observation.effectiveInstant)
        or _period_instant(observation.effectivePeriod)
        or _instant(observation.issued)
    )


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float | Decimal):
        return float(value)
    return None


@dataclass(frozen=True)
class _Reading:
    """One candidate value for a case field: the latest (then the later entry) wins."""

    when: datetime | None
    index: int
    where: str
    value: Any = None
    problem: FhirIssue | None = None
    entry: Entry | None = None

    @property
    def rank(self) -> tuple[datetime, int]:
        return (self.when or datetime.min.replace(tzinfo=UTC), self.index)


def _latest(readings: list[_Reading]) -> _Reading | None:
    return max(readings, key=lambda reading: reading.rank) if readings else None


@dataclass
class _Lesion:
    entry: Entry
    case: dict[str, Any]


@dataclass(frozen=True)
class _Primary:
    entry: Entry
    site: TumourSite
    where: str
    profiled: bool


class _CaseMapping:
    """One mapping run: collects the case, the provenance of each case field, and the issues."""

    def __init__(self, pseudonym_key: bytes, today: date) -> None:
        self.key = pseudonym_key
        self.today = today
        self.issues: list[FhirIssue] = []
        self.provenance: dict[str, list[str]] = {}
        self.origin: dict[str, Entry] = {}  # case path -> the resource it came from
        self.bundle_id: str | None = None
        self.case: dict[str, Any] = {}
        self.entries = BundleEntries([])

    # -- bookkeeping ------------------------------------------------------------------------------------------

    def note(self, case_path: str, where: str | list[str], entry: Entry | None = None) -> None:
        self.provenance[case_path] = [where] if isinstance(where, str) else where
        if entry is not None:
            self.origin[case_path] = entry

    def sources(self) -> dict[str, FieldSource]:
        """Every mapped case path whose value came from one resource -> that resource and its elements."""
        found = {
            path: FieldSource(entry.resource_type, entry.id, self.provenance[path])
            for path, entry in self.origin.items()
            if _holds(self.case, path)
        }
        if "external_id" in self.provenance and "external_id" not in self.origin:
            found["external_id"] = FieldSource("Bundle", self.bundle_id, self.provenance["external_id"])
        return dict(sorted(found.items()))

    def issue(self, code: IssueCode, diagnostics: str, *where: str) -> None:
        self.issues.append(FhirIssue(code, diagnostics, list(where)))

    # -- the run ----------------------------------------------------------------------------------------------

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

    def case_issues(self, error: ValidationError) -> list[FhirIssue]:
        issues = []
        for detail in error.errors():
            path = field_path(tuple(detail["loc"]))
            message = str(detail["msg"]).removeprefix("Value error, ")
            where, label = self.source_of(path)
            source = f" (from {label})" if label else ""
            code: IssueCode = "required" if detail["type"] == "missing" else "invalid"
            issues.append(FhirIssue(code, f"{path}: {message}{source}", where or [path]))
        return issues

    def source_of(self, path: str) -> tuple[list[str], str | None]:
        """The FHIR locations a case field came from: its own, else its nearest mapped parent's."""
        while path:
            if path in self.provenance:
                entry = self.origin.get(path)
                return self.provenance[path], entry.label if entry is not None else None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return [], None

    # -- patient and external id ------------------------------------------------------------------------------

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
        born = _instant(model.birthDate)
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

    # -- conditions: primary cancer, bone metastases, visceral metastases -------------------------------------

    @staticmethod
    def _relevant_condition(raw: dict[str, Any]) -> bool:
        profiles = _raw_profiles(raw)
        if term.MCODE_PRIMARY_PROFILE in profiles or term.MCODE_SECONDARY_PROFILE in profiles:
            return True
        for system, code in _raw_codings(raw.get("code")):
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

    def conditions(self, entries: BundleEntries, case: dict[str, Any]) -> list[_Lesion]:
        primaries: list[_Primary] = []
        bone: list[tuple[Entry, Any]] = []
        castration: list[tuple[Entry, bool]] = []
        for entry in entries.of_type("Condition"):
            if not self._relevant_condition(entry.raw):
                continue
            model = parse(entry, self.issues)
            if model is None or _status_codes(model.verificationStatus) & _IGNORED_VERIFICATION:
                continue
            inactive = bool(_status_codes(model.clinicalStatus) & _INACTIVE_CLINICAL)
            profiles = list(model.meta.profile or []) if model.meta else []
            icd = [term.normalise_icd10(c) for c in _codes_in(model.code, term.ICD10_SYSTEMS)]
            sct = _codes_in(model.code, term.SNOMED)
            body_sites = [
                (i, code)
                for i, site in enumerate(model.bodySite or [])
                for code in _codes_in(site, term.SNOMED)
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

    def _lesions(self, bone: list[tuple[Entry, Any]]) -> list[_Lesion]:
        lesions: list[_Lesion] = []
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
                        for code in _codes_in(body_site, term.SNOMED)
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
            lesions.append(_Lesion(entry, lesion_case))
        return lesions

    # -- lesion findings (the product CodeSystem) -------------------------------------------------------------

    def findings(self, entries: BundleEntries, lesions: list[_Lesion]) -> None:
        observations: list[tuple[Entry, Any]] = []
        for entry in entries.of_type("Observation"):
            if any(system == FINDING_SYSTEM for system, _ in _raw_codings(entry.raw.get("code"))):
                model = parse(entry, self.issues)
                if model is not None and model.status not in _IGNORED_OBSERVATION:
                    observations.append((entry, model))
        by_condition = {id(lesion.entry): n for n, lesion in enumerate(lesions)}
        member_of: dict[int, int | None] = {}  # id(member entry) -> lesion number of its panel
        readings: dict[tuple[int, str], list[_Reading]] = {}
        for entry, model in observations:
            if PANEL_CODE in _codes_in(model.code, FINDING_SYSTEM):
                lesion = self._finding_target(entry, model, lesions, by_condition, None)
                for member in model.hasMember or []:
                    target = entries.resolve(member.reference)
                    if target is not None:
                        member_of[id(target)] = lesion
                if lesion is None:
                    continue
                for j, component in enumerate(model.component or []):
                    for code in _codes_in(component.code, FINDING_SYSTEM):
                        self._finding_reading(
                            entry, model, component, f"component[{j}].", code, lesion, readings
                        )
        for entry, model in observations:
            codes = [code for code in _codes_in(model.code, FINDING_SYSTEM) if code != PANEL_CODE]
            if not codes:
                continue
            lesion = self._finding_target(entry, model, lesions, by_condition, member_of.get(id(entry)))
            if lesion is not None:
                self._finding_reading(entry, model, model, "", codes[0], lesion, readings)
        for (number, field), candidates in readings.items():
            latest = _latest(candidates)
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
        lesions: list[_Lesion],
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
        readings: dict[tuple[int, str], list[_Reading]],
    ) -> None:
        finding = FINDING_BY_CODE.get(code)
        when = _observation_time(observation)
        if finding is None:
            unknown = FhirIssue(
                "code-invalid",
                f"{entry.label}: {code!r} is not a finding of {FINDING_SYSTEM}",
                [entry.at(f"{prefix}code")],
            )
            readings.setdefault((lesion, f"?{code}"), []).append(
                _Reading(when, entry.index, "", problem=unknown)
            )
            return
        value, element, problem_text = _finding_value(finding, holder)
        where = entry.at(prefix + element)
        problem = FhirIssue("invalid", f"{entry.label}: {problem_text}", [where]) if problem_text else None
        readings.setdefault((lesion, finding.field), []).append(
            _Reading(when, entry.index, where, value, problem, entry)
        )

    # -- observations by LOINC --------------------------------------------------------------------------------

    def observations(self, entries: BundleEntries, case: dict[str, Any]) -> None:
        readings: dict[str, list[_Reading]] = {}
        for entry in entries.of_type("Observation"):
            codes = {
                code
                for system, code in _raw_codings(entry.raw.get("code"))
                if system == term.LOINC and code in _RELEVANT_LOINC
            }
            if not codes:
                continue
            model = parse(entry, self.issues)
            if model is None or model.status in _IGNORED_OBSERVATION:
                continue
            when = _observation_time(model)
            for code in sorted(codes):
                field, reading = self._loinc_reading(entry, model, code, when)
                if field is not None and reading is not None:
                    readings.setdefault(field, []).append(reading)
        for path, candidates in readings.items():
            latest = _latest(candidates)
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
    ) -> tuple[str | None, _Reading | None]:
        def reading(path: str, value: Any, element: str, problem: str | None = None) -> tuple[str, _Reading]:
            where = entry.at(element)
            issue = FhirIssue("invalid", f"{entry.label}: {problem}", [where]) if problem else None
            return path, _Reading(when, entry.index, where, value, issue, entry)

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
            answers = _codes_in(model.valueCodeableConcept, term.LOINC)
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

    # -- medications ------------------------------------------------------------------------------------------

    def medications(self, entries: BundleEntries, case: dict[str, Any]) -> None:
        chemo: list[_Reading] = []
        bisphosphonate: list[_Reading] = []
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
                target.append(_Reading(when, entry.index, entry.at(element), entry))
        history: dict[str, Any] = case.setdefault("history", {})
        for name, readings in (
            ("last_chemotherapy_date", chemo),
            ("last_bisphosphonate_date", bisphosphonate),
        ):
            latest = _latest(readings)
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
        for system, code in _raw_codings(concept):
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
            found: tuple[datetime | None, str] = (_instant(model.authoredOn), "authoredOn")
            period_end = None
        else:
            period = model.effectivePeriod
            period_end = _instant(period.end) if period is not None else None
            if model.effectiveDateTime is not None:
                found = (_instant(model.effectiveDateTime), "effectiveDateTime")
            elif period is not None:
                found = (period_end or _instant(period.start), "effectivePeriod")
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


def _holds(case: dict[str, Any], path: str) -> bool:
    """Whether the case has a non-null value at a path such as 'lesions[0].site'."""
    value: Any = case
    for part in path.replace("[", ".[").split("."):
        if part.startswith("["):
            index = int(part[1:-1])
            if not isinstance(value, list) or index >= len(value):
                return False
            value = value[index]
        elif isinstance(value, dict) and value.get(part) is not None:
            value = value[part]
        else:
            return False
    return True


def _unique_id(raw_id: str, used: set[str]) -> str:
    candidate = raw_id[:MAX_LESION_ID]
    n = 2
    while candidate in used:
        suffix = f"-{n}"
        candidate = raw_id[: MAX_LESION_ID - len(suffix)] + suffix
        n += 1
    used.add(candidate)
    return candidate


def _integer_or_answer(model: Any, answers: dict[str, int]) -> tuple[int | None, str | None]:
    """(value, element) of an integer-valued Observation: valueInteger, a whole valueQuantity or an answer code."""
    if model.valueInteger is not None:
        return int(model.valueInteger), "valueInteger"
    if model.valueQuantity is not None and model.valueQuantity.value is not None:
        number = _number(model.valueQuantity.value)
        if number is not None and number.is_integer():
            return int(number), "valueQuantity"
        return None, "valueQuantity"
    if model.valueCodeableConcept is not None:
        for code in _codes_in(model.valueCodeableConcept, term.LOINC):
            if code in answers:
                return answers[code], "valueCodeableConcept"
        return None, "valueCodeableConcept"
    return None, None


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
        number = _number(quantity.value) if quantity is not None else None
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
    for system, code in _codings(concept):
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
