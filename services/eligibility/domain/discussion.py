"""Discussion mode (clinical-rules.md §7, from ruleset 2026.12; two therapies joined in 2027.01) [NHSE].

A case is `standard_of_care` (listed on the MDT's agenda for the record, not discussed at length) when every
condition below holds, and `full` otherwise, with one reason code for each condition that fails, once each,
in this order: urgency, alerts (in the recommendation's order), insufficient data, the six therapies (in
the order of §7), fracture / SINS / Mirels, external beam radiotherapy.
"""

from collections.abc import Sequence

from services.eligibility.domain import thresholds as t
from services.eligibility.domain.facts import CaseFacts
from shared.contracts.codes import TherapyCode, Urgency, Verdict
from shared.contracts.recommendation import Alert, Discussion, TherapyVerdict

# Each must be not_indicated or contraindicated for a standard-of-care case; §7's order.
INTERVENTIONS: tuple[TherapyCode, ...] = (
    TherapyCode.surgery,
    TherapyCode.thermal_ablation,
    TherapyCode.hemibody_radiotherapy,
    TherapyCode.radiopharmaceutical,
    TherapyCode.stereotactic_body_radiotherapy,
    TherapyCode.vertebral_augmentation,
)
_NOT_OFFERED = frozenset({Verdict.not_indicated, Verdict.contraindicated})

# What GET /v1/rules publishes: each condition of a standard-of-care case and the reason codes given when it
# fails, in the order the codes are listed.
CONDITIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("urgency is routine", tuple(f"urgency_{level}" for level in (Urgency.urgent, Urgency.emergency))),
    (
        "there is no alert (one code per alert, in the order of the recommendation's alerts)",
        ("alert_<code>",),
    ),
    ("no therapy is insufficient_data", ("insufficient_data",)),
    (
        "surgery, thermal_ablation, hemibody_radiotherapy, radiopharmaceutical, stereotactic_body_radiotherapy "
        "and vertebral_augmentation are each not_indicated or contraindicated (in that order; an "
        "insufficient_data one also gives insufficient_data)",
        tuple(f"{code}_<status>" for code in INTERVENTIONS),
    ),
    (
        f"no lesion has pathological_fracture true, a known SINS >= {t.SINS_INDETERMINATE_MIN} or a known "
        f"Mirels >= {t.MIRELS_CONSIDER}",
        ("fracture", f"sins_ge_{t.SINS_INDETERMINATE_MIN}", f"mirels_ge_{t.MIRELS_CONSIDER}"),
    ),
    (
        "external_beam_radiotherapy is not consider (re-irradiation or pregnancy needs a discussion)",
        ("external_beam_radiotherapy_consider",),
    ),
)


def discussion_reasons(
    facts: CaseFacts, level: Urgency, alerts: Sequence[Alert], therapies: Sequence[TherapyVerdict]
) -> list[str]:
    """The reason codes that make the case `full`; empty for `standard_of_care`."""
    status = {verdict.code: verdict.status for verdict in therapies}
    reasons: list[str] = []
    if level != Urgency.routine:
        reasons.append(f"urgency_{level}")
    reasons.extend(f"alert_{alert.code}" for alert in alerts)
    if Verdict.insufficient_data in status.values():
        reasons.append("insufficient_data")
    reasons.extend(f"{code}_{status[code]}" for code in INTERVENTIONS if status[code] not in _NOT_OFFERED)
    if facts.any_fracture.true:
        reasons.append("fracture")
    if facts.any_sins_at_least(t.SINS_INDETERMINATE_MIN).true:
        reasons.append(f"sins_ge_{t.SINS_INDETERMINATE_MIN}")
    if facts.any_mirels_at_least(t.MIRELS_CONSIDER).true:
        reasons.append(f"mirels_ge_{t.MIRELS_CONSIDER}")
    if status[TherapyCode.external_beam_radiotherapy] == Verdict.consider:
        reasons.append("external_beam_radiotherapy_consider")
    return list(dict.fromkeys(reasons))  # once each, first place kept


def discussion_mode(reasons: Sequence[str]) -> Discussion:
    return Discussion.full if reasons else Discussion.standard_of_care
