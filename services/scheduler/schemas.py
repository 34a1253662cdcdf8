"""Request and response bodies of the coordinators' API."""

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from services.scheduler.domain import is_on_grid
from shared.contracts.codes import Specialty

MAX_WINDOW = timedelta(hours=24)
MAX_TEMPLATE_SPAN = timedelta(days=366)
# Datetimes outside this range are refused (422): no clinic plans there, and it keeps every computed end
# (start + duration, + 14 days of load) far from datetime's limits.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def check_instant(value: datetime) -> datetime:
    """An aware datetime within the supported range (2000-01-01 .. 2200-01-01 UTC)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a UTC offset (naive datetimes are ambiguous)")
    if not EARLIEST <= value < LATEST:
        raise ValueError("must lie between 2000-01-01 and 2200-01-01")
    return value


def _printable(value: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise ValueError("must not contain control characters")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Instant = Annotated[datetime, AfterValidator(check_instant)]
Text = Annotated[str, AfterValidator(_printable)]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClinicianCreate(ApiModel):
    name: Text = Field(min_length=1, max_length=200)
    specialty: Specialty
    active: bool = True


class ClinicianUpdate(ApiModel):
    name: Text | None = Field(default=None, min_length=1, max_length=200)
    specialty: Specialty | None = None
    active: bool | None = None


class ClinicianPublic(BaseModel):
    id: int
    name: str
    specialty: Specialty
    active: bool


def _on_grid(value: datetime) -> datetime:
    if not is_on_grid(value):
        raise ValueError("must be on the 15-minute grid (minutes 00, 15, 30 or 45, no seconds)")
    return value


class WindowCreate(ApiModel):
    """A one-off availability window `[start, end)`: on the 15-minute grid, with offsets, at most 24 h."""

    start: Instant
    end: Instant

    _grid = field_validator("start", "end")(_on_grid)

    @model_validator(mode="after")
    def _sane_range(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.end - self.start > MAX_WINDOW:
            raise ValueError("a window may not be longer than 24 hours")
        return self


class WeeklyWindowCreate(ApiModel):
    """Every `weekday` (0 Monday .. 6 Sunday) from `start_local` to `end_local` in the clinic's time zone,
    for local start dates `from_date`..`to_date` (inclusive, at most 366 days). An end at or before the start
    runs overnight. Local times on the 15-minute grid; a time inside a daylight-saving gap moves to the end
    of the gap."""

    weekday: int = Field(ge=0, le=6)
    start_local: time
    end_local: time
    from_date: date
    to_date: date

    @field_validator("start_local", "end_local")
    @classmethod
    def _local_on_grid(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a local wall-clock time, without offset (the clinic's time zone applies)")
        if value.minute % 15 or value.second or value.microsecond:
            raise ValueError("must be on the 15-minute grid (minutes 00, 15, 30 or 45, no seconds)")
        return value

    @model_validator(mode="after")
    def _sane_range(self) -> Self:
        if self.start_local == self.end_local:
            raise ValueError("start_local equals end_local")
        if self.to_date < self.from_date:
            raise ValueError("to_date must not be before from_date")
        if self.to_date - self.from_date > MAX_TEMPLATE_SPAN:
            raise ValueError("a template may span 366 days at most")
        if self.from_date < EARLIEST.date() or self.to_date >= LATEST.date() - timedelta(days=1):
            raise ValueError("dates must lie between 2000-01-01 and 2200-01-01")
        return self


class WindowPublic(BaseModel):
    id: int
    clinician_id: int
    start: datetime
    end: datetime


class RescheduleRequest(ApiModel):
    start: Instant
    clinician_ids: list[int] | None = Field(default=None, min_length=1, max_length=20)

    _grid = field_validator("start")(_on_grid)


class CancelRequest(ApiModel):
    reason: Text = Field(default="cancelled by a coordinator", min_length=1, max_length=500)


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, object]
