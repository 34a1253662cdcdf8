"""Vertebral augmentation: vertebroplasty or kyphoplasty (§3, ruleset 2027.01) [NICEVA, NASS]: consider at
most."""

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.facts import CaseFacts, LesionFacts
from services.eligibility.domain.reasons import reason
from services.eligibility.domain.tri import FALSE, TRUE, Fact, all_of, any_of, check, from_field, negate
from services.eligibility.domain.verdicts import Criterion, Indication, decide
from shared.contracts.codes import PainPattern, TherapyCode, Verdict
from shared.contracts.recommendation import Reason, TherapyVerdict


def _target(facts: CaseFacts, lesion: LesionFacts) -> Fact:
    """A painful spine lesion with a collapsed vertebral body, or with mechanical pain resistant to analgesia
    (Kleene logic: the nulls that could settle it are named)."""
    collapse = check(
        lesion.lesion.vertebral_body_collapse,
        lambda collapse: collapse in t.AUGMENTATION_COLLAPSE,
        lesion.path("vertebral_body_collapse"),
    )
    mechanical = check(
        lesion.lesion.pain_pattern,
        lambda pattern: pattern == PainPattern.mechanical,
        lesion.path("pain_pattern"),
    )
    refractory = from_field(facts.case.pain.refractory_to_analgesics, "pain.refractory_to_analgesics")
    return all_of([lesion.painful, any_of([collapse, all_of([mechanical, refractory])])])


def _unstable(targets: list[tuple[LesionFacts, Fact]]) -> Fact:
    """Targets exist and every target has a known SINS >= 13. Not known true while a lesion might still be a
    target; when no target has a known SINS < 13, the SINS inputs of the targets without a score are
    required."""
    known_targets = [lesion for lesion, fact in targets if fact.true]
    undecided = any(fact.unknown for _, fact in targets)
    if not known_targets:
        return Fact(None) if undecided else FALSE  # the indication itself is undecided, or known false
    if any(lesion.sins_in(0, t.SINS_UNSTABLE_MIN - 1).true for lesion in known_targets):
        return FALSE
    unscored = [
        lesion.sins for lesion in known_targets if lesion.sins is not None and lesion.sins.value is None
    ]
    if unscored:
        return Fact(None, frozenset().union(*(score.missing for score in unscored)))
    return Fact(None) if undecided else TRUE


def _ids(lesions: list[LesionFacts]) -> str:
    return ", ".join(lesion.lesion.id for lesion in lesions)


def _notes(facts: CaseFacts, known_targets: list[LesionFacts]) -> list[Reason]:
    """Reasons that change no verdict and never enter `missing`, each when its condition holds."""
    labs = facts.case.labs
    indeterminate = [
        target
        for target in known_targets
        if target.sins_in(t.SINS_INDETERMINATE_MIN, t.SINS_UNSTABLE_MIN - 1).true
    ]
    wall = [
        target
        for target in known_targets
        if target.lesion.posterior_wall in t.AUGMENTATION_POSTERIOR_WALL_AT_RISK
    ]
    epidural = [
        target for target in known_targets if target.lesion.escc_grade in t.AUGMENTATION_EPIDURAL_EXTENSION
    ]
    coagulation = (
        labs.platelets_10e9_l is not None and labs.platelets_10e9_l < t.AUGMENTATION_PLATELETS_MIN
    ) or (labs.inr is not None and labs.inr > t.AUGMENTATION_INR_MAX)
    notes = [
        reason(code, _ids(lesions))
        for code, lesions in (
            ("augmentation_surgical_agreement", indeterminate),
            ("augmentation_posterior_wall", wall),
            ("augmentation_epidural_extension", epidural),
        )
        if lesions
    ]
    if coagulation:
        notes.append(reason("augmentation_coagulation"))
    if facts.pregnant.true:
        notes.append(reason("augmentation_pregnancy"))
    return notes


def vertebral_augmentation(facts: CaseFacts) -> TherapyVerdict:
    status = facts.case.status
    targets = [(lesion, _target(facts, lesion)) for lesion in facts.lesions if lesion.is_spine]
    known_targets = [lesion for lesion, fact in targets if fact.true]
    return decide(
        TherapyCode.vertebral_augmentation,
        indications=[
            Indication(
                any_of(fact for _, fact in targets),
                Verdict.consider,
                reason("augmentation_indicated", _ids(known_targets) or None),
            )
        ],
        not_indicated=[reason("augmentation_not_indicated")],
        absolute=[
            Criterion(facts.cord_compression_or_neurology_unknown, "augmentation_cord_compression"),
            Criterion(
                from_field(status.uncorrectable_bleeding, "status.uncorrectable_bleeding"),
                "augmentation_bleeding",
            ),
            Criterion(
                from_field(status.active_infection, "status.active_infection"), "augmentation_infection"
            ),
            Criterion(
                negate(from_field(status.can_tolerate_anaesthesia, "status.can_tolerate_anaesthesia")),
                "augmentation_anaesthesia",
            ),
            Criterion(_unstable(targets), "augmentation_unstable"),
        ],
        notes=_notes(facts, known_targets),
        offered=[reason("augmentation_team_agreement"), reason("augmentation_not_antitumour")],
        source="NICEVA, NASS",
    )
