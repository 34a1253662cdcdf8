"""The booking payload in its two versions (contracts.md §6, meetings.md §4), and how intake reads them."""

import uuid
from datetime import UTC, datetime

from services.intake.case_view import PipelineStatus, booking_status
from shared.contracts.booking import Booking, PlacementKind

V1 = {
    "schema_version": 1,
    "booking_id": str(uuid.uuid4()),
    "case_id": str(uuid.uuid4()),
    "case_version": 1,
    "status": "confirmed",
    "start": "2026-12-01T09:00:00Z",
    "end": "2026-12-01T09:30:00Z",
    "urgency": "urgent",
    "deadline": "2026-12-03T09:00:00Z",
    "participants": [{"clinician_id": 1, "name": "Dr A", "specialty": "surgery"}],
    "missing_specialties": [],
    "partial": False,
}


def test_version_1_still_reads_as_a_huddle() -> None:
    booking = Booking.model_validate(V1)
    assert booking.schema_version == 1 and booking.kind == PlacementKind.huddle
    assert booking_status(V1) == PipelineStatus.booked


def test_version_2_of_a_meeting_is_listed_and_keeps_version_1s_fields() -> None:
    meeting_id, item_id = uuid.uuid4(), uuid.uuid4()
    payload = Booking.model_validate(
        {
            **V1,
            "schema_version": 2,
            "kind": "meeting",
            "meeting_id": str(meeting_id),
            "item_id": str(item_id),
            "team_code": "bone-mets",
            "position": 3,
            "mode": "full",
            "minutes": 6,
            "late": False,
            "ready": None,
            "estimated_start": "2026-12-01T09:12:00Z",
        }
    ).model_dump(mode="json")
    assert payload["start"] == "2026-12-01T09:00:00Z" and payload["participants"][0]["specialty"] == "surgery"
    assert datetime.fromisoformat(payload["estimated_start"]) == datetime(2026, 12, 1, 9, 12, tzinfo=UTC)
    assert booking_status(payload) == PipelineStatus.listed
    assert booking_status({**payload, "status": "waitlisted"}) == PipelineStatus.waitlisted
    assert booking_status({**payload, "kind": "huddle"}) == PipelineStatus.booked
