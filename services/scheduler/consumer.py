"""therapy-recommendations -> placements; case-events: withdrawn -> cancellations, changed -> readiness."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import placing, service
from services.scheduler.adapters.booking_writes import lock_booking_batches
from services.scheduler.service import BookingPolicy
from shared.contracts.events import EventEnvelope, EventType, Topic
from shared.db.driver import driver_connection
from shared.kafka.consumer import BatchHandler, Delivery, Handler
from shared.telemetry import attached

TOPICS_CONSUMED = [Topic.therapy_recommendations.value, Topic.case_events.value]


def build_handlers(policy: BookingPolicy) -> dict[str, Handler]:
    async def on_recommendation(session: AsyncSession, envelope: EventEnvelope) -> None:
        await placing.on_recommendation(session, envelope, policy)

    async def on_withdrawn(session: AsyncSession, envelope: EventEnvelope) -> None:
        await service.cancel_for_withdrawal(session, envelope, policy)

    async def on_case_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
        # The placement follows the recommendation; a changed case re-opens a withdrawn one and brings its
        # readiness for the meeting.
        await placing.on_case_changed(session, envelope)

    return {
        EventType.recommendation_issued.value: on_recommendation,
        EventType.case_withdrawn.value: on_withdrawn,
        EventType.case_submitted.value: on_case_changed,
        EventType.case_updated.value: on_case_changed,
    }


def build_batch_handler(handlers: dict[str, Handler]) -> BatchHandler:
    """A polled batch in one transaction: the records one after the other, as one at a time would apply
    them (each booking in its own savepoint), with one commit and one inbox insert for all of them."""

    async def on_batch(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
        if not deliveries:
            return
        await lock_booking_batches(await driver_connection(session))
        for delivery in deliveries:
            with attached(delivery.context):  # its statements and its event continue the record's trace
                await handlers[delivery.envelope.event_type.value](session, delivery.envelope)

    return on_batch
