"""The latest MDT outcome of each case (meetings.md §6: status discussed, the case view and the FHIR CarePlan)

Revision ID: 0005_case_outcome
Revises: 0004_fhir_sources
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_case_outcome"
down_revision: str | None = "0004_fhir_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "cases", sa.Column("outcome", postgresql.JSONB(astext_type=sa.Text()), nullable=True), schema="intake"
    )


def downgrade() -> None:
    op.drop_column("cases", "outcome", schema="intake")
