"""The Kafka event envelope of contracts.md §4 and the topic and event-type names."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


class Topic(StrEnum):
    case_events = "case-events"
    therapy_recommendations = "therapy-recommendations"
    mdt_bookings = "mdt-bookings"
    mdt_outcomes = "mdt-outcomes"


class EventType(StrEnum):
    case_submitted = "case.submitted"
    case_updated = "case.updated"
    case_withdrawn = "case.withdrawn"
    recommendation_issued = "recommendation.issued"
    booking_confirmed = "booking.confirmed"
    booking_waitlisted = "booking.waitlisted"
    booking_rescheduled = "booking.rescheduled"
    booking_cancelled = "booking.cancelled"
    outcome_recorded = "outcome.recorded"


TOPIC_OF_EVENT: dict[EventType, Topic] = {
    EventType.case_submitted: Topic.case_events,
    EventType.case_updated: Topic.case_events,
    EventType.case_withdrawn: Topic.case_events,
    EventType.recommendation_issued: Topic.therapy_recommendations,
    EventType.booking_confirmed: Topic.mdt_bookings,
    EventType.booking_waitlisted: Topic.mdt_bookings,
    EventType.booking_rescheduled: Topic.mdt_bookings,
    EventType.booking_cancelled: Topic.mdt_bookings,
    EventType.outcome_recorded: Topic.mdt_outcomes,
}


class EventEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=uuid4)
    event_type: EventType
    schema_version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    case_id: UUID
    case_version: int
    payload: dict[str, Any]
