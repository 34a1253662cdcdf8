"""Stereotactic body radiotherapy (§3, ruleset 2027.01) [OMD, SC24, ASTRO]: consider at most."""

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.facts import CaseFacts, LesionFacts
from services.eligibility.domain.reasons import reason
from services.eligibility.domain.tri import Fact, all_of, any_of, check, from_field, known
from services.eligibility.domain.verdicts import Criterion, Indication, decide
from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.recommendation import Reason, TherapyVerdict


def _spine_reirradiation(lesion: LesionFacts) -> Fact:
    """A painful spine lesion already irradiated; unknown when neither is false and one is null."""
    return all_of(
        [lesion.painful, from_field(lesion.lesion.prior_radiotherapy, lesion.path("prior_radiotherapy"))]
    )


def _ids(lesions: list[LesionFacts]) -> str | None:
    return ", ".join(lesion.lesion.id for lesion in lesions) or None


def _limbs(facts: CaseFacts) -> list[tuple[Fact, Reason]]:
    """O, R and S of the indication, each with the reason it gives when known true."""
    count = facts.case.status.metastasis_count
    painful = _ids([lesion for lesion in facts.lesions if lesion.painful.true])
    spine = [lesion for lesion in facts.lesions if lesion.is_spine]
    reirradiation = [_spine_reirradiation(lesion) for lesion in spine]
    reirradiated = _ids([lesion for lesion, fact in zip(spine, reirradiation, strict=True) if fact.true])
    return [
        (
            facts.oligometastatic,
            reason("sbrt_oligometastatic", None if count is None else f"{count} metastases"),
        ),
        (
            all_of([known(facts.radioresistant_primary), facts.any_painful]),
            reason("sbrt_radioresistant", f"{facts.case.primary_tumour.site}; painful: {painful}"),
        ),
        (any_of(reirradiation), reason("sbrt_spine_reirradiation", reirradiated)),
    ]


def stereotactic_body_radiotherapy(facts: CaseFacts) -> TherapyVerdict:
    status = facts.case.status
    limbs = _limbs(facts)
    performance = check(status.ecog, lambda ecog: ecog <= t.SBRT_ECOG_MAX, "status.ecog")
    prognosis = check(
        status.life_expectancy_months,
        lambda months: months >= t.SBRT_LIFE_EXPECTANCY_MIN_MONTHS,
        "status.life_expectancy_months",
    )
    # (O or R or S) and E and L, in Kleene logic: a null operand that could change the result names its nulls.
    indication = all_of([any_of(fact for fact, _ in limbs), performance, prognosis])
    not_indicated = [
        code
        for code, holds in (
            ("sbrt_performance_status", performance.false),
            ("sbrt_prognosis", prognosis.false),
            ("sbrt_not_indicated", all(fact.false for fact, _ in limbs)),
        )
        if holds
    ]
    notes = []
    if facts.pregnant.true:
        notes.append(reason("sbrt_pregnancy"))
    if facts.any_sins_at_least(t.SINS_INDETERMINATE_MIN).true:
        notes.append(reason("sbrt_stability_review"))
    return decide(
        TherapyCode.stereotactic_body_radiotherapy,
        indications=[Indication(indication, Verdict.consider, None)],
        not_indicated=[reason(code) for code in not_indicated],
        absolute=[Criterion(facts.cord_compression_or_neurology_unknown, "sbrt_cord_compression")],
        notes=notes,
        grounds=[why for fact, why in limbs if fact.true],
        offered=[reason("sbrt_conditional")],
        source="OMD, SC24, ASTRO",
    )


def with_sbrt_alternative(ebrt: TherapyVerdict, sbrt: TherapyVerdict) -> TherapyVerdict:
    """EBRT gains `sbrt_alternative` when SBRT is consider, whatever EBRT's own verdict, which it never
    changes [ASTRO]."""
    if sbrt.status != Verdict.consider:
        return ebrt
    return ebrt.model_copy(update={"reasons": [*ebrt.reasons, reason("sbrt_alternative")]})
