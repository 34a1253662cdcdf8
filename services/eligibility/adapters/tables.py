"""Eligibility's tables, all in the `eligibility` schema."""

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Column, DateTime, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from shared.kafka.inbox import inbox_table
from shared.kafka.outbox import outbox_table

SCHEMA = "eligibility"


class RecommendationRecord(SQLModel, table=True):
    """Every recommendation ever issued, never overwritten: one per case version (the store skips a version
    evaluated before, under any ruleset; the constraint keeps one per case version and ruleset version)."""

    __tablename__ = "recommendations"
    __table_args__ = (UniqueConstraint("case_id", "case_version", "ruleset_version"), {"schema": SCHEMA})

    id: int | None = Field(default=None, primary_key=True)
    case_id: UUID = Field(index=True)
    case_version: int
    ruleset_version: str = Field(max_length=32)
    urgency: str = Field(max_length=16)
    content: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    evaluated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CaseProgress(SQLModel, table=True):
    """The newest case version seen and whether the case was withdrawn: stale or withdrawn work is skipped."""

    __tablename__ = "case_progress"
    __table_args__ = {"schema": SCHEMA}

    case_id: UUID = Field(primary_key=True)
    latest_version: int
    withdrawn_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    updated_at: datetime | None = Field(
        default=None, sa_column=Column(DateTime(timezone=True), nullable=False, server_default=func.now())
    )


class OutcomeRecord(SQLModel, table=True):
    """Every MDT outcome version seen on mdt-outcomes, with each therapy's verdict and decision (notes are not
    kept here: they stay in the scheduler's database)."""

    __tablename__ = "mdt_outcomes"
    __table_args__ = {"schema": SCHEMA}

    case_id: UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    outcome_id: UUID = Field(unique=True)
    case_version: int
    ruleset_version: str = Field(max_length=32, index=True)
    recorded_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    decisions: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))


outbox = outbox_table(SQLModel.metadata, SCHEMA)
inbox = inbox_table(SQLModel.metadata, SCHEMA)
