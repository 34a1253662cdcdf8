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
    "LABEL": "Product labels: zoledronic acid (renal threshold), denosumab (hypocalcaemia; calcium and vitamin "
    "D unless hypercalcaemic; dental examination before treatment), radium-223 (blood counts, no visceral "
    "metastases, castration-resistant prostate cancer)",
    "OMD": "Lievens Y et al., ESTRO-ASTRO consensus on oligometastatic disease, Radiother Oncol "
    "2020;148:157 (1-5 metastases, all safely treatable); Palma DA et al., SABR-COMET, J Clin Oncol "
    "2020;38:2830",
    "SC24": "Sahgal A et al., Lancet Oncol 2021;22:1023 (CCTG SC.24, spine SBRT 24 Gy in 2 fractions: ECOG "
    "0-2, no frank instability, no symptomatic compression; radioresistant histologies: renal, melanoma, "
    "sarcoma, gastrointestinal)",
    "NICEVA": "NICE: vertebroplasty or kyphoplasty for vertebral metastases without MSCC or instability, with "
    "mechanical pain resistant to analgesia or vertebral body collapse, agreed by oncologist, interventional "
    "radiologist and spinal surgeon (CG75, carried into NG234)",
    "NASS": "North American Spine Society, appropriate use criteria for neoplastic vertebral fractures (cement "
    "augmentation mostly for stable fractures with an intact posterior wall)",
    "MRONJ": "Yarom N et al., MASCC/ISOO/ASCO 2019, medication-related osteonecrosis of the jaw: dental "
    "assessment and necessary dental treatment before a bone-modifying agent",
}


@dataclass(frozen=True)
class TherapyRules:
    indication: tuple[str, ...]
    absolute: tuple[str, ...] = ()
    relative: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())
    logic: str | None = None  # how a compound indication combines its parts, in words
    not_indicated: tuple[str, ...] = ()  # reasons of a known-false indication, where it has its own
    offered: tuple[str, ...] = ()  # reasons given only when the verdict is recommended or consider
    ceiling: str = "recommended"  # the strongest verdict the therapy can reach


_LE = f"{t.LIFE_EXPECTANCY_MONTHS:g}"
_AGE = t.PREGNANCY_NOT_ASKED_FROM_AGE

RULEBOOK: dict[TherapyCode, TherapyRules] = {
    TherapyCode.non_opioid_analgesic: TherapyRules(
        indication=("non_opioid_first_step",),
        not_indicated=("pain_none",),
        relative=("rel_pregnant_nsaid", "rel_renal_failure_nsaid"),
        required=("pain.score",),
        notes=("pregnant_not_recorded_by_age",),
    ),
    TherapyCode.opioid_analgesic: TherapyRules(
        indication=("opioid_moderate_severe", "opioid_refractory"),
        not_indicated=("pain_none", "opioid_mild_controlled"),
        relative=("rel_renal_failure_opioid", "rel_pregnant_opioid"),
        required=("pain.score", "pain.refractory_to_analgesics when the score is 1-3"),
        notes=("pregnant_not_recorded_by_age",),
    ),
    TherapyCode.neuropathic_adjuvant: TherapyRules(
        indication=("neuropathic_pain",),
        not_indicated=("no_neuropathic_pain",),
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
        not_indicated=("osteoclast_prostate_sensitive", "osteoclast_life_expectancy_short"),
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
        offered=(
            "dental_review_ongoing",
            "dental_assessment_done",
            "dental_assessment_before_start",
            "dental_assessment_unrecorded",
            "calcium_vitamin_d_supplement",
            "calcium_supplement_withheld",
            "calcium_check_then_supplement",
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
        not_indicated=("ebrt_not_indicated",),
        relative=("rel_pregnant_radiotherapy", "rel_reirradiation"),
        required=("lesions[].painful (only when no lesion is painful and there is no cord compression)",),
        notes=(
            "ebrt_single_fraction",
            "surgical_review_before_radiotherapy",
            "pregnant_not_recorded_by_age",
            "sbrt_alternative",
        ),
    ),
    TherapyCode.hemibody_radiotherapy: TherapyRules(
        indication=("hemibody_multiple_painful",),
        not_indicated=("hemibody_few_painful",),
        absolute=("abs_pregnant", "abs_myelosuppression"),
        required=(
            f"patient.pregnant (not for men; nor at {_AGE} or older)",
            "status.myelosuppression (or the three blood counts)",
        ),
        notes=("hemibody_largely_replaced", "pregnant_not_recorded_by_age"),
    ),
    TherapyCode.radiopharmaceutical: TherapyRules(
        indication=("radiopharmaceutical_indicated",),
        not_indicated=(
            "radiopharmaceutical_not_refractory",
            "radiopharmaceutical_bone_scan_negative",
            "radiopharmaceutical_life_expectancy_short",
            "abs_chemotherapy_recent",
        ),
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
        not_indicated=("surgery_not_indicated",),
        absolute=("abs_cannot_tolerate_anaesthesia",),
        relative=("rel_life_expectancy_short_surgery",),
        required=(
            "when no indication is known true: each unknown lesions[].pathological_fracture, the SINS inputs "
            "and escc_grade of spine lesions, and the Mirels inputs of long-bone lesions",
        ),
    ),
    TherapyCode.postoperative_radiotherapy: TherapyRules(
        indication=("postoperative_follows_surgery",),
        not_indicated=("postoperative_no_surgery",),
        relative=("rel_pregnant_radiotherapy",),
        required=("as for surgery",),
        notes=("pregnant_not_recorded_by_age",),
    ),
    TherapyCode.thermal_ablation: TherapyRules(
        indication=("ablation_target",),
        not_indicated=("ablation_no_target",),
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
    TherapyCode.stereotactic_body_radiotherapy: TherapyRules(
        indication=("sbrt_oligometastatic", "sbrt_radioresistant", "sbrt_spine_reirradiation"),
        logic=f"(oligometastatic, or a radioresistant primary with a painful lesion, or a painful spine lesion "
        f"already irradiated) and ECOG <= {t.SBRT_ECOG_MAX} and life expectancy >= "
        f"{t.SBRT_LIFE_EXPECTANCY_MIN_MONTHS:g} months, in three-valued logic: false wins an 'and', true "
        "wins an 'or'; a null that could change the result is listed in missing (insufficient_data). Each "
        "part known true gives its reason.",
        ceiling="consider",
        absolute=("sbrt_cord_compression",),
        required=(
            "status.metastasis_count (oligometastatic; with more than 5 lesions listed not needed), "
            "lesions[].painful, lesions[].prior_radiotherapy of spine lesions, status.ecog, "
            "status.life_expectancy_months: each only where it could change the indication",
            "neurology.spinal_cord_compression (unless cord compression is already true)",
        ),
        not_indicated=("sbrt_performance_status", "sbrt_prognosis", "sbrt_not_indicated"),
        notes=("sbrt_pregnancy", "sbrt_stability_review"),
        offered=("sbrt_conditional",),
    ),
    TherapyCode.vertebral_augmentation: TherapyRules(
        indication=("augmentation_indicated",),
        logic="targets: spine lesions with painful true and either vertebral_body_collapse lt_50pct or "
        "gt_50pct, or pain_pattern mechanical with pain.refractory_to_analgesics true; indicated when a "
        "target exists, known false when no lesion can be a target (judged lesion by lesion), otherwise "
        "insufficient_data with the nulls that could settle whether a lesion is a target.",
        ceiling="consider",
        absolute=(
            "augmentation_cord_compression",
            "augmentation_bleeding",
            "augmentation_infection",
            "augmentation_anaesthesia",
            "augmentation_unstable",
        ),
        required=(
            "neurology.spinal_cord_compression (unless cord compression is already true)",
            "status.uncorrectable_bleeding",
            "status.active_infection",
            "status.can_tolerate_anaesthesia",
            "when no target has a known SINS < 13: the SINS inputs of the targets whose SINS cannot be "
            "computed (its null components and the null sins_score)",
        ),
        not_indicated=("augmentation_not_indicated",),
        notes=(
            "augmentation_surgical_agreement",
            "augmentation_posterior_wall",
            "augmentation_epidural_extension",
            "augmentation_coagulation",
            "augmentation_pregnancy",
        ),
        offered=("augmentation_team_agreement", "augmentation_not_antitumour"),
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
    {
        "fact": "radioresistant primary (2027.01)",
        "text": "primary_tumour.site is "
        + ", ".join(sorted(str(site) for site in t.RADIORESISTANT_SITES))
        + "; any other site (other and unknown_primary included) is not.",
        "source": "SC24",
    },
    {
        "fact": "oligometastatic (2027.01)",
        "text": f"status.metastasis_count known: true when <= {t.OLIGOMETASTATIC_MAX}, false when >= "
        f"{t.OLIGOMETASTATIC_MAX + 1}; null: false when more than {t.OLIGOMETASTATIC_MAX} lesions are listed, "
        "otherwise unknown, with status.metastasis_count missing.",
        "source": "OMD",
    },
)

# The optional inputs of the case that ruleset 2027.01 added (additive to schema version 1 of the case).
INPUTS_2027_01 = (
    {
        "field": "status.metastasis_count",
        "values": "integer 1..1000, not fewer than the lesions listed",
        "text": "distant metastases at all sites (bone lesions included) at the latest staging",
        "read_by": "stereotactic_body_radiotherapy (oligometastatic)",
    },
    {
        "field": "history.dental_assessment",
        "values": "done, not_done",
        "text": "a dental assessment before an osteoclast inhibitor",
        "read_by": "osteoclast_inhibitor (its dental reason only; never a change of verdict, never missing)",
    },
    {
        "field": "lesions[].posterior_wall",
        "values": "intact, involved, retropulsed (spine lesions only)",
        "text": "the vertebral body's posterior wall on CT or MRI",
        "read_by": "vertebral_augmentation (reason augmentation_posterior_wall only; never missing)",
    },
    {
        "field": "labs.inr",
        "values": "number > 0 and <= 20",
        "text": "international normalised ratio",
        "read_by": "vertebral_augmentation (reason augmentation_coagulation only; never missing)",
    },
)

CHANGES_2027_01 = (
    "Two therapies appended after thermal_ablation: stereotactic_body_radiotherapy (owner radiation_oncology) "
    "and vertebral_augmentation (owner radiology; surgery joins the required specialties when it is "
    "consider); both consider at most.",
    "Two derived facts: radioresistant primary, oligometastatic.",
    "New optional inputs: status.metastasis_count, history.dental_assessment, lesions[].posterior_wall, "
    "labs.inr.",
    "New reasons that change no verdict: sbrt_alternative on external_beam_radiotherapy; one dental and one "
    "calcium reason on osteoclast_inhibitor whenever it is recommended or consider.",
    "Discussion: the two therapies join the list whose consider or insufficient_data makes a discussion full; "
    "a case with at most 5 lesions and no recorded status.metastasis_count has stereotactic body "
    "radiotherapy insufficient_data unless the rule settles it otherwise.",
    "Recommendations issued under 2026.12 (twelve therapies) stay as they were; a new case version is "
    "evaluated with 2027.01.",
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
        "changes": list(CHANGES_2027_01),
        "inputs_added": [dict(item) for item in INPUTS_2027_01],
        "thresholds": t.thresholds_table(),
        "alerts": dict(ALERT_TEXTS),
        "therapies": [
            {
                "code": str(code),
                "owner": str(THERAPY_OWNER[code]),
                "strongest_verdict": rules.ceiling,
                "indication": [text_of(c) for c in rules.indication],
                "indication_logic": rules.logic,
                "not_indicated": [text_of(c) for c in rules.not_indicated],
                "absolute_contraindications": [text_of(c) for c in rules.absolute],
                "relative_contraindications": [text_of(c) for c in rules.relative],
                "required_inputs": list(rules.required),
                "notes": [text_of(c) for c in rules.notes],
                "when_recommended_or_consider": [text_of(c) for c in rules.offered],
            }
            for code in TherapyCode
            for rules in (RULEBOOK[code],)
        ],
    }
