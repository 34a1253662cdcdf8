"""The booking of contracts.md §6, as the scheduler's API, the mdt-bookings events and intake show it."""

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


class Participant(BaseModel):
    model_config = ConfigDict(frozen=True)

    clinician_id: int
    name: str
    specialty: Specialty


class Booking(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_version: Literal[1] = 1
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
