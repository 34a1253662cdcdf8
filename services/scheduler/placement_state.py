"""A case's placement as one object: its booking row (contracts.md §6, meetings.md §4) says whether the case
is on a meeting's agenda, in a huddle or on the waitlist, and every change of that goes through these
functions, so the row's fields always agree with one another. (The huddle search of service.py confirms a
huddle's slot itself: `to_huddle_search` hands the row over to it.)"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from services.scheduler.adapters.tables import BookingRecord
from services.scheduler.domain.placement import Need, Waitlisted
from shared.contracts.booking import BookingStatus, PlacementKind


def renew(
    booking: BookingRecord, case_version: int, need: Need, verdicts: dict[str, str] | None = None
) -> None:
    """The case's new recommendation: what the placement must now satisfy."""
    booking.case_version = case_version
    booking.urgency, booking.deadline = need.urgency, need.deadline
    booking.required_specialties = sorted(need.required_specialties)
    booking.mode = need.mode.value
    if verdicts is not None:
        booking.verdicts = verdicts


def on_meeting(
    booking: BookingRecord,
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


def released(booking: BookingRecord) -> None:
    """Its item was taken off (deferred or withdrawn): no active placement until it is placed again."""
    booking.status = BookingStatus.waitlisted.value


def to_huddle_search(booking: BookingRecord) -> None:
    booking.kind = PlacementKind.huddle.value
    booking.meeting_id = booking.item_id = None
    booking.late = False


def waitlisted(booking: BookingRecord, why: Waitlisted, now: datetime) -> None:
    booking.kind = PlacementKind.meeting.value
    booking.meeting_id = booking.item_id = None
    booking.late = False
    booking.status = BookingStatus.waitlisted.value
    booking.start = booking.end = None
    booking.partial = False
    booking.missing_specialties = list(why.specialties)
    booking.reason = why.text()
    booking.updated_at = now


def with_reason(booking: BookingRecord, reason: str) -> None:
    """A deferral's reason before what the new placement says."""
    booking.reason = f"{reason}; {booking.reason}" if booking.reason else reason
