"""The one reviewed table of every number the rules use (clinical-rules.md, ruleset 2027.01).

The engine and the published ruleset document both read this module; no other module of the engine holds a
clinical number. Changing any value here changes verdicts and needs a new RULESET_VERSION.
"""

from typing import Any, Final

from shared.contracts.codes import (
    CorticalInvolvement,
    EsccGrade,
    LesionSite,
    LesionType,
    PainPattern,
    PosteriorWall,
    PosterolateralInvolvement,
    SpinalAlignment,
    SpineLevel,
    TumourSite,
    VertebralBodyCollapse,
)

RULESET_VERSION: Final = "2027.01"

# --- Pain (WHO) -----------------------------------------------------------------------------------------
# (lowest score, highest score, band), inclusive.
PAIN_BANDS: Final[tuple[tuple[int, int, str], ...]] = (
    (0, 0, "none"),
    (1, 3, "mild"),
    (4, 6, "moderate"),
    (7, 10, "severe"),
)
PAIN_ANY_MIN: Final = 1  # non-opioid analgesic; opioid with refractory pain
PAIN_OPIOID_MIN: Final = 4  # opioid on score alone
PAIN_URGENT_MIN: Final = 7  # urgency: severe pain

# --- SINS (Fisher 2010, bands Fourney 2011) -------------------------------------------------------------
_JUNCTIONAL = ("C1", "C2", "C7", "T1", "T2", "T11", "T12", "L1", "L5", "S1")
_MOBILE = ("C3", "C4", "C5", "C6", "L2", "L3", "L4")
_SEMI_RIGID = ("T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10")
_RIGID = ("S2", "S3", "S4", "S5")
SINS_LOCATION_POINTS: Final[dict[SpineLevel, int]] = {
    **{SpineLevel(level): 3 for level in _JUNCTIONAL},
    **{SpineLevel(level): 2 for level in _MOBILE},
    **{SpineLevel(level): 1 for level in _SEMI_RIGID},
    **{SpineLevel(level): 0 for level in _RIGID},
}
SINS_PAIN_POINTS: Final[dict[PainPattern, int]] = {
    PainPattern.mechanical: 3,
    PainPattern.mild: 1,
    PainPattern.moderate: 1,
    PainPattern.functional: 1,
    PainPattern.none: 0,
}
SINS_LESION_POINTS: Final[dict[LesionType, int]] = {
    LesionType.lytic: 2,
    LesionType.mixed: 1,
    LesionType.blastic: 0,
}
SINS_ALIGNMENT_POINTS: Final[dict[SpinalAlignment, int]] = {
    SpinalAlignment.subluxation_translation: 4,
    SpinalAlignment.de_novo_deformity: 2,
    SpinalAlignment.normal: 0,
}
SINS_COLLAPSE_POINTS: Final[dict[VertebralBodyCollapse, int]] = {
    VertebralBodyCollapse.gt_50pct: 3,
    VertebralBodyCollapse.lt_50pct: 2,
    VertebralBodyCollapse.none_gt_50pct_involved: 1,
    VertebralBodyCollapse.none: 0,
}
SINS_POSTEROLATERAL_POINTS: Final[dict[PosterolateralInvolvement, int]] = {
    PosterolateralInvolvement.bilateral: 3,
    PosterolateralInvolvement.unilateral: 1,
    PosterolateralInvolvement.none: 0,
}
# (lowest, highest, band), inclusive.
SINS_BANDS: Final[tuple[tuple[int, int, str], ...]] = (
    (0, 6, "stable"),
    (7, 12, "indeterminate"),
    (13, 18, "unstable"),
)
SINS_MAX: Final = 18
SINS_INDETERMINATE_MIN: Final = 7  # surgical review, urgency, physical-activity caution, surgery "consider"
SINS_UNSTABLE_MIN: Final = 13  # surgery "recommended"

# --- Mirels (1989) ----------------------------------------------------------------------------------------
MIRELS_SITE_POINTS: Final[dict[LesionSite, int]] = {
    LesionSite.humerus: 1,
    LesionSite.radius_ulna: 1,
    LesionSite.femur: 2,
    LesionSite.tibia: 2,
    LesionSite.fibula: 2,
}
MIRELS_PERITROCHANTERIC_POINTS: Final = 3  # femur with peritrochanteric true
MIRELS_PAIN_POINTS: Final[dict[PainPattern, int]] = {
    PainPattern.none: 1,
    PainPattern.mild: 1,
    PainPattern.moderate: 2,
    PainPattern.functional: 3,
    PainPattern.mechanical: 3,
}
MIRELS_LESION_POINTS: Final[dict[LesionType, int]] = {
    LesionType.blastic: 1,
    LesionType.mixed: 2,
    LesionType.lytic: 3,
}
MIRELS_SIZE_POINTS: Final[dict[CorticalInvolvement, int]] = {
    CorticalInvolvement.lt_one_third: 1,
    CorticalInvolvement.one_third_to_two_thirds: 2,
    CorticalInvolvement.gt_two_thirds: 3,
}
MIRELS_MAX: Final = 12
MIRELS_CONSIDER: Final = 8  # surgery "consider"; urgency; physical-activity caution (>= 8)
MIRELS_FIXATION_MIN: Final = 9  # prophylactic fixation "recommended"

# --- Epidural spinal cord compression (Bilsky) -------------------------------------------------------------
ESCC_CORD_COMPRESSION: Final = frozenset({EsccGrade.g2, EsccGrade.g3})
ESCC_URGENT: Final = frozenset({EsccGrade.g1c})

# --- Time windows ------------------------------------------------------------------------------------------
CHEMOTHERAPY_WINDOW_DAYS: Final = 42  # "within 6 weeks": fewer than 42 days before the evaluation date
BISPHOSPHONATE_WINDOW_DAYS: Final = 42

# --- Laboratory limits -------------------------------------------------------------------------------------
CALCIUM_URGENT_MIN: Final = 3.0  # mmol/L, corrected: 3.0 to below 3.5 urgent
CALCIUM_EMERGENCY_MIN: Final = 3.5  # mmol/L, corrected: emergency
CALCIUM_LOW_BELOW: Final = 2.10  # mmol/L: correct before an osteoclast inhibitor
PLATELETS_MIN: Final = 100.0  # 10^9/L; below: myelosuppression
NEUTROPHILS_MIN: Final = 1.5  # 10^9/L; below: myelosuppression
HAEMOGLOBIN_MIN: Final = 10.0  # g/dL; below: myelosuppression
CREATININE_CLEARANCE_MIN: Final = 30.0  # ml/min; below: zoledronic acid not recommended

# --- Other -------------------------------------------------------------------------------------------------
LIFE_EXPECTANCY_MONTHS: Final = 3.0  # osteoclast >= 3, radiopharmaceutical > 3, surgery caution < 3
WIDESPREAD_MORE_THAN: Final = 5  # lesions
HEMIBODY_MIN_PAINFUL: Final = 3  # painful lesions
ABLATION_NEURAL_DISTANCE_MIN_MM: Final = 10.0  # spine targets
ECOG_POOR_MIN: Final = 3  # systemic therapy caution
REIRRADIATION_MIN_INTERVAL: Final = "one month"
SOLITARY_LESION_SITES: Final = frozenset({LesionSite.sternum, LesionSite.spine})

# --- Stereotactic body radiotherapy (2027.01: OMD, SC24) ------------------------------------------------------
# Renal, melanoma, sarcoma, gastrointestinal (colorectal included) and thyroid [SC24].
RADIORESISTANT_SITES: Final = frozenset(
    {
        TumourSite.kidney,
        TumourSite.melanoma,
        TumourSite.sarcoma,
        TumourSite.colorectal,
        TumourSite.gastrointestinal,
        TumourSite.thyroid,
    }
)
OLIGOMETASTATIC_MAX: Final = 5  # distant metastases at all sites: 1-5 oligometastatic, 6 or more not [OMD]
SBRT_ECOG_MAX: Final = 2  # SC.24 took ECOG 0-2
SBRT_LIFE_EXPECTANCY_MIN_MONTHS: Final = 6.0  # >= 6 months [OMD]

# --- Vertebral augmentation (2027.01: NICEVA, NASS) --------------------------------------------------------------
AUGMENTATION_COLLAPSE: Final = frozenset({VertebralBodyCollapse.lt_50pct, VertebralBodyCollapse.gt_50pct})
AUGMENTATION_POSTERIOR_WALL_AT_RISK: Final = frozenset({PosteriorWall.involved, PosteriorWall.retropulsed})
AUGMENTATION_EPIDURAL_EXTENSION: Final = frozenset({EsccGrade.g1a, EsccGrade.g1b, EsccGrade.g1c})
AUGMENTATION_PLATELETS_MIN: Final = 50.0  # 10^9/L; below: correct coagulation first
AUGMENTATION_INR_MAX: Final = 1.5  # above: correct coagulation first

# --- Bone health before an osteoclast inhibitor (2027.01: LABEL) -------------------------------------------------
CALCIUM_SUPPLEMENT_MAX: Final = 2.60  # mmol/L, corrected: up to it calcium and vitamin D; above it withheld

# --- Pregnancy enquiry (SCOR) --------------------------------------------------------------------------------
# Not recorded and this old or older in the evaluation year (evaluation year - birth year): taken as false.
PREGNANCY_NOT_ASKED_FROM_AGE: Final = 55


def _table(points: dict[Any, int]) -> dict[str, int]:
    return {str(key): value for key, value in points.items()}


def _bands(bands: tuple[tuple[int, int, str], ...]) -> list[dict[str, Any]]:
    return [{"band": band, "from": low, "to": high} for low, high, band in bands]


def thresholds_table() -> dict[str, Any]:
    """The table above as JSON-able data, for the published ruleset document."""
    return {
        "pain_bands": {"bands": _bands(PAIN_BANDS), "source": "WHO"},
        "pain_score_min_for_analgesic": PAIN_ANY_MIN,
        "pain_score_min_for_opioid": PAIN_OPIOID_MIN,
        "pain_score_min_urgent": PAIN_URGENT_MIN,
        "sins": {
            "source": "SINS",
            "components": {
                "location": _table(SINS_LOCATION_POINTS),
                "pain": _table(SINS_PAIN_POINTS),
                "lesion": _table(SINS_LESION_POINTS),
                "alignment": _table(SINS_ALIGNMENT_POINTS),
                "collapse": _table(SINS_COLLAPSE_POINTS),
                "posterolateral": _table(SINS_POSTEROLATERAL_POINTS),
            },
            "bands": _bands(SINS_BANDS),
            "indeterminate_min": SINS_INDETERMINATE_MIN,
            "unstable_min": SINS_UNSTABLE_MIN,
        },
        "mirels": {
            "source": "MIRELS",
            "components": {
                "site": {
                    **_table(MIRELS_SITE_POINTS),
                    "femur_peritrochanteric": MIRELS_PERITROCHANTERIC_POINTS,
                },
                "pain": _table(MIRELS_PAIN_POINTS),
                "lesion": _table(MIRELS_LESION_POINTS),
                "size": _table(MIRELS_SIZE_POINTS),
            },
            "consider_surgery": MIRELS_CONSIDER,
            "prophylactic_fixation_min": MIRELS_FIXATION_MIN,
        },
        "escc": {
            "source": "BILSKY",
            "cord_compression_grades": sorted(str(grade) for grade in ESCC_CORD_COMPRESSION),
            "urgent_grades": sorted(str(grade) for grade in ESCC_URGENT),
        },
        "chemotherapy_window_days": CHEMOTHERAPY_WINDOW_DAYS,
        "bisphosphonate_window_days": BISPHOSPHONATE_WINDOW_DAYS,
        "corrected_calcium_mmol_l": {
            "urgent_from": CALCIUM_URGENT_MIN,
            "emergency_from": CALCIUM_EMERGENCY_MIN,
            "low_below": CALCIUM_LOW_BELOW,
        },
        "myelosuppression_below": {
            "platelets_10e9_l": PLATELETS_MIN,
            "neutrophils_10e9_l": NEUTROPHILS_MIN,
            "haemoglobin_g_dl": HAEMOGLOBIN_MIN,
            "source": "SEED, LABEL",
        },
        "creatinine_clearance_min_ml_min": CREATININE_CLEARANCE_MIN,
        "life_expectancy_months": LIFE_EXPECTANCY_MONTHS,
        "widespread_more_than_lesions": WIDESPREAD_MORE_THAN,
        "hemibody_min_painful_lesions": HEMIBODY_MIN_PAINFUL,
        "ablation_min_distance_to_neural_mm": ABLATION_NEURAL_DISTANCE_MIN_MM,
        "ecog_poor_min": ECOG_POOR_MIN,
        "reirradiation_min_interval": REIRRADIATION_MIN_INTERVAL,
        "solitary_lesion_sites_for_surgery": sorted(str(site) for site in SOLITARY_LESION_SITES),
        "stereotactic_body_radiotherapy": {
            "source": "OMD, SC24",
            "radioresistant_primary_sites": sorted(str(site) for site in RADIORESISTANT_SITES),
            "oligometastatic_max_metastases": OLIGOMETASTATIC_MAX,
            "ecog_max": SBRT_ECOG_MAX,
            "life_expectancy_min_months": SBRT_LIFE_EXPECTANCY_MIN_MONTHS,
        },
        "vertebral_augmentation": {
            "source": "NICEVA, NASS",
            "target_collapse": sorted(str(c) for c in AUGMENTATION_COLLAPSE),
            "unstable_sins_min": SINS_UNSTABLE_MIN,
            "posterior_wall_at_risk": sorted(str(w) for w in AUGMENTATION_POSTERIOR_WALL_AT_RISK),
            "epidural_extension_escc": sorted(str(g) for g in AUGMENTATION_EPIDURAL_EXTENSION),
            "coagulation_platelets_below_10e9_l": AUGMENTATION_PLATELETS_MIN,
            "coagulation_inr_above": AUGMENTATION_INR_MAX,
        },
        "calcium_and_vitamin_d_up_to_corrected_calcium_mmol_l": {
            "value": CALCIUM_SUPPLEMENT_MAX,
            "source": "LABEL",
        },
        "pregnancy_not_recorded_taken_as_false_from_age": {
            "age": PREGNANCY_NOT_ASKED_FROM_AGE,
            "age_is": "evaluation year - birth year",
            "source": "SCOR",
        },
    }
