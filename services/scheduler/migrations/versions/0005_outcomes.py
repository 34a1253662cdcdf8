"""MDT outcomes (meetings.md §6) and the recommendation each case version had, for the verdicts snapshot

Revision ID: 0005_outcomes
Revises: 0004_meetings
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_outcomes"
down_revision: str | None = "0004_meetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One statement per execute: the driver prepares each, and a prepared statement holds one command.
    op.execute(
        """
CREATE TABLE scheduler.case_recommendations (
    case_id uuid NOT NULL,
    case_version int NOT NULL,
    ruleset_version varchar(32) NOT NULL,
    evaluated_at timestamptz NOT NULL,
    verdicts jsonb NOT NULL,
    PRIMARY KEY (case_id, case_version)
)"""
    )
    op.execute(
        """
CREATE TABLE scheduler.outcomes (
    outcome_id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    version int NOT NULL CHECK (version >= 1),
    case_version int NOT NULL,
    meeting_id uuid REFERENCES scheduler.meetings (meeting_id),
    item_id uuid REFERENCES scheduler.agenda_items (item_id),
    booking_id uuid REFERENCES scheduler.bookings (booking_id),
    ruleset_version varchar(32) NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    recorded_by_role varchar(16) NOT NULL,
    verdicts jsonb NOT NULL,
    decisions jsonb NOT NULL,
    intent varchar(24) NOT NULL,
    decision_to_treat_date date,
    attendees jsonb NOT NULL,
    further_investigations jsonb NOT NULL DEFAULT '[]',
    CONSTRAINT one_outcome_per_case_version UNIQUE (case_id, version)
)"""
    )


def downgrade() -> None:
    op.execute("DROP TABLE scheduler.outcomes")
    op.execute("DROP TABLE scheduler.case_recommendations")
