"""Vignettes of ruleset 2027.01 (clinical-rules.md §1, §3, §5, §7, §9), written from the rules' text: stereotactic
body radiotherapy, vertebral augmentation and the bone-health reasons of the osteoclast inhibitor, every branch
and boundary, with each stated therapy's reason codes in order.

Same notation as test_vignettes.py; the builders' BASE is a breast primary with 8 metastases at the latest
staging (not oligometastatic), ECOG 1, life expectancy 12 months, a painful rib and a painless pelvic lesion.
"""

from typing import Any

import pytest

from tests.unit.eligibility.builders import pelvis, rib, spine
from tests.unit.eligibility.test_vignettes import (
    ALL,
    MALE,
    REFRACTORY,
    SPINE_6,
    SPINE_7,
    SPINE_12,
    SPINE_13,
    WITH_SURGERY,
    T,
    V,
    Vignette,
    check_vignette,
)

SBRT = T.stereotactic_body_radiotherapy
AUG = T.vertebral_augmentation
EBRT = T.external_beam_radiotherapy
OSTEO = T.osteoclast_inhibitor

OLIGO = {"status.metastasis_count": 3}
SBRT_OLIGO = ("sbrt_oligometastatic", "sbrt_conditional")
EBRT_WITH_ALTERNATIVE = ("ebrt_painful_lesion", "ebrt_single_fraction", "sbrt_alternative")
EBRT_ALONE = ("ebrt_painful_lesion", "ebrt_single_fraction")

# Spine lesions that are augmentation targets (or not), with SINS below 7.
AUG_LT = ("T5", "moderate", "blastic", "normal", "lt_50pct", "none")  # SINS 1+1+0+0+2+0 = 4
AUG_GT = ("T5", "moderate", "blastic", "normal", "gt_50pct", "none")  # 1+1+0+0+3+0 = 5
AUG_MECH = ("T5", "mechanical", "blastic", "normal", "none", "none")  # 1+3+0+0+0+0 = 4
AUG_NONE = ("T5", "moderate", "blastic", "normal", "none_gt_50pct_involved", "none")  # 1+1+0+0+1+0 = 3
TARGET = {"lesions": [rib(), spine(*AUG_LT, painful=True)]}
AUG_CONSIDER = ("augmentation_indicated", "augmentation_team_agreement", "augmentation_not_antitumour")
AUG_BASE = "R R N R R R R N N N N N N C"
AUG_NO = ("augmentation_not_indicated",)


def aug_with(note: str) -> tuple[str, ...]:
    """The reasons of augmentation consider with one reason that changes no verdict."""
    return (AUG_CONSIDER[0], note, *AUG_CONSIDER[1:])


def target(**fields: Any) -> dict[str, Any]:
    """TARGET with the spine lesion changed."""
    return {"lesions": [rib(), spine(*AUG_LT, **{"painful": True, **fields})]}


def four_more_lesions() -> list[dict[str, Any]]:
    return [
        pelvis(id=f"X{i}", site=site) for i, site in enumerate(("acetabulum", "skull", "scapula", "clavicle"))
    ]


RADIORESISTANT = ("kidney", "melanoma", "sarcoma", "colorectal", "gastrointestinal", "thyroid")
NOT_RADIORESISTANT = ("lung", "bladder", "gynaecological", "head_and_neck", "other", "unknown_primary")

SBRT_VIGNETTES = [
    # --- O: oligometastatic (§1), 5 vs 6 metastases, and the count not recorded ---
    V(
        "sbrt_oligometastatic_5",
        {"status.metastasis_count": 5},
        "R R N R R R R N N N N N C N",
        "routine",
        ALL,
        reasons={SBRT: SBRT_OLIGO, EBRT: EBRT_WITH_ALTERNATIVE},
        discussion=("stereotactic_body_radiotherapy_consider",),
    ),
    V(
        "sbrt_metastases_6",
        {"status.metastasis_count": 6},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={SBRT: ("sbrt_not_indicated",), EBRT: EBRT_ALONE},
        discussion=(),
    ),
    V(
        "sbrt_single_lesion_single_metastasis",
        {"lesions": [rib()], "status.metastasis_count": 1},
        "R R N R R R R N N N N N C N",
        "routine",
        ALL,
        reasons={SBRT: SBRT_OLIGO},
    ),
    V(
        "sbrt_count_not_recorded_2_lesions",
        {"status.metastasis_count": None},
        "R R N R R R R N N N N N I N",
        "routine",
        ALL,
        missing={SBRT: ["status.metastasis_count"]},
        reasons={SBRT: ("insufficient_data",), EBRT: EBRT_ALONE},
        discussion=("insufficient_data", "stereotactic_body_radiotherapy_insufficient_data"),
    ),
    V(
        "sbrt_count_not_recorded_5_lesions",
        {"status.metastasis_count": None, "lesions": [rib(), *four_more_lesions()]},
        "R R N R R R R N N N N N I N",
        "routine",
        ALL,
        missing={SBRT: ["status.metastasis_count"]},
    ),
    V(
        "sbrt_count_not_recorded_6_lesions_is_not_oligometastatic",
        {"status.metastasis_count": None, "lesions": [rib(), pelvis(), *four_more_lesions()]},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={SBRT: ("sbrt_not_indicated",)},
    ),
    # --- E: ECOG 2 / 3, and unknown ---
    V("sbrt_ecog_2", {**OLIGO, "status.ecog": 2}, "R R N R R R R N N N N N C N", "routine", ALL),
    V(
        "sbrt_ecog_3",
        {**OLIGO, "status.ecog": 3},
        "R R N R R C R N N N N N N N",
        "routine",
        ALL,
        reasons={SBRT: ("sbrt_performance_status",), EBRT: EBRT_ALONE},
        discussion=(),
    ),
    V(
        "sbrt_ecog_unknown_oligometastatic",
        {**OLIGO, "status.ecog": None},
        "R R N R R C R N N N N N I N",
        "routine",
        ALL,
        missing={SBRT: ["status.ecog"], T.systemic_therapy: ["status.ecog"]},
    ),
    # A null that could not change the verdict is not missing (§2).
    V(
        "sbrt_ecog_unknown_not_oligometastatic",
        {"status.ecog": None},
        "R R N R R C R N N N N N N N",
        "routine",
        ALL,
        missing={T.systemic_therapy: ["status.ecog"]},
        reasons={SBRT: ("sbrt_not_indicated",)},
    ),
    # --- L: life expectancy 6 months, and unknown ---
    V(
        "sbrt_life_expectancy_6",
        {**OLIGO, "status.life_expectancy_months": 6.0},
        "R R N R R R R N N N N N C N",
        "routine",
        ALL,
    ),
    V(
        "sbrt_life_expectancy_5_9",
        {**OLIGO, "status.life_expectancy_months": 5.9},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={SBRT: ("sbrt_prognosis",)},
    ),
    V(
        "sbrt_life_expectancy_unknown",
        {**OLIGO, "status.life_expectancy_months": None},
        "R R N R R R R N N N N N I N",
        "routine",
        ALL,
        missing={SBRT: ["status.life_expectancy_months"]},
    ),
    V(
        "sbrt_every_part_false_gives_every_reason",
        {"status.ecog": 3, "status.life_expectancy_months": 2.0},
        "R R N R R C R N N N N N N N",
        "routine",
        ALL,
        reasons={SBRT: ("sbrt_performance_status", "sbrt_prognosis", "sbrt_not_indicated")},
    ),
    # An unknown O with a known-false E: false wins the "and".
    V(
        "sbrt_count_not_recorded_ecog_3",
        {"status.metastasis_count": None, "status.ecog": 3},
        "R R N R R C R N N N N N N N",
        "routine",
        ALL,
        reasons={SBRT: ("sbrt_performance_status",)},
    ),
    V(
        "sbrt_count_and_ecog_unknown",
        {"status.metastasis_count": None, "status.ecog": None},
        "R R N R R C R N N N N N I N",
        "routine",
        ALL,
        missing={SBRT: ["status.ecog", "status.metastasis_count"], T.systemic_therapy: ["status.ecog"]},
    ),
    # --- R: each radioresistant site, with a painful lesion (the count is 8: O false) ---
    *(
        V(
            f"sbrt_radioresistant_{site}",
            {"primary_tumour.site": site},
            "R R N R R C R N N N N N C N",
            "routine",
            ALL,
            reasons={SBRT: ("sbrt_radioresistant", "sbrt_conditional"), EBRT: EBRT_WITH_ALTERNATIVE},
        )
        for site in RADIORESISTANT
    ),
    *(
        V(
            f"sbrt_not_radioresistant_{site}",
            {"primary_tumour.site": site},
            "R R N R R C R N N N N N N N",
            "routine",
            ALL,
            reasons={SBRT: ("sbrt_not_indicated",), EBRT: EBRT_ALONE},
        )
        for site in NOT_RADIORESISTANT
    ),
    V(
        "sbrt_not_radioresistant_prostate",
        {**MALE, "primary_tumour.site": "prostate", "primary_tumour.castration_resistant": True},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
    ),
    V(
        "sbrt_radioresistant_no_painful_lesion",
        {"primary_tumour.site": "kidney", "lesions[0].painful": False},
        "R R N R R C N N N N N N N N",
        "routine",
        "onc pal phy rad",
        reasons={SBRT: ("sbrt_not_indicated",)},
    ),
    V(
        "sbrt_radioresistant_painful_unknown",
        {"primary_tumour.site": "kidney", "lesions[0].painful": None},
        "R R N R R C I N N N N N I N",
        "routine",
        "onc pal phy rad",
        missing={SBRT: ["lesions[0].painful"], EBRT: ["lesions[0].painful"]},
    ),
    V(
        "sbrt_radioresistant_one_painful_one_unknown",
        {"primary_tumour.site": "kidney", "lesions[1].painful": None},
        "R R N R R C R N N N N N C N",
        "routine",
        ALL,
    ),
    # --- S: a painful spine lesion already irradiated ---
    V(
        "sbrt_spine_reirradiation",
        {"lesions": [rib(), spine(*SPINE_6, painful=True, prior_radiotherapy=True)]},
        "R R N R R R R N N N N N C N",
        "routine",
        ALL,
        reasons={SBRT: ("sbrt_spine_reirradiation", "sbrt_conditional"), T.vertebral_augmentation: AUG_NO},
    ),
    V(
        "sbrt_spine_irradiated_painful_unknown",
        {"lesions": [rib(), spine(*SPINE_6, painful=None, prior_radiotherapy=True)]},
        "R R N R R R R N N N N N I N",
        "routine",
        ALL,
        missing={SBRT: ["lesions[1].painful"]},
    ),
    V(
        "sbrt_spine_painful_irradiation_unknown",
        {"lesions": [rib(), spine(*SPINE_6, painful=True, prior_radiotherapy=None)]},
        "R R N R R R R N N N N N I N",
        "routine",
        ALL,
        missing={SBRT: ["lesions[1].prior_radiotherapy"]},
    ),
    V(
        "sbrt_spine_painless_irradiation_unknown",
        {"lesions": [rib(), spine(*SPINE_6, painful=False, prior_radiotherapy=None)]},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
    ),
    # --- the absolute contraindication and its required input ---
    V(
        "sbrt_cord_compression",
        {**OLIGO, "neurology.spinal_cord_compression": "suspected"},
        "R R N R C R R N X R R N X X",
        "urgent",
        WITH_SURGERY,
        reasons={
            SBRT: ("sbrt_cord_compression", "sbrt_oligometastatic"),
            AUG: ("augmentation_cord_compression",),
            EBRT: ("ebrt_cord_compression", "ebrt_painful_lesion", "ebrt_single_fraction"),
        },
    ),
    V(
        "sbrt_neurology_unknown",
        {**OLIGO, "neurology.spinal_cord_compression": None},
        "R R N R C R R N N N N N I N",
        "routine",
        ALL,
        missing={SBRT: ["neurology.spinal_cord_compression"]},
        reasons={AUG: AUG_NO},
    ),
    V(
        "sbrt_neurology_and_count_unknown",
        {"status.metastasis_count": None, "neurology.spinal_cord_compression": None},
        "R R N R C R R N N N N N I N",
        "routine",
        ALL,
        missing={SBRT: ["neurology.spinal_cord_compression", "status.metastasis_count"]},
    ),
    # §1: a null ESCC grade is no cord compression; only neurology is required.
    V(
        "sbrt_escc_unknown",
        {**OLIGO, "lesions": [rib(), spine(*SPINE_6, escc_grade=None)]},
        "R R N R C R R N N I I N C N",
        "routine",
        ALL,
        reasons={SBRT: SBRT_OLIGO},
    ),
    # --- reasons that never change the verdict ---
    V(
        "sbrt_pregnant",
        {**OLIGO, "patient.pregnant": True},
        "C C N C R R C X X N N N C N",
        "routine",
        ALL,
        alerts=("pregnancy",),
        reasons={
            SBRT: ("sbrt_oligometastatic", "sbrt_pregnancy", "sbrt_conditional"),
            EBRT: ("rel_pregnant_radiotherapy", *EBRT_WITH_ALTERNATIVE),
        },
    ),
    V(
        "sbrt_sins_7_stability_review",
        {**OLIGO, "lesions": [rib(), spine(*SPINE_7)]},
        "R R N R C R R N N C C N C N",
        "urgent",
        WITH_SURGERY,
        reasons={SBRT: ("sbrt_oligometastatic", "sbrt_stability_review", "sbrt_conditional")},
    ),
    V(
        "sbrt_sins_13_is_not_a_contraindication",
        {**OLIGO, "lesions": [rib(), spine(*SPINE_13)]},
        "R R N R C R R N N R R N C N",
        "urgent",
        WITH_SURGERY,
        reasons={SBRT: ("sbrt_oligometastatic", "sbrt_stability_review", "sbrt_conditional")},
    ),
    V(
        "sbrt_stability_review_when_not_indicated",
        {"lesions": [rib(), spine(*SPINE_7)]},
        "R R N R C R R N N C C N N N",
        "urgent",
        WITH_SURGERY,
        reasons={SBRT: ("sbrt_not_indicated", "sbrt_stability_review")},
    ),
    V(
        "ebrt_not_indicated_still_gains_sbrt_alternative",
        {**OLIGO, "lesions[0].painful": False},
        "R R N R R R N N N N N N C N",
        "routine",
        ALL,
        reasons={EBRT: ("ebrt_not_indicated", "ebrt_single_fraction", "sbrt_alternative")},
        discussion=("stereotactic_body_radiotherapy_consider",),
    ),
]

AUGMENTATION_VIGNETTES = [
    # --- the two target branches ---
    V(
        "augmentation_collapse_lt_50",
        TARGET,
        AUG_BASE,
        "routine",
        WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER, SBRT: ("sbrt_not_indicated",)},
        discussion=("vertebral_augmentation_consider",),
    ),
    V(
        "augmentation_collapse_gt_50",
        {"lesions": [rib(), spine(*AUG_GT, painful=True)]},
        AUG_BASE,
        "routine",
        WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER},
    ),
    V(
        "augmentation_mechanical_refractory",
        {"lesions": [rib(), spine(*AUG_MECH, painful=True)], **REFRACTORY},
        "R R N R R R R N R N N N N C",
        "routine",
        "nuc " + WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER},
    ),
    V(
        "augmentation_mechanical_not_refractory",
        {"lesions": [rib(), spine(*AUG_MECH, painful=True)]},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={AUG: AUG_NO},
    ),
    V(
        "augmentation_collapse_not_painful",
        {"lesions": [rib(), spine(*AUG_LT, painful=False)]},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
    ),
    V(
        "augmentation_no_collapse_not_mechanical",
        {"lesions": [rib(), spine(*AUG_NONE, painful=True)], **REFRACTORY},
        "R R N R R R R N R N N N N N",
        "routine",
        "nuc " + ALL,
        reasons={AUG: AUG_NO},
    ),
    # --- three-valued targets: what is missing, and what is not ---
    V(
        "augmentation_mechanical_refractory_unknown",
        {"lesions": [rib(), spine(*AUG_MECH, painful=True)], "pain.refractory_to_analgesics": None},
        "R R N R R R R N I N N N N I",
        "routine",
        ALL,
        missing={
            AUG: ["pain.refractory_to_analgesics"],
            T.radiopharmaceutical: ["pain.refractory_to_analgesics"],
        },
        discussion=(
            "insufficient_data",
            "radiopharmaceutical_insufficient_data",
            "vertebral_augmentation_insufficient_data",
        ),
    ),
    V(
        "augmentation_collapse_painful_unknown",
        {"lesions": [rib(), spine(*AUG_LT, painful=None)]},
        "R R N R R R R N N N N N N I",
        "routine",
        ALL,
        missing={AUG: ["lesions[1].painful"]},
    ),
    V(
        "augmentation_painful_unknown_cannot_be_a_target",
        {"lesions": [rib(), spine(*AUG_NONE, painful=None)]},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
    ),
    V(
        "augmentation_collapse_unknown",
        {"lesions": [rib(), spine(*AUG_NONE, painful=True, vertebral_body_collapse=None, sins_score=3)]},
        "R R N R R R R N N N N N N I",
        "routine",
        ALL,
        missing={AUG: ["lesions[1].vertebral_body_collapse"]},
    ),
    V(
        "augmentation_collapse_and_pattern_unknown",
        {
            "lesions": [
                rib(),
                spine(*AUG_NONE, painful=True, vertebral_body_collapse=None, pain_pattern=None, sins_score=3),
            ],
            **REFRACTORY,
        },
        "R R N R R R R N R N N N N I",
        "routine",
        "nuc " + ALL,
        missing={AUG: ["lesions[1].pain_pattern", "lesions[1].vertebral_body_collapse"]},
    ),
    V(
        "augmentation_collapse_and_refractory_unknown",
        {
            "lesions": [rib(), spine(*AUG_MECH, painful=True, vertebral_body_collapse=None, sins_score=4)],
            "pain.refractory_to_analgesics": None,
        },
        "R R N R R R R N I N N N N I",
        "routine",
        ALL,
        missing={AUG: ["lesions[1].vertebral_body_collapse", "pain.refractory_to_analgesics"]},
    ),
    V(
        "augmentation_pattern_unknown_not_refractory",
        {"lesions": [rib(), spine(*AUG_MECH, painful=True, pain_pattern=None, sins_score=1)]},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={AUG: AUG_NO},
    ),
    V(
        "augmentation_pattern_unknown_refractory",
        {"lesions": [rib(), spine(*AUG_MECH, painful=True, pain_pattern=None, sins_score=1)], **REFRACTORY},
        "R R N R R R R N R N N N N I",
        "routine",
        "nuc " + ALL,
        missing={AUG: ["lesions[1].pain_pattern"]},
    ),
    V(
        "augmentation_one_target_settles_it",
        {
            "lesions": [
                rib(painful=False),
                spine(*AUG_LT, painful=True),
                spine(*AUG_LT, id="S2", painful=None),
            ]
        },
        AUG_BASE,
        "routine",
        WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER},
    ),
    # --- absolute contraindications, known and unknown ---
    V(
        "augmentation_cord_compression",
        {**TARGET, "neurology.spinal_cord_compression": "suspected"},
        "R R N R C R R N X R R N X X",
        "urgent",
        WITH_SURGERY,
        reasons={AUG: ("augmentation_cord_compression", "augmentation_indicated")},
    ),
    V(
        "augmentation_neurology_unknown",
        {**TARGET, "neurology.spinal_cord_compression": None},
        "R R N R C R R N N N N N N I",
        "routine",
        ALL,
        missing={AUG: ["neurology.spinal_cord_compression"]},
    ),
    V(
        "augmentation_bleeding",
        {**TARGET, "status.uncorrectable_bleeding": True},
        "R R N R R R R N N N N X N X",
        "routine",
        ALL,
        reasons={AUG: ("augmentation_bleeding", "augmentation_indicated")},
    ),
    V(
        "augmentation_bleeding_unknown",
        {**TARGET, "status.uncorrectable_bleeding": None},
        "R R N R R R R N N N N N N I",
        "routine",
        ALL,
        missing={AUG: ["status.uncorrectable_bleeding"]},
    ),
    V(
        "augmentation_infection",
        {**TARGET, "status.active_infection": True},
        "R R N R R R R N N N N N N X",
        "routine",
        ALL,
        reasons={AUG: ("augmentation_infection", "augmentation_indicated")},
    ),
    V(
        "augmentation_infection_unknown",
        {**TARGET, "status.active_infection": None},
        "R R N R R R R N N N N N N I",
        "routine",
        ALL,
        missing={AUG: ["status.active_infection"]},
    ),
    V(
        "augmentation_cannot_tolerate_anaesthesia",
        {**TARGET, "status.can_tolerate_anaesthesia": False},
        "R R N R R R R N N X N X N X",
        "routine",
        ALL,
        reasons={AUG: ("augmentation_anaesthesia", "augmentation_indicated")},
    ),
    V(
        "augmentation_anaesthesia_unknown",
        {**TARGET, "status.can_tolerate_anaesthesia": None},
        "R R N R R R R N N N N N N I",
        "routine",
        ALL,
        missing={AUG: ["status.can_tolerate_anaesthesia"]},
    ),
    V(
        "augmentation_contraindicated_even_when_not_indicated",
        {"status.active_infection": True},
        "R R N R R R R N N N N N N X",
        "routine",
        ALL,
        reasons={AUG: ("augmentation_infection",)},
    ),
    V(
        "augmentation_required_null_not_missing_when_not_indicated",
        {"status.active_infection": None, "status.uncorrectable_bleeding": None},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={AUG: AUG_NO},
    ),
    # --- unstable targets (SINS >= 13) ---
    V(
        "augmentation_unstable_target",
        {"lesions": [rib(), spine(*SPINE_13, painful=True)]},
        "R R N R C R R N N R R N N X",
        "urgent",
        WITH_SURGERY,
        reasons={
            AUG: ("augmentation_unstable", "augmentation_indicated"),
            SBRT: ("sbrt_not_indicated", "sbrt_stability_review"),
        },
    ),
    V(
        "augmentation_target_sins_12",
        {"lesions": [rib(), spine(*SPINE_12, painful=True)]},
        "R R N R C R R N N C C N N C",
        "urgent",
        WITH_SURGERY,
        reasons={AUG: aug_with("augmentation_surgical_agreement")},
    ),
    V(
        "augmentation_target_sins_unknown",
        target(posterolateral_involvement=None),
        "R R N R C R R N N I I N N I",
        "routine",
        ALL,
        missing={
            AUG: ["lesions[1].posterolateral_involvement", "lesions[1].sins_score"],
            T.surgery: ["lesions[1].posterolateral_involvement", "lesions[1].sins_score"],
        },
    ),
    V(
        "augmentation_target_sins_unknown_other_target_stable",
        {
            "lesions": [
                rib(painful=False),
                spine(*AUG_LT, painful=True, posterolateral_involvement=None),
                spine(*AUG_LT, id="S2", painful=True),
            ]
        },
        "R R N R C R R N N I I N N C",
        "routine",
        WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER},
    ),
    V(
        "augmentation_one_target_unstable_one_stable",
        {
            "lesions": [
                rib(painful=False),
                spine(*SPINE_13, painful=True),
                spine(*AUG_LT, id="S2", painful=True),
            ]
        },
        "R R N R C R R N N R R N N C",
        "urgent",
        WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER},
    ),
    # READINGS.md: while a lesion might still be a target, "every target unstable" is not known true.
    V(
        "augmentation_unstable_target_other_undecided",
        {
            "lesions": [
                rib(painful=False),
                spine(*SPINE_13, painful=True),
                spine(*AUG_LT, id="S2", painful=None),
            ]
        },
        "R R N R C R R N N R R N N C",
        "urgent",
        WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER},
    ),
    # --- reasons that never change the verdict nor enter missing ---
    *(
        V(
            f"augmentation_posterior_wall_{wall}",
            target(posterior_wall=wall),
            AUG_BASE,
            "routine",
            WITH_SURGERY,
            reasons={AUG: aug_with("augmentation_posterior_wall")},
        )
        for wall in ("involved", "retropulsed")
    ),
    V(
        "augmentation_posterior_wall_unknown",
        target(posterior_wall=None),
        AUG_BASE,
        "routine",
        WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER},
    ),
    *(
        V(
            f"augmentation_epidural_extension_{grade}",
            target(escc_grade=grade),
            AUG_BASE,
            "urgent" if grade == "1c" else "routine",
            WITH_SURGERY,
            reasons={AUG: aug_with("augmentation_epidural_extension")},
        )
        for grade in ("1a", "1b", "1c")
    ),
    V(
        "augmentation_platelets_49",
        {**TARGET, "labs.platelets_10e9_l": 49.0},
        "R R N R R R R X X N N N N C",
        "routine",
        WITH_SURGERY,
        reasons={AUG: aug_with("augmentation_coagulation")},
    ),
    V(
        "augmentation_platelets_50",
        {**TARGET, "labs.platelets_10e9_l": 50.0},
        "R R N R R R R X X N N N N C",
        "routine",
        WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER},
    ),
    V(
        "augmentation_inr_1_6",
        {**TARGET, "labs.inr": 1.6},
        AUG_BASE,
        "routine",
        WITH_SURGERY,
        reasons={AUG: aug_with("augmentation_coagulation")},
    ),
    V(
        "augmentation_inr_1_5",
        {**TARGET, "labs.inr": 1.5},
        AUG_BASE,
        "routine",
        WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER},
    ),
    V(
        "augmentation_inr_unknown",
        {**TARGET, "labs.inr": None},
        AUG_BASE,
        "routine",
        WITH_SURGERY,
        reasons={AUG: AUG_CONSIDER},
    ),
    V(
        "augmentation_coagulation_when_not_indicated",
        {"labs.inr": 2.0},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={AUG: ("augmentation_not_indicated", "augmentation_coagulation")},
    ),
    V(
        "augmentation_pregnant",
        {**TARGET, "patient.pregnant": True},
        "C C N C R R C X X N N N N C",
        "routine",
        WITH_SURGERY,
        alerts=("pregnancy",),
        reasons={AUG: aug_with("augmentation_pregnancy")},
    ),
    # §7: both therapies, in the order the rule names them.
    V(
        "sbrt_and_augmentation_both_consider",
        {**TARGET, **OLIGO},
        "R R N R R R R N N N N N C C",
        "routine",
        WITH_SURGERY,
        discussion=("stereotactic_body_radiotherapy_consider", "vertebral_augmentation_consider"),
    ),
]

OSTEO_BREAST = ("osteoclast_breast", "osteoclast_not_first_line_for_pain")
BONE_HEALTH_VIGNETTES = [
    V(
        "osteoclast_dental_done",
        {},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={OSTEO: (*OSTEO_BREAST, "dental_assessment_done", "calcium_vitamin_d_supplement")},
    ),
    V(
        "osteoclast_dental_not_done",
        {"history.dental_assessment": "not_done"},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={OSTEO: (*OSTEO_BREAST, "dental_assessment_before_start", "calcium_vitamin_d_supplement")},
    ),
    V(
        "osteoclast_dental_not_recorded",
        {"history.dental_assessment": None},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={OSTEO: (*OSTEO_BREAST, "dental_assessment_unrecorded", "calcium_vitamin_d_supplement")},
    ),
    V(
        "osteoclast_already_on_one_dental_review",
        {"history.on_osteoclast_inhibitor": True, "history.dental_assessment": "not_done"},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={
            OSTEO: (
                "osteoclast_continue",
                *OSTEO_BREAST,
                "dental_review_ongoing",
                "calcium_vitamin_d_supplement",
            )
        },
    ),
    V(
        "osteoclast_calcium_2_60",
        {"labs.corrected_calcium_mmol_l": 2.60},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={OSTEO: (*OSTEO_BREAST, "dental_assessment_done", "calcium_vitamin_d_supplement")},
    ),
    V(
        "osteoclast_calcium_2_61",
        {"labs.corrected_calcium_mmol_l": 2.61},
        "R R N R R R R N N N N N N N",
        "routine",
        ALL,
        reasons={OSTEO: (*OSTEO_BREAST, "dental_assessment_done", "calcium_supplement_withheld")},
    ),
    V(
        "osteoclast_calcium_3_2_hypercalcaemia",
        {"labs.corrected_calcium_mmol_l": 3.2},
        "R R N R R R R N N N N N N N",
        "urgent",
        ALL,
        alerts=("hypercalcaemia",),
        reasons={OSTEO: (*OSTEO_BREAST, "dental_assessment_done", "calcium_supplement_withheld")},
    ),
    V(
        "osteoclast_calcium_2_09_low",
        {"labs.corrected_calcium_mmol_l": 2.09},
        "R R N C R R R N N N N N N N",
        "routine",
        ALL,
        reasons={
            OSTEO: (
                "rel_calcium_low",
                *OSTEO_BREAST,
                "dental_assessment_done",
                "calcium_vitamin_d_supplement",
            )
        },
    ),
    V(
        "osteoclast_calcium_unknown",
        {"labs.corrected_calcium_mmol_l": None},
        "R R N C R R R N N N N N N N",
        "routine",
        ALL,
        missing={OSTEO: ["labs.corrected_calcium_mmol_l"]},
        reasons={
            OSTEO: (
                "rel_calcium_low_unknown",
                *OSTEO_BREAST,
                "dental_assessment_done",
                "calcium_check_then_supplement",
            )
        },
    ),
    V(
        "osteoclast_consider_pregnant_gets_both_reasons",
        {"patient.pregnant": True},
        "C C N C R R C X X N N N N N",
        "routine",
        ALL,
        alerts=("pregnancy",),
        reasons={
            OSTEO: (
                "rel_pregnant_osteoclast",
                *OSTEO_BREAST,
                "dental_assessment_done",
                "calcium_vitamin_d_supplement",
            )
        },
    ),
    V(
        "osteoclast_not_indicated_has_neither",
        {**MALE, "primary_tumour.site": "prostate", "primary_tumour.castration_resistant": False},
        "R R N N R R R N N N N N N N",
        "routine",
        ALL,
        reasons={OSTEO: ("osteoclast_prostate_sensitive", "osteoclast_not_first_line_for_pain")},
    ),
    V(
        "osteoclast_insufficient_data_has_neither",
        {**MALE, "primary_tumour.site": "prostate", "primary_tumour.castration_resistant": None},
        "R R N I R R R N N N N N N N",
        "routine",
        ALL,
        missing={OSTEO: ["primary_tumour.castration_resistant"]},
        reasons={OSTEO: ("insufficient_data", "osteoclast_not_first_line_for_pain")},
    ),
]

VIGNETTES_2027_01 = [*SBRT_VIGNETTES, *AUGMENTATION_VIGNETTES, *BONE_HEALTH_VIGNETTES]


def test_names_are_unique() -> None:
    assert len({v.name for v in VIGNETTES_2027_01}) == len(VIGNETTES_2027_01)


@pytest.mark.parametrize("vignette", VIGNETTES_2027_01, ids=lambda v: v.name)
def test_vignette_2027_01(vignette: Vignette) -> None:
    rec = check_vignette(vignette)
    assert rec.ruleset_version == "2027.01"
    verdicts = {t.code: t for t in rec.therapies}
    # Both new therapies are consider at most (§3); EBRT's sbrt_alternative follows SBRT's consider.
    assert verdicts[SBRT].status != "recommended" and verdicts[AUG].status != "recommended"
    alternative = "sbrt_alternative" in [r.code for r in verdicts[EBRT].reasons]
    assert alternative == (verdicts[SBRT].status == "consider")
    # §5: surgery joins when augmentation is consider.
    if verdicts[AUG].status == "consider":
        assert "surgery" in rec.required_specialties
