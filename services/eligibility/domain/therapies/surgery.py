"""Surgery: stabilisation, decompression or resection (§3) [SEED, SINS, MIRELS, BILSKY, NOMS, PATCHELL]."""

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.facts import CaseFacts
from services.eligibility.domain.reasons import reason
from services.eligibility.domain.tri import Fact, any_of, from_field, known, negate
from services.eligibility.domain.verdicts import Criterion, Indication, decide
from shared.contracts.codes import CordCompression, TherapyCode, Verdict
from shared.contracts.recommendation import TherapyVerdict


def _ids(facts: CaseFacts, predicate_true: list[Fact]) -> str | None:
    ids = [lesion.lesion.id for lesion, fact in zip(facts.lesions, predicate_true, strict=True) if fact.true]
    return ", ".join(ids) or None


def _cord_compression(facts: CaseFacts) -> Fact:
    """Clinical compression (a null counts as none, §1) or an ESCC grade 2-3; a null ESCC grade of a spine
    lesion stays unknown, since the rule's "known false" needs every spine lesion's grade."""
    clinical = facts.case.neurology.spinal_cord_compression in (
        CordCompression.suspected,
        CordCompression.confirmed,
    )
    return any_of([known(clinical), facts.imaging_cord_compression])


def surgery(facts: CaseFacts) -> TherapyVerdict:
    lesions = facts.lesions
    fractures = [lesion.fracture for lesion in lesions]
    unstable = [lesion.sins_in(t.SINS_UNSTABLE_MIN, t.SINS_MAX) for lesion in lesions]
    indeterminate = [lesion.sins_in(t.SINS_INDETERMINATE_MIN, t.SINS_UNSTABLE_MIN - 1) for lesion in lesions]
    fixation = [lesion.mirels_in(t.MIRELS_FIXATION_MIN, t.MIRELS_MAX) for lesion in lesions]
    borderline = [lesion.mirels_in(t.MIRELS_CONSIDER, t.MIRELS_CONSIDER) for lesion in lesions]
    solitary = len(lesions) == 1 and lesions[0].lesion.site in t.SOLITARY_LESION_SITES
    return decide(
        TherapyCode.surgery,
        indications=[
            Indication(
                any_of(fractures), Verdict.recommended, reason("surgery_fracture", _ids(facts, fractures))
            ),
            Indication(
                any_of(unstable), Verdict.recommended, reason("surgery_sins_unstable", _ids(facts, unstable))
            ),
            Indication(_cord_compression(facts), Verdict.recommended, reason("surgery_cord_compression")),
            Indication(
                any_of(fixation),
                Verdict.recommended,
                reason("surgery_mirels_fixation", _ids(facts, fixation)),
            ),
            Indication(
                any_of(indeterminate),
                Verdict.consider,
                reason("surgery_sins_indeterminate", _ids(facts, indeterminate)),
            ),
            Indication(
                any_of(borderline),
                Verdict.consider,
                reason("surgery_mirels_borderline", _ids(facts, borderline)),
            ),
            Indication(
                known(solitary),
                Verdict.consider,
                reason("surgery_solitary_lesion", lesions[0].lesion.id if solitary else None),
            ),
        ],
        not_indicated=[reason("surgery_not_indicated")],
        absolute=[
            # Not on the rule's required list: unknown fitness for anaesthesia keeps surgery from being
            # "recommended" but does not make it insufficient_data.
            Criterion(
                negate(
                    from_field(facts.case.status.can_tolerate_anaesthesia, "status.can_tolerate_anaesthesia")
                ),
                "abs_cannot_tolerate_anaesthesia",
                required=False,
            ),
        ],
        relative=[Criterion(facts.life_expectancy_below, "rel_life_expectancy_short_surgery")],
        source="SEED, SINS, MIRELS, BILSKY, NOMS",
    )
