"""Every reason the engine can give: a stable code, its readable text and its source tags (§0).

The texts quote the numbers of thresholds.py, so the catalogue, the verdicts and the published ruleset
document always agree.
"""

from functools import lru_cache

from services.eligibility.domain import thresholds as t
from shared.contracts.recommendation import Reason

_LE = f"{t.LIFE_EXPECTANCY_MONTHS:g} months"
_WEEKS = f"6 weeks (fewer than {t.CHEMOTHERAPY_WINDOW_DAYS} days)"
_MYELO = (
    f"myelosuppression (stated, or platelets < {t.PLATELETS_MIN:g} x10^9/L, neutrophils < "
    f"{t.NEUTROPHILS_MIN:g} x10^9/L or haemoglobin < {t.HAEMOGLOBIN_MIN:g} g/dL)"
)
_NO_LOAD = "supervised programme with no load on the lesion, after surgical review"

CATALOGUE: dict[str, tuple[str, str]] = {
    # -- generic --
    "insufficient_data": ("Not enough data to decide; needed", "SEED"),  # source: the therapy's own
    # -- pregnancy by age (§1) --
    "pregnant_not_recorded_by_age": (
        f"Pregnancy not recorded: taken as no at {t.PREGNANCY_NOT_ASKED_FROM_AGE} or older, past the age range "
        "in which pregnancy is asked about before ionising radiation",
        "SCOR",
    ),
    "breastfeeding_not_recorded_by_age": (
        f"Breastfeeding not recorded: taken as no at {t.PREGNANCY_NOT_ASKED_FROM_AGE} or older",
        "SCOR",
    ),
    # -- pain bands --
    "pain_none": ("No pain (score 0)", "WHO"),
    "pain_mild": ("Mild pain (score 1-3)", "WHO"),
    "pain_moderate": ("Moderate pain (score 4-6)", "WHO"),
    "pain_severe": ("Severe pain (score 7-10)", "WHO"),
    # -- non_opioid_analgesic --
    "non_opioid_first_step": (
        "Paracetamol or an NSAID: first step for mild to moderate pain, kept alongside opioids at later steps",
        "SEED, WHO",
    ),
    "rel_pregnant_nsaid": ("Pregnant: avoid NSAIDs from 20 weeks; paracetamol preferred", "SEED, WHO"),
    "rel_renal_failure_nsaid": ("Renal failure (acute or chronic): caution with NSAIDs", "SEED, WHO"),
    # -- opioid_analgesic --
    "opioid_moderate_severe": (
        f"Pain score {t.PAIN_OPIOID_MIN} or more: opioid (WHO step 2-3)",
        "SEED, WHO",
    ),
    "opioid_refractory": ("Pain refractory to current analgesics: step up to an opioid", "SEED, WHO"),
    "opioid_mild_controlled": (
        "Mild pain not refractory to current analgesics: no opioid needed",
        "SEED, WHO",
    ),
    "rel_renal_failure_opioid": (
        "Renal failure (acute or chronic): choose an opioid suited to renal function",
        "SEED, WHO",
    ),
    "rel_pregnant_opioid": ("Pregnant: opioid use needs obstetric input", "SEED, WHO"),
    # -- neuropathic_adjuvant --
    "neuropathic_pain": ("Neuropathic pain: gabapentin or pregabalin as adjuvant", "SEED"),
    "no_neuropathic_pain": ("No neuropathic pain", "SEED"),
    "rel_renal_failure_adjuvant": ("Renal failure (acute or chronic): reduce the gabapentinoid dose", "SEED"),
    # -- osteoclast_inhibitor --
    "osteoclast_continue": ("Already on an osteoclast inhibitor: continue", "ESMO"),
    "osteoclast_breast": ("Breast primary: bisphosphonate or denosumab to prevent skeletal events", "ESMO"),
    "osteoclast_prostate_crpc": (
        "Castration-resistant prostate cancer: bisphosphonate or denosumab to prevent skeletal events",
        "ESMO",
    ),
    "osteoclast_prostate_sensitive": (
        "Castration-sensitive prostate cancer: not indicated for skeletal-event prevention",
        "ESMO",
    ),
    "osteoclast_life_expectancy": (
        f"Life expectancy of {_LE} or more: bisphosphonate or denosumab to prevent skeletal events",
        "ESMO",
    ),
    "osteoclast_life_expectancy_short": (f"Life expectancy under {_LE}: not indicated", "ESMO"),
    "osteoclast_not_first_line_for_pain": (
        "Slows skeletal progression; not a first-line treatment for pain",
        "SEED",
    ),
    "rel_creatinine_clearance_low": (
        f"Creatinine clearance below {t.CREATININE_CLEARANCE_MIN:g} ml/min: zoledronic acid not recommended; "
        "denosumab with close calcium monitoring",
        "LABEL",
    ),
    "rel_calcium_low": (
        f"Corrected calcium below {t.CALCIUM_LOW_BELOW:.2f} mmol/L: correct before starting",
        "LABEL",
    ),
    "rel_pregnant_osteoclast": ("Pregnant: bone-targeted agents are avoided in pregnancy", "LABEL"),
    # 2027.01: one dental and one calcium reason whenever the verdict is recommended or consider
    "dental_review_ongoing": (
        "Already on an osteoclast inhibitor: regular dental review (osteonecrosis of the jaw)",
        "MRONJ, LABEL",
    ),
    "dental_assessment_done": ("Dental assessment done before the first dose", "MRONJ, LABEL"),
    "dental_assessment_before_start": (
        "Dental assessment not done: dental examination and necessary dental treatment before the first dose "
        "(osteonecrosis of the jaw)",
        "MRONJ, LABEL",
    ),
    "dental_assessment_unrecorded": (
        "Dental assessment not recorded: dental examination and necessary dental treatment before the first "
        "dose (osteonecrosis of the jaw)",
        "MRONJ, LABEL",
    ),
    "calcium_vitamin_d_supplement": (
        f"Corrected calcium {t.CALCIUM_SUPPLEMENT_MAX:.2f} mmol/L or less: calcium and vitamin D supplements "
        "(required with denosumab)",
        "LABEL",
    ),
    "calcium_supplement_withheld": (
        f"Corrected calcium above {t.CALCIUM_SUPPLEMENT_MAX:.2f} mmol/L (hypercalcaemic): no calcium "
        "supplement",
        "LABEL",
    ),
    "calcium_check_then_supplement": (
        "Corrected calcium not known: check it, then calcium and vitamin D supplements unless hypercalcaemic",
        "LABEL",
    ),
    # -- physical_activity --
    "physical_activity_everyone": (
        "Supervised exercise improves function, fatigue and treatment side effects",
        "SEED",
    ),
    "rel_spinal_instability": (f"SINS {t.SINS_INDETERMINATE_MIN} or more: {_NO_LOAD}", "SEED, SINS"),
    "rel_impending_fracture": (f"Mirels {t.MIRELS_CONSIDER} or more: {_NO_LOAD}", "SEED, MIRELS"),
    "rel_pathological_fracture": (f"Pathological fracture: {_NO_LOAD}", "SEED"),
    "rel_cord_compression": (f"Spinal cord compression: {_NO_LOAD}", "SEED, BILSKY"),
    # -- systemic_therapy --
    "systemic_breast": ("Breast primary: systemic (hormone, chemo- or targeted) therapy indicated", "SEED"),
    "systemic_prostate": ("Prostate primary: hormone therapy has a major role", "SEED"),
    "systemic_case_by_case": (
        "Primary other than breast or prostate: systemic therapy weighed case by case",
        "SEED",
    ),
    "systemic_slow_pain_relief": ("Pain relief from systemic therapy is slow", "SEED"),
    "rel_ecog_poor": (f"ECOG {t.ECOG_POOR_MIN} or more: tolerability", "SEED"),
    # -- external_beam_radiotherapy --
    "ebrt_painful_lesion": (
        "Painful bone metastasis: external beam radiotherapy is the standard (50-80% pain reduction)",
        "SEED, ASTRO",
    ),
    "ebrt_cord_compression": ("Spinal cord compression: radiotherapy indicated", "SEED, ASTRO"),
    "ebrt_single_fraction": ("8 Gy in a single fraction for uncomplicated pain", "ESMO"),
    "ebrt_not_indicated": ("No painful lesion and no spinal cord compression", "SEED, ASTRO"),
    "rel_pregnant_radiotherapy": (
        "Pregnant: only sites away from the pelvis, with shielding and fetal dose planning",
        "ASTRO",
    ),
    "rel_reirradiation": (
        "Every painful lesion already irradiated: re-irradiation weighed case by case, not before "
        f"{t.REIRRADIATION_MIN_INTERVAL}",
        "ASTRO",
    ),
    "surgical_review_before_radiotherapy": (
        f"SINS {t.SINS_INDETERMINATE_MIN} or more: surgical review before radiotherapy",
        "SINS",
    ),
    # -- hemibody_radiotherapy --
    "hemibody_multiple_painful": (
        f"{t.HEMIBODY_MIN_PAINFUL} or more painful lesions: multiple sites that local radiotherapy cannot "
        "easily manage; weighed case by case",
        "SEED",
    ),
    "hemibody_largely_replaced": ("Largely replaced by radiopharmaceuticals, which are less toxic", "SEED"),
    "hemibody_few_painful": (f"Fewer than {t.HEMIBODY_MIN_PAINFUL} painful lesions", "SEED"),
    "abs_pregnant": ("Pregnant", "SEED"),
    "abs_breastfeeding": ("Breastfeeding", "SEED"),
    "abs_myelosuppression": (_MYELO[0].upper() + _MYELO[1:], "SEED, LABEL"),
    # -- radiopharmaceutical --
    "radiopharmaceutical_indicated": (
        f"Pain refractory to analgesics, positive bone scan, life expectancy over {_LE} and no chemotherapy "
        "within 6 weeks",
        "SEED",
    ),
    "radiopharmaceutical_not_refractory": ("Pain not refractory to analgesics", "SEED"),
    "radiopharmaceutical_bone_scan_negative": ("Bone scan not positive", "SEED"),
    "radiopharmaceutical_life_expectancy_short": (f"Life expectancy of {_LE} or less", "SEED"),
    "abs_cord_compression": ("Spinal cord compression (clinical, or epidural compression ESCC 2-3)", "SEED"),
    "abs_renal_failure": ("Renal failure (acute or chronic)", "SEED"),
    "abs_chemotherapy_recent": (
        f"Chemotherapy within the last {_WEEKS}: eligible from {t.CHEMOTHERAPY_WINDOW_DAYS} days after it",
        "SEED",
    ),
    "rel_bisphosphonate_recent": (
        f"Bisphosphonate within the last {_WEEKS}: the seed article forbids it, ESMO supports radium-223 "
        "alongside bone-targeted agents; the MDT decides",
        "SEED, ESMO",
    ),
    "rel_visceral_metastases": ("Visceral metastases: outside radium-223's label", "LABEL"),
    # -- surgery --
    "surgery_fracture": ("Pathological fracture: stabilisation", "SEED, NOMS"),
    "surgery_sins_unstable": (f"SINS {t.SINS_UNSTABLE_MIN} or more (unstable): stabilisation", "SINS, NOMS"),
    "surgery_cord_compression": (
        "Spinal cord compression: decompression and stabilisation followed by radiotherapy",
        "BILSKY, NOMS, PATCHELL",
    ),
    "surgery_mirels_fixation": (f"Mirels {t.MIRELS_FIXATION_MIN} or more: prophylactic fixation", "MIRELS"),
    "surgery_sins_indeterminate": (
        f"SINS {t.SINS_INDETERMINATE_MIN}-{t.SINS_UNSTABLE_MIN - 1} (indeterminate): surgical opinion",
        "SINS",
    ),
    "surgery_mirels_borderline": (
        f"Mirels {t.MIRELS_CONSIDER}: prophylactic fixation weighed case by case",
        "MIRELS",
    ),
    "surgery_solitary_lesion": (
        "Single bone lesion, in the sternum or the spine: resection or stabilisation weighed case by case",
        "SEED",
    ),
    "surgery_not_indicated": (
        f"No fracture; every spine lesion SINS under {t.SINS_INDETERMINATE_MIN} with ESCC 0-1c; no cord "
        f"compression; every long-bone lesion Mirels {t.MIRELS_CONSIDER - 1} or less; not a single sternal "
        "or spinal lesion",
        "SEED, SINS, MIRELS, BILSKY",
    ),
    "abs_cannot_tolerate_anaesthesia": ("Cannot tolerate anaesthesia", "NOMS"),
    "rel_life_expectancy_short_surgery": (
        f"Life expectancy under {_LE}: benefit of surgery shown only above it",
        "PATCHELL",
    ),
    # -- postoperative_radiotherapy --
    "postoperative_follows_surgery": (
        "Radiotherapy after surgical stabilisation follows surgery",
        "SEED, ASTRO",
    ),
    "postoperative_no_surgery": ("No surgery indicated or possible", "SEED, ASTRO"),
    # -- thermal_ablation --
    "ablation_target": ("Pain persisting after radiotherapy at a few sites", "SEED"),
    "ablation_no_target": ("No lesion with pain persisting after radiotherapy", "SEED"),
    "abs_cannot_tolerate_anaesthesia_ablation": ("Cannot tolerate anaesthesia", "SEED"),
    "abs_uncorrectable_bleeding": ("Uncorrectable bleeding", "SEED"),
    "abs_no_ablatable_target": (
        "No target is percutaneously accessible (and, in the spine, at least "
        f"{t.ABLATION_NEURAL_DISTANCE_MIN_MM:g} mm from neural structures)",
        "SEED",
    ),
    "rel_widespread": (f"Widespread disease (more than {t.WIDESPREAD_MORE_THAN} lesions)", "SEED"),
    "rel_active_infection": ("Active infection", "SEED"),
    "rel_adjacent_critical_structure": (
        "Every ablatable target lies next to a critical structure that cannot be displaced or monitored",
        "SEED",
    ),
    # -- stereotactic_body_radiotherapy (2027.01) --
    "sbrt_oligometastatic": (
        f"Oligometastatic disease (1-{t.OLIGOMETASTATIC_MAX} distant metastases at the latest staging): "
        "stereotactic body radiotherapy to the bone metastases",
        "OMD",
    ),
    "sbrt_radioresistant": (
        "Radioresistant primary (renal, melanoma, sarcoma, gastrointestinal or colorectal, thyroid) with a "
        "painful bone metastasis: stereotactic body radiotherapy",
        "SC24",
    ),
    "sbrt_spine_reirradiation": (
        "Painful spine metastasis already irradiated: stereotactic re-irradiation",
        "SC24, ASTRO",
    ),
    "sbrt_performance_status": (
        f"ECOG above {t.SBRT_ECOG_MAX}: stereotactic body radiotherapy not indicated",
        "SC24",
    ),
    "sbrt_prognosis": (
        f"Life expectancy under {t.SBRT_LIFE_EXPECTANCY_MIN_MONTHS:g} months: stereotactic body radiotherapy "
        "not indicated",
        "OMD",
    ),
    "sbrt_not_indicated": (
        f"Not oligometastatic (more than {t.OLIGOMETASTATIC_MAX} metastases), no radioresistant primary with "
        "a painful lesion, no painful spine lesion already irradiated",
        "OMD, SC24",
    ),
    "sbrt_cord_compression": (
        "Spinal cord compression: decompression first; after surgery the MDT weighs postoperative "
        "radiotherapy",
        "SC24, BILSKY",
    ),
    "sbrt_pregnancy": (
        "Pregnant: only sites away from the pelvis, with shielding and fetal dose planning",
        "ASTRO",
    ),
    "sbrt_stability_review": (
        f"SINS {t.SINS_INDETERMINATE_MIN} or more: stability and surgery are assessed before stereotactic "
        f"radiotherapy; SINS {t.SINS_UNSTABLE_MIN} or more is stabilised first",
        "SINS, ASTRO",
    ),
    "sbrt_conditional": (
        "A conditional recommendation, for selected patients: it replaces conventional EBRT for a site "
        "rather than adding a course",
        "ASTRO",
    ),
    "sbrt_alternative": (
        "Stereotactic body radiotherapy is to be considered too (see stereotactic_body_radiotherapy): it "
        "replaces conventional EBRT for a site rather than adding a course",
        "ASTRO",
    ),
    # -- vertebral_augmentation (2027.01) --
    "augmentation_indicated": (
        "Painful spine lesion with vertebral body collapse, or mechanical pain resistant to analgesia: "
        "vertebroplasty or kyphoplasty",
        "NICEVA, NASS",
    ),
    "augmentation_not_indicated": (
        "No painful spine lesion with vertebral body collapse or with mechanical pain resistant to analgesia",
        "NICEVA",
    ),
    "augmentation_cord_compression": ("Spinal cord compression", "NICEVA, BILSKY"),
    "augmentation_bleeding": ("Uncorrectable bleeding", "NICEVA"),
    "augmentation_infection": ("Active infection: cement is an implant", "NICEVA"),
    "augmentation_anaesthesia": ("Cannot tolerate anaesthesia", "NICEVA"),
    "augmentation_unstable": (
        f"Every target SINS {t.SINS_UNSTABLE_MIN} or more (unstable): stabilisation surgery, not cement alone",
        "NICEVA, SINS",
    ),
    "augmentation_surgical_agreement": (
        f"Target SINS {t.SINS_INDETERMINATE_MIN}-{t.SINS_UNSTABLE_MIN - 1} (indeterminate): the spinal "
        "surgeon agrees to cement",
        "NICEVA",
    ),
    "augmentation_posterior_wall": (
        "Posterior wall involved or retropulsed at a target: risk of cement entering the canal",
        "NASS",
    ),
    "augmentation_epidural_extension": (
        "Epidural extension (ESCC 1a-1c) at a target: risk of cement entering the canal",
        "NASS",
    ),
    "augmentation_coagulation": (
        f"Platelets below {t.AUGMENTATION_PLATELETS_MIN:g} x10^9/L or INR above {t.AUGMENTATION_INR_MAX:g}: "
        "correct first",
        "NICEVA, NASS",
    ),
    "augmentation_pregnancy": (
        "Pregnant: fluoroscopy-guided procedure, fetal dose to be planned",
        "NICEVA, NASS",
    ),
    "augmentation_team_agreement": (
        "Only when oncologist, interventional radiologist and spinal surgeon agree, with access to spinal "
        "surgery",
        "NICEVA",
    ),
    "augmentation_not_antitumour": (
        "Relieves pain and stabilises; radiotherapy still treats the tumour",
        "NICEVA, ASTRO",
    ),
}

UNKNOWN_SUFFIX = "_unknown"


# Reasons are immutable and the same few recur in every case: one instance each instead of some forty
# validated per case (bounded, as a detail may quote a case's value).
@lru_cache(maxsize=4096)
def reason(code: str, detail: str | None = None) -> Reason:
    text, source = CATALOGUE[code]
    return Reason(code=code, text=f"{text} ({detail})" if detail else text, source=source)


@lru_cache(maxsize=4096)
def unknown_reason(code: str, missing: frozenset[str]) -> Reason:
    """A caution or contraindication that cannot be ruled out because an input is null."""
    text, source = CATALOGUE[code]
    return Reason(
        code=code + UNKNOWN_SUFFIX,
        text=f"Not known, check before starting: {text} (needed: {', '.join(sorted(missing))})",
        source=source,
    )


def text_of(code: str) -> dict[str, str]:
    text, source = CATALOGUE[code]
    return {"code": code, "text": text, "source": source}
