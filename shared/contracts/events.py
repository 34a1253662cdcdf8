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


class EventEnvelope(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(default_factory=uuid4)
    event_type: EventType
    schema_version: int = 1
    occurred_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    case_id: UUID
    case_version: int
    payload: dict[str, Any]


class CaseWithdrawal(BaseModel):
    """The payload of `case.withdrawn`."""

    model_config = ConfigDict(frozen=True)

    withdrawn_at: datetime
