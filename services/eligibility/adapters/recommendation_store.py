"""Eligibility's batch statements, sent straight to the driver (shared/db/driver.py says why): each covers all
the case events of a polled batch. Table and column names are those of tables.py."""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from shared.db.driver import DriverConnection


@dataclass
class Progress:
    """The newest case version seen and whether the case was withdrawn."""

    latest_version: int
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class NewRecommendation:
    case_id: UUID
    case_version: int
    ruleset_version: str
    urgency: str
    content_json: str  # the recommendation as JSON, encoded once for the row and its announcement
    evaluated_at: datetime


_LOCK_PROGRESS = """
SELECT case_id, latest_version, withdrawn_at FROM eligibility.case_progress
WHERE case_id = ANY($1::uuid[]) ORDER BY case_id FOR UPDATE
"""

_SAVE_PROGRESS = """
INSERT INTO eligibility.case_progress (case_id, latest_version, withdrawn_at, updated_at)
SELECT * FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::timestamptz[])
ON CONFLICT (case_id) DO UPDATE
SET latest_version = excluded.latest_version, withdrawn_at = excluded.withdrawn_at, updated_at = excluded.updated_at
"""

# A version evaluated before (a repeat that got past the inbox) is not inserted again, whatever the ruleset
# it was evaluated under: a recommendation issued under an earlier ruleset stays as it was, and only a new
# case version is evaluated with the current one (clinical-rules.md §8).
_STORE_RECOMMENDATIONS = """
INSERT INTO eligibility.recommendations (case_id, case_version, ruleset_version, urgency, content, evaluated_at)
SELECT new.* FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::jsonb[], $6::timestamptz[])
    AS new (case_id, case_version, ruleset_version, urgency, content, evaluated_at)
WHERE NOT EXISTS (
    SELECT 1 FROM eligibility.recommendations AS old
    WHERE old.case_id = new.case_id AND old.case_version = new.case_version
)
ON CONFLICT DO NOTHING
RETURNING case_id, case_version
"""


async def lock_progress(connection: DriverConnection, case_ids: Collection[UUID]) -> dict[UUID, Progress]:
    rows = await connection.fetch(_LOCK_PROGRESS, sorted(case_ids))
    return {row["case_id"]: Progress(row["latest_version"], row["withdrawn_at"]) for row in rows}


async def save_progress(
    connection: DriverConnection, changed: Mapping[UUID, Progress], now: datetime
) -> None:
    if not changed:
        return
    ordered = sorted(changed.items())
    await connection.execute(
        _SAVE_PROGRESS,
        [case_id for case_id, _ in ordered],
        [p.latest_version for _, p in ordered],
        [p.withdrawn_at for _, p in ordered],
        [now] * len(ordered),
    )


async def store_recommendations(
    connection: DriverConnection, recommendations: Collection[NewRecommendation]
) -> set[tuple[UUID, int]]:
    """The (case, version) pairs that were stored, i.e. not evaluated before (under any ruleset)."""
    if not recommendations:
        return set()
    rows = await connection.fetch(
        _STORE_RECOMMENDATIONS,
        [r.case_id for r in recommendations],
        [r.case_version for r in recommendations],
        [r.ruleset_version for r in recommendations],
        [r.urgency for r in recommendations],
        [r.content_json for r in recommendations],
        [r.evaluated_at for r in recommendations],
    )
    return {(row["case_id"], row["case_version"]) for row in rows}
