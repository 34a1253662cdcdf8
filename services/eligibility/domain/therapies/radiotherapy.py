"""External beam, hemibody and postoperative radiotherapy, and radiopharmaceuticals (§3)."""

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.facts import CaseFacts
from services.eligibility.domain.reasons import reason
from services.eligibility.domain.tri import FALSE, Fact, all_of, any_of, from_field, known, negate, unknown
from services.eligibility.domain.verdicts import Criterion, Indication, decide
from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.recommendation import Reason, TherapyVerdict


def _every_painful_lesion_irradiated(facts: CaseFacts) -> Fact:
    """At least one painful lesion, and every painful lesion has had radiotherapy (Kleene logic)."""
    return all_of(
        [
            facts.any_painful,
            *(
                any_of(
                    [
                        negate(lesion.painful),
                        from_field(lesion.lesion.prior_radiotherapy, lesion.path("prior_radiotherapy")),
                    ]
                )
                for lesion in facts.lesions
            ),
        ]
    )


def _painful_ids(facts: CaseFacts) -> str:
    return ", ".join(lesion.lesion.id for lesion in facts.lesions if lesion.painful.true)


def external_beam_radiotherapy(facts: CaseFacts) -> TherapyVerdict:
    notes = [reason("ebrt_single_fraction")]
    if facts.any_sins_at_least(t.SINS_INDETERMINATE_MIN).true:
        notes.append(reason("surgical_review_before_radiotherapy"))
    return decide(
        TherapyCode.external_beam_radiotherapy,
        indications=[
            Indication(known(facts.cord_compression), Verdict.recommended, reason("ebrt_cord_compression")),
            Indication(
                facts.any_painful,
                Verdict.recommended,
                reason("ebrt_painful_lesion", _painful_ids(facts) or None),
            ),
        ],
        not_indicated=[reason("ebrt_not_indicated")],
        relative=[
            Criterion(facts.pregnant, "rel_pregnant_radiotherapy"),
            Criterion(_every_painful_lesion_irradiated(facts), "rel_reirradiation"),
        ],
        notes=notes,
        assumed=[reason(code) for code in facts.taken_false_by_age()],
        source="SEED, ASTRO",
    )


def _enough_painful_lesions(facts: CaseFacts) -> Fact:
    painful = sum(1 for lesion in facts.lesions if lesion.painful.true)
    undecided = [lesion for lesion in facts.lesions if lesion.painful.unknown]
    if painful >= t.HEMIBODY_MIN_PAINFUL:
        return known(True)
    if painful + len(undecided) < t.HEMIBODY_MIN_PAINFUL:
        return FALSE
    return unknown(*(lesion.path("painful") for lesion in undecided))


def hemibody_radiotherapy(facts: CaseFacts) -> TherapyVerdict:
    return decide(
        TherapyCode.hemibody_radiotherapy,
        indications=[
            # Always "consider", never "recommended".
            Indication(_enough_painful_lesions(facts), Verdict.consider, reason("hemibody_multiple_painful")),
        ],
        not_indicated=[reason("hemibody_few_painful")],
        absolute=[
            Criterion(facts.pregnant, "abs_pregnant"),
            Criterion(facts.myelosuppression, "abs_myelosuppression"),
        ],
        notes=[reason("hemibody_largely_replaced")],
        assumed=[reason(code) for code in facts.taken_false_by_age()],
    )


def _radiopharmaceutical_parts(facts: CaseFacts) -> list[tuple[Fact, str]]:
    """The four conditions of the indication, each with the reason given when it is known false."""
    pain = facts.case.pain
    status = facts.case.status
    return [
        (
            from_field(pain.refractory_to_analgesics, "pain.refractory_to_analgesics"),
            "radiopharmaceutical_not_refractory",
        ),
        (
            from_field(status.bone_scan_positive, "status.bone_scan_positive"),
            "radiopharmaceutical_bone_scan_negative",
        ),
        (facts.life_expectancy_above, "radiopharmaceutical_life_expectancy_short"),
        (negate(facts.chemotherapy_within_window), "abs_chemotherapy_recent"),
    ]


def radiopharmaceutical(facts: CaseFacts) -> TherapyVerdict:
    parts = _radiopharmaceutical_parts(facts)
    chemo = Criterion(
        facts.chemotherapy_within_window,
        "abs_chemotherapy_recent",
        detail=str(facts.chemotherapy_eligible_from) if facts.chemotherapy_eligible_from else None,
    )
    absolute = [
        Criterion(facts.clinical_cord_compression, "abs_cord_compression"),
        # ESCC grades are not on the rule's required list: a null grade cannot make the therapy
        # insufficient_data, but it keeps it from being recommended.
        Criterion(facts.imaging_cord_compression, "abs_cord_compression", required=False),
        Criterion(facts.renal_failure, "abs_renal_failure"),
        Criterion(facts.pregnant, "abs_pregnant"),
        Criterion(facts.breastfeeding, "abs_breastfeeding"),
        Criterion(facts.myelosuppression, "abs_myelosuppression"),
        chemo,
    ]
    only_the_chemotherapy_window = [c for c in absolute if c.fact.true] == [chemo]
    return decide(
        TherapyCode.radiopharmaceutical,
        indications=[
            Indication(
                all_of(fact for fact, _ in parts),
                Verdict.recommended,
                reason("radiopharmaceutical_indicated"),
            ),
        ],
        not_indicated=[reason(code) for fact, code in parts if fact.false],
        absolute=absolute,
        relative=[
            Criterion(facts.bisphosphonate_within_window, "rel_bisphosphonate_recent"),
            Criterion(
                from_field(facts.case.visceral_metastases, "visceral_metastases"), "rel_visceral_metastases"
            ),
        ],
        assumed=[reason(code) for code in facts.taken_false_by_age(breastfeeding=True)],
        eligible_from=facts.chemotherapy_eligible_from if only_the_chemotherapy_window else None,
    )


_FOLLOWS = {
    Verdict.recommended: Verdict.recommended,
    Verdict.consider: Verdict.consider,
    Verdict.insufficient_data: Verdict.insufficient_data,
    Verdict.contraindicated: Verdict.not_indicated,
    Verdict.not_indicated: Verdict.not_indicated,
}


def postoperative_radiotherapy(facts: CaseFacts, surgery: TherapyVerdict) -> TherapyVerdict:
    """Follows the surgery verdict; pregnancy is its relative contraindication (as for EBRT)."""
    status = _FOLLOWS[surgery.status]
    detail = f"surgery {surgery.status}"
    if status == Verdict.not_indicated:
        return TherapyVerdict(
            code=TherapyCode.postoperative_radiotherapy,
            status=status,
            reasons=[reason("postoperative_no_surgery", detail)],
            missing=[],
        )
    if status == Verdict.insufficient_data:
        return TherapyVerdict(
            code=TherapyCode.postoperative_radiotherapy,
            status=status,
            reasons=[
                Reason(
                    code="insufficient_data",
                    text=f"Not enough data to decide on surgery; needed: {', '.join(surgery.missing)}",
                    source="SEED, ASTRO",
                ),
                reason("postoperative_follows_surgery", detail),
            ],
            missing=list(surgery.missing),
        )
    return decide(
        TherapyCode.postoperative_radiotherapy,
        indications=[Indication(known(True), status, reason("postoperative_follows_surgery", detail))],
        not_indicated=[],
        relative=[Criterion(facts.pregnant, "rel_pregnant_radiotherapy")],
        assumed=[reason(code) for code in facts.taken_false_by_age()],
        source="SEED, ASTRO",
    )
