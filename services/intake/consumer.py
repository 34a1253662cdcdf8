"""Intake listens to what eligibility and the scheduler decided, to show it on the case."""

from services.intake import service
from shared.contracts.events import EventType, Topic
from shared.kafka.subscription import Subscription

SUBSCRIPTION = Subscription(
    name="intake",
    topics=(Topic.therapy_recommendations, Topic.mdt_bookings, Topic.mdt_outcomes),
    event_types=frozenset(
        (
            EventType.recommendation_issued,
            EventType.booking_confirmed,
            EventType.booking_waitlisted,
            EventType.booking_rescheduled,
            EventType.booking_cancelled,
            EventType.outcome_recorded,
        )
    ),
    handler=service.record_downstream_decisions,
)
