"""Vignettes: complete cases with the verdict of every therapy, the urgency, the specialties and the alerts,
written from clinical-rules.md (not from engine output).

Verdict strings list the therapies in the contract's order:
  non_opioid opioid neuropathic osteoclast physical systemic EBRT hemibody radiopharm surgery postop ablation
  SBRT augmentation (the last two from ruleset 2027.01)
with R recommended, C consider, N not_indicated, X contraindicated, I insufficient_data.
Specialties: rad radiology, pal palliative_care, onc medical_oncology, phy physiatry, ro radiation_oncology,
surg surgery, nuc nuclear_medicine.
"""

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.recommendation import Recommendation
from tests.unit.eligibility.builders import days_ago, long_bone, make_case, pelvis, rib, run, spine

LETTER = {
    "R": Verdict.recommended,
    "C": Verdict.consider,
    "N": Verdict.not_indicated,
    "X": Verdict.contraindicated,
    "I": Verdict.insufficient_data,
}
SPECIALTY = {
    "rad": "radiology",
    "pal": "palliative_care",
    "onc": "medical_oncology",
    "phy": "physiatry",
    "ro": "radiation_oncology",
    "surg": "surgery",
    "nuc": "nuclear_medicine",
}
T = TherapyCode


@dataclass(frozen=True)
class Vignette:
    name: str
    changes: dict[str, Any]
    verdicts: str
    urgency: str
    specialties: str
    missing: dict[TherapyCode, list[str]] = field(default_factory=dict)
    alerts: tuple[str, ...] = ()
    eligible_from: date | None = None
    discussion: tuple[str, ...] | None = None  # the discussion_reasons (§7), when the vignette states them
    reasons: dict[TherapyCode, tuple[str, ...]] = field(default_factory=dict)  # every reason code, in order


BASE_VERDICTS = "R R N R R R R N N N N N N N"
ALL = "onc pal phy rad ro"
WITH_SURGERY = "onc pal phy rad ro surg"
SPINE_6 = ("T5", "moderate", "lytic", "normal", "none_gt_50pct_involved", "unilateral")  # 1+1+2+0+1+1
SPINE_7 = ("T5", "mechanical", "lytic", "normal", "none", "unilateral")  # 1+3+2+0+0+1
SPINE_12 = ("C3", "mechanical", "lytic", "de_novo_deformity", "lt_50pct", "unilateral")  # 2+3+2+2+2+1
SPINE_13 = ("C3", "mechanical", "lytic", "de_novo_deformity", "gt_50pct", "unilateral")  # 2+3+2+2+3+1
TARGET = {"lesions[0].prior_radiotherapy": True, "lesions[0].pain_persists_after_radiotherapy": True}
THREE_PAINFUL = {"lesions": [rib(), pelvis(painful=True), pelvis(id="K1", site="skull", painful=True)]}
REFRACTORY = {"pain.refractory_to_analgesics": True}
MALE = {"patient.sex": "male", "patient.pregnant": None, "patient.breastfeeding": None}


def other_site(site: str, **more: Any) -> dict[str, Any]:
    return {"primary_tumour.site": site, **more}


V = Vignette
VIGNETTES = [
    # --- pain and the WHO ladder ---
    V("base_moderate_pain", {}, BASE_VERDICTS, "routine", ALL),
    V("pain_0", {"pain.score": 0}, "N N N R R R R N N N N N N N", "routine", "onc phy rad ro"),
    V("pain_3_not_refractory", {"pain.score": 3}, "R N N R R R R N N N N N N N", "routine", ALL),
    V(
        "pain_3_refractory",
        {"pain.score": 3, **REFRACTORY},
        "R R N R R R R N R N N N N N",
        "routine",
        "nuc " + ALL,
    ),
    V("pain_4", {"pain.score": 4}, BASE_VERDICTS, "routine", ALL),
    V("pain_6", {"pain.score": 6}, BASE_VERDICTS, "routine", ALL),
    V("pain_7_severe_is_urgent", {"pain.score": 7}, BASE_VERDICTS, "urgent", ALL),
    V(
        "pain_1_refractory_unknown",
        {"pain.score": 1, "pain.refractory_to_analgesics": None},
        "R I N R R R R N I N N N N N",
        "routine",
        ALL,
        missing={
            T.opioid_analgesic: ["pain.refractory_to_analgesics"],
            T.radiopharmaceutical: ["pain.refractory_to_analgesics"],
        },
    ),
    V(
        "pain_score_unknown",
        {"pain.score": None},
        "I I N R R R R N N N N N N N",
        "routine",
        "onc phy rad ro",
        missing={T.non_opioid_analgesic: ["pain.score"], T.opioid_analgesic: ["pain.score"]},
    ),
    V("neuropathic_pain", {"pain.neuropathic": True}, "R R R R R R R N N N N N N N", "routine", ALL),
    V(
        "neuropathic_unknown",
        {"pain.neuropathic": None},
        "R R I R R R R N N N N N N N",
        "routine",
        ALL,
        missing={T.neuropathic_adjuvant: ["pain.neuropathic"]},
    ),
    # --- renal failure ---
    V("renal_chronic", {"status.renal_failure": "chronic"}, "C C N R R R R N X N N N N N", "routine", ALL),
    V(
        "renal_acute_neuropathic",
        {"status.renal_failure": "acute", "pain.neuropathic": True},
        "C C C R R R R N X N N N N N",
        "routine",
        ALL,
    ),
    V(
        "renal_unknown",
        {"status.renal_failure": None},
        "C C N R R R R N N N N N N N",
        "routine",
        ALL,
        missing={
            T.non_opioid_analgesic: ["status.renal_failure"],
            T.opioid_analgesic: ["status.renal_failure"],
        },
    ),
    # --- pregnancy, breastfeeding, sex ---
    V(
        "pregnant",
        {"patient.pregnant": True},
        "C C N C R R C X X N N N N N",
        "routine",
        ALL,
        alerts=("pregnancy",),
    ),
    # 2026.12 (§1): a null is false from 55 in the evaluation year (2026 here); BASE is born in 1960.
    V(
        "pregnancy_unknown_woman_54",
        {"patient.pregnant": None, "patient.birth_year": 1972},
        "C C N C R R C N N N N N N N",
        "routine",
        ALL,
        missing={
            T.non_opioid_analgesic: ["patient.pregnant"],
            T.opioid_analgesic: ["patient.pregnant"],
            T.osteoclast_inhibitor: ["patient.pregnant"],
            T.external_beam_radiotherapy: ["patient.pregnant"],
        },
    ),
    V(
        "pregnancy_unknown_woman_55",
        {"patient.pregnant": None, "patient.birth_year": 1971},
        BASE_VERDICTS,
        "routine",
        ALL,
    ),
    V("pregnancy_unknown_woman_66", {"patient.pregnant": None}, BASE_VERDICTS, "routine", ALL),
    V(
        "pregnancy_unknown_woman_30",
        {"patient.pregnant": None, "patient.birth_year": 1996},
        "C C N C R R C N N N N N N N",
        "routine",
        ALL,
        missing={T.external_beam_radiotherapy: ["patient.pregnant"]},
    ),
    V(
        "pregnancy_unknown_birth_year_unknown",
        {"patient.pregnant": None, "patient.birth_year": None},
        "C C N C R R C N N N N N N N",
        "routine",
        ALL,
        missing={T.external_beam_radiotherapy: ["patient.pregnant"]},
    ),
    V(
        "pregnant_recorded_at_76",
        {"patient.pregnant": True, "patient.birth_year": 1950},
        "C C N C R R C X X N N N N N",
        "routine",
        ALL,
        alerts=("pregnancy",),
    ),
    V(
        "pregnancy_unknown_surgery_recommended_54",
        {"patient.pregnant": None, "patient.birth_year": 1972, "lesions[0].pathological_fracture": True},
        "C C N C C R C N N R C N N N",
        "urgent",
        WITH_SURGERY,
        missing={T.postoperative_radiotherapy: ["patient.pregnant"]},
    ),
    V(
        "pregnancy_unknown_surgery_recommended_55",
        {"patient.pregnant": None, "patient.birth_year": 1971, "lesions[0].pathological_fracture": True},
        "R R N R C R R N N R R N N N",
        "urgent",
        WITH_SURGERY,
    ),
    # The example: a 76-year-old woman with breast cancer and painful bone metastases, pregnancy and
    # breastfeeding not recorded. Under 2026.11: analgesia and radiotherapy "consider", hemibody and
    # radiopharmaceutical insufficient_data for pregnancy.
    V(
        "issue_example_woman_76_pregnancy_not_recorded",
        {
            **THREE_PAINFUL,
            **REFRACTORY,
            "patient.birth_year": 1950,
            "patient.pregnant": None,
            "patient.breastfeeding": None,
        },
        "R R N R R R R C R N N N N N",
        "routine",
        "nuc " + ALL,
        discussion=("hemibody_radiotherapy_consider", "radiopharmaceutical_recommended"),
    ),
    V(
        "issue_example_woman_30_pregnancy_not_recorded",
        {
            **THREE_PAINFUL,
            **REFRACTORY,
            "patient.birth_year": 1996,
            "patient.pregnant": None,
            "patient.breastfeeding": None,
        },
        "C C N C R R C I I N N N N N",
        "routine",
        ALL,
        missing={
            T.non_opioid_analgesic: ["patient.pregnant"],
            T.external_beam_radiotherapy: ["patient.pregnant"],
            T.hemibody_radiotherapy: ["patient.pregnant"],
            T.radiopharmaceutical: ["patient.breastfeeding", "patient.pregnant"],
        },
        discussion=(
            "insufficient_data",
            "hemibody_radiotherapy_insufficient_data",
            "radiopharmaceutical_insufficient_data",
            "external_beam_radiotherapy_consider",
        ),
    ),
    V(
        "man_prostate_castration_resistant",
        {**MALE, "primary_tumour.castration_resistant": True, "primary_tumour.site": "prostate"},
        BASE_VERDICTS,
        "routine",
        ALL,
    ),
    V(
        "man_prostate_castration_sensitive",
        {**MALE, "primary_tumour.site": "prostate", "primary_tumour.castration_resistant": False},
        "R R N N R R R N N N N N N N",
        "routine",
        ALL,
    ),
    V(
        "man_prostate_castration_unknown",
        {**MALE, "primary_tumour.site": "prostate"},
        "R R N I R R R N N N N N N N",
        "routine",
        ALL,
        missing={T.osteoclast_inhibitor: ["primary_tumour.castration_resistant"]},
    ),
    V(
        "man_prostate_unknown_already_on_inhibitor",
        {**MALE, "primary_tumour.site": "prostate", "history.on_osteoclast_inhibitor": True},
        BASE_VERDICTS,
        "routine",
        ALL,
    ),
    V(
        "breastfeeding_refractory",
        {"patient.breastfeeding": True, **REFRACTORY},
        "R R N R R R R N X N N N N N",
        "routine",
        ALL,
    ),
    V(
        "sex_other_pregnancy_unknown_refractory_54",
        {
            "patient.sex": "other",
            "patient.birth_year": 1972,
            "patient.pregnant": None,
            "patient.breastfeeding": None,
            **REFRACTORY,
        },
        "C C N C R R C N I N N N N N",
        "routine",
        ALL,
        missing={T.radiopharmaceutical: ["patient.breastfeeding", "patient.pregnant"]},
    ),
    V(
        "sex_other_pregnancy_unknown_refractory_55",
        {
            "patient.sex": "other",
            "patient.birth_year": 1971,
            "patient.pregnant": None,
            "patient.breastfeeding": None,
            **REFRACTORY,
        },
        "R R N R R R R N R N N N N N",
        "routine",
        "nuc " + ALL,
    ),
    V(
        "sex_unknown_breastfeeding_unknown_refractory_66",
        {"patient.sex": "unknown", "patient.breastfeeding": None, **REFRACTORY},
        "R R N R R R R N R N N N N N",
        "routine",
        "nuc " + ALL,
    ),
    V(
        "sex_unknown_breastfeeding_unknown_refractory_30",
        {"patient.sex": "unknown", "patient.birth_year": 1996, "patient.breastfeeding": None, **REFRACTORY},
        "R R N R R R R N I N N N N N",
        "routine",
        ALL,
        missing={T.radiopharmaceutical: ["patient.breastfeeding"]},
    ),
    V(
        "breastfeeding_recorded_at_70_refractory",
        {"patient.birth_year": 1956, "patient.breastfeeding": True, **REFRACTORY},
        "R R N R R R R N X N N N N N",
        "routine",
        ALL,
    ),
    V(
        "man_refractory_pregnancy_not_asked",
        {**MALE, **REFRACTORY},
        "R R N R R R R N R N N N N N",
        "routine",
        "nuc " + ALL,
    ),
    # --- osteoclast inhibitor and primary sites ---
    V("lung_le_12", other_site("lung"), "R R N R R C R N N N N N N N", "routine", ALL),
    V(
        "lung_le_2",
        other_site("lung", **{"status.life_expectancy_months": 2.0}),
        "R R N N R C R N N N N N N N",
        "routine",
        ALL,
    ),
    V(
        "thyroid_le_3_refractory",
        other_site("thyroid", **{"status.life_expectancy_months": 3.0}, **REFRACTORY),
        "R R N R R C R N N N N N N N",
        "routine",
        ALL,
    ),
    V(
        "kidney_le_unknown",
        other_site("kidney", **{"status.life_expectancy_months": None}),
        "R R N I R C R N N N N N I N",
        "routine",
        ALL,
        missing={
            T.osteoclast_inhibitor: ["status.life_expectancy_months"],
            T.stereotactic_body_radiotherapy: ["status.life_expectancy_months"],
        },
    ),
    V(
        "colorectal_le_unknown_on_inhibitor",
        other_site(
            "colorectal", **{"status.life_expectancy_months": None, "history.on_osteoclast_inhibitor": True}
        ),
        "R R N R R C R N N N N N I N",
        "routine",
        ALL,
        missing={T.stereotactic_body_radiotherapy: ["status.life_expectancy_months"]},
    ),
    V(
        "creatinine_clearance_29",
        {"labs.creatinine_clearance_ml_min": 29.0},
        "R R N C R R R N N N N N N N",
        "routine",
        ALL,
    ),
    V("creatinine_clearance_30", {"labs.creatinine_clearance_ml_min": 30.0}, BASE_VERDICTS, "routine", ALL),
    V("calcium_2_09", {"labs.corrected_calcium_mmol_l": 2.09}, "R R N C R R R N N N N N N N", "routine", ALL),
    V("calcium_2_10", {"labs.corrected_calcium_mmol_l": 2.10}, BASE_VERDICTS, "routine", ALL),
    V("calcium_2_99", {"labs.corrected_calcium_mmol_l": 2.99}, BASE_VERDICTS, "routine", ALL),
    V(
        "calcium_3_0",
        {"labs.corrected_calcium_mmol_l": 3.0},
        BASE_VERDICTS,
        "urgent",
        ALL,
        alerts=("hypercalcaemia",),
    ),
    V(
        "calcium_3_49",
        {"labs.corrected_calcium_mmol_l": 3.49},
        BASE_VERDICTS,
        "urgent",
        ALL,
        alerts=("hypercalcaemia",),
    ),
    V(
        "calcium_3_5",
        {"labs.corrected_calcium_mmol_l": 3.5},
        BASE_VERDICTS,
        "emergency",
        ALL,
        alerts=("hypercalcaemia_severe",),
    ),
    V("bladder_man", other_site("bladder", **MALE), "R R N R R C R N N N N N N N", "routine", ALL),
    V("gastrointestinal", other_site("gastrointestinal"), "R R N R R C R N N N N N C N", "routine", ALL),
    V("gynaecological", other_site("gynaecological"), "R R N R R C R N N N N N N N", "routine", ALL),
    V(
        "head_and_neck_man",
        other_site("head_and_neck", **MALE),
        "R R N R R C R N N N N N N N",
        "routine",
        ALL,
    ),
    V(
        "sarcoma_le_2_9",
        other_site("sarcoma", **{"status.life_expectancy_months": 2.9}),
        "R R N N R C R N N N N N N N",
        "routine",
        ALL,
    ),
    V("unknown_primary", other_site("unknown_primary"), "R R N R R C R N N N N N N N", "routine", ALL),
    V("other_primary", other_site("other"), "R R N R R C R N N N N N N N", "routine", ALL),
    V(
        "melanoma_ecog_2",
        other_site("melanoma", **{"status.ecog": 2}),
        "R R N R R C R N N N N N C N",
        "routine",
        ALL,
    ),
    V("breast_ecog_3", {"status.ecog": 3}, "R R N R R C R N N N N N N N", "routine", ALL),
    # --- spine: SINS bands, ESCC, cord compression ---
    V("sins_6_stable", {"lesions": [rib(), spine(*SPINE_6, escc_grade="1a")]}, BASE_VERDICTS, "routine", ALL),
    V(
        "sins_7_indeterminate",
        {"lesions": [rib(), spine(*SPINE_7)]},
        "R R N R C R R N N C C N N N",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "sins_12_indeterminate",
        {"lesions": [rib(), spine(*SPINE_12)]},
        "R R N R C R R N N C C N N N",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "sins_13_unstable",
        {"lesions": [rib(), spine(*SPINE_13)]},
        "R R N R C R R N N R R N N N",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "sins_reported_14",
        {"lesions": [rib(), spine(*SPINE_6, vertebral_body_collapse=None, sins_score=14)]},
        "R R N R C R R N N R R N N N",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "sins_unknown",
        {"lesions": [rib(), spine(*SPINE_6, vertebral_body_collapse=None)]},
        "R R N R C R R N N I I N N N",
        "routine",
        ALL,
        missing={
            T.surgery: ["lesions[1].sins_score", "lesions[1].vertebral_body_collapse"],
            T.postoperative_radiotherapy: ["lesions[1].sins_score", "lesions[1].vertebral_body_collapse"],
            T.physical_activity: ["lesions[1].sins_score", "lesions[1].vertebral_body_collapse"],
        },
    ),
    V(
        "escc_unknown",
        {"lesions": [rib(), spine(*SPINE_6, escc_grade=None)]},
        "R R N R C R R N N I I N N N",
        "routine",
        ALL,
        missing={T.surgery: ["lesions[1].escc_grade"]},
    ),
    V(
        "escc_1c_is_urgent",
        {"lesions": [rib(), spine(*SPINE_6, escc_grade="1c")]},
        BASE_VERDICTS,
        "urgent",
        ALL,
    ),
    V(
        "escc_2_is_cord_compression",
        {"lesions": [rib(), spine(*SPINE_6, escc_grade="2")]},
        "R R N R C R R N X R R N X X",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "cord_compression_with_deficit",
        {"neurology.spinal_cord_compression": "confirmed", "neurology.neurological_deficit": True},
        "R R N R C R R N X R R N X X",
        "emergency",
        WITH_SURGERY,
        alerts=("mscc",),
    ),
    V(
        "cord_compression_neurology_unknown",
        {"neurology.spinal_cord_compression": "suspected", "neurology.neurological_deficit": None},
        "R R N R C R R N X R R N X X",
        "emergency",
        WITH_SURGERY,
        alerts=("mscc", "neurology_unknown"),
    ),
    V(
        "cord_compression_no_deficit",
        {"neurology.spinal_cord_compression": "confirmed"},
        "R R N R C R R N X R R N X X",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "cord_compression_unknown",
        {"neurology.spinal_cord_compression": None},
        "R R N R C R R N N N N N N N",
        "routine",
        ALL,
        missing={T.physical_activity: ["neurology.spinal_cord_compression"]},
    ),
    V(
        "cord_compression_unknown_refractory",
        {"neurology.spinal_cord_compression": None, **REFRACTORY},
        "R R N R C R R N I N N N N N",
        "routine",
        ALL,
        missing={T.radiopharmaceutical: ["neurology.spinal_cord_compression"]},
    ),
    V(
        "solitary_spine_lesion",
        {"lesions": [spine(*SPINE_6, painful=True)]},
        "R R N R R R R N N C C N N N",
        "routine",
        WITH_SURGERY,
    ),
    V(
        "solitary_sternum_lesion",
        {"lesions": [rib(site="sternum")]},
        "R R N R R R R N N C C N N N",
        "routine",
        WITH_SURGERY,
    ),
    V("solitary_rib_lesion", {"lesions": [rib()]}, BASE_VERDICTS, "routine", ALL),
    # --- long bones: Mirels ---
    V(
        "mirels_7",
        {"lesions": [rib(), long_bone("humerus", "moderate", "mixed", "one_third_to_two_thirds")]},
        BASE_VERDICTS,
        "routine",
        ALL,
    ),
    V(
        "mirels_8",
        {"lesions": [rib(), long_bone("femur", "moderate", "mixed", "one_third_to_two_thirds")]},
        "R R N R C R R N N C C N N N",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "mirels_9_peritrochanteric",
        {
            "lesions": [
                rib(),
                long_bone("femur", "moderate", "mixed", "one_third_to_two_thirds", peritrochanteric=True),
            ]
        },
        "R R N R C R R N N R R N N N",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "mirels_peritrochanteric_unknown",
        {
            "lesions": [
                rib(),
                long_bone("femur", "moderate", "mixed", "one_third_to_two_thirds", peritrochanteric=None),
            ]
        },
        "R R N R C R R N N I I N N N",
        "routine",
        ALL,
        missing={T.surgery: ["lesions[1].mirels_score", "lesions[1].peritrochanteric"]},
    ),
    V(
        "mirels_reported_10",
        {"lesions": [rib(), long_bone("tibia", "functional", "lytic", None, mirels_score=10)]},
        "R R N R C R R N N R R N N N",
        "urgent",
        WITH_SURGERY,
    ),
    # --- fractures and surgery's contraindications ---
    V(
        "pathological_fracture",
        {"lesions[0].pathological_fracture": True},
        "R R N R C R R N N R R N N N",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "fracture_unknown",
        {"lesions[0].pathological_fracture": None},
        "R R N R C R R N N I I N N N",
        "routine",
        ALL,
        missing={T.surgery: ["lesions[0].pathological_fracture"]},
    ),
    V(
        "fracture_cannot_tolerate_anaesthesia",
        {"lesions[0].pathological_fracture": True, "status.can_tolerate_anaesthesia": False},
        "R R N R C R R N N X N X N X",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "fracture_anaesthesia_unknown",
        {"lesions[0].pathological_fracture": True, "status.can_tolerate_anaesthesia": None},
        "R R N R C R R N N C C N N N",
        "urgent",
        WITH_SURGERY,
        missing={T.surgery: ["status.can_tolerate_anaesthesia"]},
    ),
    V(
        "fracture_short_life_expectancy",
        {"lesions[0].pathological_fracture": True, "status.life_expectancy_months": 2.0},
        "R R N R C R R N N C C N N N",
        "urgent",
        WITH_SURGERY,
    ),
    V(
        "fracture_pregnant",
        {"lesions[0].pathological_fracture": True, "patient.pregnant": True},
        "C C N C C R C X X R C N N N",
        "urgent",
        WITH_SURGERY,
        alerts=("pregnancy",),
    ),
    # --- external beam radiotherapy ---
    V(
        "no_painful_lesion",
        {"lesions[0].painful": False},
        "R R N R R R N N N N N N N N",
        "routine",
        "onc pal phy rad",
    ),
    V(
        "painful_unknown",
        {"lesions[0].painful": None},
        "R R N R R R I N N N N N N N",
        "routine",
        "onc pal phy rad",
        missing={T.external_beam_radiotherapy: ["lesions[0].painful"]},
    ),
    V(
        "reirradiation",
        {"lesions[0].prior_radiotherapy": True},
        "R R N R R R C N N N N N N N",
        "routine",
        ALL,
    ),
    # --- thermal ablation ---
    V("ablation_target", TARGET, "R R N R R R C N N N N R N N", "routine", ALL),
    V(
        "ablation_inaccessible",
        {**TARGET, "lesions[0].percutaneously_accessible": False},
        "R R N R R R C N N N N X N N",
        "routine",
        ALL,
    ),
    V(
        "ablation_spine_9_mm",
        {
            "lesions": [
                rib(),
                spine(
                    *SPINE_6,
                    painful=True,
                    prior_radiotherapy=True,
                    pain_persists_after_radiotherapy=True,
                    distance_to_neural_mm=9.0,
                ),
            ]
        },
        "R R N R R R R N N N N X C N",
        "routine",
        ALL,
    ),
    V(
        "ablation_spine_10_mm",
        {
            "lesions": [
                rib(),
                spine(
                    *SPINE_6,
                    painful=True,
                    prior_radiotherapy=True,
                    pain_persists_after_radiotherapy=True,
                    distance_to_neural_mm=10.0,
                ),
            ]
        },
        "R R N R R R R N N N N R C N",
        "routine",
        ALL,
    ),
    V(
        "ablation_bleeding",
        {**TARGET, "status.uncorrectable_bleeding": True},
        "R R N R R R C N N N N X N X",
        "routine",
        ALL,
    ),
    V(
        "ablation_infection",
        {**TARGET, "status.active_infection": True},
        "R R N R R R C N N N N C N X",
        "routine",
        ALL,
    ),
    V(
        "ablation_adjacent_critical",
        {**TARGET, "lesions[0].adjacent_critical_structure": True},
        "R R N R R R C N N N N C N N",
        "routine",
        ALL,
    ),
    V(
        "ablation_access_unknown",
        {**TARGET, "lesions[0].percutaneously_accessible": None},
        "R R N R R R C N N N N I N N",
        "routine",
        ALL,
        missing={T.thermal_ablation: ["lesions[0].percutaneously_accessible"]},
    ),
    V(
        "ablation_widespread",
        {
            "lesions": [
                rib(prior_radiotherapy=True, pain_persists_after_radiotherapy=True),
                pelvis(),
                pelvis(id="A1", site="acetabulum"),
                pelvis(id="K1", site="skull"),
                pelvis(id="SC1", site="scapula"),
                pelvis(id="CL1", site="clavicle"),
            ]
        },
        "R R N R R R C N N N N C N N",
        "routine",
        ALL,
    ),
    # --- hemibody radiotherapy and myelosuppression ---
    V("hemibody_three_painful", THREE_PAINFUL, "R R N R R R R C N N N N N N", "routine", ALL),
    V(
        "hemibody_platelets_99",
        {**THREE_PAINFUL, "labs.platelets_10e9_l": 99.0},
        "R R N R R R R X X N N N N N",
        "routine",
        ALL,
    ),
    V(
        "hemibody_platelets_100",
        {**THREE_PAINFUL, "labs.platelets_10e9_l": 100.0},
        "R R N R R R R C N N N N N N",
        "routine",
        ALL,
    ),
    V(
        "hemibody_neutrophils_1_49",
        {**THREE_PAINFUL, "labs.neutrophils_10e9_l": 1.49},
        "R R N R R R R X X N N N N N",
        "routine",
        ALL,
    ),
    V(
        "hemibody_haemoglobin_9_9",
        {**THREE_PAINFUL, "labs.haemoglobin_g_dl": 9.9},
        "R R N R R R R X X N N N N N",
        "routine",
        ALL,
    ),
    V(
        "hemibody_myelosuppression_unknown",
        {**THREE_PAINFUL, "status.myelosuppression": None, "labs.platelets_10e9_l": None},
        "R R N R R R R I N N N N N N",
        "routine",
        ALL,
        missing={T.hemibody_radiotherapy: ["status.myelosuppression"]},
    ),
    V(
        "hemibody_counts_normal_status_unknown",
        {**THREE_PAINFUL, "status.myelosuppression": None},
        "R R N R R R R C N N N N N N",
        "routine",
        ALL,
    ),
    V(
        "hemibody_low_platelets_beat_stated_no",
        {**THREE_PAINFUL, "labs.platelets_10e9_l": 50.0},
        "R R N R R R R X X N N N N N",
        "routine",
        ALL,
    ),
    V(
        "hemibody_pregnant",
        {**THREE_PAINFUL, "patient.pregnant": True},
        "C C N C R R C X X N N N N N",
        "routine",
        ALL,
        alerts=("pregnancy",),
    ),
    # --- radiopharmaceutical ---
    V(
        "radiopharmaceutical_chemo_41_days",
        {**REFRACTORY, "history.last_chemotherapy_date": days_ago(41)},
        "R R N R R R R N X N N N N N",
        "routine",
        ALL,
        eligible_from=date(2026, 6, 2),
    ),
    V(
        "radiopharmaceutical_chemo_42_days",
        {**REFRACTORY, "history.last_chemotherapy_date": days_ago(42)},
        "R R N R R R R N R N N N N N",
        "routine",
        "nuc " + ALL,
    ),
    V(
        "radiopharmaceutical_chemo_unknown",
        {**REFRACTORY, "history.last_chemotherapy_date": None},
        "R R N R R R R N I N N N N N",
        "routine",
        ALL,
        missing={T.radiopharmaceutical: ["history.last_chemotherapy_date"]},
    ),
    V(
        "radiopharmaceutical_chemo_41_days_and_renal_failure",
        {**REFRACTORY, "history.last_chemotherapy_date": days_ago(41), "status.renal_failure": "chronic"},
        "C C N R R R R N X N N N N N",
        "routine",
        ALL,
    ),
    V(
        "radiopharmaceutical_bisphosphonate_10_days",
        {**REFRACTORY, "history.last_bisphosphonate_date": days_ago(10)},
        "R R N R R R R N C N N N N N",
        "routine",
        "nuc " + ALL,
        alerts=("source_conflict",),
    ),
    V(
        "radiopharmaceutical_bisphosphonate_42_days",
        {**REFRACTORY, "history.last_bisphosphonate_date": days_ago(42)},
        "R R N R R R R N R N N N N N",
        "routine",
        "nuc " + ALL,
    ),
    V(
        "radiopharmaceutical_bisphosphonate_unknown",
        {**REFRACTORY, "history.last_bisphosphonate_date": None},
        "R R N R R R R N C N N N N N",
        "routine",
        "nuc " + ALL,
        missing={T.radiopharmaceutical: ["history.last_bisphosphonate_date"]},
    ),
    V(
        "radiopharmaceutical_visceral",
        {**REFRACTORY, "visceral_metastases": True},
        "R R N R R R R N C N N N N N",
        "routine",
        "nuc " + ALL,
    ),
    V(
        "radiopharmaceutical_visceral_unknown",
        {**REFRACTORY, "visceral_metastases": None},
        "R R N R R R R N C N N N N N",
        "routine",
        "nuc " + ALL,
        missing={T.radiopharmaceutical: ["visceral_metastases"]},
    ),
    V(
        "radiopharmaceutical_bone_scan_negative",
        {**REFRACTORY, "status.bone_scan_positive": False},
        BASE_VERDICTS,
        "routine",
        ALL,
    ),
    V(
        "radiopharmaceutical_life_expectancy_3",
        {**REFRACTORY, "status.life_expectancy_months": 3.0},
        BASE_VERDICTS,
        "routine",
        ALL,
    ),
    # hemibody: contraindicated comes before not_indicated in the verdict order
    V(
        "radiopharmaceutical_myelosuppression",
        {**REFRACTORY, "status.myelosuppression": True},
        "R R N R R R R X X N N N N N",
        "routine",
        ALL,
    ),
]


def test_enough_vignettes() -> None:
    assert len(VIGNETTES) >= 60
    assert len({v.name for v in VIGNETTES}) == len(VIGNETTES)


def check_vignette(vignette: Vignette) -> Recommendation:
    rec = run(make_case(vignette.changes))
    expected = [LETTER[letter] for letter in vignette.verdicts.split()]
    assert len(expected) == len(TherapyCode)
    got = {t.code: t.status for t in rec.therapies}
    assert got == dict(zip(TherapyCode, expected, strict=True))
    assert rec.urgency == vignette.urgency
    assert [str(s) for s in rec.required_specialties] == sorted(
        SPECIALTY[s] for s in vignette.specialties.split()
    )
    assert [a.code for a in rec.alerts] == list(vignette.alerts)
    by_code = {t.code: t for t in rec.therapies}
    for code, paths in vignette.missing.items():
        assert by_code[code].missing == paths, code
    for therapy in rec.therapies:
        if therapy.status == Verdict.insufficient_data:
            assert therapy.missing, therapy.code
        if therapy.status in (Verdict.recommended, Verdict.not_indicated, Verdict.contraindicated):
            assert therapy.missing == [], therapy.code
        assert therapy.reasons and all(r.source for r in therapy.reasons)
    assert by_code[T.radiopharmaceutical].eligible_from == vignette.eligible_from
    if vignette.discussion is not None:
        assert rec.discussion_reasons == list(vignette.discussion)
        assert rec.discussion == ("full" if vignette.discussion else "standard_of_care")
    for code, reason_codes in vignette.reasons.items():
        assert [r.code for r in by_code[code].reasons] == list(reason_codes), code
    return rec


@pytest.mark.parametrize("vignette", VIGNETTES, ids=lambda v: v.name)
def test_vignette(vignette: Vignette) -> None:
    check_vignette(vignette)
