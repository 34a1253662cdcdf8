"""The scheduler's tables, all in the `scheduler` schema. The database itself enforces the booking
invariants: no clinician in two overlapping active bookings (exclusion constraint on clinician and time
range), and at most one open booking or waitlist entry per case (partial unique index)."""

from datetime import date, datetime, time
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSTZRANGE, ExcludeConstraint
from sqlmodel import Field, SQLModel

from shared.kafka.inbox import inbox_table
from shared.kafka.outbox import outbox_table

SCHEMA = "scheduler"


def _timestamp(nullable: bool = False) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            DateTime(timezone=True), nullable=nullable, server_default=None if nullable else func.now()
        ),
    )


class ClinicianRecord(SQLModel, table=True):
    __tablename__ = "clinicians"
    __table_args__ = {"schema": SCHEMA}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    specialty: str = Field(max_length=32, index=True)
    active: bool = True
    created_at: datetime | None = _timestamp()


class AvailabilityWindowRecord(SQLModel, table=True):
    __tablename__ = "availability_windows"
    __table_args__ = (
        CheckConstraint('"end" > start', name="window_not_empty"),
        Index("ix_scheduler_availability_windows_clinician_end", "clinician_id", "end"),
        {"schema": SCHEMA},
    )

    id: int | None = Field(default=None, primary_key=True)
    clinician_id: int = Field(
        sa_column=Column(Integer, ForeignKey(f"{SCHEMA}.clinicians.id"), nullable=False, index=True)
    )
    start: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    end: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    created_at: datetime | None = _timestamp()


class BookingRecord(SQLModel, table=True):
    __tablename__ = "bookings"
    __table_args__ = (
        Index(
            "one_open_booking_per_case",
            "case_id",
            unique=True,
            postgresql_where=text("status IN ('confirmed', 'waitlisted')"),
        ),
        {"schema": SCHEMA},
    )

    booking_id: UUID = Field(default_factory=uuid4, primary_key=True)
    case_id: UUID = Field(index=True)
    case_version: int
    status: str = Field(max_length=16)
    start: datetime | None = _timestamp(nullable=True)
    end: datetime | None = _timestamp(nullable=True)
    urgency: str = Field(max_length=16)
    deadline: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    required_specialties: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    missing_specialties: list[str] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    partial: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    reason: str | None = None
    # Where the placement is (migration 0004): a huddle, or an agenda item of a meeting.
    kind: str = Field(default="huddle", sa_column=Column(String(8), nullable=False, server_default="huddle"))
    meeting_id: UUID | None = None
    item_id: UUID | None = None
    mode: str = Field(default="full", sa_column=Column(String(24), nullable=False, server_default="full"))
    late: bool = Field(default=False, sa_column=Column(Boolean, nullable=False, server_default="false"))
    # The recommendation's verdict per therapy, for the agenda (meetings.md §5).
    verdicts: dict[str, str] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    created_at: datetime | None = _timestamp()
    updated_at: datetime | None = _timestamp()


class BookingParticipantRecord(SQLModel, table=True):
    __tablename__ = "booking_participants"
    __table_args__ = (
        ExcludeConstraint(
            (Column("clinician_id"), "="),
            (Column("during"), "&&"),
            where=text("active"),
            using="gist",
            name="no_clinician_double_booking",
        ),
        {"schema": SCHEMA},
    )

    booking_id: UUID = Field(foreign_key=f"{SCHEMA}.bookings.booking_id", primary_key=True)
    clinician_id: int = Field(foreign_key=f"{SCHEMA}.clinicians.id", primary_key=True)
    specialty: str = Field(max_length=32)
    during: Any = Field(sa_column=Column(TSTZRANGE, nullable=False))
    active: bool = Field(default=True, sa_column=Column(Boolean, nullable=False, server_default="true"))


class CaseState(SQLModel, table=True):
    """Withdrawn cases and the newest recommendation version seen, so stale or late events change nothing."""

    __tablename__ = "case_state"
    __table_args__ = {"schema": SCHEMA}

    case_id: UUID = Field(primary_key=True)
    latest_version: int = 0
    withdrawn_at: datetime | None = _timestamp(nullable=True)
    # The case's `diagnostics.*` readiness facts (meetings.md §1) and the case version they came from.
    readiness: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSONB, nullable=False, server_default="{}")
    )
    readiness_version: int = 0


class AuditRecord(SQLModel, table=True):
    """Who changed what and when, for every coordinator action."""

    __tablename__ = "audit_log"
    __table_args__ = {"schema": SCHEMA}

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _timestamp()
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64)
    entity: str = Field(max_length=64)
    entity_id: str = Field(max_length=64)
    details: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False, server_default="{}"))


# MDT meetings (meetings.md §1). The migration 0004_meetings holds the triggers that keep `used_minutes` and
# `active_placements`: the database refuses an overfilled meeting and a second active placement of a case.


class TeamRecord(SQLModel, table=True):
    __tablename__ = "teams"
    __table_args__ = {"schema": SCHEMA}

    team_id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    quorum_specialties: list[str] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    minutes_full: int = 6
    minutes_standard_of_care: int = 1
    listing_cutoff_hours: int = 48
    horizon_weeks: int = 12
    created_at: datetime | None = _timestamp()


class TeamMemberRecord(SQLModel, table=True):
    __tablename__ = "team_members"
    __table_args__ = {"schema": SCHEMA}

    team_id: int = Field(foreign_key=f"{SCHEMA}.teams.team_id", primary_key=True)
    clinician_id: int = Field(foreign_key=f"{SCHEMA}.clinicians.id", primary_key=True)
    role: str = Field(max_length=8)


class SeriesRecord(SQLModel, table=True):
    __tablename__ = "meeting_series"
    __table_args__ = {"schema": SCHEMA}

    series_id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key=f"{SCHEMA}.teams.team_id")
    weekday: int
    start_local: time
    duration_minutes: int
    capacity_minutes: int
    starts_on: date
    ends_on: date | None = None
    active: bool = True


class MeetingRecord(SQLModel, table=True):
    __tablename__ = "meetings"
    __table_args__ = {"schema": SCHEMA}

    meeting_id: UUID = Field(default_factory=uuid4, primary_key=True)
    team_id: int = Field(foreign_key=f"{SCHEMA}.teams.team_id")
    series_id: int | None = Field(default=None, foreign_key=f"{SCHEMA}.meeting_series.series_id")
    start: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    end: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    status: str = Field(default="scheduled", max_length=16)
    capacity_minutes: int
    # Kept by the database (trigger on agenda_items); the code reads it, never writes it.
    used_minutes: int = Field(default=0, sa_column=Column(Integer, nullable=False, server_default="0"))
    locked_at: datetime | None = _timestamp(nullable=True)
    created_at: datetime | None = _timestamp()
    updated_at: datetime | None = _timestamp()


class AbsenceRecord(SQLModel, table=True):
    __tablename__ = "meeting_absences"
    __table_args__ = {"schema": SCHEMA}

    meeting_id: UUID = Field(foreign_key=f"{SCHEMA}.meetings.meeting_id", primary_key=True)
    clinician_id: int = Field(foreign_key=f"{SCHEMA}.clinicians.id", primary_key=True)
    recorded_at: datetime | None = _timestamp()


class AgendaItemRecord(SQLModel, table=True):
    __tablename__ = "agenda_items"
    __table_args__ = {"schema": SCHEMA}

    item_id: UUID = Field(default_factory=uuid4, primary_key=True)
    meeting_id: UUID = Field(foreign_key=f"{SCHEMA}.meetings.meeting_id")
    booking_id: UUID = Field(foreign_key=f"{SCHEMA}.bookings.booking_id")
    case_id: UUID
    case_version: int
    mode: str = Field(max_length=24)
    minutes: int
    position: int
    moved: bool = False
    urgency: str = Field(max_length=16)
    deadline: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    required_specialties: list[str] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))
    readiness: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False, server_default="{}"))
    status: str = Field(max_length=16)
    late: bool = False
    reason: str | None = Field(default=None, max_length=200)
    listed_at: datetime | None = _timestamp()
    updated_at: datetime | None = _timestamp()


class ActivePlacementRecord(SQLModel, table=True):
    """Kept by triggers only: one row per case with a listed item or a confirmed huddle."""

    __tablename__ = "active_placements"
    __table_args__ = {"schema": SCHEMA}

    case_id: UUID = Field(primary_key=True)
    item_id: UUID | None = None
    booking_id: UUID | None = None


class CaseRecommendationRecord(SQLModel, table=True):
    """The recommendation each case version had: the verdicts an MDT outcome is recorded against."""

    __tablename__ = "case_recommendations"
    __table_args__ = {"schema": SCHEMA}

    case_id: UUID = Field(primary_key=True)
    case_version: int = Field(primary_key=True)
    ruleset_version: str = Field(max_length=32)
    evaluated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    verdicts: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))


class OutcomeRecord(SQLModel, table=True):
    """Every MDT outcome ever recorded (meetings.md §6): never changed; a new recording is version + 1. The
    decisions keep their notes, which leave this database only in the answer to the one who posted them."""

    __tablename__ = "outcomes"
    __table_args__ = (
        UniqueConstraint("case_id", "version", name="one_outcome_per_case_version"),
        {"schema": SCHEMA},
    )

    outcome_id: UUID = Field(default_factory=uuid4, primary_key=True)
    case_id: UUID
    version: int
    case_version: int
    meeting_id: UUID | None = Field(default=None, foreign_key=f"{SCHEMA}.meetings.meeting_id")
    item_id: UUID | None = Field(default=None, foreign_key=f"{SCHEMA}.agenda_items.item_id")
    booking_id: UUID | None = Field(default=None, foreign_key=f"{SCHEMA}.bookings.booking_id")
    ruleset_version: str = Field(max_length=32)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_by_role: str = Field(max_length=16)
    verdicts: dict[str, str] = Field(sa_column=Column(JSONB, nullable=False))
    decisions: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    intent: str = Field(max_length=24)
    decision_to_treat_date: date | None = None
    attendees: list[int] = Field(sa_column=Column(JSONB, nullable=False))
    further_investigations: list[str] = Field(sa_column=Column(JSONB, nullable=False, server_default="[]"))


outbox = outbox_table(SQLModel.metadata, SCHEMA)
inbox = inbox_table(SQLModel.metadata, SCHEMA)
