"""case-events -> evaluation, and mdt-outcomes -> concordance: one batch handler for both topics (a polled
batch holds one partition's records, so one topic's)."""

from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from services.eligibility import outcomes, service
from shared.contracts.events import EventType, Topic
from shared.kafka.consumer import Delivery
from shared.kafka.subscription import Subscription

CASE_EVENT_TYPES = (EventType.case_submitted, EventType.case_updated, EventType.case_withdrawn)
OUTCOME_EVENT_TYPES = (EventType.outcome_recorded,)


def subscription(recommendation_topic: str) -> Subscription:
    async def on_events(session: AsyncSession, deliveries: Sequence[Delivery]) -> None:
        case_events = [d for d in deliveries if d.event_type in CASE_EVENT_TYPES]
        outcome_events = [d for d in deliveries if d.event_type in OUTCOME_EVENT_TYPES]
        await service.apply_case_events(session, case_events, topic=recommendation_topic)
        if outcome_events:
            await outcomes.apply_outcome_events(session, outcome_events)

    return Subscription(
        name="eligibility",
        topics=(Topic.case_events, Topic.mdt_outcomes),
        event_types=frozenset((*CASE_EVENT_TYPES, *OUTCOME_EVENT_TYPES)),
        handler=on_events,
    )
