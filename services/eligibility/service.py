"""Eligibility's use cases: evaluate a case version once, store it, announce it. The consumer hands over a
polled batch of case events at a time; each statement here covers the whole batch."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.eligibility.adapters.tables import CaseProgress, RecommendationRecord, outbox
from services.eligibility.domain import evaluate
from shared.contracts.case import CaseSubmission
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.recommendation import Recommendation
from shared.kafka.consumer import Delivery, PoisonEventError
from shared.kafka.outbox import OutboxEvent, add_all_to_outbox
from shared.telemetry import attached, current_trace_headers

progress_table: Table = CaseProgress.__table__  # type: ignore[attr-defined]
recommendations_table: Table = RecommendationRecord.__table__  # type: ignore[attr-defined]


@dataclass
class _Progress:
    latest_version: int
    withdrawn_at: datetime | None


async def _lock_progress(session: AsyncSession, case_ids: set[UUID]) -> dict[UUID, _Progress]:
    rows = await session.execute(
        select(progress_table.c.case_id, progress_table.c.latest_version, progress_table.c.withdrawn_at)
        .where(progress_table.c.case_id.in_(sorted(case_ids)))
        .order_by(progress_table.c.case_id)
        .with_for_update()
    )
    return {row.case_id: _Progress(row.latest_version, row.withdrawn_at) for row in rows}


async def apply_case_events(session: AsyncSession, deliveries: Sequence[Delivery], *, topic: str) -> None:
    """Applies case events in order, with a few set-based statements for all of them: a withdrawal stops the
    case's work, a changed resubmission after it re-opens it, and each newest case version is evaluated once
    (stale or withdrawn versions are skipped) and announced."""
    if not deliveries:
        return
    cases = [_validated(delivery.envelope) for delivery in deliveries]  # a poison record fails the batch
    progress = await _lock_progress(session, {delivery.envelope.case_id for delivery in deliveries})
    changed: set[UUID] = set()
    issued: dict[tuple[UUID, int], tuple[Delivery, Recommendation]] = {}
    now = datetime.now(UTC)
    for delivery, case in zip(deliveries, cases, strict=True):
        envelope = delivery.envelope
        current = progress.get(envelope.case_id)
        if case is None:  # withdrawn
            if current is None:
                progress[envelope.case_id] = _Progress(envelope.case_version, now)
            elif current.withdrawn_at is None:
                current.withdrawn_at = now
            changed.add(envelope.case_id)
            continue
        if current is None:
            current = progress[envelope.case_id] = _Progress(envelope.case_version, None)
        elif current.withdrawn_at is not None and envelope.case_version > current.latest_version:
            current.withdrawn_at = None  # a changed resubmission re-opens the referral (intake does the same)
        elif current.withdrawn_at is not None or envelope.case_version < current.latest_version:
            continue
        current.latest_version = envelope.case_version
        changed.add(envelope.case_id)
        with attached(delivery.context):
            recommendation = evaluate(
                case, case_id=envelope.case_id, case_version=envelope.case_version, evaluated_at=now
            )
        issued[(envelope.case_id, envelope.case_version)] = (delivery, recommendation)

    await _save_progress(session, {case_id: progress[case_id] for case_id in changed}, now)
    contents = {key: recommendation.model_dump(mode="json") for key, (_, recommendation) in issued.items()}
    new = await _store_recommendations(session, issued, contents)
    await add_all_to_outbox(
        session,
        outbox,
        [
            _announcement(topic, delivery, contents[key])
            for key, (delivery, _) in issued.items()
            if key in new
        ],
    )


def _validated(envelope: EventEnvelope) -> CaseSubmission | None:
    if envelope.event_type == EventType.case_withdrawn:
        return None
    if envelope.case_version < 1:
        raise PoisonEventError("case_version must be 1 or more")
    return CaseSubmission.model_validate(envelope.payload)


async def _save_progress(session: AsyncSession, changed: dict[UUID, _Progress], now: datetime) -> None:
    if not changed:
        return
    statement = insert(progress_table)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[progress_table.c.case_id],
            set_={
                "latest_version": statement.excluded.latest_version,
                "withdrawn_at": statement.excluded.withdrawn_at,
                "updated_at": statement.excluded.updated_at,
            },
        ),
        [
            {
                "case_id": case_id,
                "latest_version": p.latest_version,
                "withdrawn_at": p.withdrawn_at,
                "updated_at": now,
            }
            for case_id, p in sorted(changed.items())
        ],
    )


async def _store_recommendations(
    session: AsyncSession,
    issued: dict[tuple[UUID, int], tuple[Delivery, Recommendation]],
    contents: dict[tuple[UUID, int], dict[str, Any]],
) -> set[tuple[UUID, int]]:
    """Inserts the recommendations; returns the (case, version) pairs that were not evaluated before under
    this ruleset (a repeat after a lost inbox row, say, is neither stored nor announced twice)."""
    if not issued:
        return set()
    rows = await session.execute(
        insert(recommendations_table)
        .on_conflict_do_nothing()
        .returning(recommendations_table.c.case_id, recommendations_table.c.case_version),
        [
            {
                "case_id": case_id,
                "case_version": case_version,
                "ruleset_version": recommendation.ruleset_version,
                "urgency": recommendation.urgency.value,
                "content": contents[(case_id, case_version)],
                "evaluated_at": recommendation.evaluated_at,
            }
            for (case_id, case_version), (_, recommendation) in issued.items()
        ],
    )
    return {(row.case_id, row.case_version) for row in rows}


def _announcement(topic: str, delivery: Delivery, content: dict[str, Any]) -> OutboxEvent:
    envelope = delivery.envelope
    with attached(delivery.context):
        headers = current_trace_headers()
    return OutboxEvent(
        topic,
        EventEnvelope(
            event_type=EventType.recommendation_issued,
            case_id=envelope.case_id,
            case_version=envelope.case_version,
            payload=content,
        ),
        headers,
    )


async def latest_recommendation(session: AsyncSession, case_id: UUID) -> Recommendation | None:
    record = (
        await session.exec(
            select(RecommendationRecord)
            .where(RecommendationRecord.case_id == case_id)
            .order_by(
                col(RecommendationRecord.case_version).desc(), col(RecommendationRecord.evaluated_at).desc()
            )
            .limit(1)
        )
    ).first()
    return None if record is None else Recommendation.model_validate(record.content)
