"""Eligibility's copy of the MDT outcomes (one row per outcome version) and the concordance read. Statements go
to the driver, as the recommendation store's do."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import orjson

from shared.db.driver import DriverConnection


@dataclass(frozen=True)
class NewOutcome:
    case_id: UUID
    version: int
    outcome_id: UUID
    case_version: int
    ruleset_version: str
    recorded_at: datetime
    decisions: list[dict[str, Any]]


# A version seen before (a repeat that got past the inbox) is not inserted again.
_STORE_OUTCOMES = """
INSERT INTO eligibility.mdt_outcomes
  (case_id, version, outcome_id, case_version, ruleset_version, recorded_at, decisions)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::uuid[], $4::int[], $5::text[], $6::timestamptz[], $7::jsonb[])
ON CONFLICT DO NOTHING
RETURNING outcome_id
"""

# The latest version of each case's outcome first, then the filters: a case whose newest outcome falls outside
# them is not counted by an older one that falls inside.
_LATEST_DECISIONS = """
WITH latest AS (
  SELECT DISTINCT ON (case_id) ruleset_version, recorded_at, decisions
  FROM eligibility.mdt_outcomes ORDER BY case_id, version DESC
)
SELECT decisions FROM latest
WHERE ($1::text IS NULL OR ruleset_version = $1)
  AND ($2::date IS NULL OR recorded_at >= $2::date::timestamptz)
  AND ($3::date IS NULL OR recorded_at < ($3::date + 1)::timestamptz)
"""


async def store_outcomes(connection: DriverConnection, outcomes: Collection[NewOutcome]) -> set[UUID]:
    """The ids of the outcomes stored now, i.e. not seen before."""
    if not outcomes:
        return set()
    rows = await connection.fetch(
        _STORE_OUTCOMES,
        [o.case_id for o in outcomes],
        [o.version for o in outcomes],
        [o.outcome_id for o in outcomes],
        [o.case_version for o in outcomes],
        [o.ruleset_version for o in outcomes],
        [o.recorded_at for o in outcomes],
        [orjson.dumps(o.decisions).decode() for o in outcomes],
    )
    return {row["outcome_id"] for row in rows}


async def latest_decisions(
    connection: DriverConnection, ruleset_version: str | None, since: date | None, until: date | None
) -> list[list[dict[str, Any]]]:
    """The decisions of each case's latest outcome that passes the filters (dates are UTC, inclusive)."""
    rows = await connection.fetch(_LATEST_DECISIONS, ruleset_version, since, until)
    return [row["decisions"] for row in rows]
