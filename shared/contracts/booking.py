"""The booking of contracts.md §6, as the scheduler's API, the mdt-bookings events and intake show it.

Schema version 2 (meetings.md §4) makes it a placement: a huddle (version 1's meaning) or an agenda item of
an MDT meeting. Every version 1 field keeps its meaning; readers accept both (`kind` absent = huddle)."""

from datetime import datetime
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from shared.contracts.codes import Specialty, Urgency


class BookingStatus(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"


class PlacementKind(StrEnum):
    meeting = "meeting"
    huddle = "huddle"


class Participant(BaseModel):
    model_config = ConfigDict(frozen=True)

    clinician_id: int
    name: str
    specialty: Specialty


class Booking(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1, 2] = 2
    booking_id: UUID
    case_id: UUID
    case_version: int
    status: BookingStatus
    start: datetime | None
    end: datetime | None
    urgency: Urgency
    deadline: datetime
    participants: list[Participant]
    missing_specialties: list[Specialty]
    partial: bool = False
    reason: str | None = None
    # Schema version 2: the placement.
    kind: PlacementKind = PlacementKind.huddle
    meeting_id: UUID | None = None
    item_id: UUID | None = None
    team_code: str | None = None
    position: int | None = None
    mode: Literal["full", "standard_of_care"] | None = None
    minutes: int | None = None
    late: bool = False
    ready: bool | None = None
    estimated_start: datetime | None = None
