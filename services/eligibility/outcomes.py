"""Eligibility's outcome use cases: keep every MDT outcome version seen on mdt-outcomes, count each decision
once, and report how often the MDTs followed the recommendations (meetings.md §6)."""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from services.eligibility.adapters.outcome_store import NewOutcome, latest_decisions, store_outcomes
from services.eligibility.domain.concordance import DecisionRecord, TherapyConcordance, concordance
from shared.contracts.codes import TherapyCode, Verdict
from shared.contracts.outcome import Decision, Outcome
from shared.db.driver import driver_connection
from shared.db.unit_of_work import UnitOfWork
from shared.errors import InvalidRequestError
from shared.kafka.consumer import Delivery, PoisonEventError
from shared.metrics import MDT_RECOMMENDATION_DECISIONS


def _parsed(delivery: Delivery) -> Outcome:
    outcome = delivery.payload  # checked against the contract by the consumer, before this runs
    if not isinstance(outcome, Outcome):
        raise PoisonEventError(f"{delivery.event_type.value} does not carry an outcome")
    return outcome


def _decision_rows(outcome: Outcome) -> list[dict[str, Any]]:
    return [
        {
            "therapy": decision.therapy.value,
            "verdict": outcome.verdicts[decision.therapy].value
            if decision.therapy in outcome.verdicts
            else None,
            "decision": decision.decision.value,
            "reason_code": None if decision.reason_code is None else decision.reason_code.value,
        }
        for decision in outcome.decisions
    ]


async def apply_outcome_events(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
    """Stores each outcome version once; the metric counts a decision when its outcome is first stored."""
    outcomes = [_parsed(delivery) for delivery in deliveries]
    rows = {outcome.outcome_id: _decision_rows(outcome) for outcome in outcomes}
    stored = await store_outcomes(
        await driver_connection(session),
        [
            NewOutcome(
                o.case_id,
                o.version,
                o.outcome_id,
                o.case_version,
                o.ruleset_version,
                o.recorded_at,
                rows[o.outcome_id],
            )
            for o in outcomes
        ],
    )
    for outcome_id in stored:
        for row in rows[outcome_id]:
            MDT_RECOMMENDATION_DECISIONS.labels(
                row["therapy"], row["verdict"] or "none", row["decision"]
            ).inc()


class PeriodReversedError(InvalidRequestError):
    """`from` after `to`, answered like the filters' other refusals (request validation's detail)."""

    def __init__(self) -> None:
        super().__init__("from", "must not be after to")
        self.detail = "1 field(s) failed validation"


async def concordance_report(
    uow: UnitOfWork, ruleset_version: str | None, since: date | None, until: date | None
) -> tuple[int, list[TherapyConcordance]]:
    """(number of cases counted, one entry per therapy)."""
    if since is not None and until is not None and since > until:
        raise PeriodReversedError()
    async with uow.read() as session:
        outcomes = await latest_decisions(await driver_connection(session), ruleset_version, since, until)
    records = [
        DecisionRecord(
            TherapyCode(row["therapy"]),
            Verdict(row["verdict"]),
            Decision(row["decision"]),
            row["reason_code"],
        )
        for decisions in outcomes
        for row in decisions
        if row["verdict"] is not None
    ]
    return len(outcomes), concordance(records)
