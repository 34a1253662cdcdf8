"""The statements of a booking, sent straight to the driver: they run for every recommendation the scheduler
books (shared/db/driver.py says why not through SQLAlchemy). Table and column names are those of tables.py.

The database decides whether a slot can be taken, whatever the caller's copy of the calendars said:
`take_participants` locks the clinicians, then checks their windows and inserts them in one statement, and
the exclusion constraint refuses a clinician already booked then.
"""

from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

import asyncpg
import orjson

from services.scheduler.adapters.calendar_cache import CALENDAR_VERSION
from shared.db.driver import DriverConnection

# The case's state row for a case with no placement yet, at this version, and the calendar version, read
# with it since every booking sends this statement first. A new row stays invisible, and a concurrent event
# of the case waits on it until this transaction ends. The row may already be there without a placement:
# the case's readiness (agenda_writes.record_case_change) usually arrives before its first recommendation;
# then it is taken over (and locked, as ON CONFLICT DO UPDATE locks the row even where WHERE is false) in the
# same statement, instead of being read and locked again with the case's open booking.
_STARTED = """started AS (
    INSERT INTO scheduler.case_state AS s (case_id, latest_version) VALUES ($1, $2)
    ON CONFLICT (case_id) DO UPDATE SET latest_version = $2
    WHERE s.latest_version = 0 AND s.withdrawn_at IS NULL
      AND NOT EXISTS (SELECT FROM scheduler.bookings b WHERE b.case_id = $1)
    RETURNING case_id, readiness
)"""
_START_CASE = f"""
WITH {_STARTED}
SELECT EXISTS (SELECT FROM started) AS started, {CALENDAR_VERSION} AS calendar_version
"""

# `_START_CASE` for a recommendation: when the case is new, the recommendation is remembered for the outcome
# path (outcome_writes.remember_recommendation: $3-$7, all null when it has no case id) in the same
# statement, and the case's readiness facts come back with it (a new case has no items to be excluded
# from). A case seen before comes back not started, with nothing remembered.
_START_PLACEMENT = f"""
WITH {_STARTED}, remembered AS (
    INSERT INTO scheduler.case_recommendations (case_id, case_version, ruleset_version, evaluated_at, verdicts)
    SELECT $3::uuid, $4::int, $5::text, $6::timestamptz, $7::jsonb
    WHERE $3::uuid IS NOT NULL AND EXISTS (SELECT FROM started)
    ON CONFLICT DO NOTHING
)
SELECT EXISTS (SELECT FROM started) AS started, (SELECT readiness FROM started) AS readiness,
       {CALENDAR_VERSION} AS calendar_version
"""


class Start(NamedTuple):
    started: bool  # the case is new: its state row now made (or taken over) at the version
    calendar_version: int | None
    readiness: Any  # a started case's readiness facts (JSON), else None


# Locks the slot's clinicians in ascending id order (LockRows runs above the sort) until commit, and only the
# active ones: a row updated meanwhile is re-checked in its committed version. FOR NO KEY UPDATE makes two
# bookings of one clinician queue here instead of deadlocking inside the exclusion constraint's check. A
# coordinator changing a clinician or their windows locks the row first (FOR UPDATE): a deactivation waits
# for this booking and then moves it, or this booking waits and then finds the clinician gone. It does not
# block the foreign-key checks of other bookings' participant rows (FOR KEY SHARE).
_LOCK_CLINICIANS = (
    "SELECT id, name FROM scheduler.clinicians WHERE id = ANY($1::int[]) AND active ORDER BY id "
    "FOR NO KEY UPDATE"
)

# A statement after the locks, so its snapshot has what a coordinator committed while they were awaited: the
# participants are inserted only when every one of them has windows covering the whole slot (windows of one
# clinician never overlap, the API refuses it, so their overlaps with the slot add up).
# $1 booking id, $2 clinician ids, $3 their specialties, $4 start, $5 end.
_COVERED_PARTICIPANTS = """
covered AS (
    SELECT clinician_id FROM scheduler.availability_windows
    WHERE clinician_id = ANY($2::int[]) AND start < $5::timestamptz AND "end" > $4::timestamptz
    GROUP BY clinician_id
    HAVING sum(least("end", $5::timestamptz) - greatest(start, $4::timestamptz))
        >= $5::timestamptz - $4::timestamptz
)
INSERT INTO scheduler.booking_participants (booking_id, clinician_id, specialty, during)
SELECT $1::uuid, wanted.clinician_id, wanted.specialty, tstzrange($4::timestamptz, $5::timestamptz)
FROM unnest($2::int[], $3::text[]) AS wanted(clinician_id, specialty)
WHERE (SELECT count(*) FROM covered) = cardinality($2::int[])
RETURNING clinician_id
"""
_INSERT_PARTICIPANTS = "WITH" + _COVERED_PARTICIPANTS

_BOOKING_COLUMNS = """scheduler.bookings (booking_id, case_id, case_version, status, start, "end", urgency,
    deadline, required_specialties, missing_specialties, partial, reason, updated_at)"""
# A booking not in the database yet is written in the same statement as its participants (their foreign key
# finds it), in the state it is booked in: $6-$15 are its other columns.
_INSERT_BOOKING_AND_PARTICIPANTS = (
    f"""
WITH booking AS (
    INSERT INTO {_BOOKING_COLUMNS}
    VALUES ($1, $6, $7, $8, $4, $5, $9, $10, $11, $12, $13, $14, $15)
),"""
    + _COVERED_PARTICIPANTS
)

_INSERT_BOOKING = (
    f"INSERT INTO {_BOOKING_COLUMNS} VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)

# Every column of a booking not in the database yet, written as it was placed (created_at is the database's).
NEW_BOOKING_COLUMNS = (
    "booking_id",
    "case_id",
    "case_version",
    "status",
    "start",
    "end",
    "urgency",
    "deadline",
    "required_specialties",
    "missing_specialties",
    "partial",
    "reason",
    "kind",
    "meeting_id",
    "item_id",
    "mode",
    "late",
    "verdicts",
    "updated_at",
)
_JSON_COLUMNS = frozenset({"required_specialties", "missing_specialties", "verdicts"})


def new_booking_statement(first: int) -> str:
    """`INSERT INTO scheduler.bookings ... VALUES ...` of `NEW_BOOKING_COLUMNS`, its parameters numbered from
    `first`: a statement of its own, or a CTE of one that writes what refers to the booking."""
    names = ", ".join(f'"{name}"' for name in NEW_BOOKING_COLUMNS)
    placeholders = [f"${first + n}" for n in range(len(NEW_BOOKING_COLUMNS))]
    placeholders[-1] = f"coalesce({placeholders[-1]}::timestamptz, now())"  # the column's default when unset
    return f"INSERT INTO scheduler.bookings ({names}) VALUES ({', '.join(placeholders)})"


def new_booking_values(booking: dict[str, Any]) -> tuple[Any, ...]:
    """The parameters of `new_booking_statement` for `booking` (its `NEW_BOOKING_COLUMNS`)."""
    return tuple(
        orjson.dumps(booking[name]).decode() if name in _JSON_COLUMNS else booking[name]
        for name in NEW_BOOKING_COLUMNS
    )


_INSERT_NEW_BOOKING = new_booking_statement(1)


async def insert_new_booking(connection: DriverConnection, booking: dict[str, Any]) -> None:
    """A booking not in the database yet, with every column as it stands."""
    await connection.execute(_INSERT_NEW_BOOKING, *new_booking_values(booking))


# SQLSTATEs of a lost race for a clinician: the exclusion constraint (23P01), or a deadlock (40P01:
# PostgreSQL aborts one of the transactions in it).
_LOST_RACE = frozenset({"23P01", "40P01"})


class LostRaceError(Exception):
    """Another booking has one of the clinicians at that time (or a deadlock chose this one)."""


class _RefusedError(Exception):
    """Rolls back the savepoint of a slot the database refused."""


async def start_case(connection: DriverConnection, case_id: UUID, version: int) -> tuple[bool, int | None]:
    """Whether the case is new (its state row now made at `version`), and the calendar version."""
    row = await connection.fetchrow(_START_CASE, case_id, version)
    return row["started"], row["calendar_version"]


async def start_placement(
    connection: DriverConnection, case_id: UUID, version: int, remembered: tuple[Any, ...] | None
) -> Start:
    """`start_case` for a recommendation, `remembered` (outcome_writes.recommendation_values) written in the
    same statement when the case is new."""
    row = await connection.fetchrow(_START_PLACEMENT, case_id, version, *(remembered or (None,) * 5))
    return Start(row["started"], row["calendar_version"], row["readiness"] if row["started"] else None)


def _booking_values(booking: dict[str, Any]) -> tuple[Any, ...]:
    return (
        booking["case_id"],
        booking["case_version"],
        booking["status"],
        booking["urgency"],
        booking["deadline"],
        orjson.dumps(booking["required_specialties"]).decode(),
        orjson.dumps(booking["missing_specialties"]).decode(),
        booking["partial"],
        booking["reason"],
        booking["updated_at"],
    )


async def take_participants(
    connection: DriverConnection,
    booking_id: UUID,
    participants: list[tuple[int, str]],
    start: datetime,
    end: datetime,
    *,
    new_booking: dict[str, Any] | None = None,
) -> dict[int, str] | None:
    """Books `participants` (clinician id, specialty) into the booking for `[start, end)`, in a savepoint:
    the clinicians' names when done, None when one is inactive or has no window for the whole slot (nothing
    is written then). `new_booking`: the booking's columns, when it is not in the database yet; it is written
    with its participants, or not at all. Raises LostRaceError when the exclusion constraint refuses."""
    ids = [clinician_id for clinician_id, _ in participants]
    arguments: tuple[Any, ...] = (booking_id, ids, [specialty for _, specialty in participants], start, end)
    statement = _INSERT_PARTICIPANTS
    if new_booking is not None:
        statement = _INSERT_BOOKING_AND_PARTICIPANTS
        arguments += _booking_values(new_booking)
    try:
        async with connection.transaction():  # a savepoint: the session's transaction is open
            names = {row["id"]: row["name"] for row in await connection.fetch(_LOCK_CLINICIANS, sorted(ids))}
            if len(names) != len(ids):
                raise _RefusedError
            if len(await connection.fetch(statement, *arguments)) != len(ids):
                raise _RefusedError
    except _RefusedError:
        return None
    except asyncpg.PostgresError as error:
        if error.sqlstate in _LOST_RACE:
            raise LostRaceError from error
        raise
    return names


async def insert_booking(connection: DriverConnection, booking_id: UUID, booking: dict[str, Any]) -> None:
    """A booking without participants (waitlisted), not in the database yet."""
    values = _booking_values(booking)
    await connection.execute(_INSERT_BOOKING, booking_id, *values[:3], None, None, *values[3:])


async def lock_booking_batches(connection: DriverConnection) -> None:
    """One booking batch at a time across instances, until commit. A batch keeps every clinician it locked
    until it commits; two instances' batches locking in their cases' order could deadlock otherwise."""
    await connection.execute("SELECT pg_advisory_xact_lock(hashtext('scheduler:booking-batch'))")
