"""Thermal ablation: radiofrequency, cryo- or focused-ultrasound (§3) [SEED]."""

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.facts import CaseFacts, LesionFacts
from services.eligibility.domain.reasons import reason
from services.eligibility.domain.tri import (
    FALSE,
    TRUE,
    Fact,
    all_of,
    any_of,
    check,
    from_field,
    known,
    negate,
)
from services.eligibility.domain.verdicts import Criterion, Indication, decide
from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.recommendation import TherapyVerdict


def _target(lesion: LesionFacts) -> Fact:
    """Radiotherapy given and pain persisting after it."""
    return all_of(
        [
            from_field(lesion.lesion.prior_radiotherapy, lesion.path("prior_radiotherapy")),
            from_field(
                lesion.lesion.pain_persists_after_radiotherapy,
                lesion.path("pain_persists_after_radiotherapy"),
            ),
        ]
    )


def _ablatable(lesion: LesionFacts) -> Fact:
    """Percutaneously accessible and, in the spine, at least 10 mm from neural structures."""
    distance = (
        check(
            lesion.lesion.distance_to_neural_mm,
            lambda mm: mm >= t.ABLATION_NEURAL_DISTANCE_MIN_MM,
            lesion.path("distance_to_neural_mm"),
        )
        if lesion.is_spine
        else TRUE
    )
    return all_of(
        [
            from_field(lesion.lesion.percutaneously_accessible, lesion.path("percutaneously_accessible")),
            distance,
        ]
    )


def thermal_ablation(facts: CaseFacts) -> TherapyVerdict:
    status = facts.case.status
    targets = [_target(lesion) for lesion in facts.lesions]
    ablatable_targets = [
        all_of([target, _ablatable(lesion)]) for target, lesion in zip(targets, facts.lesions, strict=True)
    ]
    any_target = any_of(targets)
    # While no lesion is known to be a target, the ablatability inputs are not yet needed: the indication
    # itself is undecided (and names its own nulls) or known false.
    none_ablatable = (
        all_of([any_target, negate(any_of(ablatable_targets))])
        if any(target.true for target in targets)
        else Fact(None)
        if any_target.unknown
        else FALSE
    )
    every_ablatable_next_to_critical = all_of(
        [
            any_of(ablatable_targets),
            *(
                any_of(
                    [
                        negate(ablatable),
                        from_field(
                            lesion.lesion.adjacent_critical_structure,
                            lesion.path("adjacent_critical_structure"),
                        ),
                    ]
                )
                for ablatable, lesion in zip(ablatable_targets, facts.lesions, strict=True)
            ),
        ]
    )
    target_ids = ", ".join(
        lesion.lesion.id for lesion, target in zip(facts.lesions, targets, strict=True) if target.true
    )
    return decide(
        TherapyCode.thermal_ablation,
        indications=[
            Indication(any_target, Verdict.recommended, reason("ablation_target", target_ids or None))
        ],
        not_indicated=[reason("ablation_no_target")],
        absolute=[
            Criterion(
                negate(from_field(status.can_tolerate_anaesthesia, "status.can_tolerate_anaesthesia")),
                "abs_cannot_tolerate_anaesthesia_ablation",
            ),
            Criterion(
                from_field(status.uncorrectable_bleeding, "status.uncorrectable_bleeding"),
                "abs_uncorrectable_bleeding",
            ),
            Criterion(none_ablatable, "abs_no_ablatable_target"),
        ],
        relative=[
            Criterion(known(facts.widespread), "rel_widespread", detail=f"{len(facts.lesions)} lesions"),
            Criterion(from_field(status.active_infection, "status.active_infection"), "rel_active_infection"),
            Criterion(every_ablatable_next_to_critical, "rel_adjacent_critical_structure"),
        ],
    )
