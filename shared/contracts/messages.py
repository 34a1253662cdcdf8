"""Which payload model each event type carries, per schema version: the one map from the wire to the models,
read by the AsyncAPI document (and by consumers that parse before they handle)."""

from pydantic import BaseModel

from shared.contracts.booking import Booking
from shared.contracts.case import CaseSubmission
from shared.contracts.events import CaseWithdrawal, EventEnvelope, EventType, Topic
from shared.contracts.outcome import Outcome
from shared.contracts.recommendation import Recommendation

PAYLOAD_MODELS: dict[tuple[EventType, int], type[BaseModel]] = {
    (EventType.case_submitted, 1): CaseSubmission,
    (EventType.case_updated, 1): CaseSubmission,
    (EventType.case_withdrawn, 1): CaseWithdrawal,
    (EventType.recommendation_issued, 1): Recommendation,
    (EventType.booking_confirmed, 1): Booking,
    (EventType.booking_waitlisted, 1): Booking,
    (EventType.booking_rescheduled, 1): Booking,
    (EventType.booking_cancelled, 1): Booking,
    # Version 2 is a placement (meetings.md §4): version 1's fields with the same meaning, and where it is.
    (EventType.booking_confirmed, 2): Booking,
    (EventType.booking_waitlisted, 2): Booking,
    (EventType.booking_rescheduled, 2): Booking,
    (EventType.booking_cancelled, 2): Booking,
    (EventType.outcome_recorded, 1): Outcome,
}

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


class UnknownSchemaVersionError(Exception):
    """An event type at a schema version this code does not know: it can never be read here."""


def parse_payload(envelope: EventEnvelope) -> BaseModel:
    """The envelope's payload as its model; raises pydantic's ValidationError for a payload that does not fit."""
    model = PAYLOAD_MODELS.get((envelope.event_type, envelope.schema_version))
    if model is None:
        raise UnknownSchemaVersionError(
            f"{envelope.event_type.value} has no schema version {envelope.schema_version} here"
        )
    return model.model_validate(envelope.payload)
