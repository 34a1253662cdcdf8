"""Statements of the outcome path: the recommendation each case version had (written as it arrives, read when
an outcome is recorded against it), the next outcome version of a case, the attendees who may be named."""

from typing import Any
from uuid import UUID

import orjson

from shared.contracts.recommendation import Recommendation
from shared.db.driver import DriverConnection

_REMEMBER = """
INSERT INTO scheduler.case_recommendations (case_id, case_version, ruleset_version, evaluated_at, verdicts)
VALUES ($1, $2, $3, $4, $5::jsonb)
ON CONFLICT DO NOTHING
"""

_SNAPSHOT = """
SELECT ruleset_version, evaluated_at, verdicts FROM scheduler.case_recommendations
WHERE case_id = $1 AND case_version = $2
"""

# One recording at a time per case (until commit), so versions are handed out without gaps or repeats.
_NEXT_VERSION = """
SELECT pg_advisory_xact_lock(hashtext('scheduler:outcome:' || $1::uuid::text)),
       (SELECT coalesce(max(version), 0) + 1 FROM scheduler.outcomes WHERE case_id = $1::uuid) AS version
"""

_TEAM_MEMBERS = """
SELECT m.clinician_id, c.specialty FROM scheduler.team_members m
JOIN scheduler.clinicians c ON c.id = m.clinician_id
JOIN scheduler.meetings g ON g.team_id = m.team_id
WHERE g.meeting_id = $1
"""

_HUDDLE_PARTICIPANTS = """
SELECT clinician_id, specialty FROM scheduler.booking_participants WHERE booking_id = $1 AND active
"""

_CURRENT_LISTING = """
SELECT item_id, meeting_id FROM scheduler.agenda_items
WHERE case_id = $1 AND status = 'listed' ORDER BY listed_at DESC LIMIT 1
"""


def recommendation_values(recommendation: Recommendation) -> tuple[Any, ...] | None:
    """The row remembered of the recommendation (case id, case version, ruleset version, evaluated at,
    verdicts as JSON text), or None when it names no case."""
    if recommendation.case_id is None:
        return None
    return (
        recommendation.case_id,
        recommendation.case_version,
        recommendation.ruleset_version,
        recommendation.evaluated_at,
        orjson.dumps({t.code.value: t.status.value for t in recommendation.therapies}).decode(),
    )


async def remember_recommendation(connection: DriverConnection, recommendation: Recommendation) -> None:
    values = recommendation_values(recommendation)
    if values is not None:
        await connection.execute(_REMEMBER, *values)


async def recommendation_snapshot(connection: DriverConnection, case_id: UUID, case_version: int) -> Any:
    """(ruleset_version, evaluated_at, verdicts) of the case version's recommendation, or None."""
    return await connection.fetchrow(_SNAPSHOT, case_id, case_version)


async def next_outcome_version(connection: DriverConnection, case_id: UUID) -> int:
    row = await connection.fetchrow(_NEXT_VERSION, case_id)
    return int(row["version"])


async def meeting_members(connection: DriverConnection, meeting_id: UUID) -> dict[int, str]:
    return {
        row["clinician_id"]: row["specialty"] for row in await connection.fetch(_TEAM_MEMBERS, meeting_id)
    }


async def huddle_participants(connection: DriverConnection, booking_id: UUID) -> dict[int, str]:
    rows = await connection.fetch(_HUDDLE_PARTICIPANTS, booking_id)
    return {row["clinician_id"]: row["specialty"] for row in rows}


async def current_listing(connection: DriverConnection, case_id: UUID) -> Any:
    """(item_id, meeting_id) of the case's listed item, or None."""
    return await connection.fetchrow(_CURRENT_LISTING, case_id)
