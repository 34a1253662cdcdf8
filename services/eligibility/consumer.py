"""case-events -> evaluation, and mdt-outcomes -> concordance: one batch handler for both topics (a polled
batch holds one partition's records, so one topic's)."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from services.eligibility import outcomes, service
from shared.contracts.events import EventType
from shared.kafka.consumer import BatchHandler, Delivery, Handler, one_at_a_time

CASE_EVENT_TYPES = (EventType.case_submitted, EventType.case_updated, EventType.case_withdrawn)
OUTCOME_EVENT_TYPES = (EventType.outcome_recorded,)


def build_batch_handler(recommendation_topic: str) -> BatchHandler:
    async def on_events(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
        case_events = [d for d in deliveries if d.envelope.event_type in CASE_EVENT_TYPES]
        outcome_events = [d for d in deliveries if d.envelope.event_type in OUTCOME_EVENT_TYPES]
        await service.apply_case_events(session, case_events, topic=recommendation_topic)
        if outcome_events:
            await outcomes.apply_outcome_events(session, outcome_events)

    return on_events


def build_handlers(batch_handler: BatchHandler) -> dict[str, Handler]:
    """The one-at-a-time handlers the consumer falls back on when a batch fails."""
    handler = one_at_a_time(batch_handler)
    return {event_type.value: handler for event_type in (*CASE_EVENT_TYPES, *OUTCOME_EVENT_TYPES)}
