"""MDT meetings: teams, members, weekly series, meetings, absences, agenda items (meetings.md §1-3)

The database enforces the placement invariants of meetings.md §2 whatever the code does:
- one active placement per case: `active_placements` holds a row per listed agenda item and per confirmed
  huddle, kept by triggers, with the case as primary key;
- a meeting's capacity: `used_minutes` is kept by a trigger on the agenda items (the minutes of its listed
  and discussed items) and CHECKed against `capacity_minutes`; the trigger's UPDATE locks the meeting row, so
  concurrent listings queue there and the one that would overfill it fails. Listing onto a finished or
  cancelled meeting, or a routine case onto a locked one, fails there too.

Revision ID: 0004_meetings
Revises: 0003_calendar_version
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_meetings"
down_revision: str | None = "0003_calendar_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE TABLE scheduler.teams (
    team_id serial PRIMARY KEY,
    code varchar(64) NOT NULL UNIQUE,
    name varchar(200) NOT NULL,
    timezone varchar(64) NOT NULL,
    quorum_specialties jsonb NOT NULL DEFAULT '[]',
    minutes_full int NOT NULL DEFAULT 6 CHECK (minutes_full > 0),
    minutes_standard_of_care int NOT NULL DEFAULT 1 CHECK (minutes_standard_of_care > 0),
    listing_cutoff_hours int NOT NULL DEFAULT 48 CHECK (listing_cutoff_hours >= 0),
    horizon_weeks int NOT NULL DEFAULT 12 CHECK (horizon_weeks BETWEEN 1 AND 104),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE scheduler.team_members (
    team_id int NOT NULL REFERENCES scheduler.teams (team_id) ON DELETE CASCADE,
    clinician_id int NOT NULL REFERENCES scheduler.clinicians (id),
    role varchar(8) NOT NULL CHECK (role IN ('core', 'cover')),
    PRIMARY KEY (team_id, clinician_id)
);
CREATE INDEX ix_team_members_clinician ON scheduler.team_members (clinician_id);

CREATE TABLE scheduler.meeting_series (
    series_id serial PRIMARY KEY,
    team_id int NOT NULL REFERENCES scheduler.teams (team_id),
    weekday int NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_local time NOT NULL,
    duration_minutes int NOT NULL CHECK (duration_minutes > 0),
    capacity_minutes int NOT NULL CHECK (capacity_minutes > 0),
    starts_on date NOT NULL,
    ends_on date,
    active boolean NOT NULL DEFAULT true,
    CHECK (ends_on IS NULL OR ends_on >= starts_on)
);

CREATE TABLE scheduler.meetings (
    meeting_id uuid PRIMARY KEY,
    team_id int NOT NULL REFERENCES scheduler.teams (team_id),
    series_id int REFERENCES scheduler.meeting_series (series_id),
    start timestamptz NOT NULL,
    "end" timestamptz NOT NULL,
    status varchar(16) NOT NULL DEFAULT 'scheduled'
        CHECK (status IN ('scheduled', 'locked', 'finished', 'cancelled')),
    capacity_minutes int NOT NULL CHECK (capacity_minutes > 0),
    used_minutes int NOT NULL DEFAULT 0,
    locked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT meeting_not_empty CHECK ("end" > start),
    CONSTRAINT meeting_capacity CHECK (used_minutes >= 0 AND used_minutes <= capacity_minutes),
    CONSTRAINT one_meeting_per_series_start UNIQUE (series_id, start)
);
CREATE INDEX ix_meetings_status_start ON scheduler.meetings (status, start);
CREATE INDEX ix_meetings_team_start ON scheduler.meetings (team_id, start);

CREATE TABLE scheduler.meeting_absences (
    meeting_id uuid NOT NULL REFERENCES scheduler.meetings (meeting_id),
    clinician_id int NOT NULL REFERENCES scheduler.clinicians (id),
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (meeting_id, clinician_id)
);

CREATE TABLE scheduler.agenda_items (
    item_id uuid PRIMARY KEY,
    meeting_id uuid NOT NULL REFERENCES scheduler.meetings (meeting_id),
    booking_id uuid NOT NULL REFERENCES scheduler.bookings (booking_id),
    case_id uuid NOT NULL,
    case_version int NOT NULL,
    mode varchar(24) NOT NULL CHECK (mode IN ('full', 'standard_of_care')),
    minutes int NOT NULL CHECK (minutes > 0),
    position int NOT NULL CHECK (position >= 1),
    moved boolean NOT NULL DEFAULT false,
    urgency varchar(16) NOT NULL,
    deadline timestamptz NOT NULL,
    required_specialties jsonb NOT NULL DEFAULT '[]',
    readiness jsonb NOT NULL DEFAULT '{}',
    status varchar(16) NOT NULL CHECK (status IN ('listed', 'discussed', 'deferred', 'withdrawn')),
    late boolean NOT NULL DEFAULT false,
    reason varchar(200),
    listed_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ix_agenda_items_meeting ON scheduler.agenda_items (meeting_id, status, position);
CREATE INDEX ix_agenda_items_case ON scheduler.agenda_items (case_id);

-- A placement per case that is not an emergency booking: the booking row stays the case's placement (its
-- booking_id is the placement's id on the wire); these columns say where it is.
ALTER TABLE scheduler.bookings
    ADD COLUMN kind varchar(8) NOT NULL DEFAULT 'huddle' CHECK (kind IN ('huddle', 'meeting')),
    ADD COLUMN meeting_id uuid REFERENCES scheduler.meetings (meeting_id),
    ADD COLUMN item_id uuid,
    ADD COLUMN mode varchar(24) NOT NULL DEFAULT 'full',
    ADD COLUMN late boolean NOT NULL DEFAULT false,
    ADD COLUMN verdicts jsonb NOT NULL DEFAULT '{}';

-- Readiness facts from the case (contracts.md §2 `diagnostics.*`) for the items of its next listings.
ALTER TABLE scheduler.case_state
    ADD COLUMN readiness jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN readiness_version int NOT NULL DEFAULT 0;

CREATE TABLE scheduler.active_placements (
    case_id uuid PRIMARY KEY,
    item_id uuid UNIQUE,
    booking_id uuid UNIQUE,
    CHECK (num_nonnulls(item_id, booking_id) = 1)
);

CREATE FUNCTION scheduler.agenda_item_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    meeting_status text;
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status IN ('listed', 'discussed') THEN
        UPDATE scheduler.meetings SET used_minutes = used_minutes - OLD.minutes
        WHERE meeting_id = OLD.meeting_id;
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.status = 'listed' THEN
        DELETE FROM scheduler.active_placements WHERE item_id = OLD.item_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status IN ('listed', 'discussed') THEN
        UPDATE scheduler.meetings SET used_minutes = used_minutes + NEW.minutes
        WHERE meeting_id = NEW.meeting_id RETURNING status INTO meeting_status;
        IF NEW.status = 'listed' AND (TG_OP = 'INSERT' OR OLD.status <> 'listed'
                                      OR OLD.meeting_id <> NEW.meeting_id) THEN
            IF meeting_status NOT IN ('scheduled', 'locked')
               OR (meeting_status = 'locked' AND NEW.urgency <> 'urgent') THEN
                RAISE EXCEPTION 'meeting % is %', NEW.meeting_id, meeting_status
                    USING ERRCODE = '23514', CONSTRAINT = 'meeting_open';
            END IF;
        END IF;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'listed' THEN
        INSERT INTO scheduler.active_placements (case_id, item_id) VALUES (NEW.case_id, NEW.item_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER agenda_items_placement AFTER INSERT OR DELETE OR UPDATE OF status, minutes, meeting_id
    ON scheduler.agenda_items FOR EACH ROW EXECUTE FUNCTION scheduler.agenda_item_changed();

CREATE FUNCTION scheduler.huddle_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'confirmed' AND OLD.kind = 'huddle' THEN
        DELETE FROM scheduler.active_placements WHERE booking_id = OLD.booking_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.status = 'confirmed' AND NEW.kind = 'huddle' THEN
        INSERT INTO scheduler.active_placements (case_id, booking_id) VALUES (NEW.case_id, NEW.booking_id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER bookings_placement AFTER INSERT OR DELETE OR UPDATE OF status, kind
    ON scheduler.bookings FOR EACH ROW EXECUTE FUNCTION scheduler.huddle_changed();

INSERT INTO scheduler.active_placements (case_id, booking_id)
SELECT case_id, booking_id FROM scheduler.bookings WHERE status = 'confirmed';

-- Availability, membership and absences change who is expected at meetings: the calendar version moves
-- with them (meeting_reads.py keeps each meeting's attendance for a version).
CREATE TRIGGER team_members_bump_calendar_version AFTER INSERT OR UPDATE OR DELETE ON scheduler.team_members
    FOR EACH STATEMENT EXECUTE FUNCTION scheduler.bump_calendar_version();

CREATE TRIGGER meeting_absences_bump_calendar_version
    AFTER INSERT OR UPDATE OR DELETE ON scheduler.meeting_absences
    FOR EACH STATEMENT EXECUTE FUNCTION scheduler.bump_calendar_version();
"""

DOWNGRADE = """
DROP TRIGGER meeting_absences_bump_calendar_version ON scheduler.meeting_absences;
DROP TRIGGER team_members_bump_calendar_version ON scheduler.team_members;
DROP TRIGGER bookings_placement ON scheduler.bookings;
DROP FUNCTION scheduler.huddle_changed();
DROP TABLE scheduler.agenda_items;
DROP FUNCTION scheduler.agenda_item_changed();
DROP TABLE scheduler.active_placements;
ALTER TABLE scheduler.case_state DROP COLUMN readiness, DROP COLUMN readiness_version;
ALTER TABLE scheduler.bookings DROP COLUMN kind, DROP COLUMN meeting_id, DROP COLUMN item_id,
    DROP COLUMN mode, DROP COLUMN late, DROP COLUMN verdicts;
DROP TABLE scheduler.meeting_absences;
DROP TABLE scheduler.meetings;
DROP TABLE scheduler.meeting_series;
DROP TABLE scheduler.team_members;
DROP TABLE scheduler.teams;
"""


def _statements(script: str) -> list[str]:
    """The script's statements, one per `;` at a line's end outside a $$-quoted function body (the driver
    takes one statement at a time)."""
    statements, current, in_body = [], [], False
    for line in script.splitlines():
        current.append(line)
        if line.count("$$") % 2:
            in_body = not in_body
        if not in_body and line.rstrip().endswith(";"):
            statement = "\n".join(current).strip().rstrip(";")
            if statement and not all(part.strip().startswith("--") for part in statement.splitlines()):
                statements.append(statement)
            current = []
    return statements


def upgrade() -> None:
    for statement in _statements(UPGRADE):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(DOWNGRADE):
        op.execute(statement)
