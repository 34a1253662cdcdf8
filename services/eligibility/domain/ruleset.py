"""ruleset_document(): the published rules (GET /v1/rules), read from the same catalogue and thresholds
as the engine."""

from dataclasses import dataclass, field
from typing import Any

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.discussion import CONDITIONS
from services.eligibility.domain.reasons import text_of
from services.eligibility.domain.urgency import ALERT_TEXTS
from shared.contracts.codes import THERAPY_OWNER, TherapyCode
from shared.contracts.recommendation import Discussion

SOURCES: dict[str, str] = {
    "SEED": "Overview of Therapeutic Approaches for Adult Patients With Bone Metastasis From Solid Tumors, "
    "iCliniq, reviewed by Dr Anuj Gupta, April 2023",
    "SINS": "Fisher CG et al., Spine 2010;35(22):E1221; bands validated by Fourney DR et al., J Clin Oncol 2011",
    "MIRELS": "Mirels H., Clin Orthop Relat Res 1989;(249):256",
    "BILSKY": "Bilsky MH et al., J Neurosurg Spine 2010;13:324",
    "NOMS": "Laufer I et al., Oncologist 2013;18(6):744",
    "PATCHELL": "Patchell RA et al., Lancet 2005;366:643",
    "ASTRO": "Alcorn S et al., ASTRO guideline on palliative EBRT for bone metastases, Pract Radiat Oncol "
    "2024; Lutz S et al., 2017",
    "ESMO": "Coleman R et al., Bone health in cancer: ESMO Clinical Practice Guidelines, Ann Oncol "
    "2020;31:1650",
    "WHO": "WHO analgesic ladder; pain bands 1-3 mild, 4-6 moderate, 7-10 severe",
    "NICE": "NICE NG234 (2023), spinal metastases and metastatic spinal cord compression",
    "SCOR": "Society and College of Radiographers, inclusive pregnancy status guidelines for ionising "
    "radiation (pregnancy enquiry for patients aged 12 to 55)",
    "NHSE": "NHS England, Streamlining multi-disciplinary team meetings: guidance for cancer alliances (2020): "
    "standard-of-care pathways",
    "LABEL": "Product labels: zoledronic acid, denosumab, radium-223",
}


@dataclass(frozen=True)
class TherapyRules:
    indication: tuple[str, ...]
    absolute: tuple[str, ...] = ()
    relative: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())


_LE = f"{t.LIFE_EXPECTANCY_MONTHS:g}"
_AGE = t.PREGNANCY_NOT_ASKED_FROM_AGE

RULEBOOK: dict[TherapyCode, TherapyRules] = {
    TherapyCode.non_opioid_analgesic: TherapyRules(
        indication=("non_opioid_first_step",),
        relative=("rel_pregnant_nsaid", "rel_renal_failure_nsaid"),
        required=("pain.score",),
        notes=("pregnant_not_recorded_by_age",),
    ),
    TherapyCode.opioid_analgesic: TherapyRules(
        indication=("opioid_moderate_severe", "opioid_refractory"),
        relative=("rel_renal_failure_opioid", "rel_pregnant_opioid"),
        required=("pain.score", "pain.refractory_to_analgesics when the score is 1-3"),
        notes=("pregnant_not_recorded_by_age",),
    ),
    TherapyCode.neuropathic_adjuvant: TherapyRules(
        indication=("neuropathic_pain",),
        relative=("rel_renal_failure_adjuvant",),
        required=("pain.neuropathic",),
    ),
    TherapyCode.osteoclast_inhibitor: TherapyRules(
        indication=(
            "osteoclast_continue",
            "osteoclast_breast",
            "osteoclast_prostate_crpc",
            "osteoclast_life_expectancy",
        ),
        relative=("rel_creatinine_clearance_low", "rel_calcium_low", "rel_pregnant_osteoclast"),
        required=(
            "primary_tumour.castration_resistant for a prostate primary (unless already on one)",
            "status.life_expectancy_months for other primaries than breast and prostate (unless already on one)",
        ),
        notes=(
            "osteoclast_not_first_line_for_pain",
            "osteoclast_prostate_sensitive",
            "pregnant_not_recorded_by_age",
        ),
    ),
    TherapyCode.physical_activity: TherapyRules(
        indication=("physical_activity_everyone",),
        relative=(
            "rel_spinal_instability",
            "rel_impending_fracture",
            "rel_pathological_fracture",
            "rel_cord_compression",
        ),
    ),
    TherapyCode.systemic_therapy: TherapyRules(
        indication=("systemic_breast", "systemic_prostate", "systemic_case_by_case"),
        relative=("rel_ecog_poor",),
        notes=("systemic_slow_pain_relief",),
    ),
    TherapyCode.external_beam_radiotherapy: TherapyRules(
        indication=("ebrt_painful_lesion", "ebrt_cord_compression"),
        relative=("rel_pregnant_radiotherapy", "rel_reirradiation"),
        required=("lesions[].painful (only when no lesion is painful and there is no cord compression)",),
        notes=("ebrt_single_fraction", "surgical_review_before_radiotherapy", "pregnant_not_recorded_by_age"),
    ),
    TherapyCode.hemibody_radiotherapy: TherapyRules(
        indication=("hemibody_multiple_painful",),
        absolute=("abs_pregnant", "abs_myelosuppression"),
        required=(
            f"patient.pregnant (not for men; nor at {_AGE} or older)",
            "status.myelosuppression (or the three blood counts)",
        ),
        notes=("hemibody_largely_replaced", "pregnant_not_recorded_by_age"),
    ),
    TherapyCode.radiopharmaceutical: TherapyRules(
        indication=("radiopharmaceutical_indicated",),
        absolute=(
            "abs_cord_compression",
            "abs_renal_failure",
            "abs_pregnant",
            "abs_breastfeeding",
            "abs_myelosuppression",
            "abs_chemotherapy_recent",
        ),
        relative=("rel_bisphosphonate_recent", "rel_visceral_metastases"),
        required=(
            "pain.refractory_to_analgesics",
            "status.bone_scan_positive",
            "status.life_expectancy_months",
            "history.last_chemotherapy_date",
            "status.renal_failure",
            f"patient.pregnant (not for men; nor at {_AGE} or older)",
            f"patient.breastfeeding (not for men; nor at {_AGE} or older)",
            "status.myelosuppression (or the three blood counts)",
            "neurology.spinal_cord_compression",
        ),
        notes=("pregnant_not_recorded_by_age", "breastfeeding_not_recorded_by_age"),
    ),
    TherapyCode.surgery: TherapyRules(
        indication=(
            "surgery_fracture",
            "surgery_sins_unstable",
            "surgery_cord_compression",
            "surgery_mirels_fixation",
            "surgery_sins_indeterminate",
            "surgery_mirels_borderline",
            "surgery_solitary_lesion",
        ),
        absolute=("abs_cannot_tolerate_anaesthesia",),
        relative=("rel_life_expectancy_short_surgery",),
        required=(
            "when no indication is known true: each unknown lesions[].pathological_fracture, the SINS inputs "
            "and escc_grade of spine lesions, and the Mirels inputs of long-bone lesions",
        ),
    ),
    TherapyCode.postoperative_radiotherapy: TherapyRules(
        indication=("postoperative_follows_surgery",),
        relative=("rel_pregnant_radiotherapy",),
        required=("as for surgery",),
        notes=("pregnant_not_recorded_by_age",),
    ),
    TherapyCode.thermal_ablation: TherapyRules(
        indication=("ablation_target",),
        absolute=(
            "abs_cannot_tolerate_anaesthesia_ablation",
            "abs_uncorrectable_bleeding",
            "abs_no_ablatable_target",
        ),
        relative=("rel_widespread", "rel_active_infection", "rel_adjacent_critical_structure"),
        required=(
            "status.can_tolerate_anaesthesia",
            "status.uncorrectable_bleeding",
            "for each target: percutaneously_accessible (and distance_to_neural_mm in the spine)",
        ),
    ),
}

VERDICT_ORDER = (
    "contraindicated: an absolute contraindication is known true",
    "not_indicated: the indication is known false",
    "insufficient_data: a required input (or an input of an undecided indication) is null",
    "consider: a relative contraindication is known true, the indication is case by case, or a null "
    "input leaves a contraindication open (otherwise recommended: the null is listed in missing, with a "
    "reason to check it before starting; it never makes the therapy insufficient_data; a relative "
    "contraindication over lesions is open only when the known lesions do not settle it)",
    "recommended: indicated, no contraindication",
)

DERIVED_FACTS = (
    {
        "fact": "pregnant, breastfeeding",
        "text": "False when sex is male; also false when not recorded and the patient is "
        f"{t.PREGNANCY_NOT_ASKED_FROM_AGE} or older in the evaluation year (evaluation year - birth_year), "
        "for every other sex. A recorded true is kept at any age; with birth_year null a null stays null. "
        "Where a therapy reads the value taken by age, its reasons say so.",
        "source": "SCOR",
    },
)


def discussion_rule() -> dict[str, Any]:
    return {
        "modes": [str(mode) for mode in Discussion],
        "text": "standard_of_care (listed on the MDT's agenda for the record, not discussed at length) when "
        "every condition holds; full otherwise, with discussion_reasons naming each condition that fails, "
        "once each, in the order of the conditions",
        "conditions": [
            {"condition": condition, "reason_codes": list(codes)} for condition, codes in CONDITIONS
        ],
        "source": "NHSE",
    }


def ruleset_document() -> dict[str, Any]:
    return {
        "ruleset_version": t.RULESET_VERSION,
        "sources": dict(SOURCES),
        "verdict_order": list(VERDICT_ORDER),
        "derived_facts": [dict(fact) for fact in DERIVED_FACTS],
        "discussion": discussion_rule(),
        "thresholds": t.thresholds_table(),
        "alerts": dict(ALERT_TEXTS),
        "therapies": [
            {
                "code": str(code),
                "owner": str(THERAPY_OWNER[code]),
                "indication": [text_of(c) for c in rules.indication],
                "absolute_contraindications": [text_of(c) for c in rules.absolute],
                "relative_contraindications": [text_of(c) for c in rules.relative],
                "required_inputs": list(rules.required),
                "notes": [text_of(c) for c in rules.notes],
            }
            for code in TherapyCode
            for rules in (RULEBOOK[code],)
        ],
    }
