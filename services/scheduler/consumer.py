"""therapy-recommendations -> bookings; case-events (withdrawn, changed) -> cancellations."""

from sqlmodel.ext.asyncio.session import AsyncSession

from services.scheduler import service
from services.scheduler.service import BookingPolicy
from shared.contracts.events import EventEnvelope, EventType, Topic
from shared.kafka.consumer import Handler

TOPICS_CONSUMED = [Topic.therapy_recommendations.value, Topic.case_events.value]


def build_handlers(policy: BookingPolicy) -> dict[str, Handler]:
    async def on_recommendation(session: AsyncSession, envelope: EventEnvelope) -> None:
        await service.book_recommendation(session, envelope, policy)

    async def on_withdrawn(session: AsyncSession, envelope: EventEnvelope) -> None:
        await service.cancel_for_withdrawal(session, envelope, policy)

    async def on_case_changed(session: AsyncSession, envelope: EventEnvelope) -> None:
        # The booking follows the recommendation; a changed case only re-opens a withdrawn one.
        await service.reopen_if_withdrawn(session, envelope)

    return {
        EventType.recommendation_issued.value: on_recommendation,
        EventType.case_withdrawn.value: on_withdrawn,
        EventType.case_submitted.value: on_case_changed,
        EventType.case_updated.value: on_case_changed,
    }
