"""A record's envelope and payload read in one pass (`read_event`, what the consumers do) give the same
event as reading the envelope and then its payload dict (`parse_payload`, what they did), for every kind of
payload; what one pass cannot read is left to the two steps, which say why."""

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from services.eligibility.domain import evaluate
from shared.contracts.case import CaseSubmission
from shared.contracts.events import EventEnvelope, EventType
from shared.contracts.messages import parse_payload, read_event
from tests.support.cases import a_case
from tests.support.outcomes import an_outcome
from tests.unit.contracts.test_booking_payload import V1

CASE_ID = uuid.uuid4()


def a_recommendation() -> dict[str, Any]:
    case = CaseSubmission.model_validate(a_case())
    recommendation = evaluate(case, case_id=CASE_ID, case_version=1, evaluated_at=datetime.now(UTC))
    return recommendation.model_dump(mode="json")


EVENTS = {
    "case": (EventType.case_submitted, 1, a_case()),
    "withdrawal": (EventType.case_withdrawn, 1, {"withdrawn_at": "2026-11-29T10:00:00Z"}),
    "recommendation": (EventType.recommendation_issued, 1, a_recommendation()),
    "booking v1": (EventType.booking_confirmed, 1, V1),
    "placement v2": (
        EventType.booking_waitlisted,
        2,
        {**V1, "schema_version": 2, "status": "waitlisted", "kind": "meeting"},
    ),
    "outcome": (EventType.outcome_recorded, 1, an_outcome(str(CASE_ID))),
}


def record(event_type: EventType, version: int, payload: dict[str, Any]) -> bytes:
    envelope = EventEnvelope(
        event_type=event_type, schema_version=version, case_id=CASE_ID, case_version=1, payload=payload
    )
    return envelope.model_dump_json().encode()


@pytest.mark.parametrize("kind", EVENTS)
def test_one_pass_reads_what_the_two_steps_read(kind: str) -> None:
    value = record(*EVENTS[kind])
    envelope = EventEnvelope.model_validate_json(value)

    event = read_event(value)

    assert event is not None
    assert event.payload == parse_payload(envelope)
    assert type(event.payload) is type(parse_payload(envelope))
    assert event.model_dump(exclude={"payload"}) == envelope.model_dump(exclude={"payload"})


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(
            record(EventType.case_submitted, 1, {**a_case(), "lesions": "x"}), id="payload off its schema"
        ),
        pytest.param(record(EventType.case_submitted, 9, a_case()), id="unknown schema version"),
        pytest.param(record(EventType.case_withdrawn, 1, {}), id="payload missing a field"),
        pytest.param(b'{"event_type": "case.exploded", "schema_version": 1}', id="unknown event type"),
        pytest.param(b"{not json", id="not JSON"),
    ],
)
def test_what_one_pass_cannot_read_is_left_to_the_two_steps(value: bytes) -> None:
    assert read_event(value) is None


def test_an_envelope_relying_on_its_defaults_is_left_to_the_two_steps() -> None:
    """`event_id` and `occurred_at` have defaults in EventEnvelope: a producer that leaves them out is still
    read (by the two steps, as before), never refused by the one pass."""
    value = b'{"event_type": "case.withdrawn", "case_id": "%s", "case_version": 2, "payload": %s}' % (
        str(CASE_ID).encode(),
        b'{"withdrawn_at": "2026-11-29T10:00:00Z"}',
    )
    assert read_event(value) is None
    assert parse_payload(EventEnvelope.model_validate_json(value)) is not None
