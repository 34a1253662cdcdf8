"""MDT outcomes seen on mdt-outcomes, for the concordance of decisions with recommendations

Revision ID: 0002_mdt_outcomes
Revises: 6fb504450113
Create Date: 2026-11-28 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_mdt_outcomes"
down_revision: str | None = "6fb504450113"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mdt_outcomes",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("outcome_id", sa.Uuid(), nullable=False),
        sa.Column("case_version", sa.Integer(), nullable=False),
        sa.Column("ruleset_version", sa.String(length=32), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decisions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("case_id", "version"),
        sa.UniqueConstraint("outcome_id"),
        schema="eligibility",
    )
    op.create_index(
        "ix_eligibility_mdt_outcomes_ruleset_version",
        "mdt_outcomes",
        ["ruleset_version"],
        schema="eligibility",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_eligibility_mdt_outcomes_ruleset_version", table_name="mdt_outcomes", schema="eligibility"
    )
    op.drop_table("mdt_outcomes", schema="eligibility")
