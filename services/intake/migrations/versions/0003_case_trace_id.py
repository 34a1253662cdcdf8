"""case_versions.trace_id: the trace of the submission that made each version, for the ops case view

Revision ID: 0003_case_trace_id
Revises: 0002_webhooks
Create Date: 2026-11-28 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_case_trace_id"
down_revision: str | None = "0002_webhooks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable, no default: versions kept before this revision have no trace id (expand-only).
    op.add_column(
        "case_versions", sa.Column("trace_id", sa.String(length=32), nullable=True), schema="intake"
    )


def downgrade() -> None:
    op.drop_column("case_versions", "trace_id", schema="intake")
