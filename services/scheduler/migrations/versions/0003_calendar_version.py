"""calendar version: a counter every change to clinicians, windows or released bookings bumps

Schedulers keep a copy of the calendars in memory and reload it when this counter moved.

Revision ID: 0003_calendar_version
Revises: 5d1c0b7e9a21
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003_calendar_version"
down_revision: str | None = "5d1c0b7e9a21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = {
    "clinicians": "INSERT OR UPDATE OR DELETE",
    "availability_windows": "INSERT OR UPDATE OR DELETE",
    # New bookings are not counted: the scheduler that makes one updates its own copy, and a copy that
    # misses another instance's booking loses the race at the exclusion constraint and reloads.
    "booking_participants": "UPDATE OR DELETE",
}


def upgrade() -> None:
    op.execute(
        "CREATE TABLE scheduler.calendar_version (id int PRIMARY KEY CHECK (id = 1), n bigint NOT NULL)"
    )
    op.execute("INSERT INTO scheduler.calendar_version VALUES (1, 0)")
    op.execute(
        """CREATE FUNCTION scheduler.bump_calendar_version() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN UPDATE scheduler.calendar_version SET n = n + 1 WHERE id = 1; RETURN NULL; END $$"""
    )
    for table, events in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {table}_bump_calendar_version AFTER {events} ON scheduler.{table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION scheduler.bump_calendar_version()"
        )


def downgrade() -> None:
    for table in TRIGGERS:
        op.execute(f"DROP TRIGGER {table}_bump_calendar_version ON scheduler.{table}")
    op.execute("DROP FUNCTION scheduler.bump_calendar_version()")
    op.execute("DROP TABLE scheduler.calendar_version")
