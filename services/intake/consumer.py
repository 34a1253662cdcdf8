"""Intake listens to what eligibility and the scheduler decided, to show it on the case."""

from services.intake import service
from shared.contracts.events import EventType
from shared.kafka.consumer import BatchHandler, Handler, one_at_a_time

DOWNSTREAM_EVENT_TYPES = (
    EventType.recommendation_issued,
    EventType.booking_confirmed,
    EventType.booking_waitlisted,
    EventType.booking_rescheduled,
    EventType.booking_cancelled,
    EventType.outcome_recorded,
)
BATCH_HANDLER: BatchHandler = service.record_downstream_decisions
# The one-at-a-time handlers the consumer falls back on when a batch fails.
HANDLERS: dict[str, Handler] = {event.value: one_at_a_time(BATCH_HANDLER) for event in DOWNSTREAM_EVENT_TYPES}
