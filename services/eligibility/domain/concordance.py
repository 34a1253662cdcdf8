"""How often MDT decisions follow the recommendations (meetings.md §6): counts of outcomes by verdict x
decision for each therapy, computed from the latest outcome version of each case."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.outcome import Decision

COMMONEST_REASONS_SHOWN = 3


@dataclass(frozen=True)
class DecisionRecord:
    """One therapy's decision in one case's latest outcome, with the verdict the meeting saw."""

    therapy: TherapyCode
    verdict: Verdict
    decision: Decision
    reason_code: str | None


@dataclass
class TherapyConcordance:
    therapy: TherapyCode
    counts: dict[Verdict, dict[Decision, int]] = field(default_factory=dict)
    recommended_accepted_share: float | None = None
    consider_accepted_share: float | None = None
    commonest_decline_reasons: list[tuple[str, int]] = field(default_factory=list)


def _accepted_share(counts: dict[Decision, int]) -> float | None:
    total = sum(counts.values())
    return None if total == 0 else counts.get(Decision.accepted, 0) / total


def concordance(records: Iterable[DecisionRecord]) -> list[TherapyConcordance]:
    """One entry per therapy in the contract's order, including therapies with no decision yet; a share is
    null when there is nothing to divide."""
    by_therapy = {therapy: TherapyConcordance(therapy) for therapy in TherapyCode}
    declines: dict[TherapyCode, Counter[str]] = {therapy: Counter() for therapy in TherapyCode}
    for record in records:
        cell = by_therapy[record.therapy].counts.setdefault(record.verdict, {})
        cell[record.decision] = cell.get(record.decision, 0) + 1
        if record.decision is Decision.declined and record.reason_code is not None:
            declines[record.therapy][record.reason_code] += 1
    for therapy, entry in by_therapy.items():
        entry.recommended_accepted_share = _accepted_share(entry.counts.get(Verdict.recommended, {}))
        entry.consider_accepted_share = _accepted_share(entry.counts.get(Verdict.consider, {}))
        # Ties in count go to the reason code's name, so the answer does not depend on arrival order.
        ranked = sorted(declines[therapy].items(), key=lambda item: (-item[1], item[0]))
        entry.commonest_decline_reasons = ranked[:COMMONEST_REASONS_SHOWN]
    return list(by_therapy.values())
