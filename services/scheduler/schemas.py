"""Request and response bodies of the coordinators' API."""

import unicodedata
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from services.scheduler.domain import is_on_grid
from shared.contracts.codes import Specialty

MAX_WINDOW = timedelta(hours=24)
MAX_TEMPLATE_SPAN = timedelta(days=366)
# Datetimes outside this range are refused (422): no clinic plans there, and it keeps every computed end
# (start + duration, + 14 days of load) far from datetime's limits.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


# What the OpenAPI document says of every instant, as check_instant enforces it: a year 2000..2199 (on the
# instant's own clock) and an offset. A grid instant has minutes 00/15/30/45, no seconds, and an offset in
# quarter hours, so that it lies on the 15-minute UTC grid.
_YEAR = r"2[01][0-9][0-9]-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
_OFFSET = r"(Z|z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])"
INSTANT_PATTERN = rf"^{_YEAR}[Tt ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?{_OFFSET}$"
_QUARTER = r"(00|15|30|45)"
GRID_PATTERN = (
    rf"^{_YEAR}[Tt ]([01][0-9]|2[0-3]):{_QUARTER}(:00(\.0+)?)?(Z|z|[+-]([01][0-9]|2[0-3]):{_QUARTER})$"
)
LOCAL_GRID_TIME = rf"^([01][0-9]|2[0-3]):{_QUARTER}(:00(\.0+)?)?$"
DATE_PATTERN = rf"^{_YEAR}$"


def check_instant(value: datetime) -> datetime:
    """An aware datetime within the supported range: 2000-01-01 .. 2200-01-01 on its own clock (so the
    document's pattern says exactly what is accepted; the offset moves it by less than a day)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("needs a UTC offset (naive datetimes are ambiguous)")
    if not EARLIEST.date() <= value.date() < LATEST.date():
        raise ValueError("must lie between 2000-01-01 and 2200-01-01")
    return value


def _printable(value: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
        raise ValueError("must not contain control characters")
    if not value.strip():
        raise ValueError("must not be blank")
    return value


Instant = Annotated[
    datetime, AfterValidator(check_instant), Field(json_schema_extra={"pattern": INSTANT_PATTERN})
]

_SPECIALTY = "|".join(s.value for s in Specialty)
# `GET /v1/slots?specialties=`: one code or more, comma-separated (spaces around the commas allowed).
SPECIALTY_LIST = rf"^ *(?:{_SPECIALTY}) *(?:, *(?:{_SPECIALTY}) *)*$"


def parse_specialties(raw: str) -> list[Specialty]:
    """The codes of a list that matches SPECIALTY_LIST, sorted, each once."""
    return sorted({Specialty(part.strip()) for part in raw.split(",")})


Text = Annotated[str, AfterValidator(_printable)]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


ClinicianId = Annotated[int, Field(ge=1, le=2**31 - 1)]


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
    offset = value.utcoffset()
    if not is_on_grid(value) or offset is None or offset % timedelta(minutes=15):
        raise ValueError(
            "must be on the 15-minute grid (minutes 00, 15, 30 or 45, no seconds, an offset in quarter hours)"
        )
    return value


GridInstant = Annotated[
    datetime,
    AfterValidator(check_instant),
    AfterValidator(_on_grid),
    Field(json_schema_extra={"pattern": GRID_PATTERN}),
]


class WindowCreate(ApiModel):
    """A one-off availability window `[start, end)`: on the 15-minute grid, with offsets, at most 24 h."""

    start: GridInstant
    end: GridInstant = Field(description="after `start`, at most 24 hours after it")

    @field_validator("end")
    @classmethod
    def _sane_range(cls, end: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("end must be after start")
        if start is not None and end - start > MAX_WINDOW:
            raise ValueError("a window may not be longer than 24 hours")
        return end


def _local_on_grid(value: time) -> time:
    if value.tzinfo is not None:
        raise ValueError("a local wall-clock time, without offset (the clinic's time zone applies)")
    if value.minute % 15 or value.second or value.microsecond:
        raise ValueError("must be on the 15-minute grid (minutes 00, 15, 30 or 45, no seconds)")
    return value


def _supported_date(value: date) -> date:
    if not EARLIEST.date() <= value < LATEST.date():
        raise ValueError("must lie between 2000-01-01 and 2200-01-01")
    return value


# Documented without `format: time`: RFC 3339's time has an offset, which a local wall-clock time has not.
LocalGridTime = Annotated[
    time,
    AfterValidator(_local_on_grid),
    WithJsonSchema({"type": "string", "pattern": LOCAL_GRID_TIME, "examples": ["09:00"]}),
]
SupportedDate = Annotated[
    date, AfterValidator(_supported_date), Field(json_schema_extra={"pattern": DATE_PATTERN})
]


class WeeklyWindowCreate(ApiModel):
    """Every `weekday` (0 Monday .. 6 Sunday) from `start_local` to `end_local` in the clinic's time zone,
    for local start dates `from_date`..`to_date` (inclusive, at most 366 days). An end at or before the start
    runs overnight. Local times on the 15-minute grid; a time inside a daylight-saving gap moves to the end
    of the gap."""

    weekday: int = Field(ge=0, le=6)
    start_local: LocalGridTime
    end_local: LocalGridTime = Field(description="not equal to `start_local`")
    from_date: SupportedDate
    to_date: SupportedDate = Field(description="not before `from_date`, at most 366 days after it")

    @field_validator("end_local")
    @classmethod
    def _not_empty(cls, end: time, info: ValidationInfo) -> time:
        if end == info.data.get("start_local"):
            raise ValueError("start_local equals end_local")
        return end

    @field_validator("to_date")
    @classmethod
    def _sane_range(cls, to_date: date, info: ValidationInfo) -> date:
        from_date = info.data.get("from_date")
        if from_date is not None and to_date < from_date:
            raise ValueError("to_date must not be before from_date")
        if from_date is not None and to_date - from_date > MAX_TEMPLATE_SPAN:
            raise ValueError("a template may span 366 days at most")
        return to_date


class WindowPublic(BaseModel):
    id: int
    clinician_id: int
    start: datetime
    end: datetime


class RescheduleRequest(ApiModel):
    start: GridInstant = Field(description="on the 15-minute grid, not in the past")
    clinician_ids: list[ClinicianId] | None = Field(default=None, min_length=1, max_length=20)


class CancelRequest(ApiModel):
    reason: Text = Field(default="cancelled by a coordinator", min_length=1, max_length=500)


class AuditEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    details: dict[str, object]
