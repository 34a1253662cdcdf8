"""availability windows: index for the calendar load (a clinician's windows ending after a time)

Revision ID: 5d1c0b7e9a21
Revises: a4ca77786b24
Create Date: 2026-11-27 12:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5d1c0b7e9a21"
down_revision: str | None = "a4ca77786b24"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_scheduler_availability_windows_clinician_end",
        "availability_windows",
        ["clinician_id", "end"],
        schema="scheduler",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_scheduler_availability_windows_clinician_end",
        table_name="availability_windows",
        schema="scheduler",
    )
