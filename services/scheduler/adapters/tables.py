"""The scheduler's tables, all in the `scheduler` schema. The database itself enforces the booking
invariants: no clinician in two overlapping active bookings (exclusion constraint on clinician and time
range), and at most one open booking or waitlist entry per case (partial unique index)."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, func, text
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


outbox = outbox_table(SQLModel.metadata, SCHEMA)
inbox = inbox_table(SQLModel.metadata, SCHEMA)
