"""Code lists of contracts.md §1. The single definition used by every service."""

from enum import StrEnum


class TumourSite(StrEnum):
    breast = "breast"
    prostate = "prostate"
    lung = "lung"
    kidney = "kidney"
    thyroid = "thyroid"
    colorectal = "colorectal"
    melanoma = "melanoma"
    bladder = "bladder"
    gastrointestinal = "gastrointestinal"
    gynaecological = "gynaecological"
    head_and_neck = "head_and_neck"
    sarcoma = "sarcoma"
    unknown_primary = "unknown_primary"
    other = "other"


# Spelled the way referrers send them; rejected with a reason rather than "not a valid code".
HAEMATOLOGICAL_SITES = frozenset(
    {"myeloma", "multiple_myeloma", "lymphoma", "leukaemia", "leukemia", "plasmacytoma"}
)


class LesionSite(StrEnum):
    spine = "spine"
    femur = "femur"
    humerus = "humerus"
    tibia = "tibia"
    fibula = "fibula"
    radius_ulna = "radius_ulna"
    pelvis = "pelvis"
    acetabulum = "acetabulum"
    rib = "rib"
    sternum = "sternum"
    skull = "skull"
    scapula = "scapula"
    clavicle = "clavicle"
    other = "other"


LONG_BONES = frozenset(
    {LesionSite.femur, LesionSite.humerus, LesionSite.tibia, LesionSite.fibula, LesionSite.radius_ulna}
)


class SpineLevel(StrEnum):
    C1 = "C1"
    C2 = "C2"
    C3 = "C3"
    C4 = "C4"
    C5 = "C5"
    C6 = "C6"
    C7 = "C7"
    T1 = "T1"
    T2 = "T2"
    T3 = "T3"
    T4 = "T4"
    T5 = "T5"
    T6 = "T6"
    T7 = "T7"
    T8 = "T8"
    T9 = "T9"
    T10 = "T10"
    T11 = "T11"
    T12 = "T12"
    L1 = "L1"
    L2 = "L2"
    L3 = "L3"
    L4 = "L4"
    L5 = "L5"
    S1 = "S1"
    S2 = "S2"
    S3 = "S3"
    S4 = "S4"
    S5 = "S5"


class Sex(StrEnum):
    female = "female"
    male = "male"
    other = "other"
    unknown = "unknown"


class PainPattern(StrEnum):
    none = "none"
    mild = "mild"
    moderate = "moderate"
    functional = "functional"
    mechanical = "mechanical"


class LesionType(StrEnum):
    lytic = "lytic"
    blastic = "blastic"
    mixed = "mixed"


class CorticalInvolvement(StrEnum):
    lt_one_third = "lt_one_third"
    one_third_to_two_thirds = "one_third_to_two_thirds"
    gt_two_thirds = "gt_two_thirds"


class SpinalAlignment(StrEnum):
    normal = "normal"
    de_novo_deformity = "de_novo_deformity"
    subluxation_translation = "subluxation_translation"


class VertebralBodyCollapse(StrEnum):
    none = "none"
    none_gt_50pct_involved = "none_gt_50pct_involved"
    lt_50pct = "lt_50pct"
    gt_50pct = "gt_50pct"


class PosterolateralInvolvement(StrEnum):
    none = "none"
    unilateral = "unilateral"
    bilateral = "bilateral"


class PosteriorWall(StrEnum):
    """The vertebral body's posterior wall on CT or MRI (ruleset 2027.01)."""

    intact = "intact"
    involved = "involved"
    retropulsed = "retropulsed"


class DentalAssessment(StrEnum):
    """A dental assessment before an osteoclast inhibitor (ruleset 2027.01)."""

    done = "done"
    not_done = "not_done"


class EsccGrade(StrEnum):
    g0 = "0"
    g1a = "1a"
    g1b = "1b"
    g1c = "1c"
    g2 = "2"
    g3 = "3"


class Analgesic(StrEnum):
    non_opioid = "non_opioid"
    opioid = "opioid"
    neuropathic_adjuvant = "neuropathic_adjuvant"


class CordCompression(StrEnum):
    none = "none"
    suspected = "suspected"
    confirmed = "confirmed"


class RenalFailure(StrEnum):
    none = "none"
    acute = "acute"
    chronic = "chronic"


class Specialty(StrEnum):
    radiology = "radiology"
    radiation_oncology = "radiation_oncology"
    surgery = "surgery"
    palliative_care = "palliative_care"
    nuclear_medicine = "nuclear_medicine"
    medical_oncology = "medical_oncology"
    physiatry = "physiatry"


class TherapyCode(StrEnum):
    """In the contract's table order: recommendations list therapies in this order."""

    non_opioid_analgesic = "non_opioid_analgesic"
    opioid_analgesic = "opioid_analgesic"
    neuropathic_adjuvant = "neuropathic_adjuvant"
    osteoclast_inhibitor = "osteoclast_inhibitor"
    physical_activity = "physical_activity"
    systemic_therapy = "systemic_therapy"
    external_beam_radiotherapy = "external_beam_radiotherapy"
    hemibody_radiotherapy = "hemibody_radiotherapy"
    radiopharmaceutical = "radiopharmaceutical"
    surgery = "surgery"
    postoperative_radiotherapy = "postoperative_radiotherapy"
    thermal_ablation = "thermal_ablation"
    # Ruleset 2027.01: a recommendation of an earlier ruleset lists only the twelve above.
    stereotactic_body_radiotherapy = "stereotactic_body_radiotherapy"
    vertebral_augmentation = "vertebral_augmentation"


THERAPY_OWNER: dict[TherapyCode, Specialty] = {
    TherapyCode.non_opioid_analgesic: Specialty.palliative_care,
    TherapyCode.opioid_analgesic: Specialty.palliative_care,
    TherapyCode.neuropathic_adjuvant: Specialty.palliative_care,
    TherapyCode.osteoclast_inhibitor: Specialty.medical_oncology,
    TherapyCode.physical_activity: Specialty.physiatry,
    TherapyCode.systemic_therapy: Specialty.medical_oncology,
    TherapyCode.external_beam_radiotherapy: Specialty.radiation_oncology,
    TherapyCode.hemibody_radiotherapy: Specialty.radiation_oncology,
    TherapyCode.radiopharmaceutical: Specialty.nuclear_medicine,
    TherapyCode.surgery: Specialty.surgery,
    TherapyCode.postoperative_radiotherapy: Specialty.radiation_oncology,
    TherapyCode.thermal_ablation: Specialty.radiology,
    TherapyCode.stereotactic_body_radiotherapy: Specialty.radiation_oncology,
    TherapyCode.vertebral_augmentation: Specialty.radiology,
}


class Verdict(StrEnum):
    contraindicated = "contraindicated"
    not_indicated = "not_indicated"
    insufficient_data = "insufficient_data"
    consider = "consider"
    recommended = "recommended"


class Urgency(StrEnum):
    emergency = "emergency"
    urgent = "urgent"
    routine = "routine"


BOOK_WITHIN_HOURS: dict[Urgency, int] = {
    Urgency.emergency: 24,
    Urgency.urgent: 72,
    Urgency.routine: 336,
}
