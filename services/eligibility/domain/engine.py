"""evaluate(): a case submission in, a recommendation out. Pure and deterministic."""

from collections.abc import Callable
from datetime import UTC, datetime
from uuid import UUID

from services.eligibility.domain import therapies
from services.eligibility.domain.discussion import discussion_mode, discussion_reasons
from services.eligibility.domain.facts import CaseFacts, derive_facts
from services.eligibility.domain.specialties import required_specialties
from services.eligibility.domain.thresholds import RULESET_VERSION
from services.eligibility.domain.urgency import alerts, urgency
from shared.contracts.case import CaseSubmission
from shared.contracts.codes import BOOK_WITHIN_HOURS, TherapyCode
from shared.contracts.recommendation import LesionScores, Recommendation, TherapyVerdict

# Every therapy but postoperative radiotherapy, which follows the surgery verdict.
_RULES: dict[TherapyCode, Callable[[CaseFacts], TherapyVerdict]] = {
    TherapyCode.non_opioid_analgesic: therapies.non_opioid_analgesic,
    TherapyCode.opioid_analgesic: therapies.opioid_analgesic,
    TherapyCode.neuropathic_adjuvant: therapies.neuropathic_adjuvant,
    TherapyCode.osteoclast_inhibitor: therapies.osteoclast_inhibitor,
    TherapyCode.physical_activity: therapies.physical_activity,
    TherapyCode.systemic_therapy: therapies.systemic_therapy,
    TherapyCode.external_beam_radiotherapy: therapies.external_beam_radiotherapy,
    TherapyCode.hemibody_radiotherapy: therapies.hemibody_radiotherapy,
    TherapyCode.radiopharmaceutical: therapies.radiopharmaceutical,
    TherapyCode.surgery: therapies.surgery,
    TherapyCode.thermal_ablation: therapies.thermal_ablation,
    TherapyCode.stereotactic_body_radiotherapy: therapies.stereotactic_body_radiotherapy,
    TherapyCode.vertebral_augmentation: therapies.vertebral_augmentation,
}


def _as_utc(moment: datetime) -> datetime:
    """A naive datetime is taken as UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def evaluate_therapies(facts: CaseFacts) -> list[TherapyVerdict]:
    verdicts: dict[TherapyCode, TherapyVerdict] = {}
    for code in TherapyCode:  # the contract's table order
        if code == TherapyCode.postoperative_radiotherapy:
            verdicts[code] = therapies.postoperative_radiotherapy(facts, verdicts[TherapyCode.surgery])
        else:
            verdicts[code] = _RULES[code](facts)
    ebrt = TherapyCode.external_beam_radiotherapy
    verdicts[ebrt] = therapies.with_sbrt_alternative(
        verdicts[ebrt], verdicts[TherapyCode.stereotactic_body_radiotherapy]
    )
    return list(verdicts.values())


def lesion_scores(facts: CaseFacts) -> dict[str, LesionScores]:
    return {
        lesion.lesion.id: LesionScores(
            sins=lesion.sins.value if lesion.sins else None,
            sins_band=lesion.sins_band,
            mirels=lesion.mirels.value if lesion.mirels else None,
        )
        for lesion in facts.lesions
    }


def evaluate(
    case: CaseSubmission, *, case_id: UUID | None, case_version: int, evaluated_at: datetime
) -> Recommendation:
    """Apply ruleset RULESET_VERSION to one case. The evaluation date is the UTC date of evaluated_at."""
    moment = _as_utc(evaluated_at)
    facts = derive_facts(case, moment.date())
    verdicts = evaluate_therapies(facts)
    level = urgency(facts)
    raised = alerts(facts)
    why_full = discussion_reasons(facts, level, raised, verdicts)
    return Recommendation(
        case_id=case_id,
        case_version=case_version,
        ruleset_version=RULESET_VERSION,
        evaluated_at=moment,
        urgency=level,
        book_within_hours=BOOK_WITHIN_HOURS[level],
        required_specialties=required_specialties(facts, verdicts),
        therapies=verdicts,
        scores=lesion_scores(facts),
        alerts=raised,
        discussion=discussion_mode(why_full),
        discussion_reasons=why_full,
    )
