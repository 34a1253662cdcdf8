"""Derived facts of clinical-rules.md §1, computed once per evaluation."""

from dataclasses import dataclass
from datetime import date, timedelta

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.scores import Score, SinsBand, mirels, sins, sins_band
from services.eligibility.domain.tri import FALSE, TRUE, Fact, any_of, check, from_field, known, unknown
from shared.contracts.case import CaseSubmission, DateOrNever, Lesion
from shared.contracts.codes import LONG_BONES, CordCompression, LesionSite, RenalFailure, Sex


@dataclass(frozen=True)
class LesionFacts:
    index: int
    lesion: Lesion
    sins: Score | None  # spine lesions only
    sins_band: SinsBand | None
    mirels: Score | None  # long-bone lesions only

    def path(self, field: str) -> str:
        return f"lesions[{self.index}].{field}"

    @property
    def is_spine(self) -> bool:
        return self.lesion.site == LesionSite.spine

    @property
    def is_long_bone(self) -> bool:
        return self.lesion.site in LONG_BONES

    @property
    def painful(self) -> Fact:
        return from_field(self.lesion.painful, self.path("painful"))

    @property
    def fracture(self) -> Fact:
        return from_field(self.lesion.pathological_fracture, self.path("pathological_fracture"))

    def sins_in(self, low: int, high: int) -> Fact:
        """SINS within [low, high]; FALSE for a lesion that is not in the spine."""
        if self.sins is None:
            return FALSE
        if self.sins.value is None:
            return Fact(None, self.sins.missing)
        return known(low <= self.sins.value <= high)

    def mirels_in(self, low: int, high: int) -> Fact:
        if self.mirels is None:
            return FALSE
        if self.mirels.value is None:
            return Fact(None, self.mirels.missing)
        return known(low <= self.mirels.value <= high)

    @property
    def escc_cord_compression(self) -> Fact:
        """Epidural compression grade 2 or 3 (spine only; FALSE elsewhere)."""
        if not self.is_spine:
            return FALSE
        return check(self.lesion.escc_grade, lambda g: g in t.ESCC_CORD_COMPRESSION, self.path("escc_grade"))


_LIFE_EXPECTANCY = "status.life_expectancy_months"


@dataclass(frozen=True)
class CaseFacts:
    case: CaseSubmission
    evaluation_date: date
    lesions: tuple[LesionFacts, ...]
    pain_band: str | None
    cord_compression: bool  # §1 as written: nulls count as "no"
    clinical_cord_compression: Fact  # from neurology.spinal_cord_compression alone, null stays unknown
    imaging_cord_compression: Fact  # any ESCC 2/3, null grades stay unknown
    mscc_emergency: bool
    neurology_unknown: bool
    myelosuppression: Fact
    pregnant: Fact
    breastfeeding: Fact
    # Not recorded, and taken as false only because of the patient's age (§1) [SCOR].
    pregnant_taken_false_by_age: bool
    breastfeeding_taken_false_by_age: bool
    renal_failure: Fact
    chemotherapy_within_window: Fact
    bisphosphonate_within_window: Fact
    chemotherapy_eligible_from: date | None
    widespread: bool
    radioresistant_primary: bool  # 2027.01 [SC24]
    oligometastatic: Fact  # 2027.01 [OMD]

    def taken_false_by_age(self, *, breastfeeding: bool = False) -> list[str]:
        """The reason codes for pregnancy (and, when asked, breastfeeding) taken as false by age alone."""
        codes = ["pregnant_not_recorded_by_age"] if self.pregnant_taken_false_by_age else []
        if breastfeeding and self.breastfeeding_taken_false_by_age:
            codes.append("breastfeeding_not_recorded_by_age")
        return codes

    # -- shorthands over all lesions --
    def any_sins_at_least(self, low: int) -> Fact:
        return any_of(lesion.sins_in(low, t.SINS_MAX) for lesion in self.lesions)

    def any_mirels_at_least(self, low: int) -> Fact:
        return any_of(lesion.mirels_in(low, t.MIRELS_MAX) for lesion in self.lesions)

    @property
    def any_fracture(self) -> Fact:
        return any_of(lesion.fracture for lesion in self.lesions)

    @property
    def any_painful(self) -> Fact:
        return any_of(lesion.painful for lesion in self.lesions)

    @property
    def cord_compression_fact(self) -> Fact:
        """Cord compression where an unknown must not count as "no" (contraindications, cautions)."""
        return any_of([self.clinical_cord_compression, self.imaging_cord_compression])

    @property
    def cord_compression_or_neurology_unknown(self) -> Fact:
        """Cord compression (§1) as an absolute contraindication whose required input is
        neurology.spinal_cord_compression: true when cord compression is true, unknown (naming that path)
        while it is null, false otherwise. A null ESCC grade counts as no compression, as §1 says."""
        if self.cord_compression:
            return TRUE
        return self.clinical_cord_compression

    @property
    def life_expectancy_at_least(self) -> Fact:
        """Life expectancy >= 3 months (osteoclast inhibitor)."""
        months = self.case.status.life_expectancy_months
        return check(months, lambda m: m >= t.LIFE_EXPECTANCY_MONTHS, _LIFE_EXPECTANCY)

    @property
    def life_expectancy_above(self) -> Fact:
        """Life expectancy > 3 months (radiopharmaceutical)."""
        months = self.case.status.life_expectancy_months
        return check(months, lambda m: m > t.LIFE_EXPECTANCY_MONTHS, _LIFE_EXPECTANCY)

    @property
    def life_expectancy_below(self) -> Fact:
        """Life expectancy < 3 months (surgery caution)."""
        months = self.case.status.life_expectancy_months
        return check(months, lambda m: m < t.LIFE_EXPECTANCY_MONTHS, _LIFE_EXPECTANCY)


def pain_band(score: int | None) -> str | None:
    if score is None:
        return None
    for low, high, band in t.PAIN_BANDS:
        if low <= score <= high:
            return band
    raise ValueError(f"pain score {score} is outside 0-10")


def within_window(last: DateOrNever | None, evaluation_date: date, days: int, path: str) -> Fact:
    """Given fewer than ``days`` days before the evaluation date (41 days ago: within; 42: not)."""
    if last is None:
        return unknown(path)
    if last == "never":
        return FALSE
    return known((evaluation_date - last).days < days)


def myelosuppression(case: CaseSubmission) -> Fact:
    labs = case.labs
    counts = [
        (labs.platelets_10e9_l, t.PLATELETS_MIN),
        (labs.neutrophils_10e9_l, t.NEUTROPHILS_MIN),
        (labs.haemoglobin_g_dl, t.HAEMOGLOBIN_MIN),
    ]
    if case.status.myelosuppression is True or any(v is not None and v < low for v, low in counts):
        return TRUE
    if case.status.myelosuppression is False or all(v is not None for v, _ in counts):
        return FALSE
    return unknown("status.myelosuppression")


def past_pregnancy_enquiry_age(case: CaseSubmission, evaluation_date: date) -> bool:
    """55 or older in the evaluation year (evaluation year - birth year) [SCOR]; false when the birth year is
    not known."""
    birth_year = case.patient.birth_year
    return birth_year is not None and evaluation_date.year - birth_year >= t.PREGNANCY_NOT_ASKED_FROM_AGE


def _pregnancy_fact(case: CaseSubmission, value: bool | None, path: str, past_enquiry_age: bool) -> Fact:
    """False for a man; a null is false past the pregnancy-enquiry age, for every other sex. A recorded value
    is kept at any age."""
    if case.patient.sex == Sex.male:
        return FALSE
    if value is None and past_enquiry_age:
        return FALSE
    return from_field(value, path)


def oligometastatic(case: CaseSubmission) -> Fact:
    """1-5 distant metastases at all sites at the latest staging [OMD]. Without a recorded count: false when
    more than 5 lesions are listed, otherwise unknown."""
    count = case.status.metastasis_count
    if count is not None:
        return known(count <= t.OLIGOMETASTATIC_MAX)
    if len(case.lesions) > t.OLIGOMETASTATIC_MAX:
        return FALSE
    return unknown("status.metastasis_count")


def derive_facts(case: CaseSubmission, evaluation_date: date) -> CaseFacts:
    lesions = tuple(
        LesionFacts(
            index=i,
            lesion=lesion,
            sins=(s := sins(lesion, i)),
            sins_band=sins_band(s.value) if s is not None else None,
            mirels=mirels(lesion, i),
        )
        for i, lesion in enumerate(case.lesions)
    )
    scc = case.neurology.spinal_cord_compression
    clinical = check(
        scc,
        lambda v: v in (CordCompression.suspected, CordCompression.confirmed),
        "neurology.spinal_cord_compression",
    )
    imaging = any_of(lesion.escc_cord_compression for lesion in lesions)
    cord_compression = clinical.true or imaging.true
    deficit = case.neurology.neurological_deficit
    history = case.history
    last_chemo = history.last_chemotherapy_date
    patient = case.patient
    past_enquiry_age = past_pregnancy_enquiry_age(case, evaluation_date)
    by_age = past_enquiry_age and patient.sex != Sex.male
    chemo = within_window(
        last_chemo, evaluation_date, t.CHEMOTHERAPY_WINDOW_DAYS, "history.last_chemotherapy_date"
    )
    return CaseFacts(
        case=case,
        evaluation_date=evaluation_date,
        lesions=lesions,
        pain_band=pain_band(case.pain.score),
        cord_compression=cord_compression,
        clinical_cord_compression=clinical,
        imaging_cord_compression=imaging,
        mscc_emergency=cord_compression and deficit is not False,
        neurology_unknown=cord_compression and deficit is None,
        myelosuppression=myelosuppression(case),
        pregnant=_pregnancy_fact(case, patient.pregnant, "patient.pregnant", past_enquiry_age),
        breastfeeding=_pregnancy_fact(case, patient.breastfeeding, "patient.breastfeeding", past_enquiry_age),
        pregnant_taken_false_by_age=by_age and patient.pregnant is None,
        breastfeeding_taken_false_by_age=by_age and patient.breastfeeding is None,
        renal_failure=check(
            case.status.renal_failure,
            lambda v: v in (RenalFailure.acute, RenalFailure.chronic),
            "status.renal_failure",
        ),
        chemotherapy_within_window=chemo,
        bisphosphonate_within_window=within_window(
            history.last_bisphosphonate_date,
            evaluation_date,
            t.BISPHOSPHONATE_WINDOW_DAYS,
            "history.last_bisphosphonate_date",
        ),
        chemotherapy_eligible_from=(
            last_chemo + timedelta(days=t.CHEMOTHERAPY_WINDOW_DAYS)
            if chemo.true and isinstance(last_chemo, date)
            else None
        ),
        widespread=len(case.lesions) > t.WIDESPREAD_MORE_THAN,
        radioresistant_primary=case.primary_tumour.site in t.RADIORESISTANT_SITES,
        oligometastatic=oligometastatic(case),
    )
