"""Request and response bodies of the coordinators' API."""

from datetime import datetime, timedelta
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.scheduler.domain import is_on_grid
from shared.contracts.codes import Specialty

MAX_WINDOW = timedelta(hours=24)


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClinicianCreate(ApiModel):
    name: str = Field(min_length=1, max_length=200)
    specialty: Specialty
    active: bool = True


class ClinicianUpdate(ApiModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    specialty: Specialty | None = None
    active: bool | None = None


class ClinicianPublic(BaseModel):
    id: int
    name: str
    specialty: Specialty
    active: bool


def _aware_on_grid(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a UTC offset")
    if not is_on_grid(value):
        raise ValueError("must be on the 15-minute grid (minutes 00, 15, 30 or 45, no seconds)")
    return value


class WindowCreate(ApiModel):
    start: datetime
    end: datetime

    _on_grid = field_validator("start", "end")(_aware_on_grid)

    @model_validator(mode="after")
    def _sane_range(self) -> Self:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        if self.end - self.start > MAX_WINDOW:
            raise ValueError("a window may not be longer than 24 hours")
        return self


class WindowPublic(BaseModel):
    id: int
    clinician_id: int
    start: datetime
    end: datetime


class RescheduleRequest(ApiModel):
    start: datetime
    clinician_ids: list[int] | None = Field(default=None, min_length=1, max_length=20)

    _on_grid = field_validator("start")(_aware_on_grid)


class CancelRequest(ApiModel):
    reason: str = Field(default="cancelled by a coordinator", min_length=1, max_length=500)


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, object]
