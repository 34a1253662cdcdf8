"""Intake's tables, all in the `intake` schema."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import Column, DateTime, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from shared.kafka.inbox import inbox_table
from shared.kafka.outbox import outbox_table

SCHEMA = "intake"


def _timestamp(*, nullable: bool = False, default_now: bool = True) -> Any:
    return Field(
        default=None,
        sa_column=Column(
            DateTime(timezone=True),
            nullable=nullable,
            server_default=func.now() if default_now else None,
        ),
    )


class CaseRecord(SQLModel, table=True):
    """The latest version of a case, with what downstream services said about it."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("client", "external_id"), {"schema": SCHEMA})

    case_id: UUID = Field(default_factory=uuid4, primary_key=True)
    client: str = Field(max_length=64)
    external_id: str = Field(max_length=128)
    version: int = 1
    content: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    content_hash: str = Field(max_length=64)
    withdrawn_at: datetime | None = _timestamp(nullable=True, default_now=False)
    recommendation: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    booking: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    # The latest recommendation as eligibility sent it (reasons, missing paths): for GET /fhir.
    recommendation_detail: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    # The latest MDT outcome as the scheduler announced it (no clinicians' notes: they stay in the scheduler).
    outcome: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    created_at: datetime | None = _timestamp()
    updated_at: datetime | None = _timestamp()


class CaseVersionRecord(SQLModel, table=True):
    """Every version ever accepted: nothing a referrer sent is overwritten."""

    __tablename__ = "case_versions"
    __table_args__ = {"schema": SCHEMA}

    case_id: UUID = Field(primary_key=True, foreign_key=f"{SCHEMA}.cases.case_id")
    version: int = Field(primary_key=True)
    content: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    # For a FHIR submission: case field path -> the resource it came from (services/intake/fhir/provenance.py).
    sources: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB))
    received_at: datetime | None = _timestamp()
    trace_id: str | None = Field(default=None, max_length=32)  # W3C trace id of the submission's request


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = {"schema": SCHEMA}

    client: str = Field(primary_key=True, max_length=64)
    key: str = Field(primary_key=True, max_length=255)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    created_at: datetime | None = _timestamp()


outbox = outbox_table(SQLModel.metadata, SCHEMA)
inbox = inbox_table(SQLModel.metadata, SCHEMA)
