"""Which payload model each event type carries, per schema version: the one map from the wire to the models,
read by the AsyncAPI document and by the consumers, which read a record's envelope and payload in one pass
(`read_event`)."""

from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, ValidationError

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


PayloadT = TypeVar("PayloadT", bound=BaseModel)


class Event(BaseModel, Generic[PayloadT]):
    """An envelope (contracts.md §4) whose payload is already the model of its event type and schema version:
    what a consumer reads from a record's bytes in one validation, where reading the envelope (its payload a
    dict) and then the dict into its model validated every record twice."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID
    event_type: EventType
    schema_version: int = 1
    occurred_at: datetime
    case_id: UUID
    case_version: int
    payload: PayloadT


class _Head(BaseModel):
    """The two fields that choose the payload's model (the rest of the record is skipped, not validated)."""

    event_type: EventType
    schema_version: int = 1


EVENT_MODELS: dict[tuple[EventType, int], type[Event[Any]]] = {
    key: Event[model]  # type: ignore[valid-type]
    for key, model in PAYLOAD_MODELS.items()
}


def read_event(value: bytes) -> Event[Any] | None:
    """The record's envelope with its typed payload, in one pass from its bytes; None when it does not read
    that way (not an envelope, a version this code does not know, a payload that breaks its schema, an
    envelope relying on a default): `EventEnvelope` and `parse_payload`, one after the other, then say which
    (or read it, as they always did)."""
    try:
        head = _Head.model_validate_json(value)
        model = EVENT_MODELS.get((head.event_type, head.schema_version))
        return None if model is None else model.model_validate_json(value)
    except ValidationError:
        return None


def as_event(envelope: EventEnvelope, payload: BaseModel) -> Event[Any]:
    """An envelope and its payload, each validated already, as one typed event."""
    fields = envelope.model_dump(exclude={"payload"})
    return EVENT_MODELS[(envelope.event_type, envelope.schema_version)].model_construct(
        **fields, payload=payload
    )
