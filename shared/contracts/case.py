"""The case submission of contracts.md §2 (schema_version 1): the one definition of intake's input.

Cross-field rules are field validators that read fields declared before them (``info.data``), so that
pydantic reports every failing field with its own path rather than stopping at the first.
"""

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from shared.contracts.codes import (
    HAEMATOLOGICAL_SITES,
    LONG_BONES,
    Analgesic,
    CordCompression,
    CorticalInvolvement,
    DentalAssessment,
    EsccGrade,
    LesionSite,
    LesionType,
    PainPattern,
    PosteriorWall,
    PosterolateralInvolvement,
    RenalFailure,
    Sex,
    SpinalAlignment,
    SpineLevel,
    TumourSite,
    VertebralBodyCollapse,
)

MAX_LESIONS = 50


class ContractModel(BaseModel):
    """Unknown fields are rejected: a typo must not silently become "not known". Infinity and NaN (which
    Python's JSON parser accepts) are not numbers a clinic measures."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _no_control_characters(value: str) -> str:
    # Identifiers only: a control character is never meant, and PostgreSQL cannot store NUL in text/JSONB.
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in value):
        raise ValueError("must not contain control characters")
    return value


Identifier = Annotated[str, AfterValidator(_no_control_characters)]


def _today() -> date:
    return datetime.now(UTC).date()


class Patient(ContractModel):
    pseudonym: Identifier = Field(min_length=1, max_length=64)
    birth_year: int | None = Field(default=None, ge=1900)
    sex: Sex
    pregnant: bool | None = None
    breastfeeding: bool | None = None

    @field_validator("birth_year")
    @classmethod
    def _birth_year_not_in_future(cls, value: int | None) -> int | None:
        if value is not None and value > _today().year:
            raise ValueError("birth year is in the future")
        return value

    @field_validator("pregnant", "breastfeeding")
    @classmethod
    def _not_true_for_male(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        if value is True and info.data.get("sex") == Sex.male:
            raise ValueError(f"{info.field_name} cannot be true when sex is male")
        return value


class PrimaryTumour(ContractModel):
    site: TumourSite
    castration_resistant: bool | None = None

    @field_validator("site", mode="before")
    @classmethod
    def _reject_haematological(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lower() in HAEMATOLOGICAL_SITES:
            raise ValueError(
                "haematological cancers (myeloma, lymphoma) are out of scope: "
                "this service covers bone metastases from solid tumours"
            )
        return value

    @field_validator("castration_resistant")
    @classmethod
    def _prostate_only(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        site = info.data.get("site")
        if value is not None and site is not None and site != TumourSite.prostate:
            raise ValueError("castration_resistant applies to a prostate primary only")
        return value


_SPINE_ONLY = (
    "spinal_alignment",
    "vertebral_body_collapse",
    "posterolateral_involvement",
    "sins_score",
    "escc_grade",
    "posterior_wall",
)
_LONG_BONE_ONLY = ("cortical_involvement", "mirels_score")


class Lesion(ContractModel):
    id: Identifier = Field(min_length=1, max_length=32)
    site: LesionSite
    spine_level: SpineLevel | None = Field(default=None, validate_default=True)
    painful: bool | None = None
    pain_pattern: PainPattern | None = None
    pathological_fracture: bool | None = None
    lesion_type: LesionType | None = None
    cortical_involvement: CorticalInvolvement | None = None
    peritrochanteric: bool | None = None
    spinal_alignment: SpinalAlignment | None = None
    vertebral_body_collapse: VertebralBodyCollapse | None = None
    posterolateral_involvement: PosterolateralInvolvement | None = None
    sins_score: int | None = Field(default=None, ge=0, le=18)
    mirels_score: int | None = Field(default=None, ge=4, le=12)
    escc_grade: EsccGrade | None = None
    distance_to_neural_mm: float | None = Field(default=None, ge=0)
    percutaneously_accessible: bool | None = None
    adjacent_critical_structure: bool | None = None
    prior_radiotherapy: bool | None = None
    pain_persists_after_radiotherapy: bool | None = None
    posterior_wall: PosteriorWall | None = None

    @field_validator("spine_level")
    @classmethod
    def _spine_level_iff_spine(cls, value: SpineLevel | None, info: ValidationInfo) -> SpineLevel | None:
        site = info.data.get("site")
        if site == LesionSite.spine and value is None:
            raise ValueError("spine_level is required when site is spine")
        if site is not None and site != LesionSite.spine and value is not None:
            raise ValueError(f"spine_level is only allowed when site is spine, not {site.value}")
        return value

    @field_validator(*_SPINE_ONLY)
    @classmethod
    def _spine_only(cls, value: Any, info: ValidationInfo) -> Any:
        site = info.data.get("site")
        if value is not None and site is not None and site != LesionSite.spine:
            raise ValueError(f"{info.field_name} applies to spine lesions only, not {site.value}")
        return value

    @field_validator(*_LONG_BONE_ONLY)
    @classmethod
    def _long_bone_only(cls, value: Any, info: ValidationInfo) -> Any:
        site = info.data.get("site")
        if value is not None and site is not None and site not in LONG_BONES:
            raise ValueError(f"{info.field_name} applies to long bones (Mirels) only, not {site.value}")
        return value

    @field_validator("peritrochanteric")
    @classmethod
    def _femur_only(cls, value: bool | None, info: ValidationInfo) -> bool | None:
        site = info.data.get("site")
        if value is not None and site is not None and site != LesionSite.femur:
            raise ValueError(f"peritrochanteric applies to the femur only, not {site.value}")
        return value


class Pain(ContractModel):
    score: int | None = Field(default=None, ge=0, le=10)
    neuropathic: bool | None = None
    refractory_to_analgesics: bool | None = None
    current_analgesics: list[Analgesic] | None = None


class Neurology(ContractModel):
    spinal_cord_compression: CordCompression | None = None
    neurological_deficit: bool | None = None


class Labs(ContractModel):
    creatinine_clearance_ml_min: float | None = Field(default=None, ge=0)
    platelets_10e9_l: float | None = Field(default=None, ge=0)
    neutrophils_10e9_l: float | None = Field(default=None, ge=0)
    haemoglobin_g_dl: float | None = Field(default=None, ge=0)
    corrected_calcium_mmol_l: float | None = Field(default=None, ge=0)
    inr: float | None = Field(default=None, gt=0, le=20)


DateOrNever = date | Literal["never"]


def _not_future_date(value: DateOrNever | None) -> DateOrNever | None:
    if isinstance(value, date) and value > _today():
        raise ValueError("date is in the future")
    return value


class History(ContractModel):
    last_chemotherapy_date: DateOrNever | None = None
    last_bisphosphonate_date: DateOrNever | None = None
    on_osteoclast_inhibitor: bool | None = None
    dental_assessment: DentalAssessment | None = None

    _dates_not_in_future = field_validator("last_chemotherapy_date", "last_bisphosphonate_date")(
        _not_future_date
    )


class ClinicalStatus(ContractModel):
    ecog: int | None = Field(default=None, ge=0, le=4)
    # Distant metastases at all sites, bone lesions included, at the latest staging.
    metastasis_count: int | None = Field(default=None, ge=1, le=1000)
    life_expectancy_months: float | None = Field(default=None, ge=0)
    bone_scan_positive: bool | None = None
    renal_failure: RenalFailure | None = None
    myelosuppression: bool | None = None
    can_tolerate_anaesthesia: bool | None = None
    uncorrectable_bleeding: bool | None = None
    active_infection: bool | None = None


class Diagnostics(ContractModel):
    """Readiness for the MDT meeting (meetings.md §1); optional, additive to schema version 1."""

    imaging_reviewed: bool | None = None
    histology_confirmed: bool | None = None
    spine_mri_done: bool | None = None


class CaseSubmission(ContractModel):
    schema_version: Literal[1] = 1
    external_id: Identifier = Field(min_length=1, max_length=128)
    patient: Patient
    primary_tumour: PrimaryTumour
    visceral_metastases: bool | None = None
    lesions: Annotated[list[Lesion], Field(min_length=1, max_length=MAX_LESIONS)]
    pain: Pain = Pain()
    neurology: Neurology = Neurology()
    labs: Labs = Labs()
    history: History = History()
    status: ClinicalStatus = ClinicalStatus()
    referred_at: datetime | None = None
    diagnostics: Diagnostics = Diagnostics()

    @field_validator("lesions")
    @classmethod
    def _unique_lesion_ids(cls, lesions: list[Lesion]) -> list[Lesion]:
        ids = [lesion.id for lesion in lesions]
        duplicates = sorted({lesion_id for lesion_id in ids if ids.count(lesion_id) > 1})
        if duplicates:
            raise ValueError(f"lesion ids must be unique within the case; repeated: {', '.join(duplicates)}")
        return lesions

    @field_validator("status")
    @classmethod
    def _metastases_not_fewer_than_lesions(
        cls, status: ClinicalStatus, info: ValidationInfo
    ) -> ClinicalStatus:
        lesions = info.data.get("lesions")
        count = status.metastasis_count
        if count is not None and lesions is not None and count < len(lesions):
            # Raised as the nested field's own error, so the 422 names status.metastasis_count.
            reason = f"is {count}, fewer than the {len(lesions)} lesions listed"
            error = PydanticCustomError("value_error", reason)
            detail = InitErrorDetails(type=error, loc=("metastasis_count",), input=count)
            raise ValidationError.from_exception_data("ClinicalStatus", [detail])
        return status

    @field_validator("referred_at")
    @classmethod
    def _referred_not_in_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("referred_at needs a UTC offset")
        try:
            in_utc = value.astimezone(UTC)
        except OverflowError:  # e.g. 0001-01-01T00:30+01:00 is before the first representable instant
            raise ValueError("referred_at is out of range") from None
        if in_utc > datetime.now(UTC):
            raise ValueError("referred_at is in the future")
        return in_utc


def field_path(loc: tuple[int | str, ...]) -> str:
    """('lesions', 1, 'peritrochanteric') -> 'lesions[1].peritrochanteric', the contract's path style."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
