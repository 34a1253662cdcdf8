"""therapy-recommendations -> placements; case-events: withdrawn -> cancellations, changed -> readiness."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import placing, service
from services.scheduler.adapters.booking_writes import lock_booking_batches
from services.scheduler.service import BookingPolicy
from shared.contracts.case import CaseSubmission
from shared.contracts.events import CaseWithdrawal, EventType, Topic
from shared.contracts.recommendation import Recommendation
from shared.db.driver import driver_connection
from shared.kafka.consumer import Delivery, PoisonEventError
from shared.kafka.subscription import Subscription
from shared.telemetry import attached


def subscription(policy: BookingPolicy) -> Subscription:
    async def on_batch(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
        """A polled batch in one transaction: the records one after the other (each booking in its own
        savepoint), with one commit and one inbox insert for all of them."""
        if not deliveries:
            return
        await lock_booking_batches(await driver_connection(session))
        for delivery in deliveries:
            with attached(delivery.context):  # its statements and its event continue the record's trace
                await _apply(session, delivery, policy)

    return Subscription(
        name="scheduler",
        topics=(Topic.therapy_recommendations, Topic.case_events),
        event_types=frozenset(
            (
                EventType.recommendation_issued,
                EventType.case_withdrawn,
                EventType.case_submitted,
                EventType.case_updated,
            )
        ),
        handler=on_batch,
    )


async def _apply(session: AsyncSession, delivery: Delivery, policy: BookingPolicy) -> None:
    envelope = delivery.envelope
    match delivery.payload:
        case Recommendation() as recommendation:
            await placing.on_recommendation(session, envelope, recommendation, policy)
        case CaseWithdrawal():
            await service.cancel_for_withdrawal(session, envelope, policy)
        case CaseSubmission() as case:
            # The placement follows the recommendation; a changed case re-opens a withdrawn one and brings
            # its readiness for the meeting.
            await placing.on_case_changed(session, envelope, case)
        case _:
            raise PoisonEventError(f"the scheduler does not apply {envelope.event_type.value}")
