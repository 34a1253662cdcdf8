"""The event types a webhook can subscribe to (meetings.md §7) and the body each delivery carries."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

import orjson

from shared.errors import InvalidRequestError


class WebhookEventType(StrEnum):
    recommendation_issued = "recommendation.issued"
    booking_confirmed = "booking.confirmed"
    booking_waitlisted = "booking.waitlisted"
    booking_rescheduled = "booking.rescheduled"
    booking_cancelled = "booking.cancelled"
    # The MDT's outcomes (topic mdt-outcomes) are not produced yet; a subscription may ask for them now.
    outcome_recorded = "outcome.recorded"
    case_withdrawn = "case.withdrawn"


WILDCARD = ".*"
FAMILIES_WITH_WILDCARD = frozenset({"booking"})
SUBSCRIBABLE = frozenset({t.value for t in WebhookEventType} | {f + WILDCARD for f in FAMILIES_WITH_WILDCARD})


class UnknownEventTypeError(InvalidRequestError):
    def __init__(self, index: int) -> None:
        super().__init__(f"event_types[{index}]", f"unknown event type; one of {sorted(SUBSCRIBABLE)}")
        self.index = index


def subscription_types(requested: Iterable[str]) -> list[str]:
    """The subscribed types as stored: known ones only, each once, in a stable order."""
    kept: list[str] = []
    for index, event_type in enumerate(requested):
        if event_type not in SUBSCRIBABLE:
            raise UnknownEventTypeError(index)
        kept.append(event_type)
    return sorted(set(kept))


def matching_patterns(event_type: str) -> list[str]:
    """The subscribed types that select an event of this type: itself and its family's wildcard."""
    family = event_type.split(".", 1)[0]
    patterns = [event_type]
    if family in FAMILIES_WITH_WILDCARD:
        patterns.append(family + WILDCARD)
    return patterns


@dataclass(frozen=True)
class WebhookEvent:
    """One event intake recorded, as it goes to every matching subscription."""

    event_id: UUID
    event_type: str
    case_id: UUID
    case_version: int
    occurred_at: datetime
    payload: dict[str, Any]
    trace_headers: dict[str, str]

    def body(self) -> str:
        """`{type, timestamp, data: {case_id, case_version, ...payload}}`: the bytes signed and sent on every
        attempt (kept with the delivery, so that a retry sends exactly what the first attempt did)."""
        data: dict[str, Any] = {"case_id": str(self.case_id), "case_version": self.case_version}
        data.update((key, value) for key, value in self.payload.items() if key not in data)
        return orjson.dumps(
            {"type": self.event_type, "timestamp": self.occurred_at.isoformat(), "data": data}
        ).decode()
