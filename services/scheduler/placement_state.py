"""A case's placement as one object: its booking row (contracts.md §6, meetings.md §4) says whether the case
is on a meeting's agenda, in a huddle or on the waitlist, and every change of that goes through these
functions, so the row's fields always agree with one another. (The huddle search of service.py confirms a
huddle's slot itself: `to_huddle_search` hands the row over to it.)"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from services.scheduler.domain.placement import Need, Waitlisted
from shared.contracts.booking import BookingStatus, PlacementKind


class BookingRow(Protocol):
    """A booking row's columns, as the placement path reads and changes them: an ORM record of a row in the
    database (tables.BookingRecord), or a `NewBooking` not written yet."""

    booking_id: UUID
    case_id: UUID
    case_version: int
    status: str
    start: datetime | None
    end: datetime | None
    urgency: str
    deadline: datetime
    required_specialties: list[str]
    missing_specialties: list[str]
    partial: bool
    reason: str | None
    kind: str
    meeting_id: UUID | None
    item_id: UUID | None
    mode: str
    late: bool
    verdicts: dict[str, str]
    updated_at: datetime | None


@dataclass(eq=False)
class NewBooking:
    """The booking of a case placed for the first time, before its row exists: written once, as placed, by
    a statement to the driver (with its huddle's participants or its agenda item), not through the ORM.
    The defaults are the table's."""

    case_id: UUID
    case_version: int
    status: str
    urgency: str
    deadline: datetime
    required_specialties: list[str]
    missing_specialties: list[str] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None
    partial: bool = False
    reason: str | None = None
    kind: str = PlacementKind.huddle.value
    meeting_id: UUID | None = None
    item_id: UUID | None = None
    mode: str = "full"
    late: bool = False
    verdicts: dict[str, str] = field(default_factory=dict)
    updated_at: datetime | None = None
    booking_id: UUID = field(default_factory=uuid4)

    def columns(self) -> dict[str, Any]:
        """Every column the row is written with (created_at is the database's)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def renew(booking: BookingRow, case_version: int, need: Need, verdicts: dict[str, str] | None = None) -> None:
    """The case's new recommendation: what the placement must now satisfy."""
    booking.case_version = case_version
    booking.urgency, booking.deadline = need.urgency, need.deadline
    booking.required_specialties = sorted(need.required_specialties)
    booking.mode = need.mode.value
    if verdicts is not None:
        booking.verdicts = verdicts


def on_meeting(
    booking: BookingRow,
    *,
    meeting_id: UUID,
    item_id: UUID,
    start: datetime,
    end: datetime,
    late: bool,
    now: datetime,
    reason: str | None = None,
) -> None:
    booking.kind = PlacementKind.meeting.value
    booking.status = BookingStatus.confirmed.value
    booking.meeting_id, booking.item_id = meeting_id, item_id
    booking.start, booking.end = start, end
    booking.late = late
    booking.missing_specialties = []
    booking.partial = False
    booking.reason = reason if reason is not None else ("late: listed after the deadline" if late else None)
    booking.updated_at = now


def released(booking: BookingRow) -> None:
    """Its item was taken off (deferred or withdrawn): no active placement until it is placed again."""
    booking.status = BookingStatus.waitlisted.value


def to_huddle_search(booking: BookingRow) -> None:
    booking.kind = PlacementKind.huddle.value
    booking.meeting_id = booking.item_id = None
    booking.late = False


def waitlisted(booking: BookingRow, why: Waitlisted, now: datetime) -> None:
    booking.kind = PlacementKind.meeting.value
    booking.meeting_id = booking.item_id = None
    booking.late = False
    booking.status = BookingStatus.waitlisted.value
    booking.start = booking.end = None
    booking.partial = False
    booking.missing_specialties = list(why.specialties)
    booking.reason = why.text()
    booking.updated_at = now


def with_reason(booking: BookingRow, reason: str) -> None:
    """A deferral's reason before what the new placement says."""
    booking.reason = f"{reason}; {booking.reason}" if booking.reason else reason
