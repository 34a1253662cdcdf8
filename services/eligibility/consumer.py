"""case-events -> evaluation: one batch handler for the three case event types."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from services.eligibility import service
from shared.contracts.events import EventType
from shared.kafka.consumer import BatchHandler, Delivery, Handler, one_at_a_time

CASE_EVENT_TYPES = (EventType.case_submitted, EventType.case_updated, EventType.case_withdrawn)


def build_batch_handler(recommendation_topic: str) -> BatchHandler:
    async def on_case_events(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
        await service.apply_case_events(session, deliveries, topic=recommendation_topic)

    return on_case_events


def build_handlers(batch_handler: BatchHandler) -> dict[str, Handler]:
    """The one-at-a-time handlers the consumer falls back on when a batch fails."""
    handler = one_at_a_time(batch_handler)
    return {event_type.value: handler for event_type in CASE_EVENT_TYPES}
