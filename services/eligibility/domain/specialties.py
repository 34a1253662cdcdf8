"""Required specialties (clinical-rules.md §5)."""

from collections.abc import Sequence

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.facts import CaseFacts
from shared.contracts.codes import THERAPY_OWNER, Specialty, TherapyCode, Verdict
from shared.contracts.recommendation import TherapyVerdict

_OFFERED = frozenset({Verdict.recommended, Verdict.consider})


def required_specialties(facts: CaseFacts, therapies: Sequence[TherapyVerdict]) -> list[Specialty]:
    needed = {Specialty.radiology}
    needed |= {THERAPY_OWNER[verdict.code] for verdict in therapies if verdict.status in _OFFERED}
    if (
        facts.any_fracture.true
        or facts.any_sins_at_least(t.SINS_INDETERMINATE_MIN).true
        or facts.any_mirels_at_least(t.MIRELS_CONSIDER).true
    ):
        needed.add(Specialty.surgery)
    if facts.cord_compression:
        needed |= {Specialty.surgery, Specialty.radiation_oncology}
    # 2027.01: cement only when the spinal surgeon agrees, with access to spinal surgery [NICEVA].
    if any(v.code == TherapyCode.vertebral_augmentation and v.status == Verdict.consider for v in therapies):
        needed.add(Specialty.surgery)
    return sorted(needed, key=str)
