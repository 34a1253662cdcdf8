"""Intake listens to what eligibility and the scheduler decided, to show it on the case."""

from services.intake import service
from shared.contracts.events import EventType
from shared.kafka.consumer import Handler

HANDLERS: dict[str, Handler] = {
    EventType.recommendation_issued.value: service.record_recommendation,
    **{
        event.value: service.record_booking
        for event in (
            EventType.booking_confirmed,
            EventType.booking_waitlisted,
            EventType.booking_rescheduled,
            EventType.booking_cancelled,
        )
    },
}
