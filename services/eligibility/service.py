"""Eligibility's use cases: evaluate a case version once, store it, announce it. The consumer hands over a
polled batch of case events at a time; each statement here covers the whole batch."""

from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from services.eligibility.adapters.recommendation_store import (
    NewRecommendation,
    Progress,
    lock_progress,
    save_progress,
    store_recommendations,
)
from services.eligibility.adapters.tables import RecommendationRecord, outbox
from services.eligibility.domain import evaluate
from shared.contracts.case import CaseSubmission
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.recommendation import Recommendation
from shared.db.driver import driver_connection
from shared.db.unit_of_work import UnitOfWork
from shared.errors import NotFoundError
from shared.kafka.consumer import Delivery, PoisonEventError
from shared.kafka.outbox import OutboxEvent, add_all_to_outbox
from shared.telemetry import attached, current_trace_headers


class RecommendationNotFoundError(NotFoundError):
    def __init__(self) -> None:
        super().__init__("no recommendation for this case")


async def apply_case_events(session: AsyncSession, deliveries: Sequence[Delivery], *, topic: str) -> None:
    """Applies case events in order, with a few set-based statements for all of them: a withdrawal stops the
    case's work, a changed resubmission after it re-opens it, and each newest case version is evaluated once
    (stale or withdrawn versions are skipped) and announced."""
    if not deliveries:
        return
    cases = [_validated(delivery) for delivery in deliveries]  # a poison record fails the batch
    connection = await driver_connection(session)
    progress = await lock_progress(connection, {delivery.case_id for delivery in deliveries})
    changed: set[UUID] = set()
    issued: dict[tuple[UUID, int], tuple[Delivery, Recommendation]] = {}
    now = datetime.now(UTC)
    for delivery, case in zip(deliveries, cases, strict=True):
        case_id, case_version = delivery.case_id, delivery.case_version
        current = progress.get(case_id)
        if case is None:  # withdrawn
            if current is None:
                progress[case_id] = Progress(case_version, now)
            elif current.withdrawn_at is None:
                current.withdrawn_at = now
            changed.add(case_id)
            continue
        if current is None:
            current = progress[case_id] = Progress(case_version, None)
        elif current.withdrawn_at is not None and case_version > current.latest_version:
            current.withdrawn_at = None  # a changed resubmission re-opens the referral (intake does the same)
        elif current.withdrawn_at is not None or case_version < current.latest_version:
            continue
        current.latest_version = case_version
        changed.add(case_id)
        with attached(delivery.context):
            recommendation = evaluate(case, case_id=case_id, case_version=case_version, evaluated_at=now)
        issued[(case_id, case_version)] = (delivery, recommendation)

    await save_progress(connection, {case_id: progress[case_id] for case_id in changed}, now)
    # Encoded once, for the stored row and the event's payload alike.
    contents = {key: recommendation.model_dump_json() for key, (_, recommendation) in issued.items()}
    stored = await store_recommendations(
        connection,
        [
            NewRecommendation(
                case_id,
                case_version,
                recommendation.ruleset_version,
                recommendation.urgency.value,
                contents[(case_id, case_version)],
                recommendation.evaluated_at,
            )
            for (case_id, case_version), (_, recommendation) in issued.items()
        ],
    )
    await add_all_to_outbox(
        session,
        outbox,
        [
            _announcement(topic, delivery, recommendation, contents[key])
            for key, (delivery, recommendation) in issued.items()
            if key in stored
        ],
    )


def _validated(delivery: Delivery) -> CaseSubmission | None:
    """The case of a submitted or updated event (the consumer checked it against the contract); None for a
    withdrawal."""
    if delivery.event_type == EventType.case_withdrawn:
        return None
    if delivery.case_version < 1:
        raise PoisonEventError("case_version must be 1 or more")
    case = delivery.payload
    if not isinstance(case, CaseSubmission):
        raise PoisonEventError(f"{delivery.event_type.value} does not carry a case submission")
    return case


def _announcement(
    topic: str, delivery: Delivery, recommendation: Recommendation, content_json: str
) -> OutboxEvent:
    with attached(delivery.context):
        headers = current_trace_headers()
    return OutboxEvent(
        topic,
        EventEnvelope(
            event_type=EventType.recommendation_issued,
            case_id=delivery.case_id,
            case_version=delivery.case_version,
            payload={},
        ),
        headers,
        encoded_payload=content_json,
        urgency=recommendation.urgency.value,
    )


async def latest_recommendation(uow: UnitOfWork, case_id: UUID) -> Recommendation:
    async with uow.read() as session:
        record = (
            await session.exec(
                select(RecommendationRecord)
                .where(RecommendationRecord.case_id == case_id)
                .order_by(
                    col(RecommendationRecord.case_version).desc(),
                    col(RecommendationRecord.evaluated_at).desc(),
                )
                .limit(1)
            )
        ).first()
    if record is None:
        raise RecommendationNotFoundError()
    return Recommendation.model_validate(record.content)
