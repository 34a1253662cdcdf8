"""Whether an MDT outcome may be recorded as posted (meetings.md §6): the rules that need no database.

The caller supplies what the meeting saw (the verdicts snapshot, the case's required specialties) and who
could attend (the team's members, or a huddle's participants, with their specialties)."""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from shared.contracts.codes import Specialty, TherapyCode, Verdict
from shared.contracts.outcome import (
    DECISIONS_NEEDING_A_REASON,
    VERDICTS_NEEDING_A_DECISION,
    OutcomeRequest,
)


@dataclass(frozen=True)
class OutcomeProblem:
    field: str
    reason: str

    def as_error(self) -> dict[str, str]:
        return {"field": self.field, "reason": self.reason}


def outcome_problems(
    request: OutcomeRequest,
    *,
    verdicts: Mapping[TherapyCode, Verdict],
    required_specialties: frozenset[Specialty],
    eligible_attendees: Mapping[int, Specialty],
) -> list[OutcomeProblem]:
    """Every reason the outcome cannot be recorded, in the order of the request's fields; empty when it can.
    Never quotes a note: a note is clinicians' free text."""
    problems: list[OutcomeProblem] = []
    seen = Counter(decision.therapy for decision in request.decisions)
    for index, decision in enumerate(request.decisions):
        if seen[decision.therapy] > 1:
            problems.append(
                OutcomeProblem(f"decisions[{index}].therapy", f"{decision.therapy} is decided more than once")
            )
        if decision.decision in DECISIONS_NEEDING_A_REASON and decision.reason_code is None:
            problems.append(
                OutcomeProblem(
                    f"decisions[{index}].reason_code", f"a {decision.decision} decision needs a reason code"
                )
            )
    undecided = [
        therapy
        for therapy in TherapyCode
        if verdicts.get(therapy) in VERDICTS_NEEDING_A_DECISION and therapy not in seen
    ]
    if undecided:
        problems.append(
            OutcomeProblem(
                "decisions",
                "no decision for "
                + ", ".join(f"{t} ({verdicts[t]})" for t in undecided)
                + ": every recommended or consider therapy needs one",
            )
        )
    strangers = sorted({a for a in request.attendees if a not in eligible_attendees})
    if strangers:
        problems.append(
            OutcomeProblem(
                "attendees",
                "not members of the meeting's team (or the huddle's participants): "
                + ", ".join(str(a) for a in strangers),
            )
        )
    present = {eligible_attendees[a] for a in request.attendees if a in eligible_attendees}
    lacking = sorted(required_specialties - present)
    if lacking:
        problems.append(
            OutcomeProblem("attendees", "no attendee covers the required specialties: " + ", ".join(lacking))
        )
    return problems
