"""Osteoclast inhibitors, physical activity and systemic therapy (§3)."""

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.facts import CaseFacts
from services.eligibility.domain.reasons import reason
from services.eligibility.domain.tri import TRUE, Fact, check, from_field, known
from services.eligibility.domain.verdicts import Criterion, Indication, decide
from shared.contracts.codes import DentalAssessment, TherapyCode, TumourSite, Verdict
from shared.contracts.recommendation import Reason, TherapyVerdict


def _osteoclast_site_indication(facts: CaseFacts) -> tuple[Fact, Reason]:
    case = facts.case
    site = case.primary_tumour.site
    if site == TumourSite.breast:
        return TRUE, reason("osteoclast_breast")
    if site == TumourSite.prostate:
        resistant = from_field(
            case.primary_tumour.castration_resistant, "primary_tumour.castration_resistant"
        )
        code = "osteoclast_prostate_sensitive" if resistant.false else "osteoclast_prostate_crpc"
        return resistant, reason(code)
    fact = facts.life_expectancy_at_least
    code = "osteoclast_life_expectancy_short" if fact.false else "osteoclast_life_expectancy"
    months = case.status.life_expectancy_months
    return fact, reason(code, None if months is None else f"{months:g} months")


def _bone_health_reasons(facts: CaseFacts) -> list[Reason]:
    """2027.01: exactly one dental reason [MRONJ, LABEL] and one calcium reason [LABEL]; they change no
    verdict and never enter `missing`."""
    case = facts.case
    if case.history.on_osteoclast_inhibitor is True:
        dental = "dental_review_ongoing"
    elif case.history.dental_assessment is None:
        dental = "dental_assessment_unrecorded"
    elif case.history.dental_assessment == DentalAssessment.done:
        dental = "dental_assessment_done"
    else:
        dental = "dental_assessment_before_start"
    calcium = case.labs.corrected_calcium_mmol_l
    if calcium is None:
        supplement = "calcium_check_then_supplement"
    elif calcium <= t.CALCIUM_SUPPLEMENT_MAX:
        supplement = "calcium_vitamin_d_supplement"
    else:
        supplement = "calcium_supplement_withheld"
    return [reason(dental), reason(supplement)]


def osteoclast_inhibitor(facts: CaseFacts) -> TherapyVerdict:
    case = facts.case
    site_fact, site_reason = _osteoclast_site_indication(facts)
    labs = case.labs
    return decide(
        TherapyCode.osteoclast_inhibitor,
        indications=[
            # "null counts as not on one"
            Indication(
                known(case.history.on_osteoclast_inhibitor is True),
                Verdict.recommended,
                reason("osteoclast_continue"),
            ),
            Indication(site_fact, Verdict.recommended, site_reason),
        ],
        not_indicated=[site_reason],
        relative=[
            Criterion(
                check(
                    labs.creatinine_clearance_ml_min,
                    lambda v: v < t.CREATININE_CLEARANCE_MIN,
                    "labs.creatinine_clearance_ml_min",
                ),
                "rel_creatinine_clearance_low",
            ),
            Criterion(
                check(
                    labs.corrected_calcium_mmol_l,
                    lambda v: v < t.CALCIUM_LOW_BELOW,
                    "labs.corrected_calcium_mmol_l",
                ),
                "rel_calcium_low",
            ),
            Criterion(facts.pregnant, "rel_pregnant_osteoclast"),
        ],
        notes=[reason("osteoclast_not_first_line_for_pain")],
        assumed=[reason(code) for code in facts.taken_false_by_age()],
        offered=_bone_health_reasons(facts),
        source="ESMO",
    )


def physical_activity(facts: CaseFacts) -> TherapyVerdict:
    return decide(
        TherapyCode.physical_activity,
        indications=[Indication(TRUE, Verdict.recommended, reason("physical_activity_everyone"))],
        not_indicated=[],
        relative=[
            Criterion(facts.any_sins_at_least(t.SINS_INDETERMINATE_MIN), "rel_spinal_instability"),
            Criterion(facts.any_mirels_at_least(t.MIRELS_CONSIDER), "rel_impending_fracture"),
            Criterion(facts.any_fracture, "rel_pathological_fracture"),
            Criterion(facts.cord_compression_fact, "rel_cord_compression"),
        ],
    )


def systemic_therapy(facts: CaseFacts) -> TherapyVerdict:
    site = facts.case.primary_tumour.site
    if site == TumourSite.breast:
        indication = Indication(TRUE, Verdict.recommended, reason("systemic_breast"))
    elif site == TumourSite.prostate:
        indication = Indication(TRUE, Verdict.recommended, reason("systemic_prostate"))
    else:
        indication = Indication(TRUE, Verdict.consider, reason("systemic_case_by_case", str(site)))
    return decide(
        TherapyCode.systemic_therapy,
        indications=[indication],
        not_indicated=[],
        relative=[
            Criterion(
                check(facts.case.status.ecog, lambda e: e >= t.ECOG_POOR_MIN, "status.ecog"), "rel_ecog_poor"
            ),
        ],
        notes=[reason("systemic_slow_pain_relief")],
    )
