"""FHIR: the source resource of each mapped field per case version, and the full latest recommendation
(the case view keeps a summary; the FHIR GuidanceResponse needs reasons and missing paths).

Revision ID: 0004_fhir_sources
Revises: 0003_case_trace_id
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_fhir_sources"
down_revision: str | None = "0003_case_trace_id"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "case_versions",
        sa.Column("sources", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="intake",
    )
    op.add_column(
        "cases",
        sa.Column("recommendation_detail", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema="intake",
    )


def downgrade() -> None:
    op.drop_column("cases", "recommendation_detail", schema="intake")
    op.drop_column("case_versions", "sources", schema="intake")
