"""The WHO ladder: non-opioid, opioid and neuropathic adjuvant (§3)."""

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.facts import CaseFacts
from services.eligibility.domain.reasons import reason
from services.eligibility.domain.tri import FALSE, TRUE, Fact, check, from_field, unknown
from services.eligibility.domain.verdicts import Criterion, Indication, decide
from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.recommendation import Reason, TherapyVerdict

_SCORE = "pain.score"


def _pain_band_reason(facts: CaseFacts) -> list[Reason]:
    score = facts.case.pain.score
    if score is None or facts.pain_band is None:
        return []
    return [reason(f"pain_{facts.pain_band}", f"score {score}")]


def non_opioid_analgesic(facts: CaseFacts) -> TherapyVerdict:
    band = _pain_band_reason(facts)
    return decide(
        TherapyCode.non_opioid_analgesic,
        indications=[
            Indication(
                check(facts.case.pain.score, lambda s: s >= t.PAIN_ANY_MIN, _SCORE),
                Verdict.recommended,
                reason("non_opioid_first_step"),
            )
        ],
        not_indicated=band,
        relative=[
            Criterion(facts.pregnant, "rel_pregnant_nsaid"),
            Criterion(facts.renal_failure, "rel_renal_failure_nsaid"),
        ],
        notes=band,
        assumed=[reason(code) for code in facts.taken_false_by_age()],
        source="SEED, WHO",
    )


def _opioid_indication(facts: CaseFacts) -> tuple[Fact, Reason]:
    """Score >= 4, or score >= 1 with refractory pain. The refractory flag is only read at scores 1-3."""
    pain = facts.case.pain
    if pain.score is None:
        return unknown(_SCORE), reason("opioid_moderate_severe")
    if pain.score >= t.PAIN_OPIOID_MIN:
        return TRUE, reason("opioid_moderate_severe")
    if pain.score < t.PAIN_ANY_MIN:
        return FALSE, reason("pain_none", f"score {pain.score}")
    refractory = from_field(pain.refractory_to_analgesics, "pain.refractory_to_analgesics")
    if refractory.false:
        return FALSE, reason("opioid_mild_controlled", f"score {pain.score}")
    return refractory, reason("opioid_refractory")


def opioid_analgesic(facts: CaseFacts) -> TherapyVerdict:
    fact, why = _opioid_indication(facts)
    return decide(
        TherapyCode.opioid_analgesic,
        indications=[Indication(fact, Verdict.recommended, why)],
        not_indicated=[why],
        relative=[
            Criterion(facts.renal_failure, "rel_renal_failure_opioid"),
            Criterion(facts.pregnant, "rel_pregnant_opioid"),
        ],
        notes=_pain_band_reason(facts),
        assumed=[reason(code) for code in facts.taken_false_by_age()],
        source="SEED, WHO",
    )


def neuropathic_adjuvant(facts: CaseFacts) -> TherapyVerdict:
    return decide(
        TherapyCode.neuropathic_adjuvant,
        indications=[
            Indication(
                from_field(facts.case.pain.neuropathic, "pain.neuropathic"),
                Verdict.recommended,
                reason("neuropathic_pain"),
            )
        ],
        not_indicated=[reason("no_neuropathic_pain")],
        relative=[Criterion(facts.renal_failure, "rel_renal_failure_adjuvant")],
    )
