"""Request and response bodies of the coordinators' meetings API (meetings.md §1, §5)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Self
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, Field, model_validator

from services.scheduler.domain.series import parse_local_time
from services.scheduler.schemas import ApiModel, Instant, Text
from shared.contracts.codes import Specialty


def _zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone (an IANA name such as Europe/London)") from None
    return value


def _local_time(value: str) -> str:
    parse_local_time(value)
    return value


def _distinct(value: list[Specialty]) -> list[Specialty]:
    return sorted(set(value))


TimeZone = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_zone)]
LocalTime = Annotated[str, Field(examples=["08:00"]), AfterValidator(_local_time)]
Specialties = Annotated[list[Specialty], AfterValidator(_distinct)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]


class TeamCreate(ApiModel):
    code: Code
    name: Text = Field(min_length=1, max_length=200)
    timezone: TimeZone
    quorum_specialties: Specialties = Field(min_length=1)
    minutes_full: int = Field(default=6, ge=1, le=120)
    minutes_standard_of_care: int = Field(default=1, ge=1, le=120)
    listing_cutoff_hours: int = Field(default=48, ge=0, le=24 * 14)
    horizon_weeks: int = Field(default=12, ge=1, le=104)


class TeamUpdate(ApiModel):
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    timezone: TimeZone | None = None
    quorum_specialties: Specialties | None = Field(default=None, min_length=1)
    minutes_full: int | None = Field(default=None, ge=1, le=120)
    minutes_standard_of_care: int | None = Field(default=None, ge=1, le=120)
    listing_cutoff_hours: int | None = Field(default=None, ge=0, le=24 * 14)
    horizon_weeks: int | None = Field(default=None, ge=1, le=104)


class MemberPut(ApiModel):
    role: Literal["core", "cover"]


class MemberPublic(BaseModel):
    clinician_id: int
    name: str
    specialty: Specialty
    role: Literal["core", "cover"]


class TeamPublic(BaseModel):
    team_id: int
    code: str
    name: str
    timezone: str
    quorum_specialties: list[Specialty]
    minutes_full: int
    minutes_standard_of_care: int
    listing_cutoff_hours: int
    horizon_weeks: int
    members: list[MemberPublic]


class SeriesCreate(ApiModel):
    weekday: int = Field(ge=1, le=7, description="1 = Monday .. 7 = Sunday")
    start_local: LocalTime
    duration_minutes: int = Field(ge=1, le=24 * 60)
    capacity_minutes: int | None = Field(default=None, ge=1, le=24 * 60, description="default: the duration")
    starts_on: date
    ends_on: date | None = None

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.ends_on is not None and self.ends_on < self.starts_on:
            raise ValueError("ends_on: must not be before starts_on")
        return self


class SeriesUpdate(ApiModel):
    weekday: int | None = Field(default=None, ge=1, le=7)
    start_local: LocalTime | None = None
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    capacity_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    ends_on: date | None = None


class SeriesPublic(BaseModel):
    series_id: int
    team_id: int
    weekday: int
    start_local: str
    duration_minutes: int
    capacity_minutes: int
    starts_on: date
    ends_on: date | None
    active: bool


class MeetingCreate(ApiModel):
    team_id: int = Field(ge=1, le=2**31 - 1)
    start: Instant
    duration_minutes: int = Field(ge=1, le=24 * 60)
    capacity_minutes: int | None = Field(default=None, ge=1, le=24 * 60)


class AttendeePublic(BaseModel):
    clinician_id: int
    name: str
    specialty: Specialty
    role: Literal["core", "cover"]
    response: Literal["expected", "declined", "unavailable"]


class QuorumPublic(BaseModel):
    met: bool
    lacking: list[Specialty]


class MeetingPublic(BaseModel):
    meeting_id: UUID
    team_id: int
    team_code: str
    series_id: int | None
    start: datetime
    end: datetime
    status: Literal["scheduled", "locked", "finished", "cancelled"]
    capacity_minutes: int
    used_minutes: int
    attendance: list[AttendeePublic]
    quorum: QuorumPublic


class Readiness(ApiModel):
    imaging: bool | None = None
    histology: bool | None = None
    spine_mri: bool | None = None


class ItemUpdate(ApiModel):
    minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    position: int | None = Field(default=None, ge=1)
    readiness: Readiness | None = None


class MoveRequest(ApiModel):
    meeting_id: UUID


class AgendaItemPublic(BaseModel):
    item_id: UUID
    meeting_id: UUID
    booking_id: UUID
    case_id: UUID
    case_version: int
    mode: Literal["full", "standard_of_care"]
    minutes: int
    position: int
    urgency: str
    deadline: datetime
    required_specialties: list[Specialty]
    readiness: dict[str, bool | None]
    ready: bool
    status: Literal["listed", "discussed", "deferred", "withdrawn"]
    late: bool
    reason: str | None
    estimated_start: datetime | None
    recommendation: dict[str, str] = Field(description="each therapy's status in the recommendation")
