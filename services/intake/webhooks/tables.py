"""The webhook tables, in the `intake` schema (migration 0002_webhooks). Statements are sent to the driver
(webhooks/store.py); these definitions keep alembic's view of the schema whole."""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlmodel import SQLModel

SCHEMA = "intake"
STATUSES = ("pending", "delivered", "failed")

endpoints = Table(
    "webhook_endpoints",
    SQLModel.metadata,
    Column("webhook_id", UUID(as_uuid=True), primary_key=True),
    Column("client", String(64), nullable=False, index=True),
    Column("url", Text, nullable=False),
    Column("event_types", ARRAY(Text), nullable=False),
    # Needed in the clear to sign; shown to the subscriber once, in the 201.
    Column("secret", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("failing_since", DateTime(timezone=True)),  # first failure since the last success
    Column("disabled_at", DateTime(timezone=True)),
    schema=SCHEMA,
)

deliveries = Table(
    "webhook_deliveries",
    SQLModel.metadata,
    Column("delivery_id", UUID(as_uuid=True), primary_key=True, server_default=text("gen_random_uuid()")),
    Column("seq", BigInteger, Identity(), nullable=False, unique=True),  # event order per case and endpoint
    Column(
        "webhook_id",
        UUID(as_uuid=True),
        ForeignKey(f"{SCHEMA}.webhook_endpoints.webhook_id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("case_id", UUID(as_uuid=True), nullable=False),
    Column("case_version", Integer, nullable=False),
    Column("event_id", UUID(as_uuid=True), nullable=False),
    Column("event_type", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("trace_headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
    Column("status", Text, nullable=False, server_default="pending"),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("failures_since_queued", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("leased_until", DateTime(timezone=True)),
    Column("lease_token", UUID(as_uuid=True)),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("delivered_at", DateTime(timezone=True)),
    UniqueConstraint("webhook_id", "event_id"),
    CheckConstraint(f"status IN {STATUSES}", name="webhook_delivery_status"),
    Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    Index(
        "ix_webhook_deliveries_queue",
        "webhook_id",
        "case_id",
        "seq",
        postgresql_where=text("status = 'pending'"),
    ),
    Index("ix_webhook_deliveries_listing", "webhook_id", "seq"),
    schema=SCHEMA,
)

attempts = Table(
    "webhook_attempts",
    SQLModel.metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column(
        "delivery_id",
        UUID(as_uuid=True),
        ForeignKey(f"{SCHEMA}.webhook_deliveries.delivery_id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("status_code", Integer),
    Column("error", Text),  # the error's class, never its message
    Column("response_body", Text),  # the first 1 KB at most
    schema=SCHEMA,
)
