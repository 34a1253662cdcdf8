"""Subscribable event types and the body of a delivery."""

import uuid
from datetime import UTC, datetime

import orjson
import pytest

from services.intake.webhooks.domain.events import (
    UnknownEventTypeError,
    WebhookEvent,
    matching_patterns,
    subscription_types,
)


def test_known_types_and_the_booking_wildcard_are_kept_once_each() -> None:
    assert subscription_types(["booking.*", "recommendation.issued", "booking.*", "outcome.recorded"]) == [
        "booking.*",
        "outcome.recorded",
        "recommendation.issued",
    ]


@pytest.mark.parametrize(
    ("types", "index"), [(["case.submitted"], 0), (["booking.*", "recommendation.*"], 1)]
)
def test_an_unknown_type_names_its_position(types: list[str], index: int) -> None:
    with pytest.raises(UnknownEventTypeError) as raised:
        subscription_types(types)
    assert raised.value.index == index


def test_a_booking_event_matches_its_type_and_the_wildcard() -> None:
    assert matching_patterns("booking.rescheduled") == ["booking.rescheduled", "booking.*"]
    assert matching_patterns("recommendation.issued") == ["recommendation.issued"]


def test_the_body_is_type_timestamp_and_data_with_the_case_first() -> None:
    case_id = uuid.uuid4()
    event = WebhookEvent(
        event_id=uuid.uuid4(),
        event_type="booking.confirmed",
        case_id=case_id,
        case_version=2,
        occurred_at=datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
        payload={"case_version": 2, "status": "confirmed", "case_id": "ignored"},
        trace_headers={},
    )
    body = event.body()
    assert orjson.loads(body) == {
        "type": "booking.confirmed",
        "timestamp": "2026-11-28T12:00:00+00:00",
        "data": {"case_id": str(case_id), "case_version": 2, "status": "confirmed"},
    }
    assert body == event.body()  # the same bytes every time
